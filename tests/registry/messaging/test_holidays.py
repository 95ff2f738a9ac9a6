"""Deadlines in a year the holiday calendar does not cover are provisional; loading the State Council's notice
for that year recomputes them (issue 14 item 4; messaging.deadlines, messaging.holidays).

chinesecalendar 1.11 covers 2004–2026: a deadline running into 2027 was silently counted Monday–Friday."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import flowpop
from flowpop.registry.kernel import settings as settings_mod
from flowpop.rules import beijing
from flowpop.rules.workdays import Calendar, read_notice
from flowpop.types import HolidayNotice, Message
from tests import tree
from tests.conftest import person_fields
from tests.records import new_house


def _uncovered_year() -> int:
    year = beijing.to_local(dt.datetime.now(dt.UTC).replace(tzinfo=None)).year
    while Calendar().covers(year):
        year += 1
    return year


@pytest.fixture
def into_uncovered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int, dt.date]:
    """A notification deadline long enough to end on 20 January of the first year the calendar lacks."""
    year = _uncovered_year()
    sent = beijing.day_of(dt.datetime.now(dt.UTC).replace(tzinfo=None))
    days = Calendar().working_days_between(sent, dt.date(year, 1, 20))
    file = tmp_path / "settings.toml"
    file.write_text(f"[deadlines]\nnotification_receive = {days}\n", encoding="utf-8")
    monkeypatch.setenv("FLOWPOP_SETTINGS", str(file))
    settings_mod.load()  # checked
    return year, days, sent


def _notice(townships: tuple[flowpop.Client, flowpop.Client]) -> tuple[flowpop.Client, Message, int]:
    a, d = townships
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))  # registered here: D is told (通报)
    return d, next(iter(d.inbox.list(kind="notification"))), p.id


def test_a_deadline_in_a_year_the_calendar_lacks_is_provisional_until_its_notice_is_loaded(
    client: flowpop.Client,
    townships: tuple[flowpop.Client, flowpop.Client],
    into_uncovered: tuple[int, int, dt.date],
) -> None:
    year, days, sent = into_uncovered
    d, message, _ = _notice(townships)
    assert message.due_on == dt.date(year, 1, 20) and message.due_provisional
    assert client.calendar.year(year).provisional and client.calendar.year(year).source == "none"
    assert not client.calendar.year(2026).provisional and client.calendar.year(2026).source == "package"

    notice = HolidayNotice(
        year=year,
        source="国务院办公厅关于部分节假日安排的通知（测试）",
        holidays=[dt.date(year, 1, 1), *(dt.date(year, 1, n) for n in range(4, 9))],
        workdays=[dt.date(year, 1, 9)] if dt.date(year, 1, 9).weekday() >= 5 else [],
    )
    loaded = client.calendar.load(notice)
    assert (loaded.source, loaded.provisional, loaded.recomputed) == ("registry", False, 1)

    moved = d.inbox.get(message.id)
    expected = Calendar(
        extra={year: {"holidays": notice.holidays, "workdays": notice.workdays}}
    ).add_working_days(sent, days)
    assert moved.due_on == expected and moved.due_on > message.due_on
    assert not moved.due_provisional
    assert client.calendar.year(year).holidays == sorted(notice.holidays)


def test_a_deadline_inside_covered_years_is_not_provisional(
    townships: tuple[flowpop.Client, flowpop.Client],
) -> None:
    _, message, _ = _notice(townships)
    if not Calendar().covers(message.due_on.year if message.due_on else 0):
        pytest.skip("the default deadline already runs past the calendar")
    assert message.due_on and not message.due_provisional


def test_loading_a_notice_takes_an_administrator(
    as_user: Callable[[str, str | None], flowpop.Client],
) -> None:
    operator = as_user("township_operator", "350404001000")
    with pytest.raises(flowpop.PermissionDeniedError):
        operator.calendar.load(HolidayNotice(year=_uncovered_year(), holidays=[]))


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("year = 2027\nholidays = [2026-12-31]\n", "not in 2027"),
        ('year = 2027\nholidays = ["2027-02-05/2027-01-11"]\n', "range"),
        ("year = 2027\nholidays = [2027-01-01]\nworkdays = [2027-01-01]\n", "both"),
        ("year = 2027\nholiday = [2027-01-01]\n", "unknown keys"),
    ],
)
def test_a_notice_file_is_checked(text: str, wrong: str) -> None:
    with pytest.raises(ValueError, match=wrong):
        read_notice(text)


def test_a_notice_file_reads_dates_and_ranges() -> None:
    notice: dict[str, Any] = read_notice(
        'year = 2027\nsource = "通知"\nholidays = [2027-01-01, "2027-02-05/2027-02-07"]\n'
        'workdays = ["2027-02-14"]\n'
    )
    assert notice == {
        "year": 2027,
        "source": "通知",
        "workdays": [dt.date(2027, 2, 14)],
        "holidays": [dt.date(2027, 1, 1), dt.date(2027, 2, 5), dt.date(2027, 2, 6), dt.date(2027, 2, 7)],
    }


def test_a_landlords_declaration_deadline_is_recomputed_too(
    client: flowpop.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    year = _uncovered_year()
    arrived = beijing.day_of(dt.datetime.now(dt.UTC).replace(tzinfo=None))
    days = Calendar().working_days_between(arrived, dt.date(year, 1, 20))
    file = tmp_path / "settings.toml"
    file.write_text(f"[deadlines]\nlandlord_declare = {days}\n", encoding="utf-8")
    monkeypatch.setenv("FLOWPOP_SETTINGS", str(file))
    house = new_house(client, capacity=None)
    p = client.persons.create(
        **person_fields(
            stay={
                "residence_code": tree.VILLAGE_A1,
                "reason": "work",
                "arrived_on": arrived.isoformat(),
                "house_code": house.code,
            }
        )
    )
    assert p.stays[0].declare_due_on == dt.date(year, 1, 20)
    holidays = [dt.date(year, 1, 1), *(dt.date(year, 1, n) for n in range(4, 9))]
    client.calendar.load(HolidayNotice(year=year, holidays=holidays))
    expected = Calendar(extra={year: {"holidays": holidays}}).add_working_days(arrived, days)
    assert client.persons.get(p.id).stays[0].declare_due_on == expected > dt.date(year, 1, 20)
