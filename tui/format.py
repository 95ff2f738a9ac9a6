"""Turning SDK models into table cells and short texts (display only; no rules live here)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.cells import cell_len
from rich.text import Text

from flowpop.rules.idnumber import mask
from flowpop.types import HistoryEntry, Person, Stay
from flowpop_tui.i18n import FIELD_KINDS, action_name, field_name, label, lang


def plain(cells: tuple[str, ...]) -> list[Text]:
    """Cells as plain Text: a DataTable reads a str as markup, and registry data may hold brackets."""
    return [Text(c) for c in cells]


def tail(text: str | None, width: int) -> str:
    """The end of a place name, which is its most specific part: "…测试街道甲甲一社区"."""
    if not text:
        return ""
    if cell_len(text) <= width:
        return text
    out = ""
    for ch in reversed(text):
        if cell_len(ch + out) > width - 1:
            break
        out = ch + out
    return "…" + out


def clip(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return text
    out = ""
    for ch in text:
        if cell_len(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def when(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def person_cells(p: Person, residence_width: int) -> tuple[str, ...]:
    status = label("person_status", p.status)
    return (p.name, p.id_number, label("sex", p.sex), str(p.age), label("category", p.category),
            tail(p.residence_name, residence_width), day(p.arrived_on), status)


def stay_cells(s: Stay) -> tuple[str, ...]:
    end = s.returned_on or s.expected_return_on
    period = f"{day(s.arrived_on)}～{day(end)}" if end else f"{day(s.arrived_on)}～"
    return (period, tail(s.residence_name, 14), tail(s.household_name, 10), label("reason", s.reason),
            label("stay_status", s.status))


CODE_FIELDS = ("household_code", "residence_code", "grid_code")


def value_text(field: str, value: Any, entity: str = "person", places: dict[str, str] | None = None) -> str:
    if value is None or value == "":
        return "–"
    text = str(value)
    kind = FIELD_KINDS.get(field)
    if kind:
        return label(kind, text)
    if field == "status":
        return label("stay_status" if entity == "stay" else "person_status", text)
    if field == "id_number":
        return mask(text) or text  # history keeps the number; a list never shows it whole
    if field in CODE_FIELDS and places:
        return places.get(text, text)
    return text


def history_codes(entries: list[HistoryEntry]) -> set[str]:
    """Division codes named in history entries, to be shown by name."""
    codes: set[str] = set()
    for h in entries:
        for field, pair in h.changes.items():
            if field in CODE_FIELDS and isinstance(pair, list | tuple):
                codes.update(str(v) for v in pair if v)
    return codes


def changes_text(changes: dict[str, Any], entity: str = "person", places: dict[str, str] | None = None) -> str:
    """'电话: – → 13800138000; 婚姻状况: 初婚 → 离婚' (a new value only, when there was none before)."""
    parts = []
    sep = "; " if lang() == "en" else "；"
    for field, pair in changes.items():
        before, after = (pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair))
        new = value_text(field, after, entity, places)
        if before is None:
            parts.append(f"{field_name(field)}: {new}")
        else:
            parts.append(f"{field_name(field)}: {value_text(field, before, entity, places)} → {new}")
    return sep.join(parts)


def history_cells(h: HistoryEntry, places: dict[str, str] | None = None) -> tuple[str, ...]:
    entity = "" if h.entity == "person" else ("流动·" if lang() == "zh" else "stay ")
    return (when(h.at), h.username, entity + action_name(h.action), changes_text(h.changes, h.entity, places),
            h.reason or "")
