"""What a caller may do next with a message (Message.allowed_actions): the registry's one answer, from its
step table, the message's kind and status and the caller (addressee or not, write right). Every action it
lists is accepted and every other one refused, over the demo registry's messages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, get_args

import pytest

import flowpop
from flowpop.demo.build import build
from flowpop.registry.inbox import workflow
from flowpop.types import Message, MessageActionName
from tests import tree
from tests.conftest import person_fields

Maker = Callable[[str, str | None], flowpop.Client]
OPEN_REQUEST = ["match", "reply", "forward", "return", "escalate", "close"]


def test_the_contract_names_every_action_of_the_registry() -> None:
    assert list(get_args(MessageActionName)) == list(workflow.ACTIONS)


def _request(a: flowpop.Client, d: flowpop.Client, kind: str = "assist_request") -> Message:
    """D asks A about a person A registered (whose household lies in D)."""
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    return d.inbox.send(kind=kind, addressee_code=tree.TOWNSHIP_A, person_id=p.id, items={"verify": ["在住"]})


def _moved(client: flowpop.Client, m: Message, steps: list[str]) -> Message:
    for action in steps:
        fields: dict[str, Any] = {"reason": "测试"} if action in ("return", "refuse", "escalate") else {}
        if action == "reply":
            fields["facts"] = {"在住": "属实"}
        m = client.inbox.act(m.id, action, version=m.version, **fields)
    return m


@pytest.mark.parametrize(("kind", "steps", "status", "expected"), [
    ("assist_request", [], "new", ["read", *OPEN_REQUEST]),
    ("assist_request", ["read"], "read", ["match", "verify", *OPEN_REQUEST[1:]]),
    ("assist_request", ["read", "verify"], "verifying", ["match", "reply", "return", "escalate", "close"]),
    ("assist_request", ["reply"], "answered", ["close"]),
    ("assist_request", ["return"], "returned", []),
    ("not_found", [], "new", ["read", "match", "resolve", *OPEN_REQUEST[2:]]),  # answered by what is done to the record
    ("dispute", [], "new", ["read", *OPEN_REQUEST]),  # addressed to A's county, which A's operator does not cover
])
def test_allowed_actions_per_kind_and_status(as_user: Maker, kind: str, steps: list[str], status: str,
                                             expected: list[str]) -> None:
    a, d = as_user("township_operator", tree.TOWNSHIP_A), as_user("township_operator", tree.TOWNSHIP_D)
    county = as_user("county_admin", tree.COUNTY_SANYUAN)
    m = _request(a, d, kind)
    addressee = county if kind == "dispute" else a
    m = _moved(addressee, addressee.inbox.get(m.id), steps)
    assert m.status == status
    assert addressee.inbox.get(m.id).allowed_actions == expected
    assert county.inbox.get(m.id).allowed_actions == expected  # the county covers its townships' inboxes
    assert d.inbox.get(m.id).allowed_actions == []  # the sender sees it, but only the addressee acts


def test_notifications_and_transfers(as_user: Maker) -> None:
    a, b = as_user("township_operator", tree.TOWNSHIP_A), as_user("township_operator", tree.TOWNSHIP_B)
    d = as_user("township_operator", tree.TOWNSHIP_D)
    a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    note = next(iter(d.inbox.list(kind="notification")))
    assert note.allowed_actions == ["read", "match", "forward", "return", "escalate", "close", "acknowledge"]
    assert d.inbox.acknowledge([note.id]).done == 1
    assert d.inbox.get(note.id).allowed_actions == []
    p = a.persons.create(**person_fields())
    transfer = a.stays.transfer(p.stays[0].id, version=p.stays[0].version, to_residence_code=tree.VILLAGE_B1,
                                reason="搬迁")
    assert b.inbox.get(transfer.id).allowed_actions == ["read", "match", "accept", "refuse", "forward", "return",
                                                        "escalate", "close"]
    assert a.inbox.get(transfer.id).allowed_actions == []


@pytest.mark.parametrize("role", ["city_viewer", "auditor"])
def test_a_read_only_role_gets_none_and_is_refused(as_user: Maker, role: str) -> None:
    a, d = as_user("township_operator", tree.TOWNSHIP_A), as_user("township_operator", tree.TOWNSHIP_D)
    m = _request(a, d)
    viewer = as_user(role, tree.COUNTY_SANYUAN)
    seen = viewer.inbox.get(m.id)
    assert seen.allowed_actions == [] and a.inbox.get(m.id).allowed_actions == ["read", *OPEN_REQUEST]
    assert [x.allowed_actions for x in viewer.inbox.list()] == [[]]
    with pytest.raises(flowpop.APIStatusError) as refused:
        viewer.inbox.act(m.id, "read", version=seen.version)
    assert refused.value.status_code == 403


def test_a_non_addressee_is_refused_every_action(as_user: Maker) -> None:
    a, d = as_user("township_operator", tree.TOWNSHIP_A), as_user("township_operator", tree.TOWNSHIP_D)
    m = _request(a, d)
    for action in workflow.STEPS:
        with pytest.raises(flowpop.APIStatusError) as refused:
            d.inbox.act(m.id, action, version=m.version, **_inputs(action, m, person_id=1))
        if action == "forward":  # to a place outside the sender's jurisdiction, refused before the step itself
            assert refused.value.code == "validation_failed"
            continue
        assert (refused.value.status_code, refused.value.code) == (403, "not_addressee"), action
    result = d.inbox.acknowledge([m.id])
    assert result.done == 0 and [s.code for s in result.skipped] == ["not_addressee"]
    assert d.inbox.get(m.id).version == m.version


# ------------------------------------------------------------------------------ over the demo's messages


def _inputs(action: str, m: Message, person_id: int) -> dict[str, Any]:
    """Inputs the step accepts, so that a refusal can only come from the rule."""
    if action in ("return", "refuse", "escalate"):
        return {"reason": "测试"}
    if action == "reply":
        return {"facts": {}}
    if action == "resolve":
        return {"outcome": "present"}  # a 查无此人 answered "still there": nothing else to give
    if action == "match":
        return {"person_id": m.candidates[0].person_id if m.candidates else person_id}
    if action == "forward":
        return {"to_code": m.addressee_code}
    return {}


def _try(client: flowpop.Client, m: Message, action: str, person_id: int) -> Message | None:
    """The message after ``action``, or None when the registry refused it (and then nothing changed)."""
    if action == "acknowledge":
        result = client.inbox.acknowledge([m.id])
        if result.done != 1:
            assert result.done == 0 and len(result.skipped) == 1
            return None
        return client.inbox.get(m.id)
    try:
        return client.inbox.act(m.id, action, version=m.version, **_inputs(action, m, person_id))
    except flowpop.ConflictError as exc:
        assert exc.code in ("wrong_kind", "bad_transition"), exc
        return None


def _refuses_all_but_listed(client: flowpop.Client, m: Message, person_id: int) -> None:
    for action in workflow.ACTIONS:
        if action not in m.allowed_actions:
            assert _try(client, m, action, person_id) is None, (m.kind, m.status, action)
    assert client.inbox.get(m.id).version == m.version


@pytest.fixture
def demo(db_url: str) -> str:
    build(db_url, 300, seed=3, replace=True)
    return db_url


def test_every_listed_action_is_accepted_and_every_other_refused(demo: str) -> None:
    with flowpop.Client(db=demo, max_retries=0) as admin:
        person_id = next(iter(admin.persons.list(limit=1))).id
        groups: dict[tuple[str, str], list[Message]] = defaultdict(list)
        for m in admin.inbox.list(box="all", status="all", limit=500):
            if not m.external:
                groups[(m.kind, m.status)].append(m)
        assert len(groups) >= 6
        done: set[tuple[str, str, str]] = set()
        for (kind, status), found in sorted(groups.items()):
            assert len({tuple(m.allowed_actions) for m in found}) == 1  # the rule reads kind and status only
            _refuses_all_but_listed(admin, found[0], person_id)
            reached = {a for _, _, a in done}  # steps not yet reached first: a small group still reaches them
            listed = sorted(found[0].allowed_actions, key=lambda a: a in reached)
            for m, action in zip(found, listed, strict=False):  # each listed step on its own message
                after = _try(admin, m, action, person_id)
                assert after is not None, (kind, status, action)
                assert after.allowed_actions == admin.inbox.get(m.id).allowed_actions
                done.add((kind, status, action))
                _refuses_all_but_listed(admin, after, person_id)  # and one step further along
        assert {a for _, _, a in done} == set(workflow.ACTIONS)  # the demo reaches every action
