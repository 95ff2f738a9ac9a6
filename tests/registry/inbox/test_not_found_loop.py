"""The 查无此人 loop closes as seed 000 says (流入地经过核实确实查找不到的要通知户籍地删除流出登记记录): the household side
answers by what it does to its outflow record (returned → ended, moved → corrected with the new place, present →
kept), a deregistration on either side — one record or a bulk changeset — tells the other (通报), a 查无此人
closes with its subject and is not counted against the household side, and the loop is measured."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select

import flowpop
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.store import tables as t
from flowpop.types import Message, PersonDetail
from tests import tree
from tests.conftest import person_fields
from tests.scripts.jobs import run_json

Maker = Callable[[str, str | None], flowpop.Client]
Sides = tuple[flowpop.Client, flowpop.Client]
TOWNSHIP_C = "350405001000"  # 沙县区's test township: another county of this registry


@pytest.fixture
def sides(as_user: Maker) -> tuple[flowpop.Client, flowpop.Client]:
    """The residence side (township A, 三明三元区) and the household side (township D, 南昌东湖区)."""
    return as_user("township_operator", tree.TOWNSHIP_A), as_user("township_operator", tree.TOWNSHIP_D)


def _not_found(a: flowpop.Client, d: flowpop.Client) -> tuple[PersonDetail, Message]:
    """A registers someone whose household lies in D, then finds nobody there and tells D (查无此人)."""
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    sent = a.inbox.send(
        kind="not_found", addressee_code=tree.TOWNSHIP_D, person_id=p.id, text="入户核实查无此人"
    )
    assert sent.stay_id == p.stays[0].id
    return p, d.inbox.get(sent.id)


def _notices(client: flowpop.Client, topic: str) -> list[Message]:
    return [m for m in client.inbox.list(kind="notification", status="all") if m.topic == topic]


def test_the_household_side_answers_not_found_only_by_what_it_does_to_its_record(sides: Sides) -> None:
    a, d = sides
    _, m = _not_found(a, d)
    assert "resolve" in m.allowed_actions and "reply" not in m.allowed_actions
    assert a.inbox.get(m.id).allowed_actions == []  # the sender waits for the answer
    with pytest.raises(flowpop.ConflictError):  # a bare reply leaves the outflow record as it was: refused
        d.inbox.act(m.id, "reply", version=m.version, facts={"在住": "不属实"})


def test_returned_home_ends_the_outflow_record(sides: Sides) -> None:
    a, d = sides
    p, m = _not_found(a, d)
    done = d.inbox.act(
        m.id, "resolve", version=m.version, outcome="returned", date="2026-04-01", text="已返乡"
    )
    assert (done.status, done.outcome) == ("answered", "returned")
    stay = d.persons.get(p.id).stays[0]
    assert (stay.status, stay.returned_on) == ("closed", dt.date(2026, 4, 1))
    reply = next(r for r in a.inbox.list(kind="assist_reply") if r.in_reply_to == m.uid)
    assert reply.items["outcome"] == "returned"
    assert _notices(a, "stay_ended") == []  # the answer is the notice: one message, not two
    a.inbox.acknowledge([reply.id])
    assert a.inbox.get(m.id).status == "closed"


def test_moved_corrects_the_record_with_the_new_place_and_tells_it(sides: Sides, as_user: Maker) -> None:
    a, d = sides
    c = as_user("township_operator", TOWNSHIP_C)
    p, m = _not_found(a, d)
    done = d.inbox.act(
        m.id,
        "resolve",
        version=m.version,
        outcome="moved",
        residence_code=tree.VILLAGE_C1,
        residence_address="沙县区某路1号",
        date="2026-05-02",
    )
    assert done.outcome == "moved"
    person = d.persons.get(p.id)
    old, new = sorted(person.stays, key=lambda s: s.id)
    assert old.status == "closed" and old.residence_code == tree.VILLAGE_A1
    assert (new.status, new.residence_code, new.arrived_on) == ("open", tree.VILLAGE_C1, dt.date(2026, 5, 2))
    assert [n.stay_id for n in _notices(c, "stay_registered")] == [new.id]  # the new residence side is told
    reply = next(r for r in a.inbox.list(kind="assist_reply") if r.in_reply_to == m.uid)
    assert (reply.items["outcome"], reply.items["residence_code"]) == ("moved", tree.VILLAGE_C1)


def test_moved_needs_the_new_place_and_present_keeps_the_record(sides: Sides) -> None:
    a, d = sides
    p, m = _not_found(a, d)
    with pytest.raises(flowpop.ValidationError) as exc:
        d.inbox.act(m.id, "resolve", version=m.version, outcome="moved")
    assert [e.field for e in exc.value.errors] == ["residence_code"]
    done = d.inbox.act(m.id, "resolve", version=m.version, outcome="present", text="电话核实仍在该地务工")
    assert (done.status, done.outcome) == ("answered", "present")
    assert d.persons.get(p.id).stays[0].status == "open"  # kept: the residence side may escalate (申诉)


def test_a_deregistration_by_the_residence_side_tells_the_household_side_and_closes_not_found(
    sides: Sides, db_url: str
) -> None:
    a, d = sides
    p, m = _not_found(a, d)
    a.persons.deregister(
        p.id, version=a.persons.get(p.id).version, reason="清查查无此人", date=dt.date(2026, 6, 1)
    )
    closed = d.inbox.get(m.id)
    assert (closed.status, closed.outcome, closed.overdue) == ("closed", "subject_ended", False)
    assert [n.stay_id for n in _notices(d, "deregistered")] == [p.stays[0].id]  # 通报
    reg = Registry(db_url)
    try:
        with reg.reading() as session:
            why = session.execute(
                select(t.HistoryEntry.action, t.HistoryEntry.reason).where(
                    t.HistoryEntry.entity == "message",
                    t.HistoryEntry.entity_id == m.id,
                    t.HistoryEntry.action == "close",
                )
            ).all()
    finally:
        reg.close()
    assert [tuple(r) for r in why] == [
        ("close", "清查查无此人")
    ]  # closed automatically, with the reason recorded
    figures = {f.division_code: f for f in d.inbox.figures()}
    assert figures[tree.TOWNSHIP_D].requests == 0  # not the household side's answer, nor its lateness
    quarter = f"{dt.date.today().year}Q{(dt.date.today().month - 1) // 3 + 1}"
    rates = {r.key: r for r in d.reports.rates(quarter, level="county").total.rates}
    assert rates["requests_answered"].denominator == rates["requests_on_time"].denominator == 0


def test_closing_a_stay_tells_the_other_side_and_closes_not_found(sides: Sides) -> None:
    a, d = sides
    p, m = _not_found(a, d)
    stay = p.stays[0]
    a.stays.close(stay.id, version=stay.version, reason="已搬离", date=dt.date(2026, 6, 1))
    assert d.inbox.get(m.id).outcome == "subject_ended"
    assert [n.stay_id for n in _notices(d, "stay_ended")] == [stay.id]


def test_a_bulk_deregistration_tells_the_other_side_and_closes_not_found(
    sides: Sides, as_user: Maker
) -> None:
    a, d = sides
    county = as_user("county_admin", tree.COUNTY_SANYUAN)
    p, m = _not_found(a, d)
    q = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    local = a.persons.create(
        **person_fields(household_code=tree.COUNTY_SANYUAN)
    )  # same county: no other side
    plan = county.changesets.plan(
        operation="deregister",
        selection={"ids": [p.id, q.id, local.id]},
        values={"date": "2026-06-01"},
        reason="逾期未返/清查查无此人",
    )
    county.changesets.apply(plan.id)
    assert sorted(n.stay_id or 0 for n in _notices(d, "deregistered")) == sorted(
        [p.stays[0].id, q.stays[0].id]
    )
    closed = d.inbox.get(m.id)
    assert (closed.status, closed.outcome) == ("closed", "subject_ended")


def test_the_loop_is_measured(sides: Sides) -> None:
    a, d = sides
    _, returned = _not_found(a, d)
    _, kept = _not_found(a, d)
    ended, _ = _not_found(a, d)
    _not_found(a, d)  # still open
    d.inbox.act(returned.id, "resolve", version=returned.version, outcome="returned")
    d.inbox.act(kept.id, "resolve", version=kept.version, outcome="present")
    a.persons.deregister(ended.id, version=a.persons.get(ended.id).version, reason="已离开")
    for side, loop in (
        ("household", d.inbox.not_found_loop().addressed_here),
        ("residence", a.inbox.not_found_loop().raised_here),
    ):
        assert (loop.raised, loop.open, loop.closed_with_subject, loop.closed_otherwise) == (4, 1, 1, 0), side
        assert loop.answered == {"returned": 1, "moved": 0, "present": 1}, side
    assert a.inbox.not_found_loop().addressed_here.raised == 0


def test_the_departed_script_tells_the_household_side(
    client: flowpop.Client, sides: Sides, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """scripts/deregister_departed.py --include-not-found: the people an inspection found gone are deregistered
    in resumable chunks, each household side is told (通报) and the 查无此人 the inspection raised closes."""
    _, d = sides
    gone = client.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    today = dt.date.today()
    campaign = client.inspections.create(
        quarter=f"{today.year}Q{(today.month - 1) // 3 + 1}", jurisdiction_code=tree.TOWNSHIP_A
    )
    item = next(i for i in client.inspections.items(campaign.id, limit=1000) if i.person_id == gone.id)
    client.inspections.record(campaign.id, item.id, version=item.version, outcome="not_found")
    (raised,) = d.inbox.list(kind="not_found")
    done = run_json(
        capsys,
        "deregister_departed",
        db_url,
        "--include-not-found",
        "--apply",
        "--chunk-size",
        "100",
        "--date",
        today.isoformat(),
    )
    assert done["applied"]["applied"] == 1
    assert [n.stay_id for n in _notices(d, "deregistered")] == [gone.stays[0].id]
    assert d.inbox.get(raised.id).outcome == "subject_ended"
