"""Issue 12, item 4: with_options, the raw-response accessor, exports streamed to a file, Retry-After honoured,
and the request id: on every answer, carried by SDK errors, in the server's log lines, shown by the CLI."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

import flowpop
from flowpop import types
from flowpop.client import APIResponse
from tests import tree
from tests.cli.runner import invoke
from tests.conftest import person_fields
from tests.locks import write_lock_held

HEX_ID = re.compile(r"[0-9a-f]{32}")


# ------------------------------------------------------------------------------------------ with_options


def test_with_options_returns_a_configured_copy_sharing_the_connection(client: flowpop.Client) -> None:
    copy = client.with_options(timeout=7.5, max_retries=5)
    assert (copy.settings.timeout, copy.settings.max_retries) == (7.5, 5)
    assert (client.settings.timeout, client.settings.max_retries) == (30.0, 0)  # the original is unchanged
    assert copy._http is client._http
    assert copy.me().username == client.me().username
    copy.close()  # a copy leaves the shared connection to the original
    assert client.me().username


@pytest.fixture
def long_lock_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWPOP_LOCK_WAIT", "4")  # before the server's engines are made


def test_with_options_timeout_applies_to_each_request(long_lock_wait: None, client: flowpop.Client, db_url: str,
                                                      server: str) -> None:
    """A write that waits for another writer's lock (4 s) outlasts a copy's 0.5 s timeout, not the client's."""
    client.users.create(username="opt_op", role="township_operator", jurisdiction_code=tree.TOWNSHIP_A)
    secret = client.tokens.create(username="opt_op").token
    with flowpop.Client(url=server, token=secret, max_retries=0) as remote:
        assert remote.me().username == "opt_op"
        with write_lock_held(db_url):
            started = time.monotonic()
            with pytest.raises(flowpop.APITimeoutError):
                remote.with_options(timeout=0.5).persons.create(**person_fields())
            assert time.monotonic() - started < 3.5
        assert remote.settings.timeout == 30.0 and remote.me().username == "opt_op"
    with pytest.raises(ValueError, match="max_retries"):
        client.with_options(max_retries=-1)


# ------------------------------------------------------------------------------------------ raw responses


def test_with_raw_response_answers_the_http_response(client: flowpop.Client,
                                                     make_person: Callable[..., types.PersonDetail]) -> None:
    p = make_person()
    raw = client.with_raw_response.persons.get(p.id)
    assert isinstance(raw, APIResponse)
    assert raw.status_code == 200 and raw.headers["content-type"].startswith("application/json")
    assert raw.request_id and HEX_ID.fullmatch(raw.request_id)
    parsed = raw.parse()
    assert isinstance(parsed, types.PersonDetail) and parsed == client.persons.get(p.id)
    assert client.with_raw_response.me().parse().username == client.me().username
    with pytest.raises(flowpop.NotFoundError) as caught:  # errors still raise, with the request id
        client.with_raw_response.persons.get(10**9)
    assert caught.value.request_id and HEX_ID.fullmatch(caught.value.request_id)
    assert isinstance(client.persons.get(p.id), types.PersonDetail)  # the plain client is untouched


async def test_async_with_raw_response(db_url: str) -> None:
    async with flowpop.AsyncClient(db=db_url, max_retries=0) as aio:
        raw = await aio.with_raw_response.me()
        assert raw.status_code == 200 and raw.request_id
        assert raw.parse().username == (await aio.me()).username
        copy = aio.with_options(max_retries=3)
        assert copy.settings.max_retries == 3 and aio.settings.max_retries == 0


# ------------------------------------------------------------------------------------------ exports to a file


@pytest.fixture
def six(make_person: Callable[..., types.PersonDetail]) -> None:
    for _ in range(6):
        make_person()


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_export_to_a_file_equals_the_export_in_memory(client: flowpop.Client, six: None, tmp_path: Path,
                                                      fmt: types.ExportFormat) -> None:
    target = tmp_path / f"people.{fmt}"
    written = client.persons.export_to(target, format=fmt, division=tree.COUNTY_SANYUAN[:6])
    body = client.persons.export(fmt, division=tree.COUNTY_SANYUAN[:6])
    if fmt == "xlsx":  # a workbook carries its time of writing: compare the cells
        from openpyxl import load_workbook

        def cells(path: Path) -> list[tuple[object, ...]]:
            return [tuple(r) for r in load_workbook(path, read_only=True).active.iter_rows(values_only=True)]

        (tmp_path / "memory.xlsx").write_bytes(body)
        assert cells(target) == cells(tmp_path / "memory.xlsx")
    else:
        assert target.read_bytes() == body
    assert written == target.stat().st_size > 0
    assert not list(tmp_path.glob("*.part"))


def test_export_to_over_a_socket_arrives_in_chunks(server: str, client: flowpop.Client, six: None,
                                                   tmp_path: Path) -> None:
    """Over a real connection the file is written as the body arrives; a refused export leaves no file."""
    client.users.create(username="exp_admin", role="county_admin", jurisdiction_code=tree.COUNTY_SANYUAN)
    secret = client.tokens.create(username="exp_admin").token
    with flowpop.Client(url=server, token=secret, max_retries=0) as remote:
        target = tmp_path / "people.jsonl"
        remote.persons.export_to(target, format="jsonl")
        assert target.read_bytes() == remote.persons.export("jsonl")
        assert target.read_bytes().count(b"\n") >= 6
        refused = tmp_path / "refused.jsonl"
        with pytest.raises(flowpop.ValidationError) as caught:
            remote.persons.export_to(refused, format="jsonl", division="12")
        assert caught.value.request_id
        assert not refused.exists() and not list(tmp_path.glob("*.part"))


async def test_async_export_to(db_url: str, six: None, tmp_path: Path) -> None:
    async with flowpop.AsyncClient(db=db_url, max_retries=0) as aio:
        target = tmp_path / "people.csv"
        await aio.persons.export_to(target, format="csv")
        assert target.read_bytes() == await aio.persons.export("csv")


# ------------------------------------------------------------------------------------------ Retry-After


class Recording(httpx.HTTPTransport):
    """The real transport, noting when each answer came; the first 503 lets go of the store's lock, so the
    retry finds it free whenever it comes."""

    def __init__(self, release: Callable[[], None]) -> None:
        super().__init__()
        self.release = release
        self.seen: list[tuple[float, float, int]] = []  # sent, answered, status

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        sent = time.monotonic()
        response = super().handle_request(request)
        self.seen.append((sent, time.monotonic(), response.status_code))
        if response.status_code == 503:
            self.release()
        return response


@pytest.fixture
def lock_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    # the registry waits 1.2 s for the lock, then answers 503 with Retry-After: 2 (whole seconds, rounded up),
    # longer than the SDK's own first backoff (at most 1.25 s)
    monkeypatch.setenv("FLOWPOP_LOCK_WAIT", "1.2")


def test_retry_after_is_honoured(lock_wait: None, client: flowpop.Client, db_url: str, server: str,
                                 caplog: pytest.LogCaptureFixture) -> None:
    client.users.create(username="ra_op", role="township_operator", jurisdiction_code=tree.TOWNSHIP_A)
    secret = client.tokens.create(username="ra_op").token
    with write_lock_held(db_url) as release, caplog.at_level(logging.WARNING, logger="flowpop"):
        transport = Recording(release)
        with flowpop.Client(url=server, token=secret, max_retries=2, transport=transport) as sdk:
            created = sdk.persons.create(**person_fields())
    assert created.id
    (_, busy_at, first), (retry_at, _, second) = transport.seen[0], transport.seen[1]
    assert (first, second) == (503, 201), transport.seen
    assert retry_at - busy_at >= 2.0, "the retry came before the Retry-After the registry asked for"
    # the server's log line about the busy store carries the id of the request it answered
    busy = [r for r in caplog.records if "store busy" in r.getMessage()]
    assert busy and all(HEX_ID.fullmatch(getattr(r, "request_id", "")) for r in busy)
    assert all(f"request_id={r.request_id}" in r.getMessage() for r in busy)  # type: ignore[attr-defined]


def test_retry_after_parsing() -> None:
    from flowpop._base import retry_after

    def problem(value: str) -> flowpop.APIStatusError:
        response = httpx.Response(503, headers={"Retry-After": value}, json={"code": "store_busy"},
                                  request=httpx.Request("GET", "http://x/"))
        return flowpop.errors.from_response(response)

    assert retry_after(problem("3")) == 3.0
    assert retry_after(problem("0.5")) == 0.5
    assert retry_after(problem("3600")) is None  # too long to wait out: the usual backoff
    assert retry_after(problem("soon")) is None
    later = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 5))
    assert 3.0 < (retry_after(problem(later)) or 0) <= 5.0
    assert retry_after(flowpop.APIConnectionError()) is None


# ------------------------------------------------------------------------------------------ request ids


def test_every_answer_carries_a_request_id(server: str) -> None:
    for path in ("/healthz", "/v1/me", "/v1/persons?divsion=1", "/openapi.json", "/nowhere"):
        r = httpx.get(server + path, timeout=60)
        assert HEX_ID.fullmatch(r.headers.get("X-Request-Id", "")), (path, r.status_code, r.headers)
    ids = {httpx.get(server + "/healthz", timeout=60).headers["X-Request-Id"] for _ in range(3)}
    assert len(ids) == 3
    # a sane id of the caller's is kept; anything else is replaced
    assert httpx.get(server + "/healthz", timeout=60, headers={"X-Request-Id": "job-42.a:b_c"}).headers["X-Request-Id"] == "job-42.a:b_c"
    for bad in ("a b", "x" * 129, "<script>", "a/../b"):
        got = httpx.get(server + "/healthz", timeout=60, headers={"X-Request-Id": bad})
        assert HEX_ID.fullmatch(got.headers["X-Request-Id"]), bad


def test_an_sdk_error_carries_the_request_id(server: str) -> None:
    with flowpop.Client(url=server, token="fp_nonsense", max_retries=0) as anon, \
            pytest.raises(flowpop.AuthenticationError) as caught:
        anon.me()
    err = caught.value
    assert err.request_id and err.request_id == err.response.headers["X-Request-Id"]


def test_the_cli_shows_the_request_id_on_an_error(db_url: str) -> None:
    zh = invoke(["--db", db_url, "persons", "show", "999999999"], code=3)
    assert re.search(r"请求编号 [0-9a-f]{32}（请把它告诉管理员）", zh.stderr), zh.stderr
    en = invoke(["--db", db_url, "--lang", "en", "persons", "show", "999999999"], code=3)
    assert re.search(r"request id [0-9a-f]{32} \(quote this to your administrator\)", en.stderr), en.stderr
