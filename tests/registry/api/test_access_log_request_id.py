"""Issue 12, item 4: uvicorn's own access line carries the request id (X-Request-Id) a user quotes, as flowpop's
lines do, so an administrator finds the request in a real `flowpop serve`'s log."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import uvicorn

import flowpop
from flowpop.registry.api import create_app, logs
from tests import tree
from tests.attacks.test_server_limits import _free_port, _run_serve, _wait_until_up


def test_the_access_line_carries_the_request_id(client: flowpop.Client, db_url: str, tmp_path: Path) -> None:
    client.users.create(username="log_reader", role="county_admin", jurisdiction_code=tree.COUNTY_SANYUAN)
    secret = client.tokens.create(username="log_reader", name="log test").token
    port, out = _free_port(), tmp_path / "serve.log"
    server = _run_serve(["serve", "--db", db_url, "--port", str(port)], out)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server, out)
        with flowpop.Client(url=base, token=secret, max_retries=0) as remote:
            found = remote.with_raw_response.divisions.get(tree.VILLAGE_A1)
            with_own = httpx.get(f"{base}/v1/me", headers={"Authorization": f"Bearer {secret}",
                                                           "X-Request-Id": "ticket-4711"})
            refused = httpx.get(f"{base}/v1/me")
    finally:
        server.terminate()
        server.wait(timeout=30)
    log = out.read_text()
    assert found.request_id and with_own.headers["X-Request-Id"] == "ticket-4711"
    lines = {line for line in log.splitlines() if '"GET /v1/' in line}
    assert any(f"/v1/divisions/{tree.VILLAGE_A1} HTTP/1.1\" 200 OK [request_id={found.request_id}]" in x for x in lines), log
    assert any('"GET /v1/me HTTP/1.1" 200 OK [request_id=ticket-4711]' in x for x in lines), log
    rid = refused.headers["X-Request-Id"]
    assert any(f'"GET /v1/me HTTP/1.1" 401 Unauthorized [request_id={rid}]' in x for x in lines), log


def test_an_app_run_under_uvicorns_own_logging_gets_it_from_install() -> None:
    """`uvicorn flowpop_cli.asgi:create --factory`: uvicorn configures its logging, install() tags the access line."""
    uvicorn.Config(create_app(":memory:"), log_level="info")  # configures uvicorn's loggers as `uvicorn` does
    handler = logging.getLogger("uvicorn.access").handlers[0]
    logs.install()
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:1", "GET", "/v1/me", "1.1", 200), None)
    handler.filter(record)  # the redaction filter install() added: it gives a record made outside a request "-"
    assert handler.format(record).endswith('"GET /v1/me HTTP/1.1" 200 OK [request_id=-]')
