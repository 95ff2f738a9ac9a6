"""Issue 11, items 10 and 11, over a real socket: what the server writes to its log, and bodies too large.

10: request lines such as ``GET /v1/persons?q=350402199012062176`` and ``?token=fp_…`` were logged in
clear. 11: a body over the limit with Content-Length got 413, the same body sent chunked was read
whole (a 100 MB CSV buffered to 1 GB)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import unicodedata
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import httpx
import pytest

import flowpop
from tests import tree
from tests.conftest import new_id_number, person_fields

MB = 1024 * 1024
PHONE = "13912345678"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def secret(client: flowpop.Client) -> str:
    """A county admin's token (imports need bulk rights), made through the embedded admin."""
    client.users.create(username="admin_srv", role="county_admin", jurisdiction_code=tree.COUNTY_SANYUAN)
    return client.tokens.create(username="admin_srv", name="server test").token


def _run_serve(args: list[str], out: Path) -> subprocess.Popen[bytes]:
    """`flowpop serve …` in a child process, its stdout and stderr (the access and error logs) into one file."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
    code = "from flowpop_cli.main import main; main()"
    with out.open("wb") as sink:
        return subprocess.Popen([sys.executable, "-c", code, *args], stdout=sink, stderr=subprocess.STDOUT, env=env)


def _wait_until_up(base: str, server: subprocess.Popen[bytes], out: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(base + "/healthz")
            return
        except httpx.TransportError:
            assert server.poll() is None and time.monotonic() < deadline, out.read_text()
            time.sleep(0.1)


def test_the_server_log_holds_no_id_number_phone_or_token(db_url: str, secret: str, tmp_path: Path) -> None:
    port, out = _free_port(), tmp_path / "serve.log"
    server = _run_serve(["serve", "--db", db_url, "--port", str(port)], out)
    base = f"http://127.0.0.1:{port}"
    number, old_number = new_id_number(), "350404900101123"
    try:
        _wait_until_up(base, server, out)
        auth = {"Authorization": f"Bearer {secret}"}
        for query in (f"q={number}", f"q={old_number}", f"q={PHONE}", f"token={secret}", f"password=p{PHONE}"):
            assert httpx.get(f"{base}/v1/persons?{query}", headers=auth).status_code in (200, 422)
        assert httpx.get(f"{base}/v1/persons?q={number}&token={secret}").status_code == 401
        grid = httpx.get(f"{base}/v1/divisions/{tree.GRID_A1}", headers=auth)
    finally:
        server.terminate()
        server.wait(timeout=30)
    log = out.read_text()
    assert grid.status_code == 200 and tree.GRID_A1 in log  # a 15-digit grid code is no ID number
    assert "GET /v1/persons?q=[REDACTED-ID]" in log and "[REDACTED-PHONE]" in log and "token=[REDACTED]" in log
    for clear in (number, old_number, PHONE, secret, secret[3:]):
        assert clear not in log


def _as_searched(line: str) -> str:
    """A log line read as ID-number search reads a query: decoded, full-width made ASCII, separators gone."""
    return re.sub(r"[\s+\-]", "", unicodedata.normalize("NFKC", unquote(line)))


def test_numbers_and_tokens_hidden_by_encoding_or_separators_are_redacted(db_url: str, secret: str,
                                                                         tmp_path: Path) -> None:
    """Percent-encoded, full-width or split by spaces, hyphens and "+", a number is still what the search is
    asked for; a token after "%20" has no word boundary before it."""
    port, out = _free_port(), tmp_path / "serve.log"
    server = _run_serve(["serve", "--db", db_url, "--port", str(port)], out)
    base = f"http://127.0.0.1:{port}"
    number, old_number = new_id_number(region="513436")[:17] + "X", "411122831012702"
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    queries = [
        f"q={number[:6]}%20{number[6:14]}%20{number[14:]}", f"q={number[:6]}-{number[6:14]}-{number[14:]}",
        f"q={number[:6]}+{number[6:14]}+{number[14:]}", "q=" + quote(full_width),
        f"q={number[:16]}%{ord(number[16]):X}X", f"q={old_number[:4]}%20{old_number[4:]}",
        f"q={PHONE[:3]}%20{PHONE[3:7]}%20{PHONE[7:]}", f"q={number[:9]}%E3%80%80{number[9:]}",
        f"q=%22{number}%22", f"x=Bearer%20{secret}", "q=2026-03-01", "q=a%0AINFO:%20forged",
    ]
    try:
        _wait_until_up(base, server, out)
        auth = {"Authorization": f"Bearer {secret}"}
        for query in queries:
            assert httpx.get(f"{base}/v1/persons?{query}", headers=auth).status_code in (200, 422)
    finally:
        server.terminate()
        server.wait(timeout=30)
    log = out.read_text()
    searched = _as_searched(log)
    for clear in (number, number[:17], old_number, PHONE, secret[3:], secret[10:30]):
        assert clear not in searched
    assert log.count("GET /v1/persons?q=[REDACTED-ID] HTTP/1.1") == 7  # written decoded, then redacted
    assert log.count("GET /v1/persons?q=[REDACTED-PHONE] HTTP/1.1") == 1
    assert "GET /v1/persons?q=%22[REDACTED-ID]%22 HTTP/1.1" in log and "x=Bearer [REDACTED]" in log
    assert "GET /v1/persons?q=2026-03-01 HTTP/1.1" in log  # an innocent number stays
    assert "q=a%0AINFO: forged" in log and "\nINFO: forged" not in log  # no line forged by a decoded line break


def test_our_own_loggers_are_redacted_as_serve_configures_them() -> None:
    """`flowpop serve` hands uvicorn logs.config(): the registry's own logger (its 500s, with tracebacks
    that carry the values of a failed statement) writes through the same filter."""
    code = (
        "import logging.config\n"
        "from flowpop.registry.api import logs\n"
        "logging.config.dictConfig(logs.config())\n"
        "try:\n"
        "    raise ValueError('[parameters: (\"350402199012062176\", \"13912345678\")]')\n"
        "except ValueError:\n"
        "    logging.getLogger('flowpop.registry').exception('unhandled error for %s', 'fp_abcdefghijkl')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "unhandled error for fp_[REDACTED]" in done.stderr and "ValueError" in done.stderr
    assert "[REDACTED-ID]" in done.stderr and "[REDACTED-PHONE]" in done.stderr
    assert "350402199012062176" not in done.stderr and "13912345678" not in done.stderr


def _chunks(total: int, sent: list[int]) -> Iterator[bytes]:
    block = b" " * (256 * 1024)
    while sent[0] < total:
        sent[0] += len(block)
        yield block


def test_a_body_over_the_limit_is_refused_chunked_or_not(server: str, secret: str) -> None:
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    total, sent = 200 * MB, [0]
    r = httpx.post(server + "/v1/persons", content=_chunks(total, sent), headers=headers, timeout=60)
    assert "content-length" not in r.request.headers  # sent chunked
    assert r.status_code == 413 and r.json()["code"] == "body_too_large"
    assert sent[0] < total  # the server closed the connection instead of reading on
    r = httpx.post(server + "/v1/persons", content=b" " * (21 * MB), headers=headers, timeout=60)
    assert r.status_code == 413 and r.json()["code"] == "body_too_large"


def _padded_csv(rows: list[list[str]], size: int) -> bytes:
    """A person list whose extra (unmapped) columns make the file `size` bytes or more."""
    pad = ["填充" * 200] * 200
    head = io.StringIO()
    csv.writer(head).writerow(["姓名", "身份证号", "户籍地", "现居住地", "流入日期"] + [f"附加{i}" for i in range(len(pad))])
    lines = [head.getvalue().encode()]
    for row in rows + [[""] * 5] * (size // len(",".join(pad).encode())):
        line = io.StringIO()
        csv.writer(line).writerow(row + pad)
        lines.append(line.getvalue().encode())
    return b"".join(lines)


def test_an_import_larger_than_the_body_limit_still_works(client: flowpop.Client, server: str, secret: str) -> None:
    people = [person_fields() for _ in range(3)]
    rows = [[p["name"], p["id_number"], tree.COUNTY_DONGHU, tree.VILLAGE_A1, "2026-03-01"] for p in people]
    data = _padded_csv(rows, 25 * MB)
    assert len(data) > 20 * MB
    with flowpop.Client(url=server, token=secret, max_retries=0, timeout=300) as remote:
        result = remote.persons.import_file(data, filename="大文件.csv", skip_bad=True)
    assert result.inserted == 3 and result.applied
    found = client.persons.list(q=people[0]["id_number"])
    assert [p.name for p in found] == [people[0]["name"]]


def _message(addressee: str, **extra: object) -> dict[str, object]:
    uid = f"ext-{uuid.uuid4()}"
    return {"format": "flowpop.message/1", "uid": uid, "thread_uid": uid, "kind": "assist_request",
            "sender_code": tree.VILLAGE_D1, "addressee_code": addressee, "subject": {"name": "王秀英"}, **extra}


def test_an_exchange_batch_larger_than_the_body_limit_is_read_line_by_line(
        client: flowpop.Client, server: str, secret: str) -> None:
    """Spooled to disk and read line by line, not decoded whole and split: a message whose text holds a line
    separator (U+2028, valid inside a JSON string) is one line; a batch is refused past its own limit, chunked."""
    lines = [json.dumps(_message(tree.TOWNSHIP_A, text=f"第一行\u2028第二行 {i}"), ensure_ascii=False)
             for i in range(3)]
    padding = " " * (7 * MB)  # whitespace between JSON values: the lines stay valid messages
    data = "\n".join(line[:-1] + padding + "}" for line in lines) + "\n"
    data += "\n".join(json.dumps(_message(tree.TOWNSHIP_A)) for _ in range(1000)) + "\n"
    assert len(data.encode()) > 20 * MB
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/x-ndjson"}
    block = 256 * 1024

    def chunked(body: bytes) -> Iterator[bytes]:
        yield from (body[i:i + block] for i in range(0, len(body), block))

    r = httpx.post(server + "/v1/exchange/import", content=chunked(data.encode()), headers=headers, timeout=300)
    assert "content-length" not in r.request.headers
    assert r.status_code == 200, r.text
    assert (r.json()["inserted"], r.json()["rejected"]) == (1003, [])
    texts = {m.text for m in client.inbox.list(box="all", kind="assist_request", limit=500) if m.text}
    assert {f"第一行\u2028第二行 {i}" for i in range(3)} <= texts
    # a bad byte after the first chunks: the whole batch refused, nothing of it written
    bad = "\n".join(json.dumps(_message(tree.TOWNSHIP_A)) for _ in range(2000)).encode() + b"\n\xff\n"
    r = httpx.post(server + "/v1/exchange/import", content=chunked(bad), headers=headers, timeout=300)
    assert r.status_code == 400 and r.json()["code"] == "bad_encoding"
    assert len(list(client.inbox.list(box="all", kind="assist_request", limit=500))) == 1003
    # past the limit of a batch (far below an import's), chunked: 413, and the rest is not read
    total, sent = 200 * MB, [0]
    r = httpx.post(server + "/v1/exchange/import", content=_chunks(total, sent), headers=headers, timeout=300)
    assert r.status_code == 413 and r.json()["code"] == "body_too_large"
    assert sent[0] < 100 * MB
