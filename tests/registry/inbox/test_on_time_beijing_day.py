"""An answer is on time when it was given by its due day in Beijing time (issue 14 item 4: every bound in
Asia/Shanghai). The inbox's figures took the UTC date of the answer: an answer at 02:00 Beijing time the day
after the due day (18:00 UTC on the due day) counted as on time; the rates (county.rates) already took the
Beijing day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import update

from flowpop.registry.kernel.registry import Registry
from flowpop.registry.store import tables as t
from tests import tree
from tests.conftest import person_fields


@pytest.fixture
def registry(db_url: str) -> Iterator[Registry]:
    reg = Registry(db_url)
    yield reg
    reg.close()


def test_an_answer_after_the_beijing_due_day_is_late(townships, registry: Registry) -> None:
    a, d = townships
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    req = d.inbox.send(
        kind="assist_request",
        addressee_code=tree.TOWNSHIP_A,
        person_id=p.id,
        items={"verify": ["现居住地址"]},
    )
    m = a.inbox.act(req.id, "read", version=req.version)
    m = a.inbox.act(req.id, "reply", version=m.version, facts={"现居住地址": "属实"}, text="已核实")
    assert req.due_on is not None

    def answered_at(at: dt.datetime) -> int:
        with registry.writing() as session:
            session.execute(update(t.Message).where(t.Message.id == req.id).values(answered_at=at))
        return next(f for f in a.inbox.figures() if f.division_code == tree.TOWNSHIP_A).answered_on_time

    due = req.due_on
    # 23:59 Beijing time on the due day (15:59 UTC): on time
    assert answered_at(dt.datetime.combine(due, dt.time(15, 59))) == 1
    # 02:00 Beijing time the day after (18:00 UTC on the due day): late
    assert answered_at(dt.datetime.combine(due, dt.time(18, 0))) == 0
