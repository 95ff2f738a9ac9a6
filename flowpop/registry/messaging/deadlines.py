"""Due dates of messages in working days, and who answers for an overdue one.

Working days come from ``calendar(reg)``: the chinesecalendar package, then the State Council's holiday
notices loaded into the registry (holidays.load), then the settings file; a deadline that runs into a year
none of them covers is counted Monday–Friday and marked provisional (``provisional``) until a notice for
that year is loaded, when the open deadlines are recomputed (holidays.load → ``recompute``)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import Session

from flowpop.registry.kernel import settings as settings_mod
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.kernel.validation import age_on
from flowpop.registry.store import tables as t
from flowpop.rules import beijing
from flowpop.rules.workdays import Calendar

OPEN = frozenset({"new", "read", "matched", "verifying", "forwarded", "escalated"})
CALENDAR_TTL = 60.0  # seconds: another server process sees a loaded notice within this time
_calendars: dict[str, tuple[float, settings_mod.Settings, Calendar]] = {}


def calendar(reg: Registry) -> Calendar:
    """The working-day calendar of this registry: the package, the notices loaded into it, the settings."""
    s = settings_mod.load()
    cached = _calendars.get(reg.url)
    if cached is not None and cached[1] is s and time.monotonic() - cached[0] < CALENDAR_TTL:
        return cached[2]
    with reg.reading() as session:
        loaded = {int(r.year): {"holidays": list(r.holidays), "workdays": list(r.workdays)}
                  for r in session.execute(select(t.CalendarYear)).scalars()}
    cal = Calendar(extra={**s.calendar.extra, **loaded})
    _calendars[reg.url] = (time.monotonic(), s, cal)
    return cal


def forget(reg: Registry) -> None:
    """After a notice is loaded: the next calendar(reg) reads the registry again."""
    _calendars.pop(reg.url, None)


def working_days(kind: str) -> int | None:
    """The deadline of a kind of message in working days (None: in calendar days)."""
    s = settings_mod.load()
    if kind == "transfer":
        return None
    return {
        "assist_request": s.deadline("assist_request_answer"),
        "not_found": s.deadline("not_found_answer"),
        "dispute": s.deadline("dispute_answer"),
    }.get(kind, s.deadline("notification_receive"))


def due_on(kind: str, sent: dt.date, cal: Calendar | None = None) -> dt.date:
    """``sent``: the Beijing day the message was sent (beijing.day_of its created_at)."""
    s = settings_mod.load()
    days = working_days(kind)
    if days is None:
        return sent + dt.timedelta(days=s.deadline("transfer_answer_days"))
    return (cal or s.calendar).add_working_days(sent, days)


def provisional(row: t.Message, cal: Calendar) -> bool:
    """A due date counted over a year the calendar does not cover (Monday–Friday guessed)."""
    if row.due_on is None or working_days(row.kind) is None or row.created_at is None:
        return False
    return cal.provisional(beijing.day_of(row.created_at), row.due_on)


def recompute(session: Session, cal: Calendar, year: int) -> list[dict[str, Any]]:
    """Open deadlines whose count of working days touches ``year``, counted again with ``cal``:
    [{id, before, after}] for each due date that moved."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    rows = session.execute(select(t.Message).where(t.Message.status.in_(tuple(OPEN)), t.Message.due_on >= first,
                                                   t.Message.kind != "transfer")).scalars()
    moved = []
    for row in rows:
        sent = beijing.day_of(row.created_at)
        if sent > last or row.due_on is None:
            continue
        after = due_on(row.kind, sent, cal)
        if after != row.due_on:
            moved.append({"id": row.id, "before": row.due_on, "after": after, "addressee_code": row.addressee_code,
                          "person_id": row.sender_person_id})
            row.due_on = after
    session.flush()
    return moved


def local_day(at: Any, dialect: str) -> Any:
    """The Beijing day of a stored (naive UTC) timestamp, in SQL: what a due day is compared with (the inbox's
    on-time figure, the county's rates)."""
    if dialect == "sqlite":
        return func.date(at, f"+{int(beijing.OFFSET.total_seconds()) // 3600} hours")
    return cast(at + beijing.OFFSET, Date)


def is_open(status: str) -> bool:
    return status in OPEN


def overdue(row: t.Message, today: dt.date) -> bool:
    return is_open(row.status) and row.due_on is not None and row.due_on < today


def working_days_left(row: t.Message, today: dt.date, cal: Calendar | None = None) -> int | None:
    if row.due_on is None or not is_open(row.status):
        return None
    cal = cal or settings_mod.load().calendar
    if row.due_on >= today:
        return cal.working_days_between(today, row.due_on)
    return -cal.working_days_between(row.due_on, today)


# what a message must be sent within, counted from its event_on (the day of the event it reports): a service's
# 通报 from the service (seed 000), a key target's 协查 from her registration (seed 000; inbox.workflow.send)
SEND_WITHIN = {("notification", "service_provided"): "notification_send", ("assist_request", None): "assist_request_send"}


def sent_late_by(created_at: dt.datetime, event_on: dt.date, deadline: str, cal: Calendar | None = None) -> bool:
    """Sent (the Beijing day of ``created_at``) after the setting ``deadline``'s working days from ``event_on``,
    counted with ``cal`` (the registry's: ``calendar(reg)``)."""
    s = settings_mod.load()
    return beijing.day_of(created_at) > (cal or s.calendar).add_working_days(event_on, s.deadline(deadline))


def key_target_registered_on(person: t.Person, stay: t.Stay | None, day: dt.date, sender: str) -> dt.date | None:
    """The Beijing day the sender's side registered a key target's (married woman of 15–49) cross-county stay —
    the residence side its inflow, the household side its outflow: the 协查 that side sends is due within
    assist_request_send working days of it (seed 000); None for anyone else, or a side that has not registered it."""
    if stay is None or person.category != "married_female" or stay.household_code[:6] == stay.residence_code[:6]:
        return None
    registered = {stay.residence_code[:6]: stay.inflow_registered_at,
                  stay.household_code[:6]: stay.outflow_registered_at}.get(sender[:6])
    return beijing.day_of(registered) if registered and 15 <= age_on(person.birth_date, day) <= 49 else None


def sent_late(row: t.Message, cal: Calendar | None = None) -> bool:
    """A 通报 or 协查 sent later than its send deadline allows (SEND_WITHIN); an imported one is the other
    registry's to judge."""
    deadline = SEND_WITHIN.get((row.kind, row.topic))
    return bool(deadline and row.event_on and not row.imported
                and sent_late_by(row.created_at, row.event_on, deadline, cal))


def accountable(row: t.Message) -> tuple[str, str]:
    """An overdue item is the addressee's: the sender discovered and notified, the addressee did not act
    (domain.md: if the residence side notified and the household side did not act, the household side is)."""
    if row.kind == "dispute":
        return row.addressee_code, "county"
    household = (row.subject or {}).get("household_code") or ""
    addressee_prefix = row.addressee_code.rstrip("0") or row.addressee_code
    side = "household" if household.startswith(addressee_prefix[:6]) else "residence"
    return row.addressee_code, side
