"""Dates as the offices keep them, on the command line (issue 14 item 4): the calendar of working days and a
new year's notice, provisional due dates in the inbox, closing a month, the departure day of a bulk
deregistration."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import flowpop
from flowpop.registry.kernel import settings as settings_mod
from flowpop.rules import beijing
from flowpop.rules.workdays import Calendar
from tests import tree
from tests.cli.runner import Run, jsonout
from tests.conftest import person_fields


def _uncovered_year() -> int:
    year = beijing.to_local(dt.datetime.now(dt.UTC).replace(tzinfo=None)).year
    while Calendar().covers(year):
        year += 1
    return year


def test_a_new_years_notice_is_loaded_and_the_inbox_stops_marking_its_deadlines_provisional(
    run: Run,
    townships: tuple[flowpop.Client, flowpop.Client],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    year = _uncovered_year()
    sent = beijing.day_of(dt.datetime.now(dt.UTC).replace(tzinfo=None))
    settings = tmp_path / "settings.toml"
    settings.write_text(
        f"[deadlines]\nnotification_receive = "
        f"{Calendar().working_days_between(sent, dt.date(year, 1, 20))}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("FLOWPOP_SETTINGS", str(settings))
    settings_mod.load()
    a, d = townships
    a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))

    shown = run("calendar", "show", str(year)).stdout
    assert "按周一至周五计算" in shown and "暂定" in shown
    assert f"{year}-01-20（暂定）" in run("inbox", "list", user=d).stdout

    notice = tmp_path / f"{year}.toml"
    notice.write_text(
        f'year = {year}\nsource = "国务院办公厅关于{year}年部分节假日安排的通知"\n'
        f'holidays = [{year}-01-01, "{year}-01-04/{year}-01-08"]\n',
        encoding="utf-8",
    )
    loaded = run("calendar", "load", str(notice))
    assert "重算期限 1 项" in loaded.stderr and "已载入的国务院通知" in loaded.stdout
    listed = run("inbox", "list", user=d).stdout
    assert "暂定" not in listed and f"{year}-01-2" in listed
    info = jsonout(run("calendar", "show", str(year), "--json"))
    assert (info["source"], info["provisional"], len(info["holidays"])) == ("registry", False, 6)


def test_a_bad_notice_file_is_refused_with_its_reason(run: Run, tmp_path: Path) -> None:
    notice = tmp_path / "notice.toml"
    notice.write_text("year = 2027\nholidays = [2026-12-31]\n", encoding="utf-8")
    refused = run("calendar", "load", str(notice), code=4)
    assert "2026-12-31 is not in 2027" in refused.stderr


def test_report_close_freezes_a_month_and_the_report_says_so(
    run: Run, make_person: Callable[..., Any]
) -> None:
    make_person()
    closed = run("report", "close", "--month", "2026-11").stdout
    assert "2026-11（2026-10-12 03:00 至 2026-11-12 03:00 北京时间）已截止" in closed
    assert "已截止，数据冻结于" in run("report", "rates", "--month", "2026-11").stdout
    assert "冻结" not in run("report", "rates", "--quarter", "2026Q4").stdout


def test_a_bulk_deregistration_without_the_day_they_left_is_refused(
    run: Run, make_person: Callable[..., Any], tmp_path: Path
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text(f"{make_person().id}\n", encoding="utf-8")
    refused = run("bulk", "preview", "deregister", "--ids", str(ids), "--reason", "逾期未返", code=4)
    assert "离开的日期" in refused.stderr
    run("bulk", "preview", "deregister", "--ids", str(ids), "--reason", "逾期未返", "--date", "2026-11-20")
