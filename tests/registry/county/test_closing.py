"""A closed month's figures are frozen and reproducible (issue 14 item 4; county.closing).

Seed 000: "12日形成最终的报表,县乡只能查询" and "12日半夜三点后修改的数据就是下个月的数据了". November 2026
closed on 12 Nov 03:00 Beijing time; the tests run after it, so its first query freezes it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import update

import flowpop
from flowpop.registry.county import rates
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.store import tables as t
from flowpop.rules import beijing
from flowpop.types import Rate, RatesReport


@pytest.fixture
def registry(db_url: str) -> Iterator[Registry]:
    reg = Registry(db_url)
    yield reg
    reg.close()


def _rate(report: RatesReport, key: str) -> Rate:
    return next(r for r in report.total.rates if r.key == key)


def _live(reg: Registry, key: str) -> list[int]:
    with reg.reading() as session:
        return [sum(v[i] for v in rates.counts(reg, session, "2026-11", "", 6)[key].values()) for i in (0, 1)]


def _entered_in_october(reg: Registry, person_id: int) -> None:
    """As if her stay had been entered before November's cut-off (tests run after it)."""
    with reg.writing() as session:
        session.execute(
            update(t.Stay)
            .where(t.Stay.person_id == person_id)
            .values(
                created_at=dt.datetime(2026, 10, 20, 2), inflow_registered_at=dt.datetime(2026, 10, 20, 2)
            )
        )


def _current_month() -> str:
    """The month whose period holds now (it closes on the coming 12th)."""
    now = beijing.to_local(t.utcnow())
    year, month = now.year, now.month + (now.day > 12 or (now.day == 12 and now.hour >= 3))
    return f"{year + (month > 12)}-{(month - 1) % 12 + 1:02d}"


def test_an_edit_after_the_cut_off_leaves_the_closed_month_as_it_was(
    client: flowpop.Client, make_person: Callable[..., Any], registry: Registry
) -> None:
    stays_on = make_person()  # from another county since March, no residence permit: November counts it
    _entered_in_october(registry, stays_on.id)  # (a record entered after the cut-off would be December's)
    before = client.reports.rates("2026-11", level="village")
    assert before.frozen_at is not None
    permit = _rate(before, "residence_permit")
    assert permit.denominator >= 1 and _live(registry, "residence_permit") == [
        permit.numerator,
        permit.denominator,
    ]
    behind = [p.id for p in client.reports.rate_records("residence_permit", "2026-11")]
    assert stays_on.id in behind

    # entered after the cut-off: she had left on 1 November
    client.persons.deregister(stays_on.id, version=stays_on.version, reason="返乡", date=dt.date(2026, 11, 1))
    assert _live(registry, "residence_permit") != [permit.numerator, permit.denominator]

    after = client.reports.rates("2026-11", level="village")
    assert after == before
    assert [p.id for p in client.reports.rate_records("residence_permit", "2026-11")] == behind
    # the deregistration entered now is the month's it was entered in
    assert _rate(client.reports.rates(_current_month(), level="county"), "stale_departures").denominator == 1


def test_a_closed_month_reads_the_same_at_every_level_and_on_every_query(
    client: flowpop.Client, make_person: Callable[..., Any]
) -> None:
    for _ in range(3):
        make_person()
    village = client.reports.rates("2026-11", level="village")
    county = client.reports.rates("2026-11", level="county")
    assert village.total == county.total and village.frozen_at == county.frozen_at
    assert client.reports.rates("2026-11", level="village") == village
    assert client.reports.close_month("2026-11").closed_at == village.frozen_at  # closed once


def test_an_open_month_is_live_and_cannot_be_closed(
    client: flowpop.Client, make_person: Callable[..., Any]
) -> None:
    month = _current_month()
    assert client.reports.rates(month).frozen_at is None
    with pytest.raises(flowpop.ConflictError) as caught:
        client.reports.close_month(month)
    assert caught.value.code == "period_open"
    assert client.reports.rates("2026Q4").frozen_at is None  # quarters stay live


def test_closing_a_month_takes_an_administrator(as_user: Callable[[str, str | None], flowpop.Client]) -> None:
    operator = as_user("township_operator", "350404001000")
    with pytest.raises(flowpop.PermissionDeniedError):
        operator.reports.close_month("2026-11")
    assert operator.reports.rates("2026-11").frozen_at is not None  # but any reader's first query freezes it
