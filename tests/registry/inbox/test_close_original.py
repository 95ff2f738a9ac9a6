"""Closing a reply closes the answered request it answers through the shared compare-and-set
(kernel.versioning) with one history row, like every other step: a change made to the request since it was
read is a version conflict, not a second close written over it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

import flowpop
from flowpop.registry.inbox import workflow
from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.errors import VersionConflict
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.store import tables as t
from tests import tree
from tests.conftest import person_fields


def _answered(a: flowpop.Client, d: flowpop.Client) -> tuple[flowpop.types.Message, flowpop.types.Message]:
    """D's request, answered by A, and A's reply in D's inbox."""
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    req = d.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_A, person_id=p.id,
                       items={"verify": ["现居住地址"]})
    m = a.inbox.act(req.id, "read", version=req.version)
    m = a.inbox.act(req.id, "reply", version=m.version, facts={"现居住地址": "属实"})
    assert m.status == "answered"
    reply = next(r for r in d.inbox.list(kind="assist_reply") if r.in_reply_to == req.uid)
    return a.inbox.get(req.id), reply


def _closes(reg: Registry, message_id: int) -> int:
    with reg.reading() as session:
        return session.execute(select(func.count()).select_from(t.HistoryEntry).where(
            t.HistoryEntry.entity == "message", t.HistoryEntry.entity_id == message_id,
            t.HistoryEntry.action == "close")).scalar_one()


def test_closing_the_reply_closes_the_request_once(townships, db_url: str) -> None:
    a, d = townships
    req, reply = _answered(a, d)
    d.inbox.act(reply.id, "close", version=reply.version)
    closed = a.inbox.get(req.id)
    assert (closed.status, closed.version) == ("closed", req.version + 1)
    reg = Registry(db_url)
    try:
        assert _closes(reg, req.id) == 1
    finally:
        reg.close()


def test_a_request_changed_since_it_was_read_is_a_conflict(townships, db_url: str) -> None:
    a, d = townships
    req, reply = _answered(a, d)
    reg = Registry(db_url)
    actor = Actor(user_id=None, username="d", role="township_operator", jurisdiction_code=tree.TOWNSHIP_D)
    try:
        with pytest.raises(VersionConflict), reg.writing() as session:
            seen = session.get(t.Message, req.id)  # the request as this transaction first read it (answered)
            assert seen is not None and seen.version == req.version
            # meanwhile its addressee closes it (what a concurrent POST /v1/inbox/{id}/close commits)
            session.execute(update(t.Message).where(t.Message.id == req.id)
                            .values(status="closed", closed_at=t.utcnow(), version=req.version + 1)
                            .execution_options(synchronize_session=False))
            workflow.act(reg, session, actor, reply.id, "close", reply.version)
        assert _closes(reg, req.id) == 0 and d.inbox.get(reply.id).status != "closed"  # nothing written
    finally:
        reg.close()
