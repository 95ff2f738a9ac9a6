"""A transfer (移交) between registries (issue 13), two real `flowpop serve` processes: A holds 三明 (3504), B holds
长沙市芙蓉区 (430102, its townships loaded by its administrator as in test_scenario). A's township asks B's village to
take a stay over; when B accepts, B registers the person's stay at the destination, and A ends its stay — or,
her household being in A, keeps it as the household side's outflow with the residence B named. A refusal changes
nothing on either side."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import flowpop
from flowpop.registry.store import tables as t
from flowpop.rules import beijing
from tests import tree
from tests.conftest import person_fields
from tests.registry.exchange.nodes import TOWNSHIP_E, VILLAGE_E1, Node, hunan, until
from tests.registry.exchange.test_online import state
from tests.registry.exchange.test_scenario import arrives


@pytest.fixture
def ab(template_db: str, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    with hunan(template_db, tmp_path) as pair:
        yield pair


def clients(a: Node, b: Node) -> tuple[flowpop.Client, flowpop.Client, flowpop.Client, flowpop.Client]:
    return (a.client(a.token_for("township_operator", tree.TOWNSHIP_A)), b.client(b.token_for("township_operator", TOWNSHIP_E)),
            a.client(), b.client())


def accepted_at_b(a_op: flowpop.Client, b_op: flowpop.Client, stay_id: int, version: int) -> tuple[str, int]:
    """A asks B's village to take the stay over; B's township accepts. The transfer's uid and B's person."""
    sent = a_op.stays.transfer(stay_id, version=version, to_residence_code=VILLAGE_E1,
                               residence_address="五一大道 100 号", reason="搬迁至长沙")
    got = arrives(b_op, sent.uid, "the transfer in B")
    assert got.kind == "transfer" and got.items["to_residence_code"] == VILLAGE_E1
    b_op.inbox.act(got.id, "accept", version=b_op.inbox.get(got.id).version)
    theirs = b_op.inbox.get(got.id).matched_person_id
    assert theirs is not None
    return sent.uid, theirs


def test_an_accepted_transfer_moves_the_stay_to_the_other_registry(ab: tuple[Node, Node]) -> None:
    a, b = ab
    a_op, b_op, a_admin, b_admin = clients(a, b)
    # her household in 南昌 (neither A's nor B's): A registered her stay in its village
    mine = a_op.persons.create(**person_fields())
    (stay,) = a_op.stays.list(mine.id)
    uid, theirs = accepted_at_b(a_op, b_op, stay.id, stay.version)

    # B: the person registered from the message (引用建档), her stay open at the destination, as A had it
    person = b_admin.persons.get(theirs)
    assert person.name == mine.name and person.household_code == tree.COUNTY_DONGHU
    (b_stay,) = b_admin.stays.list(theirs)
    assert (b_stay.status, b_stay.residence_code, b_stay.residence_address) == ("open", VILLAGE_E1, "五一大道 100 号")
    assert (b_stay.household_code, b_stay.reason, str(b_stay.arrived_on)) == (tree.COUNTY_DONGHU, "work", "2026-03-01")
    assert b_stay.inflow_registered_at is not None  # B is her residence side now
    assert b_admin.persons.get(theirs).residence_code == VILLAGE_E1

    # A: the acceptance comes back; A's stay ends on the day of acceptance, moved away (迁往…)
    until(lambda: state(a, uid) == state(b, uid) == ("answered", "accepted"), "accepted on both sides")
    (ended,) = until(lambda: [s for s in a_admin.stays.list(mine.id) if s.status == "closed"], "A's stay ended")
    assert ended.end_reason is not None and ended.end_reason.startswith("迁往") and uid in ended.end_reason
    assert ended.returned_on == beijing.day_of(t.utcnow())
    assert a_admin.persons.get(mine.id).residence_code is None  # out of A's village lists
    # nothing more moves: one stay on each side
    assert len(a_admin.stays.list(mine.id)) == 1 and len(b_admin.stays.list(theirs)) == 1


def test_household_here_keeps_the_record_as_the_outflow(ab: tuple[Node, Node]) -> None:
    a, b = ab
    a_op, b_op, a_admin, b_admin = clients(a, b)
    # her household in 三元区 (A), living in another township of it; B already knows her (an earlier record)
    fields = person_fields(household_code=tree.VILLAGE_B1)
    mine = a_op.persons.create(**fields)
    known = b_admin.persons.create(**{k: v for k, v in fields.items() if k != "stay"})
    (stay,) = a_op.stays.list(mine.id)
    uid, theirs = accepted_at_b(a_op, b_op, stay.id, stay.version)
    assert theirs == known.id  # the same ID number: joined, not a second person

    (b_stay,) = b_admin.stays.list(theirs)
    assert (b_stay.status, b_stay.residence_code, b_stay.household_code) == ("open", VILLAGE_E1, tree.VILLAGE_B1)
    assert b_stay.inflow_registered_at is not None and b_stay.outflow_registered_at is None

    # A keeps its record open: the residence is B's village, A registers it as the household side (流出), and
    # B's registration notice marks the residence side registered too (co-managed)
    def moved() -> flowpop.types.Stay | None:
        got = a_admin.stays.get(stay.id)
        return got if got.residence_code == VILLAGE_E1 and got.inflow_registered_at is not None else None

    done = until(moved, "A's stay at B's village, registered by both sides")
    assert done is not None
    assert done.status == "open" and done.residence_address == "五一大道 100 号"
    assert done.outflow_registered_at is not None
    until(lambda: state(a, uid) == state(b, uid) == ("answered", "accepted"), "accepted on both sides")
    assert len(a_admin.stays.list(mine.id)) == 1


def test_a_refused_transfer_changes_nothing_on_either_side(ab: tuple[Node, Node]) -> None:
    a, b = ab
    a_op, b_op, a_admin, b_admin = clients(a, b)
    mine = a_op.persons.create(**person_fields())
    (stay,) = a_op.stays.list(mine.id)
    sent = a_op.stays.transfer(stay.id, version=stay.version, to_residence_code=VILLAGE_E1, reason="搬迁至长沙")
    got = arrives(b_op, sent.uid, "the transfer in B")
    b_op.inbox.act(got.id, "refuse", version=b_op.inbox.get(got.id).version, reason="查无此人")
    until(lambda: state(a, sent.uid) == state(b, sent.uid) == ("answered", "refused"), "refused on both sides")
    until(lambda: [m for m in a_op.inbox.list(status="all") if m.topic == "transfer_refused"], "A told of the refusal")
    after = a_admin.stays.get(stay.id)
    assert (after.status, after.residence_code, after.version) == ("open", tree.VILLAGE_A1, stay.version)
    assert b.sql("SELECT count(*) FROM stays WHERE residence_code = :c", c=VILLAGE_E1)[0][0] == 0
    assert b_op.inbox.get(got.id).matched_person_id is None
