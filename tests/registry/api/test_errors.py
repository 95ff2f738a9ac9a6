"""Errors: every refusal is application/problem+json with a stable code, Chinese and English text,
per-field errors; a refused request writes nothing; odd text never crashes the registry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import func, select

import flowpop
from flowpop.registry.store import tables as t
from flowpop.registry.store.db import make_engine
from tests import tree
from tests.conftest import person_fields
from tests.registry.api.problems import CJK, assert_problem, fields_of


@pytest.fixture
def counts(db_url: str) -> Iterator[Any]:
    """counts() → (persons, stays, history rows, idempotency keys), read straight from the store."""
    engine = make_engine(db_url)

    def read() -> tuple[int, ...]:
        with engine.connect() as conn:
            return tuple(conn.execute(select(func.count()).select_from(tbl)).scalar_one()
                         for tbl in (t.Person, t.Stay, t.HistoryEntry, t.IdempotencyKey))

    yield read
    engine.dispose()


def post(client: flowpop.Client, path: str, body: Any) -> httpx.Response:
    return client.request("POST", path, json=body)


# ------------------------------------------------------------------------------------------ the shape


def test_every_kind_of_error_is_a_problem(client: flowpop.Client, as_user: Any, make_person: Any) -> None:
    p = make_person()
    assert_problem(client.request("POST", "/v1/persons", content=b"{bad",
                                  headers={"content-type": "application/json"}), 400, "malformed_json")
    assert_problem(client.request("GET", "/v1/me", headers={"Authorization": "Bearer nope"}), 401, "unauthorized")
    viewer = as_user("city_viewer", "350400000000")
    assert_problem(viewer.request("POST", "/v1/persons", json=person_fields()), 403, "forbidden")
    assert_problem(client.request("GET", "/v1/persons/999999"), 404, "person_not_found")
    assert_problem(client.request("GET", "/v1/nowhere"), 404, "not_found")
    assert_problem(client.request("PUT", "/v1/persons"), 405, "method_not_allowed")
    stale = assert_problem(client.request("PATCH", f"/v1/persons/{p.id}", json={"version": 99, "note": "x"}),
                           409, "version_conflict")
    assert stale["current_version"] == p.version
    body = assert_problem(post(client, "/v1/persons", {"name": "x"}), 422, "validation_failed")
    assert {"id_number", "household_code"} <= {f for f, _ in fields_of(body)}
    assert_problem(client.request("GET", "/v1/persons", params={"cursor": "!!"}), 400, "bad_cursor")


def test_sdk_errors_carry_the_problem(client: flowpop.Client) -> None:
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.create(**person_fields(phone="123", household_code="350499000000"))
    err = exc.value
    assert {(e.field, e.code) for e in err.errors} == {("phone", "phone_format"), ("household_code", "unknown_division")}
    zh, en = err.localized("zh"), err.localized("en")
    assert CJK.search(zh) and "phone" in zh and "household_code" in en and not CJK.search(en.split("\n")[0])
    assert err.response.status_code == 422 and err.body["code"] == "validation_failed"


@pytest.mark.parametrize("raw", [b"{bad", b"", b"{\"name\": }", b"\xff\xfe", b"[1, 2"])
def test_malformed_json(client: flowpop.Client, counts: Any, raw: bytes) -> None:
    before = counts()
    r = client.request("POST", "/v1/persons", content=raw, headers={"content-type": "application/json"})
    if raw == b"":
        assert_problem(r, 422, "validation_failed")
    else:
        assert_problem(r, 400, "malformed_json")
    assert counts() == before


# ------------------------------------------------------------------------------------------ fields


BAD_FIELDS: list[tuple[dict[str, Any], str, str | None]] = [
    ({"name": "张" * 65}, "name", "string_too_long"),
    ({"name": ""}, "name", "string_too_short"),
    ({"household_address": "路" * 201}, "household_address", "string_too_long"),
    ({"note": "x" * 1001}, "note", "string_too_long"),
    ({"phone": "1" * 21}, "phone", "string_too_long"),
    ({"id_number": "1" * 41}, "id_number", "string_too_long"),
    ({"stay": {**person_fields()["stay"], "residence_address": "号" * 201}}, "stay.residence_address", "string_too_long"),
    ({"stay": {**person_fields()["stay"], "employer": "e" * 101}}, "stay.employer", "string_too_long"),
    ({"nickname": "小王"}, "nickname", "extra_forbidden"),
    ({"stay": {**person_fields()["stay"], "floor": 3}}, "stay.floor", "extra_forbidden"),
    ({"sex": "X"}, "sex", "literal_error"),
    ({"marital_status": "married"}, "marital_status", "literal_error"),
    ({"birth_date": "yesterday"}, "birth_date", None),  # None: any code, as long as the field is named
    ({"name": 42}, "name", "string_type"),
    ({"id_number": ["1"]}, "id_number", "string_type"),
    ({"stay": "village A1"}, "stay", "model_attributes_type"),
    ({"stay": {**person_fields()["stay"], "arrived_on": "2026-02-30"}}, "stay.arrived_on", None),
    ({"stay": {**person_fields()["stay"], "arrived_on": 1767225600}}, "stay.arrived_on", None),
    ({"stay": {**person_fields()["stay"], "reason": "tourism"}}, "stay.reason", "literal_error"),
    ({"household_code": "3504"}, "household_code", "string_pattern_mismatch"),
]


@pytest.mark.parametrize(("overrides", "field", "code"), BAD_FIELDS,
                         ids=[f"{field}-{code or 'any'}" for _, field, code in BAD_FIELDS])
def test_bad_fields_are_named(client: flowpop.Client, counts: Any, overrides: dict[str, Any], field: str,
                              code: str | None) -> None:
    before = counts()
    body = {**person_fields(), **overrides}
    problem = assert_problem(post(client, "/v1/persons", body), 422, "validation_failed")
    named = fields_of(problem) if code else {(f, None) for f, _ in fields_of(problem)}
    assert (field, code) in named, (field, problem["errors"])
    assert counts() == before


def test_full_width_division_code_is_refused(client: flowpop.Client) -> None:
    problem = assert_problem(post(client, "/v1/persons", person_fields(household_code="３５０４０４")), 422, "validation_failed")
    assert {f for f, _ in fields_of(problem)} == {"household_code"}


CURRENT = "<the person's current version>"  # replaced by it when the case runs
BAD_UPDATES: list[tuple[dict[str, Any], tuple[str, str | None]]] = [
    ({"version": "abc"}, ("version", None)),
    ({"version": 1.5}, ("version", None)),
    ({"note": "x"}, ("version", "missing")),
    ({"version": CURRENT, "sex": "M"}, ("sex", "extra_forbidden")),  # derived, never edited
    ({"version": CURRENT, "status": "archived"}, ("status", "extra_forbidden")),
    ({"version": CURRENT, "change_reason": "r" * 201}, ("change_reason", "string_too_long")),
]


@pytest.mark.parametrize(("case", "expected"), BAD_UPDATES,
                         ids=["version-abc", "version-float", "version-missing", "sex", "status", "change_reason"])
def test_bad_fields_on_update(client: flowpop.Client, make_person: Any, counts: Any, case: dict[str, Any],
                              expected: tuple[str, str | None]) -> None:
    p = make_person()
    before = counts()
    payload = {k: p.version if v == CURRENT else v for k, v in case.items()}
    problem = assert_problem(client.request("PATCH", f"/v1/persons/{p.id}", json=payload), 422, "validation_failed")
    named = fields_of(problem) if expected[1] else {(f, None) for f, _ in fields_of(problem)}
    assert expected in named, (payload, problem["errors"])
    assert counts() == before
    assert client.persons.get(p.id).version == p.version


def test_an_update_body_must_be_an_object(client: flowpop.Client, make_person: Any, counts: Any) -> None:
    p = make_person()
    before = counts()
    problem = assert_problem(client.request("PATCH", f"/v1/persons/{p.id}", json=[1]), 422, "validation_failed")
    assert problem["errors"][0]["field"] == "body"
    assert counts() == before
    assert client.persons.get(p.id).version == p.version


BAD_QUERIES: list[tuple[dict[str, str], tuple[str, str | None]]] = [
    ({"limit": "many"}, ("limit", None)),
    ({"arrived_from": "last spring"}, ("arrived_from", None)),
    ({"key_target": "perhaps"}, ("key_target", None)),
    ({"direction": "up"}, ("direction", "literal_error")),
    ({"division": "35"}, ("division", "string_pattern_mismatch")),
    ({"q": "张" * 65}, ("q", "string_too_long")),
]


@pytest.mark.parametrize(("params", "expected"), BAD_QUERIES, ids=[e[0] for _, e in BAD_QUERIES])
def test_bad_query_parameters(client: flowpop.Client, params: dict[str, str], expected: tuple[str, str | None]) -> None:
    problem = assert_problem(client.request("GET", "/v1/persons", params=params), 422, "validation_failed")
    named = fields_of(problem) if expected[1] else {(f, None) for f, _ in fields_of(problem)}
    assert named == {expected}, (params, problem["errors"])


def test_bad_path_parameter(client: flowpop.Client) -> None:
    assert_problem(client.request("GET", "/v1/persons/abc"), 422, "validation_failed")


HUGE = 10**20
BEYOND_THE_STORE: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("GET", f"/v1/persons/{HUGE}", None, "person_id"),
    ("GET", f"/v1/persons/{HUGE}/history", None, "person_id"),
    ("GET", f"/v1/stays/{HUGE}", None, "stay_id"),
    ("GET", f"/v1/stays?person_id={HUGE}", None, "person_id"),
    ("DELETE", f"/v1/tokens/{HUGE}", None, "token_id"),
    ("POST", "/v1/stays", {"person_id": HUGE, "residence_code": tree.VILLAGE_A1, "reason": "work",
                           "arrived_on": "2026-01-01"}, "body"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), BEYOND_THE_STORE,
                         ids=[f"{m} {p.replace(str(HUGE), 'huge')}" for m, p, _, _ in BEYOND_THE_STORE])
def test_numbers_beyond_the_store(client: flowpop.Client, make_person: Any, counts: Any, method: str, path: str,
                                  body: dict[str, Any] | None, field: str) -> None:
    make_person()
    before = counts()
    problem = assert_problem(client.request(method, path, json=body), 422, "validation_failed")
    assert fields_of(problem) == {(field, "out_of_range")}, path
    assert counts() == before


def test_version_beyond_the_store_is_a_conflict(client: flowpop.Client, make_person: Any, counts: Any) -> None:
    p = make_person()
    before = counts()
    assert_problem(client.request("PATCH", f"/v1/persons/{p.id}", json={"version": HUGE, "note": "x"}), 409,
                   "version_conflict")
    assert counts() == before


def test_rejected_requests_write_nothing(client: flowpop.Client, make_person: Any, counts: Any) -> None:
    p = make_person()
    other = make_person()
    number = client.persons.get(other.id, reveal=True).id_number
    before = counts()
    history = client.persons.history(p.id)
    refused: list[tuple[str, str, Any]] = [
        ("POST", "/v1/persons", person_fields(id_number=number)),  # duplicate: found after validation
        ("POST", "/v1/persons", person_fields(stay={**person_fields()["stay"], "arrived_on": "2099-01-01"})),
        ("POST", "/v1/stays", {"person_id": p.id, "residence_code": tree.VILLAGE_A2, "reason": "work",
                               "arrived_on": "2026-04-01"}),  # already has an open stay
        ("PATCH", f"/v1/persons/{p.id}", {"version": p.version, "id_number": number}),
        ("PATCH", f"/v1/persons/{p.id}", {"version": p.version, "phone": "12"}),
        ("PATCH", f"/v1/persons/{p.id}", {"version": p.version + 5, "note": "stale"}),
        ("POST", f"/v1/persons/{p.id}/deregister", {"version": p.version, "reason": "x", "date": "2020-01-01"}),
        ("POST", f"/v1/persons/{p.id}/restore", {"version": p.version, "reason": "already active"}),
        ("PATCH", f"/v1/stays/{p.current_stay_id}", {"version": 1, "grid_code": tree.GRID_A1,
                                                    "residence_code": tree.VILLAGE_A2}),
    ]
    for method, path, payload in refused:
        r = client.request(method, path, json=payload)
        assert 400 <= r.status_code < 500, (path, r.text)
    assert counts() == before
    assert client.persons.history(p.id) == history
    assert client.persons.get(p.id).version == p.version


# ------------------------------------------------------------------------------------------ odd text

ODD = [
    "王🙂小明",
    "\u202e王小明\u202c",  # right-to-left override
    "\u200f\u200e王\u200b",  # RTL/LTR marks, zero-width space
    "王\x00明",  # NUL
    "\x00",
    "王\ud800明",  # a lone surrogate (not encodable as UTF-8)
    "ﷺ" * 60,  # expands to 18 characters each under NFKC
    "庄" * 64,  # pinyin 6 letters a character
    "𠀀" * 64,  # outside the BMP
    "A" * 64,
    "e\u0301" * 32,  # combining marks
    " ",
    "'; DROP TABLE persons; --",
]


@pytest.mark.parametrize("text", ODD, ids=[ascii(text)[1:-1][:30] for text in ODD])
def test_odd_text_never_crashes(client: flowpop.Client, text: str) -> None:
    _try_odd_text(client, text)


def _try_odd_text(client: flowpop.Client, text: str) -> None:
    payloads = [
        person_fields(name=text),
        person_fields(note=text, household_address=text[:200]),
        person_fields(stay={**person_fields()["stay"], "residence_address": text[:200], "occupation": text[:50]}),
        person_fields(id_number=text[:40]),
    ]
    for payload in payloads:
        raw = json.dumps(payload, ensure_ascii=True)  # a lone surrogate survives only as an escape
        r = client.request("POST", "/v1/persons", content=raw.encode(), headers={"content-type": "application/json"})
        assert r.status_code < 500, (text, r.text)
        if r.status_code == 201:
            pid = r.json()["id"]
            assert client.request("GET", f"/v1/persons/{pid}").status_code == 200
            assert client.request("GET", f"/v1/persons/{pid}/history").status_code == 200
        else:
            assert r.headers["content-type"].startswith("application/problem+json")
    for name, value in (("q", text[:64]), ("name", text[:64]), ("id_number", text[:40]), ("cursor", text[:500])):
        # percent-encoded by hand: a lone surrogate becomes bytes that are not valid UTF-8
        r = client.request("GET", f"/v1/persons?{name}={quote(value.encode('utf-8', 'surrogatepass'))}")
        assert r.status_code < 500, (text, name, r.text)


def test_nul_characters_are_refused_by_name(client: flowpop.Client, counts: Any) -> None:
    before = counts()
    problem = assert_problem(post(client, "/v1/persons", person_fields(name="王\x00明")), 422, "validation_failed")
    assert fields_of(problem) == {("name", "nul_character")}
    stay = {**person_fields()["stay"], "room": "1\x00"}
    problem = assert_problem(post(client, "/v1/persons", person_fields(stay=stay)), 422, "validation_failed")
    assert fields_of(problem) == {("stay.room", "nul_character")}
    problem = assert_problem(client.request("GET", "/v1/persons?q=%00zs"), 422, "validation_failed")
    assert fields_of(problem) == {("q", "nul_character")}
    problem = assert_problem(client.request("POST", "/v1/users/a%00b/disable"), 422, "validation_failed")
    assert fields_of(problem) == {("path", "nul_character")}
    assert counts() == before


def test_names_that_grow_under_normalisation(client: flowpop.Client) -> None:
    problem = assert_problem(post(client, "/v1/persons", person_fields(name="ﷺ" * 4)), 422, "validation_failed")
    assert fields_of(problem) == {("name", "string_too_long")}
    p = client.persons.create(**person_fields(name="庄" * 64))
    assert p.name == "庄" * 64 and p.name_pinyin.startswith("zhuangzhuang")
    assert p.id in {x.id for x in client.persons.list(q="zhuangzhuangzhuang")}
    assert p.id in {x.id for x in client.persons.list(q="z" * 40)}


def test_odd_text_is_kept_as_given(client: flowpop.Client) -> None:
    note = "备注：🙂 \u202eRTL\u202c 𠀀 e\u0301"
    p = client.persons.create(**person_fields(note=note, name="欧阳\u3000娜娜"))
    got = client.persons.get(p.id)
    assert got.note == note
    assert got.name == "欧阳娜娜" and got.name_pinyin == "ouyangnana"
