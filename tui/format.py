"""Turning SDK models into table cells and short texts (display only; no rules live here)."""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any

from rich.cells import cell_len
from rich.text import Text

from flowpop import labels
from flowpop.labels import pick
from flowpop.rules.idnumber import mask
from flowpop.types import Employer, HistoryEntry, House, LateDeclaration, Message, Occupant, Person, Stay
from flowpop_tui.i18n import (
    FIELD_KINDS,
    ITEM_KINDS,
    action_name,
    field_name,
    item_name,
    kind_short,
    label,
    lang,
    t,
)


def plain(cells: tuple[str, ...]) -> list[Text]:
    """Cells as plain Text: a DataTable reads a str as markup, and registry data may hold brackets."""
    return [Text(c) for c in cells]


NOTES = re.compile(r"（[^（）]*）|\([^()]*\)")  # a name's notes in brackets, such as （演示）


def tail(text: str | None, width: int) -> str:
    """A place name or address shortened from the front, where the province and city are, so that its most
    specific part (township, village, street) stays: "…坑塘街道北岭社区". Notes in brackets go first."""
    if not text:
        return ""
    if cell_len(text) <= width:
        return text
    text = NOTES.sub("", text)
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


def fit(cells: list[Any], widths: list[int]) -> list[Any]:
    """Each cell within its column less one cell, so that neighbours never touch ("Marital statusfirst");
    a longer one ends in "…"."""
    out = []
    for cell, width in zip(cells, widths, strict=False):
        text = cell if isinstance(cell, Text) else Text(str(cell))
        if text.cell_len > width - 1:
            text = text.copy()
            text.truncate(max(width - 1, 1), overflow="ellipsis")
        out.append(text)
    return out


def day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def optional(value: Any) -> str:
    """A value (a birth year), or nothing when unknown."""
    return "" if value is None else str(value)


def when(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M")


def person_cells(p: Person, residence_width: int) -> tuple[str, ...]:
    status = label("person_status", p.status)
    return (p.name, p.id_number, label("sex", p.sex), optional(p.birth_year), label("category", p.category),
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
    if isinstance(value, str) and len(text) > 16 and text[4:5] == "-" and text[10:11] == "T":
        return text[:16].replace("T", " ")  # a timestamp: to the minute
    if field.endswith("_reason") or field == "reason":
        return label("reason", text) if text in labels.codes("reason") else text
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
    sep = pick(("；", "; "))
    for field, pair in changes.items():
        before, after = (pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair))
        new = value_text(field, after, entity, places)
        if before is None:
            parts.append(f"{field_name(field)}: {new}")
        else:
            parts.append(f"{field_name(field)}: {value_text(field, before, entity, places)} → {new}")
    return sep.join(parts)


def operation_text(action: str) -> str:
    """A history entry's operation in words: 'bulk:set' → 批量修改, 'revert:set' → 撤销批量修改."""
    kind, _, operation = action.partition(":")
    if operation and kind in ("bulk", "revert"):
        what = label("operation", operation)
        return t("op_bulk", op=what) if kind == "bulk" else t("op_revert", op=what)
    return action_name(action)


def history_cells(h: HistoryEntry, places: dict[str, str] | None = None) -> tuple[str, ...]:
    entity = "" if h.entity == "person" else t("stay_prefix")
    return (when(h.at), h.username, entity + operation_text(h.action), changes_text(h.changes, h.entity, places),
            h.reason or "")


# ---------------------------------------------------------------- inbox, houses, employers

def today() -> dt.date:
    """The day the console counts from: the registry's (FLOWPOP_TODAY pins both, as in the demo's snapshots)."""
    pinned = os.environ.get("FLOWPOP_TODAY")
    return dt.date.fromisoformat(pinned) if pinned else dt.date.today()


def short_day(value: dt.date | None) -> str:
    """A date in a narrow column: month and day this year, the whole date in another year."""
    if value is None:
        return ""
    return value.strftime("%m-%d") if value.year == today().year else value.isoformat()


def late_text(due: dt.date | None) -> str:
    """'逾期 12 天' for a date past; '' otherwise."""
    if due is None:
        return ""
    days = (today() - due).days
    return t("late_days", n=days) if days > 0 else ""


def left_text(m: Message) -> Text:
    """What is left of a message's time: working days, or how late it is (逾期 N 天)."""
    if m.overdue:
        return Text(late_text(m.due_on) or t("overdue_mark"), style="bold red")
    if m.working_days_left is None:
        return Text("")
    return Text(str(m.working_days_left), style="yellow" if m.working_days_left <= 1 else "")


def item_text(key: str, value: Any) -> str:
    if isinstance(value, list | tuple):
        return ("、" if lang() == "zh" else ", ").join(item_text(key, v) for v in value)
    if value is None or value == "":
        return "–"
    kind = ITEM_KINDS.get(key)
    if kind:
        return label(kind, str(value))
    return str(value)


def items_text(items: dict[str, Any]) -> str:
    """'核实事项：现居住地址、婚育情况；…' — what a message asks or reports, keys named where known."""
    sep, colon = pick(("；", "; ")), pick(("：", ": "))
    return sep.join(f"{item_name(k)}{colon}{item_text(k, v)}" for k, v in items.items() if v not in (None, "", [], {}))


def topic_text(m: Message) -> str:
    """What a message is about: a notification's topic, else what it asks (the items to verify) or says."""
    if m.topic:
        return label("topic", m.topic)
    verify = m.items.get("verify") or m.items.get(labels.title("verify", "zh"))
    if isinstance(verify, list) and verify:
        return item_text("verify", verify)
    return items_text(m.items) or (m.text or "")


def message_cells(m: Message, selected: bool) -> list[Text]:
    name = Text(clip(str(m.subject.get("name") or ""), 7))
    if m.overdue:
        name.stylize("bold red")
    return [
        Text("✓" if selected else "", style="bold green"),
        Text(clip(kind_short(m.kind), 6)),
        Text(clip(topic_text(m), 5)),
        name,
        Text(str(m.subject.get("id_number") or "")),
        Text(tail(m.sender_name or m.sender_code, 5)),
        Text(("*" if m.due_provisional and m.due_on else "") + short_day(m.due_on),  # *: provisional, a year
             style="italic" if m.due_provisional else ""),  # whose holidays are not loaded (first: clipping keeps it)
        left_text(m),
        Text(label("message_status", m.status), style="dim" if m.status in ("closed", "answered") else ""),
    ]


def occupant_cells(room: str, o: Occupant, living: bool, where_width: int) -> list[Text]:
    """A tenant (declared or not) or a household member registered in the room (and where they are now)."""
    if living:
        kind = Text(t("occ_living") + ("·" + t("occ_hukou") if o.registered_here else ""))
        last = Text(t("declared_on", day=day(o.declared_on))) if o.declared_on else Text(t("undeclared"), style="bold red")
    else:
        kind = Text(t("occ_hukou"), style="cyan")
        last = Text(t("now_at", place=tail(o.where_now, where_width - 6)) if o.where_now else t("where_unknown"))
    return [Text(clip(room or "–", 5)), kind, Text(clip(o.name, 8)), Text(o.id_number), Text(day(o.arrived_on)), last]


def occupancy_text(h: House) -> Text:
    """'居住 3 人 / 核定 4 人', red when over capacity."""
    text = t("occupancy", n=h.occupants, cap=h.capacity) if h.capacity else t("occupancy_open", n=h.occupants)
    return Text(text, style="bold red" if h.over_capacity else "")


def house_cells(h: House) -> list[Text]:
    occ = f"{h.occupants}/{h.capacity}" if h.capacity else str(h.occupants)
    return [Text(h.code), Text(tail(h.address, 19)), Text(tail(h.division_name, 10)),
            Text(clip(label("house_use", h.use), 6)),
            Text(occ, style="bold red" if h.over_capacity else ""), Text(clip(h.landlord_name or "", 8))]


def late_cells(x: LateDeclaration) -> list[Text]:
    state = Text(t("undeclared"), style="bold red") if x.state == "missing" else Text(t("declared_late"), style="yellow")
    return [Text(clip(x.name, 8)), Text(tail(x.address, 15)), Text(clip(x.landlord_name or "", 8)),
            Text(day(x.due_on)), Text(day(x.declared_on)), state, Text(str(x.penalty_yuan))]


def employer_cells(e: Employer) -> list[Text]:
    if e.agreement_signed_on:
        agreement = Text(day(e.agreement_signed_on))
    else:
        agreement = Text(t("unsigned"), style="bold red" if e.needs_agreement else "dim")
    return [Text(clip(e.name, 19)), Text(e.uscc), Text(tail(e.division_name, 10)), Text(str(e.floating_workers)),
            agreement]
