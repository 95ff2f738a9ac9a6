"""A state never moves an exchanged message back (issue 13): states travel both ways, so both sides may act at
once; each side keeps the further status (envelopes.merged), and both end with the same one."""

from __future__ import annotations

import pytest

import flowpop
import flowpop.errors
from flowpop.registry.inbox import envelopes
from flowpop.registry.store import tables as t
from tests import tree
from tests.registry.exchange.test_trust import a_key, b, record  # noqa: F401  # fixtures


def test_a_state_never_moves_a_message_back(b: flowpop.Client, a_key: t.ExchangeIdentity) -> None:  # noqa: F811
    """Both sides acting at once: B acknowledged A's notice (closed) while A's older state of it (read) was on its
    way; B keeps closed. A state for a message B has nothing to do with is refused whole."""
    rec = record()
    assert b.exchange.send_envelope(envelopes.seal(a_key, tree.TOWNSHIP_A, records=[rec])).inserted == 1
    (got,) = [m for m in b.inbox.list(status="all") if m.uid == rec["uid"]]
    b.inbox.acknowledge([got.id])
    older = {"uid": rec["uid"], "status": "read", "outcome": None, "read_at": "2026-12-01T03:00:00",
             "answered_at": None, "closed_at": None, "version": 2}
    assert b.exchange.send_envelope(envelopes.seal(a_key, tree.TOWNSHIP_A, states=[older])).states == 1
    assert b.inbox.get(got.id).status == "closed"
    # the same state again changes nothing
    assert b.exchange.send_envelope(envelopes.seal(a_key, tree.TOWNSHIP_A, states=[older])).states == 0
    with pytest.raises(flowpop.errors.ValidationError):
        b.exchange.send_envelope(envelopes.seal(a_key, tree.TOWNSHIP_A, states=[{**older, "uid": "nobody-here"}]))
