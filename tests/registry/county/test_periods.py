"""Periods in Beijing time and the 7-day deregistration rule (issue 14 item 4).

Seed 000: "12日半夜三点后修改的数据就是下个月的数据了" — the monthly cut-off is the 12th at 03:00 Beijing time
(11th, 19:00 UTC); "以7天为一个周期的未注销率不超过10%" — a departure is late when it is entered more than 7
calendar days after the day the person left. Timestamps are stored in UTC; the tests set the time a
deregistration was entered (stays.ended_at) directly in the store, as a clock cannot be set through the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, update
from sqlalchemy.pool import NullPool

import flowpop
from flowpop.registry.county.rates import period_bounds, period_utc
from flowpop.registry.store import tables as t
from flowpop.registry.store.db import normalize_url
from flowpop.types import Rate, RatesReport


@pytest.fixture
def store(db_url: str) -> Iterator[Engine]:
    engine = create_engine(normalize_url(db_url), poolclass=NullPool)
    yield engine
    engine.dispose()


def _rate(report: RatesReport, key: str) -> Rate:
    return next(r for r in report.total.rates if r.key == key)


def _departed(
    client: flowpop.Client,
    make_person: Callable[..., Any],
    store: Engine,
    left: str,
    entered_utc: dt.datetime,
) -> int:
    """A person from another county who left on ``left``, the deregistration entered at ``entered_utc``."""
    p = make_person()
    client.persons.deregister(p.id, version=p.version, reason="返乡", date=dt.date.fromisoformat(left))
    with store.begin() as conn:
        conn.execute(update(t.Stay).where(t.Stay.person_id == p.id).values(ended_at=entered_utc))
    return int(p.id)


def test_period_bounds_are_beijing_time() -> None:
    assert period_bounds("2026-12")[:2] == (dt.datetime(2026, 11, 12, 3), dt.datetime(2026, 12, 12, 3))
    assert period_utc("2026-12") == (dt.datetime(2026, 11, 11, 19), dt.datetime(2026, 12, 11, 19))
    assert period_utc("2027-01") == (dt.datetime(2026, 12, 11, 19), dt.datetime(2027, 1, 11, 19))
    assert period_utc("2026Q4") == (dt.datetime(2026, 9, 30, 16), dt.datetime(2026, 12, 31, 16))


def test_the_monthly_cut_off_is_the_12th_at_3_beijing_time(
    client: flowpop.Client, make_person: Callable[..., Any], store: Engine
) -> None:
    # entered at 02:00 Beijing on 12 Nov (18:00 UTC on the 11th): November's; at 05:00 Beijing: December's
    _departed(client, make_person, store, "2026-11-10", dt.datetime(2026, 11, 11, 18))
    _departed(client, make_person, store, "2026-11-10", dt.datetime(2026, 11, 11, 21))
    _departed(
        client, make_person, store, "2026-11-10", dt.datetime(2026, 11, 12, 2)
    )  # 10:00 Beijing: December
    november = client.reports.rates("2026-11", level="county")
    december = client.reports.rates("2026-12", level="county")
    assert _rate(november, "stale_departures").denominator == 1
    assert _rate(december, "stale_departures").denominator == 2
    assert (november.start, november.end) == (dt.date(2026, 10, 12), dt.date(2026, 11, 12))


def test_late_is_more_than_7_days_from_the_day_left_to_the_beijing_day_entered(
    client: flowpop.Client, make_person: Callable[..., Any], store: Engine
) -> None:
    on_time = _departed(
        client, make_person, store, "2026-11-01", dt.datetime(2026, 11, 8, 15)
    )  # 8 Nov 23:00 Beijing
    late = _departed(
        client, make_person, store, "2026-11-01", dt.datetime(2026, 11, 8, 17)
    )  # 9 Nov 01:00 Beijing
    _departed(
        client, make_person, store, "2026-10-20", dt.datetime(2026, 11, 25, 2)
    )  # entered in December's period
    stale = _rate(client.reports.rates("2026-11", level="county"), "stale_departures")
    assert (stale.numerator, stale.denominator) == (1, 2)
    assert [p.id for p in client.reports.rate_records("stale_departures", "2026-11")] == [late]
    assert on_time != late
    december = _rate(client.reports.rates("2026-12", level="county"), "stale_departures")
    assert (december.numerator, december.denominator) == (1, 1)


def test_a_bulk_deregistration_needs_the_day_the_people_left(
    client: flowpop.Client, make_person: Callable[..., Any]
) -> None:
    ids = [make_person().id, make_person().id]
    with pytest.raises(flowpop.ValidationError) as caught:
        client.changesets.plan(operation="deregister", selection={"ids": ids}, values={}, reason="逾期未返")
    assert [e.field for e in caught.value.errors] == ["values.date"]
    assert caught.value.errors[0].code == "departure_date_required"
    plan = client.changesets.plan(
        operation="deregister", selection={"ids": ids}, values={"date": "2026-11-03"}, reason="逾期未返"
    )
    client.changesets.apply(plan.id)
    for pid in ids:
        stay = client.persons.get(pid).stays[0]
        assert (stay.status, stay.returned_on) == ("deregistered", dt.date(2026, 11, 3))
