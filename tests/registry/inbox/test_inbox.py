"""The exchange between places: conversations, transfers, deadlines, scoping, batch files."""

from __future__ import annotations

import datetime as dt

import pytest

import flowpop
from flowpop.rules import beijing
from tests import tree
from tests.conftest import person_fields


def _only(client: flowpop.Client, **filters) -> list[flowpop.types.Message]:
    return list(client.inbox.list(**filters))


def test_conversation_between_two_townships(townships) -> None:
    a, d = townships
    # A registers an inflow whose household lies in D
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    notes = _only(d, kind="notification")
    assert [(m.topic, m.subject["name"]) for m in notes] == [("stay_registered", p.name)]
    note = notes[0]
    assert note.sender_code == tree.TOWNSHIP_A and note.addressee_code == tree.TOWNSHIP_D
    assert note.matched_person_id == p.id  # matched on arrival by ID number
    assert note.subject["id_number"] != p.id_number or "*" in note.subject["id_number"]
    # D acknowledges; A's inbox stays empty of it
    assert d.inbox.acknowledge([note.id]).done == 1
    assert _only(a) == []
    # D asks A to verify the current address
    req = d.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_A, person_id=p.id,
                       items={"verify": ["现居住地址", "婚育情况"]})
    assert req.due_on == flowpop_due(req.created_at.date(), 15)
    got = _only(a, kind="assist_request")
    assert [m.id for m in got] == [req.id]
    m = a.inbox.act(req.id, "read", version=got[0].version)
    m = a.inbox.act(req.id, "match", version=m.version, person_id=p.id)
    m = a.inbox.act(req.id, "verify", version=m.version)
    m = a.inbox.act(req.id, "reply", version=m.version, facts={"现居住地址": "属实"}, text="已入户核实")
    assert m.status == "answered"
    # the reply lands in D's inbox; acknowledging it closes the thread
    replies = _only(d, kind="assist_reply")
    assert [r.items for r in replies] == [{"现居住地址": "属实"}]
    d.inbox.act(replies[0].id, "close", version=replies[0].version)
    thread = d.inbox.get(req.id).thread
    assert {x.kind: x.status for x in thread} == {"assist_request": "closed", "assist_reply": "closed"}
    figures = {f.division_code: f for f in a.inbox.figures()}
    assert figures[tree.TOWNSHIP_A].requests == 1 and figures[tree.TOWNSHIP_A].answered_on_time == 1


def flowpop_due(sent: dt.date, days: int) -> dt.date:
    from flowpop.rules.workdays import Calendar

    return Calendar().add_working_days(sent, days)


def test_status_moves_only_along_allowed_steps(townships) -> None:
    a, d = townships
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    req = d.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_A, person_id=p.id, items={"verify": ["在住"]})
    with pytest.raises(flowpop.ConflictError) as exc:
        a.inbox.act(req.id, "accept", version=req.version)  # not a transfer
    assert exc.value.code == "wrong_kind"
    with pytest.raises(flowpop.APIStatusError) as exc2:
        d.inbox.act(req.id, "reply", version=req.version, facts={})  # the sender cannot answer its own request
    assert exc2.value.status_code == 403
    m = a.inbox.act(req.id, "return", version=req.version, reason="非本辖区人员")
    with pytest.raises(flowpop.ConflictError) as exc3:
        a.inbox.act(req.id, "reply", version=m.version, facts={})
    assert exc3.value.code == "bad_transition"


def test_transfer_accepted_moves_the_stay(client, as_user) -> None:
    a = as_user("township_operator", tree.TOWNSHIP_A)
    b = as_user("township_operator", tree.TOWNSHIP_B)
    p = a.persons.create(**person_fields())
    stay = p.stays[0]
    with pytest.raises(flowpop.ConflictError) as exc:
        a.stays.update(stay.id, version=stay.version, residence_code=tree.VILLAGE_B1)
    assert exc.value.code == "transfer_required"
    t = a.stays.transfer(stay.id, version=stay.version, to_residence_code=tree.VILLAGE_B1, reason="搬迁至乙镇")
    assert client.stays.get(stay.id).residence_code == tree.VILLAGE_A1  # nothing moves before acceptance
    # 4 calendar days from the day it was sent, as the offices count it: in Beijing time, not UTC
    assert t.due_on == t.created_at.astimezone(beijing.TZ).date() + dt.timedelta(days=4)
    incoming = [m for m in b.inbox.list(kind="transfer")]
    assert [m.id for m in incoming] == [t.id]
    b.inbox.act(t.id, "accept", version=incoming[0].version)
    moved = client.stays.get(stay.id)
    assert moved.residence_code == tree.VILLAGE_B1
    assert client.persons.get(p.id).residence_code == tree.VILLAGE_B1
    # A hears back
    outcome = [m for m in a.inbox.list(kind="notification") if m.topic == "transfer_accepted"]
    assert len(outcome) == 1


def test_transfer_refused_leaves_the_stay(client, as_user) -> None:
    a = as_user("township_operator", tree.TOWNSHIP_A)
    b = as_user("township_operator", tree.TOWNSHIP_B)
    p = a.persons.create(**person_fields())
    stay = p.stays[0]
    t = a.stays.transfer(stay.id, version=stay.version, to_residence_code=tree.VILLAGE_B1, reason="搬迁")
    with pytest.raises(flowpop.ConflictError):
        a.stays.transfer(stay.id, version=stay.version, to_residence_code=tree.VILLAGE_B1, reason="again")
    with pytest.raises(flowpop.ValidationError):
        b.inbox.act(t.id, "refuse", version=t.version)  # a refusal needs a reason
    b.inbox.act(t.id, "refuse", version=t.version, reason="查无此人")
    assert client.stays.get(stay.id).residence_code == tree.VILLAGE_A1
    assert client.inbox.get(t.id).outcome == "refused"


def test_township_cannot_see_another_township_inbox(townships, as_user) -> None:
    a, d = townships
    b = as_user("township_operator", tree.TOWNSHIP_B)
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    note = _only(d)[0]
    assert _only(b) == []
    with pytest.raises(flowpop.NotFoundError):
        b.inbox.get(note.id)
    assert d.inbox.get(note.id).subject["name"] == p.name


def test_batch_export_and_import_twice(client, as_user) -> None:
    # a household place outside this registry (成都: no townships loaded) → the outbox
    fields = person_fields(household_code="510104000000")
    p = client.persons.create(**fields)
    assert client.inbox.summary().outbox_unsent == 1
    batch = client.exchange.export()
    assert batch.count("\n") == 1 and p.name in batch
    assert client.exchange.export() == ""  # already sent
    assert any(e.action == "export" for e in client.audit.access_log())
    # a batch from elsewhere addressed to township A
    incoming = batch.replace('"addressee_code": "510104000000"', f'"addressee_code": "{tree.TOWNSHIP_A}"')
    incoming = incoming.replace('"uid": "', '"uid": "ext-')
    first = client.exchange.import_batch(incoming + "not json\n")
    assert (first.inserted, first.skipped, len(first.rejected)) == (1, 0, 1)
    assert first.rejected[0]["line"] == 2
    again = client.exchange.import_batch(incoming)
    assert (again.inserted, again.skipped) == (0, 1)
    a = as_user("township_operator", tree.TOWNSHIP_A)
    arrived = [m for m in a.inbox.list() if m.uid.startswith("ext-")]
    assert len(arrived) == 1 and arrived[0].matched_person_id == p.id


def test_overdue_items_name_the_accountable_side(client, as_user, monkeypatch) -> None:
    a, d = as_user("township_operator", tree.TOWNSHIP_A), as_user("township_operator", tree.TOWNSHIP_D)
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    note = _only(d)[0]
    monkeypatch.setenv("FLOWPOP_TODAY", (note.due_on + dt.timedelta(days=1)).isoformat())
    overdue = _only(d, overdue=True)
    assert [m.id for m in overdue] == [note.id]
    assert overdue[0].accountable_code == tree.TOWNSHIP_D and overdue[0].accountable_side == "household"
    assert d.inbox.summary().overdue == 1
    assert p.id == overdue[0].matched_person_id


def test_register_from_unmatched_request(client, as_user) -> None:
    a = as_user("township_operator", tree.TOWNSHIP_A)
    d = as_user("township_operator", tree.TOWNSHIP_D)
    fields = person_fields(household_code=tree.VILLAGE_D1)
    req = d.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_A,
                       subject={"id_number": fields["id_number"], "name": fields["name"]}, items={"verify": ["在住"]})
    got = a.inbox.get(req.id)
    assert got.matched_person_id is None and got.candidates == []
    m = a.inbox.act(req.id, "register", version=got.version, person=fields)
    assert m.status == "matched" and m.matched_person_id is not None
    assert client.persons.get(m.matched_person_id).name == fields["name"]


def test_verification_sheet_is_printable(townships) -> None:
    a, d = townships
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    req = d.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_A, person_id=p.id, items={"verify": ["在住"]})
    html = a.inbox.sheet(req.id)
    assert "流动人口信息核实表" in html and p.name in html and p.id_number in html


def test_recording_a_service_notifies_the_household_side(townships, as_user) -> None:
    a, d = townships
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    today = dt.date.today()
    s = a.persons.record_service(p.id, kind="checkup", provided_on=today)
    assert s.provider_code == tree.TOWNSHIP_A
    topics = [m.topic for m in d.inbox.list(kind="notification")]
    assert sorted(topics) == ["service_provided", "stay_registered"]
    assert [x.kind for x in a.persons.services(p.id)] == ["checkup"]
    viewer = as_user("village_assistant", tree.VILLAGE_A1)
    with pytest.raises(flowpop.PermissionDeniedError):
        viewer.persons.services(p.id)
    with pytest.raises(flowpop.ValidationError):
        a.persons.record_service(p.id, kind="checkup", provided_on=today + dt.timedelta(days=3))
