"""`flowpop serve`'s courier is woken by the commit that queues something (issue 13): with its interval set to an hour,
a 协查 still reaches the other registry, the receipt comes back, and the reply and the answered state come back, each
carried by the round its commit started. Two real `flowpop serve` processes: A (三明, 3504), B (南昌, 3601)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.registry.exchange.nodes import Node, ask, registries, until
from tests.registry.exchange.test_online import state


@pytest.fixture
def ab(template_db: str, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    with registries(template_db, tmp_path, {"A": "3504", "B": "3601"}) as nodes:
        for node in nodes.values():  # no round comes by the clock while the test runs
            node.stop()
            node.env = lambda n=node: {**Node.env(n), "FLOWPOP_EXCHANGE_INTERVAL": "3600"}  # type: ignore[method-assign,misc]
            node.start()
        yield nodes["A"], nodes["B"]


def test_a_commit_that_queues_wakes_the_courier(ab: tuple[Node, Node]) -> None:
    a, b = ab
    a_op, b_op, sent, got = ask(a, b)
    # B's receipt goes back by the round its receiving commit started
    until(lambda: a.sql("SELECT count(*) FROM exchange_outbox WHERE status = 'pending'")[0][0] == 0
          and b.sql("SELECT count(*) FROM exchange_outbox WHERE status = 'delivered'")[0][0] == 1, "B's receipt sent")
    b_op.inbox.act(got.id, "reply", version=b_op.inbox.get(got.id).version, facts={"在住": "属实"}, text="在住")
    until(lambda: [m for m in a_op.inbox.list() if m.in_reply_to == sent.uid], "B's reply in A")
    until(lambda: state(a, sent.uid) == state(b, sent.uid) == ("answered", "answered"), "answered on both sides")
