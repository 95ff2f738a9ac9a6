"""The console's inbox marks a provisional due date (a year whose holidays are not loaded) with a leading *, and stops
once the State Council's notice for that year is loaded (issue 14 item 4)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable

import flowpop
from flowpop.registry.kernel import settings as settings_mod
from flowpop.rules import beijing
from flowpop.rules.workdays import Calendar
from flowpop.types import HolidayNotice
from tests import tree
from tests.conftest import person_fields
from tests.tui.pilot import SIZE, console, messages, open_inbox

pytestmark = pytest.mark.usefixtures("search_first")


async def _due_cell(db_url: str, user: flowpop.Client, message_id: int) -> str:
    async with console(db_url, user).run_test(size=SIZE) as pilot:
        table: DataTable[Any] = messages(await open_inbox(pilot))
        return str(table.get_cell(str(message_id), "col_due"))


async def test_a_provisional_due_date_is_starred_until_its_years_notice_is_loaded(
    db_url: str,
    client: flowpop.Client,
    townships: tuple[flowpop.Client, flowpop.Client],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    year = beijing.to_local(dt.datetime.now(dt.UTC).replace(tzinfo=None)).year
    while Calendar().covers(year):
        year += 1
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
    note = next(iter(d.inbox.list(kind="notification")))
    assert note.due_provisional
    assert (await _due_cell(db_url, d, note.id)).startswith("*")

    client.calendar.load(HolidayNotice(year=year, holidays=[dt.date(year, 1, 1), dt.date(year, 1, 5)]))
    assert not (await _due_cell(db_url, d, note.id)).startswith("*")
