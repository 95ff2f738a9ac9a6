"""How records look in tables and cards: column headers, field names and code labels, in Chinese or English."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flowpop.labels import label, lang
from flowpop.rules.idnumber import mask

# field → (Chinese, English); shared by cards, history and `--set` (which accepts either as a field name)
FIELDS: dict[str, tuple[str, str]] = {
    "id": ("编号", "ID"),
    # parameters of bulk changes
    "keep": ("保留记录", "Record kept"),
    "groups": ("合并分组", "Merge groups"),
    "archive_open_stays": ("退档被并记录的在住流动", "Archive the merged records' open stays"),
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
    "household_code": ("户籍地代码", "Household code"),
    "household_name": ("户籍地", "Household"),
    "household_address": ("户籍地址", "Household address"),
    "residence_code": ("现居住地代码", "Residence code"),
    "residence_name": ("现居住地", "Residence"),
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
    "code": ("代码", "Code"),
    "level": ("级别", "Level"),
    "parent_code": ("上级代码", "Parent code"),
    "full_name": ("全称", "Full name"),
    "valid_from": ("启用年份", "Valid from"),
    "valid_to": ("停用年份", "Valid to"),
    "successor_code": ("继承代码", "Successor"),
    "is_demo": ("演示数据", "Demo data"),
    "retired": ("已撤销", "Retired"),
    "username": ("用户名", "Username"),
    "display_name": ("姓名", "Display name"),
    "role": ("角色", "Role"),
    "jurisdiction_code": ("管辖区域代码", "Jurisdiction code"),
    "jurisdiction_name": ("管辖区域", "Jurisdiction"),
    "disabled": ("已停用", "Disabled"),
    "permissions": ("权限", "Permissions"),
    "embedded": ("本机登记库", "Embedded"),
    "user_id": ("用户编号", "User ID"),
    "prefix": ("令牌前缀", "Prefix"),
    "expires_at": ("到期时间", "Expires"),
    "revoked_at": ("吊销时间", "Revoked"),
    "last_used_at": ("最后使用", "Last used"),
    "token": ("令牌", "Token"),
    "change_reason": ("变更原因", "Change reason"),
    "date": ("日期", "Date"),
    "kind": ("类型", "Kind"),
    "to": ("发往", "To"),
    # stays and persons: links to houses and employers
    "employer_code": ("工作单位信用代码", "Employer credit code"),
    "household_house_code": ("户籍房屋编码", "Household house code"),
    "household_room": ("户籍房间", "Household room"),
    "declare_due_on": ("应申报日期", "Declaration due"),
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
    "provided_on": ("服务日期", "Provided on"),
    "provider_code": ("服务单位代码", "Provider code"),
    "detail": ("说明", "Detail"),
    "created_by": ("登记人", "Recorded by"),
    # messages (信息交换)
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
}

# fields whose values are codes with labels in flowpop.labels, by the kind of code
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
}

ACTIONS: dict[str, tuple[str, str]] = {
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
}
ENTITIES: dict[str, tuple[str, str]] = {
    "person": ("人员", "person"), "stay": ("居住记录", "stay"), "message": ("消息", "message"),
    "house": ("房屋", "house"), "employer": ("用工单位", "employer"), "declaration": ("租住申报", "declaration"),
}
# a history entry's "status" is the status of its own kind of record
STATUS_KIND = {"person": "person_status", "stay": "stay_status", "message": "message_status"}


def pick(pair: tuple[str, str]) -> str:
    return pair[1] if lang() == "en" else pair[0]


def field_label(name: str) -> str:
    return pick(FIELDS[name]) if name in FIELDS else name


def show(value: Any) -> str:
    """A value as a cell: dates in ISO form, booleans as yes/no, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return pick(("是", "yes") if value else ("否", "no"))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(show(v) for v in value)
    return str(value)


def field_value(name: str, value: Any, *, kind: str | None = None) -> str:
    kind = kind or CODED.get(name)
    if kind and isinstance(value, str):
        return label(kind, value)
    return show(value)


@dataclass(frozen=True)
class Column:
    zh: str
    en: str
    get: Callable[[Any], Any]
    flex: str | None = None  # may be shortened to fit a terminal, keeping its "start" or its "end"

    @property
    def header(self) -> str:
        return self.en if lang() == "en" else self.zh


def col(name: str, *, kind: str | None = None, header: tuple[str, str] | None = None,
        flex: str | None = None) -> Column:
    zh, en = header or FIELDS[name]
    return Column(zh, en, lambda m: field_value(name, getattr(m, name), kind=kind), flex)


def place(name_attr: str, code_attr: str, header: tuple[str, str]) -> Column:
    return Column(*header, lambda m: getattr(m, name_attr) or getattr(m, code_attr) or "", flex="end")


def person_columns(revealed: bool = False) -> list[Column]:
    """Unrevealed rows carry the birth year, not the age (which goes up on the birthday)."""
    return [
        col("id"), col("name"), col("id_number"), col("sex"), col("age" if revealed else "birth_year"), col("category"),
        place("household_name", "household_code", ("户籍地", "Household")),
        place("residence_name", "residence_code", ("现居住地", "Residence")),
        col("arrived_on"), col("status", kind="person_status"),
    ]


PERSON_COLUMNS = person_columns()

STAY_COLUMNS = [
    col("id"), col("status", kind="stay_status"),
    place("residence_name", "residence_code", ("现居住地", "Residence")),
    place("household_name", "household_code", ("户籍地", "Household")),
    col("reason"), col("arrived_on"), col("returned_on"), col("direction"),
]

DIVISION_COLUMNS = [col("code"), col("name"), col("level"), col("full_name", flex="end"), col("retired")]

USER_COLUMNS = [
    col("username"), col("display_name"), col("role"),
    place("jurisdiction_name", "jurisdiction_code", ("管辖区域", "Jurisdiction")), col("disabled"), col("created_at"),
]


def token_state(token: Any) -> str:
    if token.revoked_at:
        return pick(("已吊销", "revoked"))
    if token.expires_at and token.expires_at < dt.datetime.now(token.expires_at.tzinfo):
        return pick(("已过期", "expired"))
    return pick(("有效", "valid"))


TOKEN_COLUMNS = [
    col("id"), col("username", header=("用户", "User")), col("name", header=("名称", "Name"), flex="start"), col("prefix"),
    col("created_at"), col("expires_at"), col("last_used_at"), Column("状态", "Status", token_state),
]


ACCESS_LOG_COLUMNS = [
    col("id"), col("at", header=("时间", "At")), col("username", header=("用户", "User")),
    col("action", header=("操作", "Action")), col("entity", header=("对象", "Entity")),
    Column("条数", "Records", lambda e: str(len(e.entity_ids))), col("detail", header=("说明", "Detail"), flex="start"),
]


def changes_text(changes: dict[str, Any], *, entity: str = "person", reveal: bool = False, width: int = 60) -> str:
    """``{"phone": [old, new]}`` as ``联系电话: 旧 → 新``; ID numbers stay masked unless revealed."""
    kinds = {"status": STATUS_KIND[entity]} if entity in STATUS_KIND else {}
    parts = []
    for name, pair in changes.items():
        old, new = (pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair))
        if name == "id_number" and not reveal:
            old, new = mask(old), mask(new)
        before, after = field_value(name, old, kind=kinds.get(name)), field_value(name, new, kind=kinds.get(name))
        parts.append(f"{field_label(name)}: {before} → {after}" if before else f"{field_label(name)}: {after}")
    text = "; ".join(parts)
    return text if len(text) <= width else text[: width - 1] + "…"


def history_columns(reveal: bool = False) -> list[Column]:
    return [
        col("at", header=("时间", "When")),
        Column("对象", "Record", lambda h: f"{pick(ENTITIES.get(h.entity, (h.entity, h.entity)))} {h.entity_id}"),
        Column("操作", "Action", lambda h: pick(ACTIONS.get(h.action, (h.action, h.action)))),
        Column("操作人", "By", lambda h: h.username),
        Column("原因", "Reason", lambda h: h.reason or ""),
        Column("变更", "Changes", lambda h: changes_text(h.changes, entity=h.entity, reveal=reveal), flex="start"),
    ]


def card_rows(model: Any, fields: Iterable[str], kinds: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(label, value) pairs for a one-record view."""
    kinds = kinds or {}
    return [(field_label(f), field_value(f, getattr(model, f, None), kind=kinds.get(f))) for f in fields]


PERSON_CARD = [
    "id", "name", "id_number", "sex", "birth_date", "birth_year", "age", "ethnicity", "education", "hukou_type",
    "marital_status", "category", "key_target", "phone", "household_name", "household_address",
    "residence_name", "arrived_on", "direction", "status", "note", "version", "created_at", "updated_at",
]
STAY_CARD = [
    "id", "person_id", "status", "household_name", "household_address", "residence_name", "residence_address",
    "grid_code", "house_code", "room", "reason", "left_home_on", "arrived_on", "expected_return_on", "returned_on",
    "occupation", "employer", "end_reason", "direction", "version",
]
DIVISION_CARD = ["code", "name", "level", "full_name", "parent_code", "valid_from", "valid_to", "successor_code",
                 "is_demo", "retired"]
ME_CARD = ["username", "display_name", "role", "jurisdiction_name", "jurisdiction_code", "permissions", "embedded"]
USER_CARD = ["id", "username", "display_name", "role", "jurisdiction_name", "disabled", "created_at"]
TOKEN_CARD = ["id", "username", "name", "prefix", "created_at", "expires_at"]
PERSON_KINDS = {"status": "person_status"}
STAY_KINDS = {"status": "stay_status"}

# bulk changes, inspections (labels the registry does not carry)
OPERATIONS: dict[str, tuple[str, str]] = {
    "set": ("修改字段", "set fields"), "deregister": ("注销", "deregister"), "archive": ("退档", "archive"),
    "restore": ("恢复", "restore"), "move": ("迁移现居住地", "move"), "merge": ("合并重复记录", "merge duplicates"),
    "upgrade_id15": ("15位身份证号升级", "upgrade 15-digit ID numbers"),
}
CHANGESET_STATUS: dict[str, tuple[str, str]] = {
    "planned": ("待执行", "planned"), "applying": ("执行中", "applying"), "applied": ("已执行", "applied"),
    "reverted": ("已撤销", "reverted"), "failed": ("失败", "failed"), "cancelled": ("已取消", "cancelled"),
}
OUTCOMES: dict[str, tuple[str, str]] = {
    "present": ("在住无误", "present"), "corrected": ("已更正", "corrected"), "left": ("已离开", "left"),
    "not_found": ("查无此人", "not found"), "new_found": ("新发现", "newly found"),
    "certificate_missing": ("缺婚育证明", "certificate missing"),
}
CAMPAIGN_STATUS: dict[str, tuple[str, str]] = {"open": ("进行中", "open"), "closed": ("已结束", "closed")}


def labelled(table: dict[str, tuple[str, str]], code: str | None) -> str:
    """A code's label from one of the tables above; unknown codes as they are."""
    if code is None:
        return ""
    return pick(table[code]) if code in table else code


def percent(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value * 100:.{digits}f}%"
