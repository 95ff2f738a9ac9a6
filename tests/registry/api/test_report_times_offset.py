"""Times that leave the registry say their offset (RFC 3339, as the OpenAPI schema's date-time requires): a
closed month's frozen_at and closed_at are UTC, its start and end Beijing wall times (+08:00), a loaded
holiday notice's loaded_at UTC. They left naive ("2026-12-05T10:55:35"), which a client reads as its own local
time and the schemathesis fuzz test (test_fuzz.py) refused as not a date-time."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

import flowpop

ADMIN = "times_admin"


@pytest.fixture
def headers(client: flowpop.Client) -> dict[str, str]:
    client.users.create(username=ADMIN, role="admin", jurisdiction_code=None)
    return {"Authorization": f"Bearer {client.tokens.create(username=ADMIN, name='times').token}"}


def _aware(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert value.tzinfo is not None, text
    return value


def test_a_closed_months_times_carry_their_offset(server: str, headers: dict[str, str]) -> None:
    report = httpx.get(f"{server}/v1/rates", params={"period": "2026-11"}, headers=headers)
    assert report.status_code == 200, report.text
    frozen = _aware(report.json()["frozen_at"])
    closed = httpx.post(f"{server}/v1/rates/close", params={"month": "2026-11"}, headers=headers)
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert _aware(body["closed_at"]) == frozen
    assert _aware(body["end"]) == dt.datetime(2026, 11, 11, 19, tzinfo=dt.UTC)  # 12 Nov 03:00 Beijing time
    assert _aware(body["start"]) == dt.datetime(2026, 10, 11, 19, tzinfo=dt.UTC)


def test_a_loaded_notices_time_carries_its_offset(server: str, headers: dict[str, str]) -> None:
    notice = {"year": 2031, "holidays": ["2031-10-01"]}
    loaded = httpx.put(f"{server}/v1/calendar/2031", json=notice, headers=headers)
    assert loaded.status_code == 200, loaded.text
    _aware(loaded.json()["loaded_at"])
    _aware(httpx.get(f"{server}/v1/calendar/2031", headers=headers).json()["loaded_at"])
