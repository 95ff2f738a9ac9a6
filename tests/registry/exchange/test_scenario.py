"""Issue 13's acceptance, one scenario between two registries, each a real `flowpop serve` process: A holds 三明
(3504), B holds 长沙市芙蓉区 (430102), a Hunan county. A person of 三元区 leaves for 芙蓉区; both register her; A asks
B to verify (协查) and B replies; each acknowledges what it got. Nothing travels by file (no JSON Lines export or
import): every message goes through the outbox and the peer's exchange endpoint, and at each step both registries
show the same states and count the stay as co-managed alike.

B's administrator loads its own townships (and the national rows of its county, which A loads too: outside A's
own area the county is all A needs to know), as a registry joining the exchange does; the suite's tree has no
Hunan."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import flowpop
from flowpop.types import Message
from tests import tree
from tests.conftest import person_fields
from tests.registry.exchange.nodes import COUNTY_FURONG, TOWNSHIP_E, VILLAGE_E1, Node, hunan, until
from tests.registry.exchange.test_online import state

PAIR = "350404-430102"  # 三元区 → 芙蓉区


@pytest.fixture
def ab(template_db: str, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    with hunan(template_db, tmp_path) as pair:
        yield pair


def pair(client: flowpop.Client) -> tuple[int, int, int, int, int] | None:
    """三元区 → 芙蓉区 as this registry counts it: (inflows, outflows, gap, both, unmanaged)."""
    rows = [r for r in client.reports.comanagement(by="pair").rows if r.key == PAIR]
    if not rows:
        return None
    r = rows[0]
    return r.inflows_registered, r.outflows_registered, r.gap, r.both, r.unmanaged


def listed(client: flowpop.Client, kind: str) -> list[int]:
    return [p.id for p in client.reports.comanagement_records(kind, household=tree.COUNTY_SANYUAN, residence=COUNTY_FURONG)]


def find(client: flowpop.Client, uid: str) -> list[Message]:
    """The message of that uid as the client sees it (a list: empty until it is there)."""
    return [m for m in client.inbox.list(status="all", box="all") if m.uid == uid]


def arrives(client: flowpop.Client, uid: str, what: str) -> Message:
    return until(lambda: find(client, uid), what)[0]


def subject_number(node: Node, uid: str) -> str:
    return str(node.sql("SELECT subject_id_number FROM messages WHERE uid = :uid", uid=uid)[0][0])


def uids(node: Node) -> dict[str, int]:
    return {r[0]: r[1] for r in node.sql("SELECT uid, count(*) FROM messages GROUP BY uid")}


def test_a_person_leaves_sanming_for_hunan_without_a_file_carried(ab: tuple[Node, Node]) -> None:
    a, b = ab
    a_op = a.client(a.token_for("township_operator", tree.TOWNSHIP_A))
    b_county = b.client(b.token_for("county_admin", COUNTY_FURONG))
    b_op = b.client(b.token_for("township_operator", TOWNSHIP_E))
    a_admin, b_admin = a.client(), b.client()
    fields = person_fields(
        household_code=tree.VILLAGE_A1,
        stay={"residence_code": COUNTY_FURONG, "residence_address": "长沙市芙蓉区五一大道 100 号",
              "reason": "work", "arrived_on": "2026-03-01"},
    )
    number = fields["id_number"]

    # 1. A's township registers the outflow, her residence the Hunan county with the address as text (outside
    #    A's own area the county is enough); its 通报 leaves through A's outbox for B's county
    mine = a_op.persons.create(**fields)
    (a_stay,) = a_op.stays.list(mine.id)
    assert a_stay.residence_code == COUNTY_FURONG and a_stay.residence_address == "长沙市芙蓉区五一大道 100 号"
    (notice_uid,) = [r[0] for r in a.sql("SELECT message_uid FROM exchange_outbox WHERE what = 'record'")]
    notice = arrives(b_county, notice_uid, "A's 通报 in B's inbox")
    assert notice.kind == "notification" and notice.topic == "stay_registered"
    assert notice.sender_code == tree.TOWNSHIP_A and notice.addressee_code == COUNTY_FURONG
    assert notice.subject["residence_code"] == COUNTY_FURONG  # (the number is masked in the inbox: the stored one)
    assert subject_number(b, notice_uid) == number
    until(lambda: state(a, notice_uid) == state(b, notice_uid), "A sees B's receipt")
    # only A has registered her: A lists her as missing on B's side; B holds no stay of her to count
    assert pair(a_admin) == (0, 1, 1, 0, 1)
    assert listed(a_admin, "missing_inflow") == [mine.id]
    assert pair(b_admin) is None

    # 2. B's county passes the notice to the township where she lives, which registers her from it (引用建档)
    b_county.inbox.act(notice.id, "forward", version=b_county.inbox.get(notice.id).version, to_code=TOWNSHIP_E)
    got = arrives(b_op, notice_uid, "the notice at B's township")
    assert "match" in got.allowed_actions, got.allowed_actions  # (引用建档, register, goes with match)
    person = {k: v for k, v in fields.items() if k != "stay"}
    person["stay"] = {"residence_code": VILLAGE_E1, "residence_address": "五一大道 100 号", "reason": "work",
                      "arrived_on": "2026-03-01"}
    registered = b_op.inbox.act(got.id, "register", version=b_op.inbox.get(got.id).version, person=person)
    theirs = registered.matched_person_id
    assert theirs is not None
    # B's own registration notice goes back to A (B's outbox, A's inbox)
    back = [r[0] for r in b.sql("SELECT message_uid FROM exchange_outbox WHERE what = 'record'")]
    assert len(back) == 1
    b_notice_uid = back[0]
    b_notice = arrives(a_op, b_notice_uid, "B's 通报 in A's inbox")
    assert b_notice.topic == "stay_registered" and b_notice.sender_code == TOWNSHIP_E
    assert b_notice.addressee_code == tree.TOWNSHIP_A and subject_number(a, b_notice_uid) == number

    # 3. co-management: both count the stay registered by both sides, gap 0, nobody's list of what is missing
    until(lambda: pair(a_admin) == (1, 1, 0, 1, 0), "A counts the stay co-managed")
    until(lambda: pair(b_admin) == (1, 1, 0, 1, 0), "B counts the stay co-managed")
    for client, person_id in ((a_admin, mine.id), (b_admin, theirs)):
        assert listed(client, "missing_inflow") == [] and listed(client, "missing_outflow") == []
        assert listed(client, "unmanaged") == [] and listed(client, "both") == [person_id]
    assert a_admin.reports.comanagement().total.co_management == 1.0
    assert b_admin.reports.comanagement().total.co_management == 1.0
    until(lambda: state(a, notice_uid) == state(b, notice_uid), "A's notice in the same state on both sides")
    until(lambda: state(a, b_notice_uid) == state(b, b_notice_uid), "B's notice in the same state on both sides")

    # 4. 协查: A asks B's township (the sender of B's notice) to verify; B replies with the facts
    sent = a_op.inbox.send(
        kind="assist_request",
        addressee_code=b_notice.sender_code,
        items={"在住": None, "居住地址": None},
        subject={"name": fields["name"], "id_number": number},
    )
    request = arrives(b_op, sent.uid, "the 协查 in B")
    assert request.kind == "assist_request" and request.sender_code == tree.TOWNSHIP_A
    until(lambda: state(a, sent.uid) == state(b, sent.uid), "A sees B's receipt of the 协查")
    b_op.inbox.act(request.id, "reply", version=b_op.inbox.get(request.id).version,
                   facts={"在住": "属实", "居住地址": "五一大道 100 号"}, text="在住属实")
    reply = until(lambda: [m for m in a_op.inbox.list(status="all") if m.in_reply_to == sent.uid],
                  "B's reply in A")[0]
    assert reply.kind == "assist_reply" and reply.items == {"在住": "属实", "居住地址": "五一大道 100 号"}
    until(lambda: state(a, sent.uid) == state(b, sent.uid) == ("answered", "answered"), "answered on both sides")
    for client in (a_op, b_op):  # answered in time: nobody is blamed as overdue
        (asked,) = find(client, sent.uid)
        assert not asked.overdue and asked.status == "answered"
        (answer,) = find(client, reply.uid)
        assert not answer.overdue

    # 5. acknowledgements: A acknowledges B's reply and B's notice, B acknowledges A's notice
    a_op.inbox.acknowledge([reply.id, b_notice.id])
    b_op.inbox.acknowledge([got.id])
    closed = {sent.uid: ("closed", "answered"), reply.uid: ("closed", None), b_notice_uid: ("closed", None)}
    until(lambda: all(state(a, u) == state(b, u) == e for u, e in closed.items()), f"{closed} on both sides")
    until(lambda: state(a, notice_uid) == state(b, notice_uid) == ("closed", None), "A's notice closed on both sides")
    for client in (a_admin, b_admin):
        assert [m.uid for m in client.inbox.list(overdue=True)] == []
    assert pair(a_admin) == pair(b_admin) == (1, 1, 0, 1, 0)

    # 6. no file carried: every message is on both sides once, came online, none exported to a file
    until(lambda: '"pending": 0' in a.cli("exchange", "sync", "--format", "json"), "A's outbox empty")
    until(lambda: '"pending": 0' in b.cli("exchange", "sync", "--format", "json"), "B's outbox empty")
    on_a, on_b = uids(a), uids(b)
    assert set(on_a) == set(on_b) == {notice_uid, b_notice_uid, sent.uid, reply.uid}
    assert set(on_a.values()) == set(on_b.values()) == {1}
    for node in (a, b):
        assert node.sql("SELECT count(*) FROM messages WHERE exported_at IS NOT NULL")[0][0] == 0
        assert node.sql("SELECT count(*) FROM exchange_outbox WHERE status <> 'delivered'")[0][0] == 0
    # as each side's inbox shows them: the same status and outcome, nobody overdue nor held accountable
    seen = [{m.uid: m for m in client.inbox.list(status="all", box="all")} for client in (a_admin, b_admin)]
    assert set(seen[0]) == set(seen[1]) == set(on_a)
    for uid in on_a:
        here, there = seen[0][uid], seen[1][uid]
        assert (here.kind, here.status, here.outcome) == (there.kind, there.status, there.outcome)
        assert here.status == "closed"
        for m in (here, there):
            assert not m.overdue and m.accountable_code is None and m.accountable_side is None and not m.sent_late
