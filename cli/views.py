"""How records look in tables and cards: column headers, field names and code labels, in Chinese or English."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flowpop import labels
from flowpop.labels import label
from flowpop.rules.idnumber import mask

# One vocabulary (flowpop.labels): field titles, coded fields and code labels are declared there once;
# the names below are the CLI's handles on those tables (``--set`` accepts a field's name or either title).
FIELDS = labels.FIELDS
CODED = labels.CODED
STATUS_KIND = labels.STATUS_KIND
ACTIONS = labels.LABELS["action"]
ENTITIES = labels.LABELS["entity"]
OPERATIONS = labels.LABELS["operation"]
CHANGESET_STATUS = labels.LABELS["changeset_status"]
OUTCOMES = labels.LABELS["inspection_outcome"]
CAMPAIGN_STATUS = labels.LABELS["campaign_status"]
LABELS = labels.LABELS


pick = labels.pick


def field_label(name: str) -> str:
    return labels.title(name)


def show(value: Any) -> str:
    """A value as a cell: dates in ISO form, booleans as yes/no, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return label("yes_no", "yes" if value else "no")
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
        return pick((self.zh, self.en))


def col(name: str, *, kind: str | None = None, header: tuple[str, str] | None = None,
        flex: str | None = None) -> Column:
    zh, en = header or FIELDS[name]
    return Column(zh, en, lambda m: field_value(name, getattr(m, name), kind=kind), flex)


def place(name_attr: str, code_attr: str, header: tuple[str, str] | str) -> Column:
    """A place by its name (its code when it has none); ``header`` a field of the vocabulary or a pair."""
    zh, en = FIELDS[header] if isinstance(header, str) else header
    return Column(zh, en, lambda m: getattr(m, name_attr) or getattr(m, code_attr) or "", flex="end")


def person_columns(revealed: bool = False) -> list[Column]:
    """Unrevealed rows carry the birth year, not the age (which goes up on the birthday)."""
    return [
        col("id"), col("name"), col("id_number"), col("sex"), col("age" if revealed else "birth_year"), col("category"),
        place("household_name", "household_code", "household"),
        place("residence_name", "residence_code", "residence"),
        col("arrived_on"), col("status", kind="person_status"),
    ]


PERSON_COLUMNS = person_columns()

STAY_COLUMNS = [
    col("id"), col("status", kind="stay_status"),
    place("residence_name", "residence_code", "residence"),
    place("household_name", "household_code", "household"),
    col("reason"), col("arrived_on"), col("returned_on"), col("direction"),
]

DIVISION_COLUMNS = [col("code"), col("name"), col("level"), col("full_name", flex="end"), col("retired")]

USER_COLUMNS = [
    col("username"), col("display_name"), col("role"),
    place("jurisdiction_name", "jurisdiction_code", "jurisdiction"), col("disabled"), col("created_at"),
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
        col("at"),
        Column(*FIELDS["entity"], lambda h: f"{label('entity', h.entity)} {h.entity_id}"),
        Column(*FIELDS["action"], lambda h: label("action", h.action)),
        Column("操作人", "By", lambda h: h.username),
        Column("原因", "Reason", lambda h: h.reason or ""),
        Column(*FIELDS["changes"], lambda h: changes_text(h.changes, entity=h.entity, reveal=reveal), flex="start"),
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
ME_CARD = ["username", "display_name", "role", "jurisdiction_name", "jurisdiction_code", "permissions", "embedded",
           "own_area"]
USER_CARD = ["id", "username", "display_name", "role", "jurisdiction_name", "disabled", "created_at"]
TOKEN_CARD = ["id", "username", "name", "prefix", "created_at", "expires_at"]
PERSON_KINDS = {"status": "person_status"}
STAY_KINDS = {"status": "stay_status"}

def labelled(table: dict[str, tuple[str, str]], code: str | None) -> str:
    """A code's label from one of the vocabulary's tables above; unknown codes as they are."""
    if code is None:
        return ""
    return pick(table[code]) if code in table else code


def percent(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value * 100:.{digits}f}%"
