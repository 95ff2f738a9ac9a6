"""The SDK itself: sync and async clients agree, pages are fetched lazily, safe retries,
Idempotency-Key, timeouts, and where the settings come from."""

from __future__ import annotations

import datetime as dt
import inspect
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

import flowpop
from flowpop._embedded import EmbeddedTransport, async_transport, open_app
from flowpop.rules import idnumber
from tests import tree
from tests.conftest import person_fields

# ------------------------------------------------------------------------------------------ network doubles


class Network(httpx.BaseTransport):
    """A real transport into the embedded registry, with a network that can misbehave.

    ``fail``: how many requests are lost before reaching the registry; ``drop``: how many answers are lost
    after the registry handled the request; ``error``: the exception raised.
    """

    def __init__(self, db: str, *, fail: int = 0, drop: int = 0, error: type[Exception] = httpx.ConnectError) -> None:
        self.inner = EmbeddedTransport(open_app(db))
        self.fail, self.drop, self.error = fail, drop, error
        self.requests: list[tuple[str, str]] = []  # what the client sent, including lost ones
        self.handled: list[tuple[str, str]] = []  # what the registry saw

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        if self.fail > 0:
            self.fail -= 1
            raise self.error("connection lost", request=request)
        response = self.inner.handle_request(request)
        self.handled.append((request.method, request.url.path))
        if self.drop > 0:
            self.drop -= 1
            raise self.error("connection lost before the answer", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def network(db_url: str) -> Callable[..., tuple[flowpop.Client, Network]]:
    opened: list[flowpop.Client] = []

    def make(*, max_retries: int = 2, **kwargs: Any) -> tuple[flowpop.Client, Network]:
        net = Network(db_url, **kwargs)
        c = flowpop.Client(db=db_url, transport=net, max_retries=max_retries)
        opened.append(c)
        return c, net

    yield make  # type: ignore[misc]
    for c in opened:
        c.close()


# ------------------------------------------------------------------------------------------ sync and async


@pytest.fixture(params=["sync", "async"])
async def sdk(request: pytest.FixtureRequest, db_url: str) -> AsyncIterator[Any]:
    if request.param == "sync":
        with flowpop.Client(db=db_url, max_retries=0) as c:
            yield c
    else:
        async with flowpop.AsyncClient(db=db_url, max_retries=0) as c:
            yield c


async def call(result: Any) -> Any:
    return await result if inspect.isawaitable(result) else result


async def collect(pager: Any) -> list[Any]:
    if hasattr(pager, "__aiter__"):
        return [x async for x in pager]
    return list(pager)


async def lifecycle(sdk: Any, name: str) -> dict[str, Any]:
    """Register, find, edit, conflict, deregister: a summary free of ids and times."""
    number = idnumber.make("360102", dt.date(1990, 1, 2), 2 if name == "甲" else 4)
    p = await call(sdk.persons.create(**person_fields(id_number=number, name=name)))
    found = await collect(sdk.persons.list(q=number[-6:]))
    u = await call(sdk.persons.update(p.id, version=p.version, phone="13812345678", change_reason="补录"))
    try:
        await call(sdk.persons.update(p.id, version=p.version, phone="13900000000"))
        conflict = None
    except flowpop.VersionConflictError as exc:
        conflict = (exc.status_code, exc.code, exc.current_version)
    try:
        await call(sdk.persons.create(**person_fields(id_number=number[:17] + "0", phone="12")))
        invalid = None
    except flowpop.ValidationError as exc:
        invalid = sorted((e.field, e.code, e.message, e.message_en) for e in exc.errors)
    d = await call(sdk.persons.deregister(p.id, version=u.version, reason="返乡"))
    history = await call(sdk.persons.history(p.id))
    stays = await call(sdk.stays.list(p.id))
    skip = {"id", "person_id", "current_stay_id", "created_at", "updated_at", "name", "name_pinyin", "id_number",
            "inflow_registered_at", "outflow_registered_at"}  # moments, as created_at
    return {
        "created": p.model_dump(exclude=skip | {"stays"}),
        "found": [x.id == p.id for x in found],
        "updated": (u.version, u.phone),
        "conflict": conflict,
        "invalid": invalid,
        "deregistered": d.model_dump(exclude=skip | {"stays"}),
        "history": [(h.entity, h.action, h.reason, h.username) for h in history],
        "stays": [s.model_dump(exclude=skip | {"returned_on"}) for s in stays],
    }


async def test_sync_and_async_give_the_same_results(db_url: str) -> None:
    with flowpop.Client(db=db_url, max_retries=0) as sync:
        a = await lifecycle(sync, "甲")
    async with flowpop.AsyncClient(db=db_url, max_retries=0) as aio:
        b = await lifecycle(aio, "乙")
    assert a["conflict"] == (409, "version_conflict", 2)
    assert a["invalid"] and {f for f, *_ in a["invalid"]} == {"id_number", "phone"}
    assert a == b


async def test_same_reads_both_ways(client: flowpop.Client, db_url: str, make_person: Any) -> None:
    made = [make_person(name=n) for n in ("张三", "张三丰", "李四")]
    async with flowpop.AsyncClient(db=db_url, max_retries=0) as aio:
        assert await aio.persons.get(made[0].id, reveal=True) == client.persons.get(made[0].id, reveal=True)
        assert await collect(aio.persons.list(q="zs", limit=1)) == list(client.persons.list(q="zs", limit=1))
        assert (await aio.persons.list(limit=2).first_page()) == client.persons.list(limit=2).first_page()
        assert await aio.persons.list(limit=2) == client.persons.list(limit=2).first_page()  # awaiting a pager
        assert await aio.divisions.list(parent=tree.TOWNSHIP_A) == client.divisions.list(parent=tree.TOWNSHIP_A)
        assert await aio.divisions.get(tree.VILLAGE_A1) == client.divisions.get(tree.VILLAGE_A1)
        assert await aio.me() == client.me()
        assert await aio.stays.get(made[1].current_stay_id) == client.stays.get(made[1].current_stay_id)


async def test_errors_are_the_same_types(sdk: Any) -> None:
    with pytest.raises(flowpop.NotFoundError) as exc:
        await call(sdk.persons.get(424242))
    assert exc.value.code == "person_not_found" and "424242" in exc.value.message
    with pytest.raises(flowpop.ValidationError) as exc2:
        await call(sdk.persons.create(**person_fields(household_code="350499000000")))
    assert [(e.field, e.code) for e in exc2.value.errors] == [("household_code", "unknown_division")]
    with pytest.raises(flowpop.BadRequestError):
        await call(sdk.persons.list().page("garbage"))


async def test_stays_both_ways(sdk: Any) -> None:
    p = await call(sdk.persons.create(**person_fields(stay=None)))
    s = await call(sdk.stays.create(person_id=p.id, residence_code=tree.VILLAGE_A1, reason="study",
                                    arrived_on="2026-09-01"))
    u = await call(sdk.stays.update(s.id, version=s.version, room="305"))
    c = await call(sdk.stays.close(u.id, version=u.version, reason="毕业", date="2026-10-01"))
    assert (s.status, u.room, u.version, c.status, str(c.returned_on)) == ("open", "305", 2, "closed", "2026-10-01")
    assert [x.id for x in await call(sdk.stays.list(p.id))] == [s.id]


# ------------------------------------------------------------------------------------------ pages


def test_pager_fetches_pages_only_as_iterated(db_url: str, network: Any) -> None:
    with flowpop.Client(db=db_url) as admin:
        made = [admin.persons.create(**person_fields()).id for _ in range(5)]
    c, net = network()
    pager = c.persons.list(limit=2)
    assert net.requests == []
    it = iter(pager)
    assert next(it).id == made[-1] and len(net.requests) == 1
    assert next(it).id == made[-2] and len(net.requests) == 1
    assert next(it).id == made[-3] and len(net.requests) == 2
    assert [p.id for p in it] == made[-4::-1] and len(net.requests) == 3
    assert pager.first_page() is pager.first_page() and len(net.requests) == 3  # the first page is kept
    assert all(path == "/v1/persons" for _, path in net.requests)


async def test_async_pager_fetches_lazily(db_url: str) -> None:
    with flowpop.Client(db=db_url) as admin:
        for _ in range(3):
            admin.persons.create(**person_fields())
    seen: list[str | None] = []
    inner = async_transport(open_app(db_url))

    class Noting(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request.url.params.get("cursor"))
            return await inner.handle_async_request(request)

    async with flowpop.AsyncClient(db=db_url, transport=Noting()) as aio:
        pager = aio.persons.list(limit=2)
        assert seen == []
        got = []
        async for p in pager:
            got.append(p.id)
            if len(got) == 2:
                assert len(seen) == 1
        assert len(got) == 3 and len(seen) == 2 and seen[0] is None and seen[1]


# ------------------------------------------------------------------------------------------ retries


def test_safe_get_is_retried_on_a_dropped_connection(network: Any, make_person: Any) -> None:
    p = make_person()
    c, net = network(fail=1)
    assert c.persons.get(p.id).id == p.id
    assert net.requests == [("GET", f"/v1/persons/{p.id}")] * 2 and len(net.handled) == 1


def test_retries_give_up(network: Any) -> None:
    c, net = network(fail=5, max_retries=2)
    with pytest.raises(flowpop.APIConnectionError):
        c.me()
    assert len(net.requests) == 3 and net.handled == []
    c0, net0 = network(fail=1, max_retries=0)
    with pytest.raises(flowpop.APIConnectionError):
        c0.me()
    assert len(net0.requests) == 1


def test_create_is_retried_safely_when_the_answer_is_lost(client: flowpop.Client, network: Any) -> None:
    c, net = network(drop=1)
    fields = person_fields()
    p = c.persons.create(**fields)
    assert net.handled == [("POST", "/v1/persons")] * 2  # the registry saw it twice...
    number = fields["id_number"]
    assert [x.id for x in client.persons.list(q=number)] == [p.id]  # ...and registered once
    assert client.persons.list(with_total=True).first_page().total == 1


def test_create_is_retried_when_the_request_is_lost(client: flowpop.Client, network: Any) -> None:
    c, net = network(fail=1)
    p = c.persons.create(**person_fields(), idempotency_key="my-key-1")
    assert len(net.requests) == 2 and len(net.handled) == 1
    assert client.persons.list(with_total=True).first_page().total == 1 and p.version == 1


def test_post_without_a_key_is_not_retried(client: flowpop.Client, network: Any, make_person: Any) -> None:
    p = make_person()
    c, net = network(drop=1)
    with pytest.raises(flowpop.APIConnectionError):
        c.persons.deregister(p.id, version=p.version, reason="返乡")
    assert len(net.requests) == 1
    assert client.persons.get(p.id).status == "deregistered"  # it did happen: the answer was lost
    c2, net2 = network(fail=1)
    with pytest.raises(flowpop.APIConnectionError):
        c2.persons.update(p.id, version=p.version, note="x")  # PATCH: not retried either
    assert len(net2.requests) == 1 and net2.handled == []


def test_timeouts(network: Any) -> None:
    c, net = network(fail=1, error=httpx.ReadTimeout, max_retries=0)
    with pytest.raises(flowpop.APITimeoutError):
        c.me()
    c2, net2 = network(fail=1, error=httpx.ConnectTimeout, max_retries=1)
    assert c2.me().role == "admin" and len(net2.requests) == 2


def test_timeout_against_a_real_socket() -> None:
    import socket

    with socket.socket() as srv:  # accepts connections, never answers
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        url = f"http://127.0.0.1:{srv.getsockname()[1]}"
        with flowpop.Client(url=url, token="x", timeout=0.2, max_retries=0) as c, pytest.raises(flowpop.APITimeoutError):
            c.me()


def test_unreachable_server() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with flowpop.Client(url=f"http://127.0.0.1:{port}", token="x", max_retries=0) as c:
        with pytest.raises(flowpop.APIConnectionError) as exc:
            c.me()
        assert not isinstance(exc.value, flowpop.APITimeoutError)


# ------------------------------------------------------------------------------------------ idempotency


def test_idempotency_key_replays_the_first_answer(client: flowpop.Client) -> None:
    fields = person_fields()
    first = client.request("POST", "/v1/persons", json=fields, headers={"Idempotency-Key": "abc-1"})
    again = client.request("POST", "/v1/persons", json=fields, headers={"Idempotency-Key": "abc-1"})
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert client.persons.list(with_total=True).first_page().total == 1
    p = client.persons.create(**fields, idempotency_key="abc-1")
    assert p.id == first.json()["id"]


def test_reusing_a_key_with_another_body(client: flowpop.Client) -> None:
    client.persons.create(**person_fields(), idempotency_key="abc-2")
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.create(**person_fields(), idempotency_key="abc-2")
    assert exc.value.status_code == 422 and exc.value.code == "idempotency_key_reused"
    assert client.persons.list(with_total=True).first_page().total == 1


def test_failed_create_keeps_no_key(client: flowpop.Client) -> None:
    fields = person_fields(phone="12")
    with pytest.raises(flowpop.ValidationError):
        client.persons.create(**fields, idempotency_key="abc-3")
    fields["phone"] = "13812345678"
    assert client.persons.create(**fields, idempotency_key="abc-3").phone == "13812345678"


def test_keys_belong_to_their_user(client: flowpop.Client, as_user: Any) -> None:
    a = as_user("township_operator", tree.TOWNSHIP_A)
    b = as_user("township_operator", tree.TOWNSHIP_A)
    pa = a.persons.create(**person_fields(), idempotency_key="shared")
    pb = b.persons.create(**person_fields(), idempotency_key="shared")
    assert pa.id != pb.id


def test_stay_create_is_idempotent(client: flowpop.Client) -> None:
    p = client.persons.create(**person_fields(stay=None))
    fields = {"person_id": p.id, "residence_code": tree.VILLAGE_A1, "reason": "work", "arrived_on": "2026-02-01"}
    s1 = client.stays.create(**fields, idempotency_key="stay-1")
    s2 = client.stays.create(**fields, idempotency_key="stay-1")
    assert s1 == s2 and len(client.stays.list(p.id)) == 1


# ------------------------------------------------------------------------------------------ settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in ("FLOWPOP_URL", "FLOWPOP_TOKEN", "FLOWPOP_DB", "FLOWPOP_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    # no config file: the default place is empty (a missing file named by FLOWPOP_CONFIG is an error)
    monkeypatch.delenv("FLOWPOP_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    return monkeypatch


def test_profile_file(clean_env: pytest.MonkeyPatch, tmp_path: Path, db_url: str, make_person: Any) -> None:
    p = make_person()
    config = tmp_path / "config.toml"
    config.write_text(
        f'default_profile = "county"\n[profiles.county]\ndb = {json.dumps(db_url)}\ntimeout = 7\nmax_retries = 4\n'
        '[profiles.remote]\nurl = "http://registry.example:8000/"\ntoken = "fp_abc"\n',
        encoding="utf-8",
    )
    clean_env.setenv("FLOWPOP_CONFIG", str(config))
    with flowpop.Client(profile="county") as c:
        assert c.settings.embedded and c.settings.timeout == 7 and c.settings.max_retries == 4
        assert c.persons.get(p.id).id == p.id
    with flowpop.Client() as c:  # the default profile
        assert c.persons.get(p.id).id == p.id
    remote = flowpop.config.resolve(profile="remote")
    assert (remote.url, remote.token, remote.embedded) == ("http://registry.example:8000", "fp_abc", False)
    clean_env.setenv("FLOWPOP_PROFILE", "remote")
    assert flowpop.config.resolve().url == "http://registry.example:8000"
    with pytest.raises(KeyError):
        flowpop.config.resolve(profile="nope")


def test_environment_url_and_token(clean_env: pytest.MonkeyPatch, server: str, client: flowpop.Client) -> None:
    client.users.create(username="env_user", role="county_admin", jurisdiction_code=tree.COUNTY_SANYUAN)
    secret = client.tokens.create(username="env_user", name="env").token
    clean_env.setenv("FLOWPOP_URL", server + "/")
    clean_env.setenv("FLOWPOP_TOKEN", secret)
    with flowpop.Client() as c:
        assert not c.settings.embedded and c.settings.url == server
        assert c.me().username == "env_user"


def test_environment_db_is_the_embedded_default(clean_env: pytest.MonkeyPatch, db_url: str, make_person: Any) -> None:
    p = make_person()
    clean_env.setenv("FLOWPOP_DB", db_url)
    with flowpop.Client() as c:
        assert c.settings.embedded and c.settings.db == db_url
        assert c.me().embedded and c.persons.get(p.id).id == p.id


def test_explicit_arguments_win(clean_env: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> None:
    clean_env.setenv("FLOWPOP_URL", "http://elsewhere:1")
    clean_env.setenv("FLOWPOP_DB", str(tmp_path / "other.db"))
    s = flowpop.config.resolve(db=db_url, timeout=3)
    assert s.embedded and s.db == db_url and s.timeout == 3
    s = flowpop.config.resolve(url="http://here:2", token="t")
    assert (s.url, s.token) == ("http://here:2", "t")


def test_embedded_registry_is_created_on_first_use(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "registry.db"
    clean_env.setenv("FLOWPOP_DB", str(path))
    with flowpop.Client() as c:
        assert c.me().role == "admin"
        assert c.persons.list(with_total=True).first_page().total == 0
    assert path.exists()


# ------------------------------------------------------------------------------------------ crashes


def _crashing_app(db: str) -> Any:
    app = open_app(db)

    def boom() -> None:
        raise RuntimeError("a bug in the registry")

    app.add_api_route("/v1/boom", boom)  # stands in for any bug: the point is how a crash leaves the app
    return app


def test_a_crash_is_an_internal_error_in_process(db_url: str) -> None:
    with flowpop.Client(db=db_url, transport=EmbeddedTransport(_crashing_app(db_url)), max_retries=0) as c:
        r = c.request("GET", "/v1/boom")
        assert r.status_code == 500 and r.json()["code"] == "internal_error"
        assert "a bug" not in r.text  # nothing internal leaks


async def test_a_crash_is_an_internal_error_in_process_async(db_url: str) -> None:
    async with flowpop.AsyncClient(db=db_url, transport=async_transport(_crashing_app(db_url))) as c:
        r = await c.request("GET", "/v1/boom")
        assert r.status_code == 500 and r.json()["code"] == "internal_error"
