"""A bulk acknowledgement (POST /v1/inbox/ack) says why it left each message alone, in Chinese and English
(``message`` / ``message_en`` with the code), so no front end translates skip codes itself."""

from __future__ import annotations

import pytest

import flowpop
from flowpop.registry.inbox import workflow
from flowpop.types import Skipped
from tests import tree
from tests.conftest import person_fields

MISSING = 987_654


def test_each_skip_carries_the_pair(townships: tuple[flowpop.Client, flowpop.Client]) -> None:
    a, d = townships
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))  # D is told (a notification)
    note = next(iter(d.inbox.list(kind="notification")))
    asked = d.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_A, person_id=p.id,
                         items={"verify": ["在住"]})
    assert d.inbox.acknowledge([note.id]).done == 1

    result = d.inbox.acknowledge([note.id, asked.id, MISSING])
    assert result.done == 0
    assert result.skipped == [
        Skipped(id=note.id, code="bad_transition", message="消息状态为“已办结”，不能执行“接收”",
                message_en="message is closed; 'acknowledge' is not allowed now"),
        Skipped(id=asked.id, code="not_addressee", message="只有收件方可以处理该消息",
                message_en="only the addressee can act on this message"),
        Skipped(id=MISSING, code="not_found", message=workflow.NOT_FOUND[0], message_en=workflow.NOT_FOUND[1]),
    ]
    wrong = a.inbox.acknowledge([asked.id])
    assert wrong.skipped == [Skipped(id=asked.id, code="wrong_kind", message="“接收”不适用于协查",
                                     message_en="'acknowledge' does not apply to a message of kind assistance request")]


def test_a_step_refused_uses_the_same_words(townships: tuple[flowpop.Client, flowpop.Client]) -> None:
    """One rule, one wording: a single step refused for the same reason reads as the skip does."""
    a, d = townships
    a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    note = next(iter(d.inbox.list(kind="notification")))
    d.inbox.acknowledge([note.id])
    skipped = d.inbox.acknowledge([note.id]).skipped[0]
    with pytest.raises(flowpop.ConflictError) as refused:
        d.inbox.act(note.id, "read", version=d.inbox.get(note.id).version)
    assert refused.value.code == skipped.code == "bad_transition"
    assert (refused.value.message, refused.value.message_en) == ("消息状态为“已办结”，不能执行“标为已读”",
                                                                 "message is closed; 'mark read' is not allowed now")
