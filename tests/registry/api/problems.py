"""Plain checks of the API's problem documents (application/problem+json), shared by the tests in this folder."""

from __future__ import annotations

import re
from typing import Any

import httpx

CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """``r`` is a problem document with ``status`` and ``code``, Chinese and English text, named field errors."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["code"] == code
    assert CJK.search(body["message"]), body["message"]
    assert body["message_en"] and not CJK.search(body["message_en"])
    for e in body.get("errors", []):
        assert e["field"] and e["code"] and CJK.search(e["message"]) and e["message_en"]
    return body


def fields_of(body: dict[str, Any]) -> set[tuple[str, str]]:
    """The (field, code) pairs a problem document names."""
    return {(e["field"], e["code"]) for e in body["errors"]}
