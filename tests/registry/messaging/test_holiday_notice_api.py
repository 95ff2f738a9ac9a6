"""A holiday notice sent to the API is checked as a notice file is (rules.workdays.read_notice): every day in
the notice's year, no day both a holiday and a working day. PUT /v1/calendar/2027 took a 2030 holiday and
2027-02-06 as both a day off and a day worked, stored them and recomputed deadlines with them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import flowpop

ADMIN = "cal_admin"


@pytest.fixture
def admin_token(client: flowpop.Client) -> str:
    client.users.create(username=ADMIN, role="county_admin", jurisdiction_code="350404")
    return client.tokens.create(username=ADMIN, name="calendar").token


@pytest.mark.parametrize(
    ("notice", "wrong"),
    [
        ({"year": 2031, "holidays": ["2031-10-01", "2034-01-01"]}, "2034-01-01"),
        ({"year": 2031, "workdays": ["2030-12-28"]}, "2030-12-28"),
        ({"year": 2031, "holidays": ["2031-02-01"], "workdays": ["2031-02-01"]}, "2031-02-01"),
    ],
)
def test_an_odd_notice_is_refused_and_nothing_is_stored(
    server: str, admin_token: str, client: flowpop.Client, notice: dict[str, Any], wrong: str
) -> None:
    reply = httpx.put(
        f"{server}/v1/calendar/2031", json=notice, headers={"Authorization": f"Bearer {admin_token}"}
    )
    assert reply.status_code == 422, reply.text
    assert wrong in reply.text
    assert client.calendar.year(2031).source != "registry"


def test_a_proper_notice_is_stored(server: str, admin_token: str, client: flowpop.Client) -> None:
    notice = {"year": 2031, "holidays": ["2031-10-01", "2031-10-02"], "workdays": ["2031-09-28"]}
    reply = httpx.put(
        f"{server}/v1/calendar/2031", json=notice, headers={"Authorization": f"Bearer {admin_token}"}
    )
    assert reply.status_code == 200, reply.text
    assert client.calendar.year(2031).source == "registry"
