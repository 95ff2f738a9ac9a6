"""Codes stored and sent by the API, and what a user reads for them (Chinese first, English)."""

from __future__ import annotations

import os

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "sex": {"M": ("男", "male"), "F": ("女", "female")},
    "reason": {
        "work": ("务工", "work"),
        "business": ("经商", "business"),
        "family": ("投亲", "joining family"),
        "marriage": ("婚嫁", "marriage"),
        "study": ("学习培训", "study or training"),
        "other": ("其他", "other"),
    },
    "marital_status": {
        "unmarried": ("未婚", "never married"),
        "first_marriage": ("初婚", "first marriage"),
        "remarried": ("再婚", "remarried"),
        "divorced": ("离婚", "divorced"),
        "widowed": ("丧偶", "widowed"),
    },
    "category": {
        "unmarried_male": ("未婚男性", "unmarried man"),
        "unmarried_female": ("未婚女性", "unmarried woman"),
        "married_male": ("已婚男性", "married man"),
        "married_female": ("已婚女性", "married woman"),
    },
    "education": {
        "none": ("未上学", "no schooling"),
        "primary": ("小学", "primary"),
        "junior": ("初中", "junior secondary"),
        "senior": ("高中/中专", "senior secondary"),
        "college": ("大专", "college"),
        "bachelor": ("本科", "bachelor"),
        "postgraduate": ("研究生", "postgraduate"),
    },
    "hukou_type": {
        "agricultural": ("农业户口", "agricultural"),
        "non_agricultural": ("非农业户口", "non-agricultural"),
        "resident": ("居民户口", "resident (unified)"),
    },
    "person_status": {
        "active": ("在册", "active"),
        "deregistered": ("已注销", "deregistered"),
        "archived": ("已退档", "archived"),
    },
    "stay_status": {
        "open": ("在住", "open"),
        "closed": ("已结束", "closed"),
        "deregistered": ("已注销", "deregistered"),
        "archived": ("已退档", "archived"),
    },
    "direction": {
        "inflow": ("流入", "inflow"),
        "outflow": ("流出", "outflow"),
        "local": ("本地", "local"),
        "other": ("其他", "elsewhere"),
    },
    "role": {
        "village_assistant": ("村居协管员", "village assistant"),
        "township_operator": ("乡镇信息员", "township operator"),
        "county_admin": ("县级管理员", "county admin"),
        "city_viewer": ("市级查看员", "city viewer"),
        "auditor": ("审计员", "auditor"),
        "admin": ("系统管理员", "system administrator"),
    },
    "house_use": {
        "rented": ("出租", "rented"),
        "own": ("自住", "own home"),
        "dormitory": ("集体宿舍", "dormitory"),
        "site": ("工地/场所", "work site"),
    },
    "house_mode": {
        "hotel_style": ("旅业式", "hotel-style (whole building let)"),
        "property": ("物业式", "property-managed estate"),
        "company": ("单位自管式", "company-managed"),
        "scattered": ("散居包片式", "scattered sites"),
        "compound": ("院区围合式", "village compound"),
    },
    "service": {
        "checkup": ("孕环情检查", "contraception/pregnancy check"),
        "first_child": ("一孩生育服务登记", "first-child service registration"),
        "surgery": ("计划生育手术", "family-planning surgery"),
    },
    "message_kind": {
        "assist_request": ("协查", "assistance request"),
        "assist_reply": ("协查反馈", "assistance reply"),
        "notification": ("通报", "notification"),
        "transfer": ("迁入申请/移交", "transfer"),
        "not_found": ("查无此人", "not found"),
        "dispute": ("申诉", "dispute"),
    },
    "message_status": {
        "new": ("新到", "new"),
        "read": ("已读", "read"),
        "matched": ("已配对", "matched"),
        "verifying": ("核实中", "verifying"),
        "answered": ("已反馈", "answered"),
        "closed": ("已办结", "closed"),
        "returned": ("已退回", "returned"),
        "forwarded": ("已转办", "forwarded"),
        "escalated": ("已上报", "escalated"),
    },
    "topic": {
        "stay_registered": ("流动登记", "stay registered"),
        "stay_ended": ("流动结束", "stay ended"),
        "deregistered": ("注销", "deregistered"),
        "certificate_verified": ("婚育证明查验", "certificate verified"),
        "service_provided": ("服务提供", "service provided"),
        "transfer_accepted": ("移交已接收", "transfer accepted"),
        "transfer_refused": ("移交被拒绝", "transfer refused"),
    },
    "level": {
        "province": ("省", "province"),
        "city": ("市", "city"),
        "county": ("县/区", "county"),
        "township": ("乡镇/街道", "township"),
        "village": ("村/居", "village"),
        "grid": ("网格", "grid"),
    },
}


def lang() -> str:
    value = os.environ.get("FLOWPOP_LANG", "zh").lower()
    return "en" if value.startswith("en") else "zh"


def label(kind: str, code: str | None, language: str | None = None) -> str:
    if code is None:
        return ""
    pair = LABELS.get(kind, {}).get(code)
    if pair is None:
        return code
    return pair[1] if (language or lang()) == "en" else pair[0]


def codes(kind: str) -> tuple[str, ...]:
    return tuple(LABELS[kind])


def code_for(kind: str, text: str) -> str | None:
    """Code from either the code itself or its Chinese/English label (for imports and the CLI)."""
    text = text.strip()
    for code, (zh, en) in LABELS.get(kind, {}).items():
        if text in (code, zh, en):
            return code
    return None
