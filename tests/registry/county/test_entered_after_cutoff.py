"""What is entered after a month's cut-off is the next month's (issue 14 item 4; seed 000:
"12日半夜三点后修改的数据就是下个月的数据了"), whenever the closed month is first asked for.

A closed month is frozen on its first query (county.closing.ensure). The figures it froze counted the stays as
they were at that query, not at the cut-off: a record entered on 20 November for someone living here since
March counted in November when November was first asked for after the 20th, and not when it was asked for
before — the month's figures depended on when somebody first looked. November 2026 closed on 12 Nov 03:00
Beijing time; the tests run after it, so whatever a test enters is entered after November's cut-off."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import flowpop
from flowpop.registry.county import rates
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.store import tables as t
from flowpop.rules import beijing
from tests import tree

KEYS = ("residence_permit", "co_management", "certificate_held", "certificate_verified")


@pytest.fixture
def registry(db_url: str) -> Iterator[Registry]:
    reg = Registry(db_url)
    yield reg
    reg.close()


def _figures(reg: Registry, period: str) -> dict[str, list[int]]:
    with reg.reading() as session:
        counts = rates.counts(reg, session, period, "", 12)
    return {k: [sum(v[0] for v in counts[k].values()), sum(v[1] for v in counts[k].values())] for k in KEYS}


def _current_month() -> str:
    now = beijing.to_local(t.utcnow())
    year, month = now.year, now.month + (now.day > 12 or (now.day == 12 and now.hour >= 3))
    return f"{year + (month > 12)}-{(month - 1) % 12 + 1:02d}"


def test_records_entered_after_the_cut_off_count_in_the_next_month_only(
    client: flowpop.Client, make_person: Callable[..., Any], registry: Registry
) -> None:
    november, now = _figures(registry, "2026-11"), _figures(registry, _current_month())
    # living here since March, entered now (registered by the residence side: one side of each stay; both
    # counties are this registry's): from 南昌 (no residence permit, a certificate) and from 沙县区
    her = make_person()
    client.persons.add_certificate(her.id, issued_on=dt.date(2026, 2, 1), verified_on=dt.date(2026, 3, 2))
    make_person(household_code=tree.VILLAGE_C1)

    assert _figures(registry, "2026-11") == november
    frozen = client.reports.rates("2026-11", level="village")  # first query: freezes November now
    assert frozen.frozen_at is not None
    assert {r.key: [r.numerator, r.denominator] for r in frozen.total.rates if r.key in KEYS} == november
    later = _figures(registry, _current_month())  # they are the current month's
    assert later["residence_permit"][1] == now["residence_permit"][1] + 1  # 沙县区 is the same city: 人户分离
    assert later["co_management"][1] == now["co_management"][1] + 2
    assert later["certificate_verified"] == [
        now["certificate_verified"][0] + 1,
        now["certificate_verified"][1] + 1,
    ]
