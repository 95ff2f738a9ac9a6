"""Due dates of messages in working days, and who answers for an overdue one."""

from __future__ import annotations

import datetime as dt

from flowpop.registry.kernel import settings as settings_mod
from flowpop.registry.store import tables as t

OPEN = frozenset({"new", "read", "matched", "verifying", "forwarded", "escalated"})


def due_on(kind: str, sent: dt.date) -> dt.date:
    s = settings_mod.load()
    if kind == "transfer":
        return sent + dt.timedelta(days=s.deadline("transfer_answer_days"))
    days = {
        "assist_request": s.deadline("assist_request_answer"),
        "not_found": s.deadline("not_found_answer"),
        "dispute": s.deadline("dispute_answer"),
    }.get(kind, s.deadline("notification_receive"))
    return s.calendar.add_working_days(sent, days)


def is_open(status: str) -> bool:
    return status in OPEN


def overdue(row: t.Message, today: dt.date) -> bool:
    return is_open(row.status) and row.due_on is not None and row.due_on < today


def working_days_left(row: t.Message, today: dt.date) -> int | None:
    if row.due_on is None or not is_open(row.status):
        return None
    cal = settings_mod.load().calendar
    if row.due_on >= today:
        return cal.working_days_between(today, row.due_on)
    return -cal.working_days_between(row.due_on, today)


def accountable(row: t.Message) -> tuple[str, str]:
    """An overdue item is the addressee's: the sender discovered and notified, the addressee did not act
    (domain.md: if the residence side notified and the household side did not act, the household side is)."""
    if row.kind == "dispute":
        return row.addressee_code, "county"
    household = (row.subject or {}).get("household_code") or ""
    addressee_prefix = row.addressee_code.rstrip("0") or row.addressee_code
    side = "household" if household.startswith(addressee_prefix[:6]) else "residence"
    return row.addressee_code, side
