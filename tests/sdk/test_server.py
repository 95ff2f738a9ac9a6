"""`flowpop serve`'s app on a real socket: the same API as embedded, tokens required."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import flowpop
from flowpop.rules import idnumber
from tests import tree
from tests.conftest import person_fields


@pytest.fixture
def secret(client: flowpop.Client) -> str:
    """A township operator's token, made through the embedded admin on the same registry."""
    client.users.create(username="op_srv", role="township_operator", jurisdiction_code=tree.TOWNSHIP_A)
    return client.tokens.create(username="op_srv", name="server test").token


@pytest.fixture
def remote(server: str, secret: str) -> Iterator[flowpop.Client]:
    with flowpop.Client(url=server, token=secret, max_retries=0) as c:
        yield c


def test_openapi_lists_the_paths(server: str) -> None:
    r = httpx.get(server + "/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for path in ("/v1/persons", "/v1/persons/{person_id}", "/v1/persons/{person_id}/history", "/v1/stays",
                 "/v1/stays/{stay_id}", "/v1/divisions", "/v1/users", "/v1/tokens", "/v1/me", "/v1/access-log"):
        assert path in paths, path
    assert {"PersonCreate", "PersonDetail", "StayUpdate"} <= set(r.json()["components"]["schemas"])


def test_a_token_is_required(server: str) -> None:
    with flowpop.Client(url=server, max_retries=0) as anonymous:
        with pytest.raises(flowpop.AuthenticationError) as exc:
            anonymous.persons.list().first_page()
        assert exc.value.code == "unauthorized"
        r = anonymous.request("GET", "/v1/me")
        assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    with flowpop.Client(url=server, token="fp_wrong", max_retries=0) as wrong, pytest.raises(flowpop.AuthenticationError):
        wrong.me()


def _flow(c: flowpop.Client, number: str) -> dict[str, Any]:
    p = c.persons.create(**person_fields(id_number=number, name="张三"))
    found = [x.id for x in c.persons.list(q=number[-4:])] == [p.id] and p.id in {x.id for x in c.persons.list(q="zs")}
    u = c.persons.update(p.id, version=p.version, phone="13812345678")
    with pytest.raises(flowpop.VersionConflictError) as exc:
        c.persons.update(p.id, version=p.version, phone="13900000000")
    with pytest.raises(flowpop.ValidationError) as bad:
        c.persons.create(**person_fields(stay={"residence_code": tree.VILLAGE_D1, "reason": "work",
                                               "arrived_on": "2026-01-01"}))
    with pytest.raises(flowpop.NotFoundError):
        c.persons.get(10**9)
    return {
        "found": found,
        "versions": (p.version, u.version, exc.value.current_version),
        "direction": p.direction,
        "errors": [(e.field, e.code) for e in bad.value.errors],
        "history": [(h.entity, h.action) for h in c.persons.history(p.id)],
        "username": c.persons.history(p.id)[0].username,
    }


def test_same_behaviour_as_embedded(remote: flowpop.Client, db_url: str, secret: str) -> None:
    over_socket = _flow(remote, idnumber.make("360102", dt.date(1991, 1, 1), 2))
    with flowpop.Client(db=db_url, token=secret, max_retries=0) as embedded:
        in_process = _flow(embedded, idnumber.make("360102", dt.date(1991, 1, 1), 4))
    assert over_socket["found"] and over_socket["versions"] == (1, 2, 2)
    assert over_socket["direction"] == "inflow" and over_socket["username"] == "op_srv"
    assert over_socket == in_process


def test_idempotent_create_over_the_socket(remote: flowpop.Client) -> None:
    fields = person_fields()
    first = remote.request("POST", "/v1/persons", json=fields, headers={"Idempotency-Key": "srv-1"})
    again = remote.request("POST", "/v1/persons", json=fields, headers={"Idempotency-Key": "srv-1"})
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"


async def test_async_client_over_the_socket(server: str, secret: str, remote: flowpop.Client) -> None:
    made = remote.persons.create(**person_fields(name="李四"))
    async with flowpop.AsyncClient(url=server, token=secret, max_retries=0) as aio:
        assert (await aio.me()).username == "op_srv"
        assert await aio.persons.get(made.id) == remote.persons.get(made.id)
        assert [p.id async for p in aio.persons.list(q="ls")] == [made.id]
        u = await aio.persons.update(made.id, version=made.version, note="async")
        assert u.version == made.version + 1
        with pytest.raises(flowpop.VersionConflictError):
            await aio.persons.update(made.id, version=made.version, note="stale")
        with pytest.raises(flowpop.PermissionDeniedError):
            await aio.users.list()


def test_malformed_json_over_the_socket(remote: flowpop.Client) -> None:
    r = remote.request("POST", "/v1/persons", content=b"{bad", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "malformed_json"
