"""States travel both ways (issue 13): what the addressee does to a message comes back to its sender, and what the
sender does to it — closing its 协查 when it acknowledges the reply — reaches the addressee, so that both
registries always show the same state. Two real `flowpop serve` processes: A (三明, 3504), B (南昌, 3601)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.registry.exchange.nodes import Node, ask, registries, until
from tests.registry.exchange.test_online import state


@pytest.fixture
def ab(template_db: str, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    with registries(template_db, tmp_path, {"A": "3504", "B": "3601"}) as nodes:
        yield nodes["A"], nodes["B"]


def test_the_sender_closing_its_request_reaches_the_addressee(ab: tuple[Node, Node]) -> None:
    a, b = ab
    a_op, b_op, sent, got = ask(a, b)
    b_op.inbox.act(got.id, "reply", version=b_op.inbox.get(got.id).version, facts={"在住": "属实"}, text="在住")
    reply = until(lambda: [m for m in a_op.inbox.list() if m.in_reply_to == sent.uid], "B's reply in A")[0]
    until(lambda: state(a, sent.uid) == state(b, sent.uid) == ("answered", "answered"), "answered on both sides")
    # A acknowledges the reply: A's 协查 closes here (the reply acknowledged) — and at B, which sent nothing
    a_op.inbox.acknowledge([reply.id])
    assert state(a, sent.uid) == ("closed", "answered")
    until(lambda: state(b, sent.uid) == ("closed", "answered"), "B's copy of the 协查 closed as A's")
    until(lambda: state(b, reply.uid) == state(a, reply.uid) == ("closed", None), "the reply closed on both sides")
    assert b_op.inbox.get(got.id).status == "closed"
    # nothing echoes back and forth: once both sides agree, the outboxes empty and stay so
    until(lambda: '"pending": 0' in a.cli("exchange", "sync", "--format", "json"), "A's outbox empty")
    until(lambda: '"pending": 0' in b.cli("exchange", "sync", "--format", "json"), "B's outbox empty")
    states_a = a.sql("SELECT count(*) FROM exchange_outbox WHERE what = 'state'")[0][0]
    states_b = b.sql("SELECT count(*) FROM exchange_outbox WHERE what = 'state'")[0][0]
    a.cli("exchange", "sync")
    b.cli("exchange", "sync")
    assert a.sql("SELECT count(*) FROM exchange_outbox WHERE what = 'state'")[0][0] == states_a
    assert b.sql("SELECT count(*) FROM exchange_outbox WHERE what = 'state'")[0][0] == states_b
