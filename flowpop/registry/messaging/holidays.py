"""The State Council's holiday notice for a year the calendar package does not cover yet.

chinesecalendar knows the years up to the last notice published before its release (1.11: 2004–2026). Each
December the State Council publishes the next year's holidays and make-up working days (国务院办公厅关于某年
部分节假日安排的通知); until the package catches up, an administrator loads the notice into the registry
(``flowpop calendar load FILE``, rules.workdays.read_notice for the file) and every open deadline whose count
of working days touches that year is recomputed at once; deadlines.calendar reads it from then on.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from flowpop.registry.kernel import history
from flowpop.registry.kernel import settings as settings_mod
from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.messaging import deadlines
from flowpop.registry.store import tables as t
from flowpop.rules.workdays import Calendar
from flowpop.types import CalendarYearInfo, HolidayNotice


def show(reg: Registry, session: Session, actor: Actor, year: int) -> CalendarYearInfo:
    actor.require("read")
    row = session.get(t.CalendarYear, year)
    if row is not None:
        return CalendarYearInfo(
            year=year,
            source="registry",
            provisional=False,
            holidays=[dt.date.fromisoformat(d) for d in row.holidays],
            workdays=[dt.date.fromisoformat(d) for d in row.workdays],
            notice=row.source or None,
            loaded_at=row.loaded_at,
            loaded_by=row.loaded_by,
        )
    configured = settings_mod.load().calendar.extra.get(year)
    if configured is not None:
        return CalendarYearInfo(
            year=year,
            source="settings",
            provisional=False,
            holidays=sorted(_day(d) for d in configured.get("holidays", ())),
            workdays=sorted(_day(d) for d in configured.get("workdays", ())),
        )
    if Calendar().covers(year):
        return CalendarYearInfo(year=year, source="package", provisional=False, **_package_year(year))
    return CalendarYearInfo(year=year, source="none", provisional=True)


def load(reg: Registry, session: Session, actor: Actor, notice: HolidayNotice) -> CalendarYearInfo:
    """Store the year's notice (replacing an earlier one) and recompute the open deadlines it moves."""
    actor.require("divisions")  # county and registry administrators: reference data
    row = session.get(t.CalendarYear, notice.year)
    days_off = [d.isoformat() for d in sorted(set(notice.holidays))]
    days_on = [d.isoformat() for d in sorted(set(notice.workdays))]
    values = {
        "holidays": days_off,
        "workdays": days_on,
        "source": notice.source,
        "loaded_at": t.utcnow(),
        "loaded_by": actor.username,
    }
    if row is None:
        row = t.CalendarYear(year=notice.year, **values)
        session.add(row)
    else:
        for k, v in values.items():
            setattr(row, k, v)
    session.flush()
    base = settings_mod.load().calendar.extra
    extra = {
        int(r.year): {"holidays": list(r.holidays), "workdays": list(r.workdays)}
        for r in session.execute(select(t.CalendarYear)).scalars()
    }
    cal = Calendar(extra={**base, **extra})
    moved = deadlines.recompute(session, cal, notice.year)
    declarations = _recompute_declarations(session, cal, notice.year)
    for m in moved:
        history.record(
            session,
            actor,
            entity="message",
            entity_id=m["id"],
            person_id=m["person_id"],
            action="recompute_due",
            changes={"due_on": [m["before"].isoformat(), m["after"].isoformat()]},
            reason=f"{notice.year} 年节假日安排 {notice.source}".strip(),
            scope_code=m["addressee_code"],
        )
    history.record(
        session,
        actor,
        entity="calendar",
        entity_id=notice.year,
        person_id=None,
        action="load",
        changes={
            "holidays": [None, len(days_off)],
            "workdays": [None, len(days_on)],
            "recomputed": [None, len(moved)],
            "declarations_recomputed": [None, declarations],
        },
        reason=notice.source or None,
        scope_code=None,
    )
    deadlines.forget(reg)
    return show(reg, session, actor, notice.year).model_copy(update={"recomputed": len(moved)})


def _recompute_declarations(session: Session, cal: Calendar, year: int) -> int:
    """Open stays' landlord declaration deadlines (working days from arrival) that touch ``year``."""
    days = settings_mod.load().deadline("landlord_declare")
    rows = session.execute(
        select(t.Stay).where(
            t.Stay.status == "open",
            t.Stay.declare_due_on >= dt.date(year, 1, 1),
            t.Stay.arrived_on <= dt.date(year, 12, 31),
        )
    ).scalars()
    n = 0
    for row in rows:
        after = cal.add_working_days(row.arrived_on, days)
        if after != row.declare_due_on:
            row.declare_due_on = after
            n += 1
    session.flush()
    return n


def _day(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _package_year(year: int) -> dict[str, list[dt.date]]:
    """The package's holidays and make-up working days of a year it covers."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    holidays = list(chinese_calendar.get_holidays(first, last, include_weekends=False))
    workdays = [
        d for d in chinese_calendar.get_workdays(first, last, include_weekends=True) if d.weekday() >= 5
    ]
    return {"holidays": holidays, "workdays": workdays}
