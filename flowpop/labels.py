"""The one vocabulary: what a user reads, in Chinese (the default) and English.

- ``LABELS``: the codes the contract allows (``flowpop/types.py``'s Literal types) and a few more the
  registry writes (history actions, record kinds), each with its Chinese and English label.
- ``FIELDS``: field titles, shared by the CLI's tables and cards, the console, the scripts and the
  registry's exports (their CSV/XLSX headers).
- One mechanism for the front ends' own phrases: ``t(zh, en)`` for a phrase written where it is used,
  ``Catalog`` for phrases kept by key (``catalog("key", n=3)``).
- One place that decides the language: ``lang()`` — a choice made with ``set_lang`` (the CLI's
  ``--lang``, the console's switch, a script's ``--lang``), else ``FLOWPOP_LANG``, else Chinese.

Errors are not here: the registry sends each as a pair (``message`` and ``message_en``) and the front
ends pick one with ``pick``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Literal

from flowpop.rules.legacy import HEADERS

Lang = Literal["zh", "en"]
Pair = tuple[str, str]

_chosen: Lang | None = None


def _norm(value: str) -> Lang:
    return "en" if value.strip().lower().startswith("en") else "zh"


def lang() -> Lang:
    """The user's language: the one chosen with ``set_lang``, else FLOWPOP_LANG, else Chinese."""
    if _chosen is not None:
        return _chosen
    return _norm(os.environ.get("FLOWPOP_LANG", "zh") or "zh")


def set_lang(value: str | None) -> Lang | None:
    """Choose the language for this process (None: back to FLOWPOP_LANG); returns the previous choice."""
    global _chosen
    previous = _chosen
    _chosen = None if value is None else _norm(value)
    return previous


@contextmanager
def choice_kept() -> Iterator[None]:
    """Whatever ``set_lang`` chooses inside is undone on leaving (a command's ``--lang`` lasts one invocation)."""
    previous = _chosen
    try:
        yield
    finally:
        set_lang(previous)


def pick(pair: Pair, language: str | None = None) -> str:
    """One half of a (Chinese, English) pair."""
    return pair[1] if (language or lang()) == "en" else pair[0]


def t(zh: str, en: str) -> str:
    """A phrase in the user's language, written where it is used: ``t("已保存", "saved")``."""
    return pick((zh, en))


def message(err: object, language: str | None = None) -> str:
    """The user's half of anything carrying ``message`` and ``message_en`` (a problem document, a field error)."""
    zh = getattr(err, "message", None) if not isinstance(err, Mapping) else err.get("message")
    en = getattr(err, "message_en", None) if not isinstance(err, Mapping) else err.get("message_en")
    if (language or lang()) == "en" and en:
        return str(en)
    return str(zh or en or err)


class Catalog:
    """Phrases kept by key, each a (Chinese, English) pair; keys not found are looked up in ``fallbacks``.

    ``catalog("loaded_all", n=3)`` is the phrase in the user's language, formatted."""

    def __init__(self, pairs: dict[str, Pair], *fallbacks: Catalog) -> None:
        self.pairs = pairs
        self.fallbacks = fallbacks

    def pair(self, key: str) -> Pair | None:
        found = self.pairs.get(key)
        for other in self.fallbacks:
            if found is not None:
                break
            found = other.pair(key)
        return found

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.pair(key) is not None

    def __call__(self, key: str, **values: object) -> str:
        found = self.pair(key)
        if found is None:
            raise KeyError(key)
        text = pick(found)
        return text.format(**values) if values else text


# ------------------------------------------------------------------------------------ codes

LABELS: dict[str, dict[str, Pair]] = {
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
    # where a year's working days come from (GET /v1/calendar/{year})
    "calendar_source": {
        "package": ("chinesecalendar 软件包", "the chinesecalendar package"),
        "registry": ("已载入的国务院通知", "the State Council notice loaded"),
        "settings": ("设置文件", "the settings file"),
        "none": ("无：按周一至周五计算，期限为暂定", "none: counted Monday–Friday, deadlines provisional"),
    },
    # the lists behind the co-management figures (GET /v1/comanagement/records?kind=)
    "comanagement_list": {
        "both": ("双方已登记（共管）", "registered by both sides"),
        "inflow": ("已做流入登记", "inflow registered"),
        "outflow": ("已做流出登记", "outflow registered"),
        "missing_inflow": ("缺流入登记", "missing inflow registration"),
        "missing_outflow": ("缺流出登记", "missing outflow registration"),
        "unmanaged": ("漏管（仅一方登记）", "unmanaged (one side only)"),
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
    # a message kind in a narrow column
    "message_kind_short": {
        "assist_request": ("协查", "request"),
        "assist_reply": ("协查反馈", "reply"),
        "notification": ("通报", "notice"),
        "transfer": ("移交", "transfer"),
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
    # what a user may do with a message next (Message.allowed_actions)
    "message_action": {
        "read": ("标为已读", "mark read"),
        "match": ("配对", "match"),
        "verify": ("核实", "verify"),
        "reply": ("反馈", "reply"),
        "resolve": ("答复查无此人", "answer not-found"),
        "accept": ("接收移交", "accept"),
        "refuse": ("拒绝移交", "refuse"),
        "forward": ("转办", "forward"),
        "return": ("退回", "return"),
        "escalate": ("上报", "escalate"),
        "close": ("办结", "close"),
        "acknowledge": ("接收", "acknowledge"),
    },
    "message_outcome": {
        "answered": ("已反馈", "answered"),
        "accepted": ("已接收", "accepted"),
        "refused": ("已拒绝", "refused"),
        "returned": ("已返乡，流出记录已结束", "returned home; outflow record ended"),
        "moved": ("已迁往他处，流出记录已更正", "moved elsewhere; outflow record corrected"),
        "present": ("核实仍在该地，流出记录保留", "still there; outflow record kept"),
        "subject_ended": ("人员或流动记录已结束，随之办结", "closed with its subject"),
    },
    # the household side's answer to a 查无此人 (NotFoundAnswer.outcome)
    "not_found_outcome": {
        "returned": ("已返回户籍地", "returned home"),
        "moved": ("已迁往他处", "moved elsewhere"),
        "present": ("仍在该地（有异议）", "still there (disputed)"),
    },
    "accountable_side": {
        "residence": ("现居住地", "residence side"),
        "household": ("户籍地", "household side"),
        "county": ("县级", "county"),
    },
    "match_basis": {
        "id_number": ("身份证号", "ID number"),
        "name_birth_date": ("姓名+出生日期", "name + born"),
        "pinyin_birth_date": ("拼音+出生日期", "pinyin + born"),
        "other_id_number": ("姓名+出生日期，身份证号不同", "name + born, other ID number"),
        "other_id_number_pinyin": ("拼音+出生日期，身份证号不同", "pinyin + born, other ID number"),
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
    # bulk changes
    "operation": {
        "set": ("修改字段", "set fields"),
        "deregister": ("注销", "deregister"),
        "archive": ("退档", "archive"),
        "restore": ("恢复", "restore"),
        "move": ("迁移现居住地", "move"),
        "merge": ("合并重复记录", "merge duplicates"),
        "upgrade_id15": ("15位身份证号升级", "upgrade 15-digit ID numbers"),
    },
    "changeset_status": {
        "planned": ("待执行", "planned"),
        "applying": ("执行中", "applying"),
        "applied": ("已执行", "applied"),
        "reverted": ("已撤销", "reverted"),
        "failed": ("失败", "failed"),
        "cancelled": ("已取消", "cancelled"),
    },
    # quarterly inspections
    "inspection_outcome": {
        "present": ("在住无误", "present"),
        "corrected": ("已更正", "corrected"),
        "left": ("已离开", "left"),
        "not_found": ("查无此人", "not found"),
        "new_found": ("新发现", "newly found"),
        "certificate_missing": ("缺婚育证明", "certificate missing"),
    },
    "campaign_status": {"open": ("进行中", "open"), "closed": ("已结束", "closed")},
    "inspection_kind": {"stay": ("居住", "stay"), "house": ("出租房屋", "house")},
    # rates the registry reports (flowpop/registry/county/rates.py; definitions in docs/rules.md)
    "rate": {
        "collection": ("信息采集率", "information collected"),
        "accuracy": ("信息准确率", "information accurate"),
        "rented_house_accuracy": ("出租屋准确率", "rented-house information accurate"),
    },
    "declaration_state": {"late": ("逾期申报", "late"), "missing": ("未申报", "undeclared")},
    # history: what was done, to which kind of record
    "action": {
        "create": ("登记", "created"),
        "update": ("修改", "updated"),
        "deregister": ("注销", "deregistered"),
        "archive": ("退档", "archived"),
        "restore": ("恢复", "restored"),
        "close": ("结束", "closed"),
        "send": ("发送", "sent"),
        "read": ("阅读", "read"),
        "match": ("配对", "matched"),
        "verify": ("核实", "verifying"),
        "reply": ("反馈", "replied"),
        "accept": ("接收移交", "accepted"),
        "refuse": ("拒绝移交", "refused"),
        "forward": ("转办", "forwarded"),
        "return": ("退回", "returned"),
        "escalate": ("上报", "escalated"),
        "ack": ("接收", "acknowledged"),
        "declare": ("申报", "declared"),
    },
    "entity": {
        "person": ("人员", "person"),
        "stay": ("居住记录", "stay"),
        "message": ("消息", "message"),
        "house": ("房屋", "house"),
        "employer": ("用工单位", "employer"),
        "declaration": ("租住申报", "declaration"),
    },
    "yes_no": {"yes": ("是", "yes"), "no": ("否", "no")},
}

# ------------------------------------------------------------------------------------ fields

FIELDS: dict[str, Pair] = {
    "id": ("编号", "ID"),
    # persons
    "id_number": ("身份证号", "ID number"),
    "id_revealed": ("已显示完整号码", "ID revealed"),
    "name": ("姓名", "Name"),
    "name_pinyin": ("拼音", "Pinyin"),
    "sex": ("性别", "Sex"),
    "birth_date": ("出生日期", "Birth date"),
    "birth_year": ("出生年份", "Birth year"),
    "age": ("年龄", "Age"),
    "ethnicity": ("民族", "Ethnicity"),
    "education": ("文化程度", "Education"),
    "hukou_type": ("户口性质", "Hukou type"),
    "marital_status": ("婚姻状况", "Marital status"),
    "category": ("类别", "Category"),
    "key_target": ("重点服务管理对象", "Key service target"),
    "phone": ("联系电话", "Phone"),
    "household": ("户籍地", "Household"),
    "household_code": ("户籍地代码", "Household code"),
    "household_name": ("户籍地名称", "Household name"),
    "household_address": ("户籍地址", "Household address"),
    "residence": ("现居住地", "Residence"),
    "residence_code": ("现居住地代码", "Residence code"),
    "residence_name": ("现居住地名称", "Residence name"),
    "residence_address": ("现居住地址", "Residence address"),
    "arrived_on": ("流入日期", "Arrived"),
    "current_stay_id": ("当前居住记录", "Current stay"),
    "direction": ("流向", "Direction"),
    "status": ("状态", "Status"),
    "note": ("备注", "Note"),
    "warnings": ("提示", "Warnings"),
    "version": ("版本", "Version"),
    "created_at": ("登记时间", "Created"),
    "updated_at": ("更新时间", "Updated"),
    "change_reason": ("变更原因", "Change reason"),
    "date": ("日期", "Date"),
    # stays
    "person_id": ("人员编号", "Person ID"),
    "grid_code": ("网格", "Grid"),
    "house_code": ("房屋编码", "House code"),
    "room": ("房间", "Room"),
    "reason": ("流动原因", "Reason"),
    "left_home_on": ("流出日期", "Left home"),
    "expected_return_on": ("预计返回日期", "Expected return"),
    "returned_on": ("返回日期", "Returned"),
    "occupation": ("职业", "Occupation"),
    "employer": ("工作单位", "Employer"),
    "end_reason": ("结束原因", "End reason"),
    "ended_at": ("结束时间", "Ended at"),
    "employer_code": ("工作单位信用代码", "Employer credit code"),
    "household_house_code": ("户籍房屋编码", "Household house code"),
    "household_room": ("户籍房间", "Household room"),
    "declare_due_on": ("应申报日期", "Declaration due"),
    # divisions
    "code": ("代码", "Code"),
    "level": ("级别", "Level"),
    "parent_code": ("上级代码", "Parent code"),
    "full_name": ("全称", "Full name"),
    "valid_from": ("启用年份", "Valid from"),
    "valid_to": ("停用年份", "Valid to"),
    "successor_code": ("继承代码", "Successor"),
    "is_demo": ("演示数据", "Demo data"),
    "retired": ("已撤销", "Retired"),
    # users and tokens
    "username": ("用户名", "Username"),
    "display_name": ("姓名", "Display name"),
    "role": ("角色", "Role"),
    "jurisdiction": ("管辖区域", "Jurisdiction"),
    "jurisdiction_code": ("管辖区域代码", "Jurisdiction code"),
    "jurisdiction_name": ("管辖区域", "Jurisdiction"),
    "disabled": ("已停用", "Disabled"),
    "permissions": ("权限", "Permissions"),
    "embedded": ("本机登记库", "Embedded"),
    "own_area": ("本库辖区（详至村居）", "Own area (down to villages)"),
    "user_id": ("用户编号", "User ID"),
    "prefix": ("令牌前缀", "Prefix"),
    "expires_at": ("到期时间", "Expires"),
    "revoked_at": ("吊销时间", "Revoked"),
    "last_used_at": ("最后使用", "Last used"),
    "token": ("令牌", "Token"),
    # history and the access log
    "at": ("时间", "When"),
    "action": ("操作", "Action"),
    "entity": ("对象", "Record"),
    "changes": ("变更", "Changes"),
    "kind": ("类型", "Kind"),
    "to": ("发往", "To"),
    # bulk changes
    "operation": ("操作", "Operation"),
    "keep": ("保留记录", "Record kept"),
    "groups": ("合并分组", "Merge groups"),
    "archive_open_stays": ("退档被并记录的在住流动", "Archive the merged records' open stays"),
    # houses and landlords
    "legacy_code": ("原房屋编号", "Legacy code"),
    "division_code": ("所在区划代码", "Division code"),
    "division_name": ("所在区划", "Division"),
    "address": ("地址", "Address"),
    "rooms": ("房间数", "Rooms"),
    "capacity": ("核定居住人数", "Capacity"),
    "occupants": ("在住人数", "Occupants"),
    "over_capacity": ("超员", "Over capacity"),
    "use": ("房屋用途", "Use"),
    "mode": ("管理模式", "Management mode"),
    "landlord_name": ("房东姓名", "Landlord"),
    "landlord_id_number": ("房东身份证号", "Landlord ID number"),
    "landlord_phone": ("房东电话", "Landlord phone"),
    "declared_on": ("申报日期", "Declared on"),
    "declared_by": ("申报人", "Declared by"),
    # employers
    "uscc": ("统一社会信用代码", "Credit code"),
    "contact_name": ("联系人", "Contact"),
    "contact_phone": ("联系人电话", "Contact phone"),
    "agreement_signed_on": ("协议签订日期", "Agreement signed"),
    "floating_workers": ("流动人员数", "Floating workers"),
    "needs_agreement": ("需签订协议", "Needs agreement"),
    # services for key targets
    "service": ("服务项目", "Service"),
    "provided_on": ("服务日期", "Provided on"),
    "provider_code": ("服务单位代码", "Provider code"),
    "detail": ("说明", "Detail"),
    "created_by": ("登记人", "Recorded by"),
    # messages (信息交换) and the items they carry
    "uid": ("消息标识", "UID"),
    "topic": ("事项", "Topic"),
    "sender_code": ("发件单位代码", "Sender code"),
    "sender_name": ("发件单位", "Sender"),
    "addressee_code": ("收件单位代码", "Addressee code"),
    "addressee_name": ("收件单位", "Addressee"),
    "due_on": ("截止日期", "Due"),
    "working_days_left": ("剩余工作日", "Working days left"),
    "overdue": ("逾期", "Overdue"),
    "outcome": ("办理结果", "Outcome"),
    "matched_person_id": ("配对人员", "Matched person"),
    "match_score": ("匹配分", "Match score"),
    "text": ("附言", "Text"),
    "assignee": ("经办人", "Assignee"),
    "event_on": ("事件日期", "Event date"),
    "stay_id": ("居住记录", "Stay"),
    "external": ("发往系统外", "External"),
    "exported_at": ("导出时间", "Exported"),
    "verify": ("核实事项", "To verify"),
    "from_residence_code": ("原现居住地", "From"),
    "to_residence_code": ("迁往", "To"),
    "number": ("证明编号", "Certificate"),
    "verified_on": ("查验日期", "Verified"),
    "checked_on": ("清查日期", "Checked"),
    "transfer": ("移交消息", "Transfer"),
}

# fields whose values are codes, by the kind of code (a history entry's "status" depends on its record: STATUS_KIND)
CODED: dict[str, str] = {
    "sex": "sex",
    "education": "education",
    "hukou_type": "hukou_type",
    "marital_status": "marital_status",
    "category": "category",
    "reason": "reason",
    "direction": "direction",
    "role": "role",
    "level": "level",
    "use": "house_use",
    "mode": "house_mode",
    "service": "service",
    "kind": "message_kind",
    "topic": "topic",
    "operation": "operation",
}
STATUS_KIND: dict[str, str] = {"person": "person_status", "stay": "stay_status", "message": "message_status"}


def label(kind: str, code: str | None, language: str | None = None) -> str:
    """A code's label; an unknown code as it is, nothing as empty."""
    if code is None:
        return ""
    pair = LABELS.get(kind, {}).get(code)
    return code if pair is None else pick(pair, language)


def title(name: str, language: str | None = None) -> str:
    """A field's title; an unknown field as its name."""
    pair = FIELDS.get(name)
    return name if pair is None else pick(pair, language)


def codes(kind: str) -> tuple[str, ...]:
    return tuple(LABELS[kind])


def code_for(kind: str, text: str) -> str | None:
    """Code from either the code itself or its Chinese/English label (for imports and the CLI)."""
    text = text.strip()
    for code, (zh, en) in LABELS.get(kind, {}).items():
        if text in (code, zh, en):
            return code
    return None


def field_for(text: str, allowed: tuple[str, ...] | None = None) -> str | None:
    """A field's name from its name, its Chinese/English title (case aside) or a legacy file's header for it
    (居住地址 for residence_address), among ``allowed`` if given."""
    text = text.strip()
    for name, (zh, en) in FIELDS.items():
        if (allowed is None or name in allowed) and (text.lower() in (name, zh, en.lower()) or text in HEADERS.get(name, ())):
            return name
    if allowed is not None and text in allowed:
        return text
    return None
