"""Online exchange between two registries (issue 13 items 2-3), each a real `flowpop serve` process on loopback
with its own registry: A holds 三明 (3504), B holds 南昌 (3601). An outflow registered in A to a village B serves
leaves A's outbox (written with the registration), reaches B's inbox, and B's receipt, acknowledgement and reply
come back so that both sides show the same state; B down then back loses nothing and doubles nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import flowpop
from tests import tree
from tests.conftest import person_fields
from tests.registry.exchange.nodes import Node, registries, until


@pytest.fixture
def ab(template_db: str, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    with registries(template_db, tmp_path, {"A": "3504", "B": "3601"}) as nodes:
        yield nodes["A"], nodes["B"]


def outflow(a: Node) -> str:
    """A's township operator registers an outflow to B's village: the 通报 for 东湖 leaves A (its uid)."""
    before = {r.message_uid for r in a.sql("SELECT message_uid FROM exchange_outbox")}
    if "op" not in a.tokens:
        a.tokens["op"] = a.token_for("township_operator", tree.TOWNSHIP_A)
    op = a.client(a.tokens["op"])
    op.persons.create(
        **person_fields(
            household_code=tree.TOWNSHIP_A,
            stay={"residence_code": tree.VILLAGE_D1, "reason": "work", "arrived_on": "2026-03-01"},
        )
    )
    rows = a.sql("SELECT message_uid FROM exchange_outbox WHERE what = 'record'")
    (uid,) = [r.message_uid for r in rows if r.message_uid not in before]
    return uid


def state(node: Node, uid: str) -> tuple[str, str | None] | None:
    rows = node.sql("SELECT status, outcome FROM messages WHERE uid = :uid", uid=uid)
    return (rows[0][0], rows[0][1]) if rows else None


def test_an_outflow_reaches_the_other_registry_and_its_state_comes_back(ab: tuple[Node, Node]) -> None:
    a, b = ab
    uid = outflow(a)
    b_admin = b.client()
    arrived = until(
        lambda: [m for m in b_admin.inbox.list(kind="notification") if m.uid == uid],
        "the notice in B's inbox",
    )
    assert arrived[0].addressee_code == tree.TOWNSHIP_D and arrived[0].sender_code == tree.TOWNSHIP_A
    # B acknowledges it; the state travels back and A's copy shows the same
    b_admin.inbox.acknowledge([arrived[0].id])
    until(lambda: state(a, uid) == state(b, uid) == ("closed", None), "A's copy closed as B's")
    assert a.sql("SELECT count(*) FROM messages WHERE uid = :uid", uid=uid)[0][0] == 1
    assert b.sql("SELECT count(*) FROM messages WHERE uid = :uid", uid=uid)[0][0] == 1


def test_a_request_is_answered_across_registries(ab: tuple[Node, Node]) -> None:
    a, b = ab
    a_op = a.client(a.token_for("township_operator", tree.TOWNSHIP_A))
    sent = a_op.inbox.send(
        kind="assist_request",
        addressee_code=tree.TOWNSHIP_D,
        items={"在住": None},
        subject={"name": "李四", "id_number": person_fields()["id_number"]},
    )
    b_op = b.client(b.token_for("township_operator", tree.TOWNSHIP_D))
    got = until(
        lambda: [m for m in b_op.inbox.list(kind="assist_request") if m.uid == sent.uid], "the 协查 in B"
    )[0]
    until(lambda: state(a, sent.uid) == state(b, sent.uid), "A sees B's receipt state")
    detail = b_op.inbox.get(got.id)
    b_op.inbox.act(got.id, "reply", version=detail.version, facts={"在住": "属实"}, text="在住")
    # the reply arrives in A's inbox and A's 协查 shows answered, as B's does
    reply = until(
        lambda: [m for m in a_op.inbox.list() if m.in_reply_to == sent.uid], "B's reply in A's inbox"
    )[0]
    until(
        lambda: state(a, sent.uid) == state(b, sent.uid) == ("answered", "answered"),
        "A's 协查 answered as B's",
    )
    # A acknowledges the reply: B's copy of its reply shows it closed
    a_op.inbox.acknowledge([reply.id])
    until(
        lambda: state(b, reply.uid) == state(a, reply.uid) == ("closed", None),
        "B's reply closed on both sides",
    )


def test_the_other_registry_down_then_back_loses_nothing_and_doubles_nothing(ab: tuple[Node, Node]) -> None:
    a, b = ab
    b.stop()
    uid = outflow(a)
    a_admin = a.client()
    result = until(lambda: (r := a_admin.exchange.sync()).failed and r, "a round that finds B down")
    assert result.delivered == 0 and result.pending >= 1 and "B" in result.errors[0]
    assert state(b, uid) is None
    b.start()
    # an embedded sync by command, as cron runs it on A's registry (A's server delivers too: both are safe)
    until(
        lambda: '"pending": 0' in a.cli("exchange", "sync", "--retry-now", "--format", "json"),
        "A's outbox empty",
    )
    until(lambda: state(a, uid) == state(b, uid), "the receipt came back")
    # the same envelope delivered again (as a retry after a lost answer would) changes nothing
    assert (
        a.sql("SELECT count(*) FROM exchange_outbox WHERE status = 'delivered' AND what = 'record'")[0][0]
        == 1
    )
    a.sql("SELECT 1")  # (a no-op: the registry answers)
    _redeliver_everything(a)
    a_admin.exchange.sync(retry_now=True)
    assert b.sql("SELECT count(*) FROM messages WHERE uid = :uid", uid=uid)[0][0] == 1
    assert state(a, uid) == state(b, uid)


def _redeliver_everything(node: Node) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from flowpop.registry.store.db import normalize_url

    engine = create_engine(normalize_url(node.db), poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("UPDATE exchange_outbox SET status = 'pending'"))
    engine.dispose()


def test_flowpop_me_shows_the_own_area(ab: tuple[Node, Node]) -> None:
    a, b = ab
    assert a.client().me().own_area == ["3504"] and b.client().me().own_area == ["3601"]
    assert [p.name for p in a.client().exchange.peers()] == ["B"]


def _unused(c: flowpop.Client) -> None:  # pragma: no cover
    del c


def test_a_relay_passes_envelopes_on_both_ways(template_db: str, tmp_path: Path) -> None:
    """A and B know each other only through R (a city's or province's relay): each has the other's key, with R's
    URL; R has both with their own URLs. What A sends reaches B through R unchanged (B checks A's signature), and
    B's acknowledgement comes back through R the same way; R keeps none of it as a message of its own."""
    with registries(template_db, tmp_path, {"A": "3504", "B": "3601", "R": "5101"}) as nodes:
        a, b, r = nodes["A"], nodes["B"], nodes["R"]
        a.cli("exchange", "peer", "add", "B", "--url", r.url, "--key", b.public_key, "--serves", b.home)
        b.cli("exchange", "peer", "add", "A", "--url", r.url, "--key", a.public_key, "--serves", a.home)
        uid = outflow(a)
        b_admin = b.client()
        got = until(
            lambda: [m for m in b_admin.inbox.list(kind="notification") if m.uid == uid], "the notice in B"
        )
        b_admin.inbox.acknowledge([got[0].id])
        until(lambda: state(a, uid) == state(b, uid) == ("closed", None), "A's copy closed through the relay")
        assert state(r, uid) is None
        forwarded = r.sql("SELECT status, route_code FROM exchange_outbox WHERE what = 'forward' ORDER BY id")
        assert [f[0] for f in forwarded] == ["delivered"] * len(forwarded) and len(forwarded) >= 2
        assert {f[1][:4] for f in forwarded} == {"3601", "3504"}


def test_a_batch_with_one_bad_message_delivers_the_others(ab: tuple[Node, Node]) -> None:
    """Pending messages for one peer leave together in one envelope; when the peer refuses it (one of them is
    addressed to a place it does not hold), they are sent again one by one: the good ones arrive, the bad one is
    kept as refused with the reason, not retried."""
    a, b = ab
    b.stop()  # so that the three wait in A's outbox and leave in one round
    first, second = outflow(a), outflow(a)
    payload = a.sql("SELECT payload FROM exchange_outbox WHERE message_uid = :uid", uid=first)[0][0]
    bad = json.loads(payload) if isinstance(payload, str) else payload
    bad["record"] = {**bad["record"], "uid": "bad-" + first[:30], "addressee_code": "360199001000"}
    a.execute(
        "INSERT INTO exchange_outbox (message_uid, what, route_code, payload, status, attempts, next_attempt_at,"
        " created_at) VALUES (:uid, 'record', '360102001000', :payload, 'pending', 0, :now, :now)",
        uid=bad["record"]["uid"],
        payload=json.dumps(bad),
        now=dt.datetime.now(dt.UTC).replace(tzinfo=None),
    )
    b.start()
    until(
        lambda: '"pending": 0' in a.cli("exchange", "sync", "--retry-now", "--format", "json", code=None),
        "all sent",
    )
    rows = dict(a.sql("SELECT message_uid, status FROM exchange_outbox WHERE what = 'record'"))
    assert rows == {first: "delivered", second: "delivered", bad["record"]["uid"]: "refused"}
    assert state(b, first) and state(b, second) and state(b, bad["record"]["uid"]) is None
    (error,) = [r[0] for r in a.sql("SELECT last_error FROM exchange_outbox WHERE status = 'refused'")]
    assert "not_served_here" in error
