"""The quality check 流出30日无对应流入（漏管）: an outflow notice unmatched after 30 days where the residence side
can answer (a county served here, or by a peer registry); a notice waiting for a place this registry has no
exchange with is not counted (its answer cannot come back: unknown, not 漏管, as co-management counts, B13)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

import flowpop
from flowpop.registry.store.db import normalize_url
from tests import tree
from tests.conftest import person_fields

CHENGDU_JINJIANG = "510104000000"  # a county of the national list, no township held here


def outflow(operator: flowpop.Client, residence: str) -> int:
    """三元's township operator registers the outflow (the household side): its 通报 goes to the residence."""
    return operator.persons.create(**person_fields(
        household_code=tree.VILLAGE_A1,
        stay={"residence_code": residence, "residence_address": "某路1号", "reason": "work", "arrived_on": "2026-03-01"},
    )).id


def age_notices(db_url: str, days: int) -> int:
    engine = create_engine(normalize_url(db_url), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            return conn.execute(text("UPDATE messages SET created_at = :at WHERE topic = 'stay_registered'"),
                                {"at": dt.datetime.now() - dt.timedelta(days=days)}).rowcount
    finally:
        engine.dispose()


def unmanaged(client: flowpop.Client) -> set[int]:
    checks = {c.key: c.count for c in client.reports.quality().checks}
    assert "unmanaged_outflow" in checks
    return {p.id for p in client.reports.quality_persons("unmanaged_outflow")} if checks["unmanaged_outflow"] else set()


def test_only_notices_whose_answer_can_come_back_count(client: flowpop.Client, db_url: str,
                                                      as_user: Callable[[str, str | None], flowpop.Client]) -> None:
    operator = as_user("township_operator", tree.TOWNSHIP_A)
    served = outflow(operator, tree.VILLAGE_D1)        # 东湖 is served here: its side can register
    elsewhere = outflow(operator, CHENGDU_JINJIANG)    # 锦江 is no one's here: no peer serves it
    assert unmanaged(client) == set()                # younger than 30 days: nothing yet
    assert age_notices(db_url, 31) >= 2
    assert unmanaged(client) == {served}
    assert elsewhere != served
