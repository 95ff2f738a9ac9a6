"""Issue 11, items 6, 7 and 8: inputs checked whole before anything is written.

6: a lone surrogate in a message's free-form ``items`` was committed, then failed to serialise: 500 to
the sender and to every later reader of the addressee's inbox; a retried send sent twice. 7: loosely
typed inputs reached the database (500s), or were taken with the wrong meaning. 8: a bulk ``move``
skipped the checks a single ``PATCH /v1/stays/ID`` makes."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from stdnum.cn import uscc

import flowpop
from tests import tree
from tests.conftest import person_fields

TOWNSHIP_C = "350405001000"  # 沙县区测试街道丙


def _token(client: flowpop.Client, name: str, role: str, jurisdiction: str) -> dict[str, str]:
    client.users.create(username=name, role=role, jurisdiction_code=jurisdiction)
    return {"Authorization": "Bearer " + client.tokens.create(username=name, name="inputs").token}


def _house(client: flowpop.Client, village: str = tree.VILLAGE_A1, **fields: Any) -> flowpop.types.House:
    return client.houses.create(**{"division_code": village, "address": "新市北路12号", "use": "rented",
                                   "mode": "scattered", **fields})


# ------------------------------------------------------------------------------ 6: free-form JSON


def test_a_lone_surrogate_is_refused_and_the_addressee_inbox_still_reads(client: flowpop.Client, server: str) -> None:
    sender = _token(client, "op_sanyuan", "township_operator", tree.TOWNSHIP_A)
    addressee = _token(client, "op_shaxian", "township_operator", TOWNSHIP_C)
    # the body as an attacker writes it: a JSON escape no UTF-8 encoder can carry back out
    raw = (b'{"kind": "assist_request", "addressee_code": "' + TOWNSHIP_C.encode() +
           b'", "subject": {"name": "\\u5f20\\u4e09"}, "items": {"k": "\\udfff"}}')
    with httpx.Client(base_url=server) as http:
        sent = http.post("/v1/inbox", content=raw, headers={**sender, "Content-Type": "application/json"})
        assert sent.status_code == 422, sent.text
        assert [(e["field"], e["code"]) for e in sent.json()["errors"]] == [("items.k", "free_json")]
        for who, box in ((addressee, "in"), (sender, "out")):
            listed = http.get("/v1/inbox", params={"box": box, "status": "all"}, headers=who)
            assert listed.status_code == 200, listed.text
            assert listed.json()["data"] == []  # nothing was written


FREE_JSON = [
    pytest.param({"items": {"a": {"b": {"c": {"d": {"e": 1}}}}}}, "items.a.b.c.d", id="nested-5-deep"),
    pytest.param({"items": {f"k{i}": i for i in range(600)}}, "items.k499", id="600-entries"),
    pytest.param({"items": {"k": "长" * 2001}}, "items.k", id="long-text"),
    pytest.param({"items": {"list": ["ok", 1e400]}}, "items.list[1]", id="infinite-number"),
    pytest.param({"items": {"n": 2**60}}, "items.n", id="huge-integer"),
]


@pytest.mark.parametrize(("extra", "field"), FREE_JSON)
def test_free_form_items_are_bounded(client: flowpop.Client, extra: dict[str, Any], field: str) -> None:
    body = {"kind": "assist_request", "addressee_code": TOWNSHIP_C, "sender_code": tree.TOWNSHIP_A,
            "subject": {"name": "张三"}, **extra}
    answer = client.request("POST", "/v1/inbox", content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == field
    assert client.inbox.list(box="all", status="all").first_page().data == []


def test_reply_facts_are_checked_like_items(client: flowpop.Client) -> None:
    asked = client.inbox.send(kind="assist_request", addressee_code=TOWNSHIP_C, sender_code=tree.TOWNSHIP_A,
                              subject={"name": "张三"}, items={"verify": ["现居住地址"]})
    raw = b'{"version": %d, "facts": {"\\ud800": "x"}}' % asked.version
    answer = client.request("POST", f"/v1/inbox/{asked.id}/reply", content=raw,
                            headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["code"] == "free_json"
    after = client.inbox.get(asked.id)
    assert (after.status, after.version, [m.id for m in after.thread]) == ("new", asked.version, [asked.id])


def test_a_retried_send_with_the_same_idempotency_key_sends_once(client: flowpop.Client, as_user: Any) -> None:
    message = {"kind": "assist_request", "addressee_code": TOWNSHIP_C, "sender_code": tree.TOWNSHIP_A,
               "subject": {"name": "张三"}, "items": {"verify": ["现居住地址"]}}
    first = client.request("POST", "/v1/inbox", json=message, headers={"Idempotency-Key": "send-1"})
    again = client.request("POST", "/v1/inbox", json=message, headers={"Idempotency-Key": "send-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"] and again.headers.get("Idempotent-Replayed") == "true"
    other = client.request("POST", "/v1/inbox", json={**message, "text": "另一条"}, headers={"Idempotency-Key": "send-1"})
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    # the SDK sends one key per message, so its own retries cannot send twice either
    sdk = [client.inbox.send(idempotency_key="send-2", **message) for _ in range(2)]
    assert sdk[0].id == sdk[1].id != first.json()["id"]
    shaxian = as_user("township_operator", TOWNSHIP_C)
    assert sorted(m.id for m in shaxian.inbox.list(status="all")) == sorted({first.json()["id"], sdk[0].id})


# ------------------------------------------------------------------------------ 7: loosely typed inputs


@dataclass
class World:
    client: flowpop.Client
    person: flowpop.types.PersonDetail
    house: flowpop.types.House
    employer: flowpop.types.Employer

    def written(self) -> tuple[Any, ...]:
        """What any of the refused requests could have written."""
        c = self.client
        return (len(c.changesets.list()), len(c.inspections.list()), c.houses.get(self.house.code).house.version,
                c.employers.get(self.employer.uscc).version, c.persons.get(self.person.id).version,
                sum(1 for _ in c.persons.list(status="active")), len(c.inbox.list(box="all", status="all").first_page().data))


@pytest.fixture
def world(client: flowpop.Client, make_person: Callable[..., Any]) -> World:
    body = "91350404MA0000001"
    employer = client.employers.create(uscc=body + uscc.calc_check_digit(body), name="三明测试纺织有限公司",
                                       division_code=tree.TOWNSHIP_A)
    return World(client, make_person(), _house(client), employer)


def _plan(operation: str, values: dict[str, Any] | None = None, **selection: Any) -> Callable[[World], Any]:
    def send(w: World) -> Any:
        chosen = selection or {"ids": [w.person.id]}
        return w.client.request("POST", "/v1/changesets", json={"operation": operation, "selection": chosen,
                                                                "values": values or {"note": "x"}, "reason": "核对"})
    return send


def _filters(**filters: Any) -> Callable[[World], Any]:
    return _plan("set", None, filters=filters)


def _patch(what: str, field: str) -> Callable[[World], Any]:
    def send(w: World) -> Any:
        code, version = (w.house.code, w.house.version) if what == "houses" else (w.employer.uscc, w.employer.version)
        return w.client.request("PATCH", f"/v1/{what}/{code}", json={"version": version, field: None})
    return send


def _import(content: bytes, filename: str = "") -> Callable[[World], Any]:
    def send(w: World) -> Any:
        return w.client.request("POST", "/v1/imports/persons", content=content, params={"filename": filename})
    return send


def _a_zip_that_is_no_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    return out.getvalue()


INPUTS = [
    pytest.param(_filters(arrived_from="0000-00-00"), "selection.filters.arrived_from", id="filter-date-0000"),
    pytest.param(_filters(q=123), "selection.filters.q", id="filter-q-number"),
    pytest.param(_filters(division=350404), "selection.filters.division", id="filter-division-number"),
    pytest.param(_filters(status=["active"]), "selection.filters.status", id="filter-status-list"),
    pytest.param(_filters(key_target="no"), "selection.filters.key_target", id="filter-key-target-no"),
    pytest.param(_filters(arrived_to=5), "selection.filters.arrived_to", id="filter-arrived-to-number"),
    pytest.param(_plan("deregister", {"date": 5}), "values.date", id="deregister-date-number"),
    pytest.param(_plan("deregister", {"date": ["x"]}), "values.date", id="deregister-date-list"),
    pytest.param(_plan("move", {"grid_code": ["x"]}), "values.grid_code", id="move-grid-list"),
    pytest.param(_plan("move", {"room": 5}), "values.room", id="move-room-number"),
    pytest.param(_plan("merge", {"keep": True}), "values.keep", id="merge-keep-bool"),
    pytest.param(_plan("upgrade_id15", {}, id_numbers=["abcdefghijklmno"]), "selection.id_numbers.0",
                 id="id-numbers-letters"),
    pytest.param(lambda w: w.client.request("POST", "/v1/campaigns", json={"quarter": "0000Q1",
                                                                           "jurisdiction_code": tree.COUNTY_SANYUAN}),
                 "quarter", id="campaign-quarter-0000"),
    pytest.param(_patch("houses", "address"), "address", id="house-address-null"),
    pytest.param(_patch("houses", "use"), "use", id="house-use-null"),
    pytest.param(_patch("houses", "rooms"), "rooms", id="house-rooms-null"),
    pytest.param(_patch("houses", "mode"), "mode", id="house-mode-null"),
    pytest.param(_patch("employers", "name"), "name", id="employer-name-null"),
    pytest.param(lambda w: w.client.request("POST", "/v1/persons", json=person_fields(name="王\x10英")),
                 "name", id="control-character-in-name"),
    pytest.param(lambda w: w.client.request("POST", "/v1/campaigns", json={"quarter": "2026Q1", "name": "清查\x10一",
                                                                           "jurisdiction_code": tree.COUNTY_SANYUAN}),
                 "name", id="control-character-in-campaign-name"),
    pytest.param(_import(b"this is no zip archive", "people.xlsx"), "body", id="xlsx-not-a-zip"),
    pytest.param(_import(_a_zip_that_is_no_workbook(), "people.xlsx"), "body", id="zip-not-a-workbook"),
    pytest.param(_import(bytes(range(256)) * 8, "people.csv"), "body", id="binary-as-csv"),
    pytest.param(_import(b"\xff\xfe\x81" * 300, "people.csv"), "body", id="undecodable-text"),
    pytest.param(_import("身份证号,姓名,户籍地\n\x00\x01,X,350404\n".encode(), "people.csv"), "body", id="nul-in-csv"),
]


@pytest.mark.parametrize(("send", "field"), INPUTS)
def test_loosely_typed_inputs_are_refused_naming_the_field(world: World, send: Callable[[World], Any],
                                                           field: str) -> None:
    before = world.written()
    answer = send(world)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "validation_failed" and field in [e["field"] for e in problem["errors"]], problem
    assert problem["message"] and problem["message_en"]
    assert world.written() == before


@pytest.mark.parametrize(("line", "field"), [({"uid": {}}, "uid"), ({"uid": {"a": 1}}, "uid"),
                                             ({"created_at": 5}, "created_at"), ({"subject": {"name": ["x"]}}, "subject.name"),
                                             ({"items": {"k": "\udfff"}}, "items.k"), ({"uid": "u" * 41}, "uid")])
def test_exchange_lines_are_refused_one_by_one_naming_the_field(world: World, line: dict[str, Any], field: str) -> None:
    good = {"format": "flowpop.message/1", "uid": "ext-good", "kind": "assist_request", "sender_code": "510104000000",
            "addressee_code": tree.TOWNSHIP_A, "subject": {"name": "外来人员"}, "items": {"verify": ["现居住地址"]}}
    batch = json.dumps({**good, "uid": "ext-bad", **line}) + "\n" + json.dumps(good) + "\n"
    result = world.client.exchange.import_batch(batch)
    assert (result.inserted, result.skipped) == (1, 0)
    assert [(r["line"], r["field"]) for r in result.rejected] == [(1, field)]
    assert [m.uid for m in world.client.inbox.list(status="all") if m.uid.startswith("ext-")] == ["ext-good"]


# ------------------------------------------------------------------------------ 8: bulk move = single edit


def test_a_bulk_move_to_a_house_outside_the_area_is_refused_at_plan(client: flowpop.Client, as_user: Any,
                                                                     make_person: Callable[..., Any]) -> None:
    person = make_person()  # lives in 三元区 (village A1)
    shaxian_house = _house(client, tree.VILLAGE_C1, address="沙县某路1号")
    sanyuan = as_user("county_admin", tree.COUNTY_SANYUAN)
    stay = sanyuan.persons.get(person.id).stays[0]
    # the single edit refuses it …
    with pytest.raises(flowpop.ValidationError) as single:
        sanyuan.stays.update(stay.id, version=stay.version, house_code=shaxian_house.code)
    assert [(e.field, e.code) for e in single.value.errors] == [("house_code", "outside_jurisdiction")]
    # … and so does the bulk one, when it is planned, naming the record and the field
    with pytest.raises(flowpop.ValidationError) as bulk:
        sanyuan.changesets.plan(operation="move", selection={"ids": [person.id]},
                                values={"house_code": shaxian_house.code}, reason="调整房屋")
    assert [(e.field, e.code) for e in bulk.value.errors] == [("values.house_code", "outside_jurisdiction")]
    assert [r["person_id"] for r in bulk.value.body["records"]] == [person.id]
    with pytest.raises(flowpop.ValidationError) as typed:
        sanyuan.changesets.plan(operation="move", selection={"ids": [person.id]}, values={"house_code": {"a": 1}},
                                reason="调整房屋")
    assert [e.field for e in typed.value.errors] == ["values.house_code"]
    assert sanyuan.changesets.list() == []
    shaxian = as_user("township_operator", TOWNSHIP_C)
    assert [room.living for room in shaxian.houses.get(shaxian_house.code).rooms] == []
    assert client.stays.get(stay.id).house_code is None


def test_a_bulk_move_checks_each_record_as_the_single_edit_does(client: flowpop.Client,
                                                                make_person: Callable[..., Any]) -> None:
    here, there = make_person(), make_person()
    other = client.persons.get(there.id).stays[0]
    client.stays.update(other.id, version=other.version, residence_code=tree.VILLAGE_A2)
    house = _house(client, tree.VILLAGE_A1, capacity=None)
    # nationwide: no area to leave, but the house must be where the person lives — as for a PATCH
    with pytest.raises(flowpop.ValidationError) as refused:
        client.changesets.plan(operation="move", selection={"ids": [here.id, there.id]},
                               values={"house_code": house.code, "room": "301"}, reason="调整房屋")
    assert [(e.field, e.code) for e in refused.value.errors] == [("values.house_code", "house_outside_residence")]
    assert [r["person_id"] for r in refused.value.body["records"]] == [there.id]
    # what passes is written as the single edit writes it (the landlord's declaration falls due)
    done = client.changesets.plan(operation="move", selection={"ids": [here.id]},
                                  values={"house_code": house.code, "room": "301"}, reason="调整房屋")
    client.changesets.apply(done.id)
    moved = client.stays.get(client.persons.get(here.id).stays[0].id)
    assert (moved.house_code, moved.room) == (house.code, "301") and moved.declare_due_on is not None
    single = client.persons.create(**person_fields())
    stay = single.stays[0]
    edited = client.stays.update(stay.id, version=stay.version, house_code=house.code, room="302")
    assert edited.declare_due_on == moved.declare_due_on


def test_a_bulk_move_keeps_to_the_house_capacity_as_single_edits_do(client: flowpop.Client,
                                                                    make_person: Callable[..., Any]) -> None:
    house = _house(client, tree.VILLAGE_A1, capacity=2)
    ids = [make_person().id for _ in range(3)]
    move = {"operation": "move", "selection": {"ids": ids}, "values": {"house_code": house.code}, "reason": "入住"}
    with pytest.raises(flowpop.ConflictError) as full:  # each fits alone; three at once do not
        client.changesets.plan(**move)
    assert full.value.code == "house_over_capacity" and len(full.value.body["records"]) == 3
    assert client.changesets.list() == []
    planned = client.changesets.plan(**{**move, "values": {"house_code": house.code, "over_capacity_ok": True}})
    assert (planned.total, planned.failing) == (3, 0)


# ------------------------------------------------------------------------------ forged page cursors


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize("raw", ["[5, 1]", '["x", 1]', '[{"a": 1}, 1]', '["2026-13-01", 1]', '["2026-01-01T00:00:00", 1]',
                                 '[["2026-01-01"], 1]'])
@pytest.mark.parametrize("path", ["/v1/inbox", "/v1/persons"])
def test_a_forged_inbox_cursor_is_refused_as_a_person_cursor_is(client: flowpop.Client, server: str, raw: str,
                                                               path: str) -> None:
    token = _token(client, "op_cursor", "township_operator", tree.TOWNSHIP_A)
    with httpx.Client(base_url=server, headers=token) as http:
        answer = http.get(path, params={"cursor": _cursor(raw), "sort": "arrived_on"} if path == "/v1/persons"
                          else {"cursor": _cursor(raw)})
        assert (answer.status_code, answer.json()["code"]) == (400, "bad_cursor"), (path, answer.text)
        assert http.get("/v1/inbox").status_code == 200  # the connection, and the server, carry on


def test_a_bulk_set_never_moves_a_record_out_of_the_area(client: flowpop.Client, as_user: Any) -> None:
    """A bulk "set" of the household checks each record as PATCH /v1/persons/ID does: a household outside the
    caller's area is refused unless the record stays in the area by its residence."""
    away = client.persons.create(**person_fields(name="户籍三元", household_code=tree.VILLAGE_A1, stay=None))
    living = client.persons.create(**person_fields(name="居住三元"))  # household in 东湖区, lives in 三元区
    sanyuan = as_user("county_admin", tree.COUNTY_SANYUAN)
    shaxian = as_user("county_admin", tree.COUNTY_SHAXIAN)
    with pytest.raises(flowpop.ValidationError) as single:
        sanyuan.persons.update(away.id, version=away.version, household_code=tree.VILLAGE_C1)
    assert [(e.field, e.code) for e in single.value.errors] == [("household_code", "outside_jurisdiction")]
    move_out = {"operation": "set", "values": {"household_code": tree.VILLAGE_C1}, "reason": "户籍迁移"}
    with pytest.raises(flowpop.ValidationError) as bulk:
        sanyuan.changesets.plan(selection={"ids": [away.id, living.id]}, **move_out)
    assert [(e.field, e.code) for e in bulk.value.errors] == [("values.household_code", "outside_jurisdiction")]
    assert [r["person_id"] for r in bulk.value.body["records"]] == [away.id]
    assert sanyuan.changesets.list() == []
    assert sanyuan.persons.get(away.id).household_code == tree.VILLAGE_A1
    with pytest.raises(flowpop.NotFoundError):
        shaxian.persons.get(away.id)
    # a record living in the area may take a household elsewhere, as with a PATCH
    done = sanyuan.changesets.plan(selection={"ids": [living.id]}, **move_out)
    assert (done.total, done.failing) == (1, 0)
    sanyuan.changesets.apply(done.id)
    assert sanyuan.persons.get(living.id).household_code == tree.VILLAGE_C1
    # and a required field stays required
    with pytest.raises(flowpop.ValidationError) as empty:
        sanyuan.changesets.plan(selection={"ids": [living.id]}, **{**move_out, "values": {"household_code": None}})
    assert [(e.field, e.code) for e in empty.value.errors] == [("values.household_code", "required")]
