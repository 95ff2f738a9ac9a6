"""After a bulk change is applied from the bulk screen, the cursor is on that change, so ``r`` offers to
revert it (not the older row the cursor was on); a refresh keeps the cursor on the same record."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, Input, Select, Static

import flowpop
from flowpop_tui.base import Confirm
from flowpop_tui.ops_bulk import BulkForm, ChangesetsScreen, PreviewScreen
from tests.conftest import person_fields
from tests.tui.pilot import SIZE, console, settle


def under_cursor(table: DataTable[Any]) -> str:
    return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)


async def test_revert_offers_the_change_just_applied(db_url: str, client: flowpop.Client) -> None:
    made = [client.persons.create(**person_fields(name=f"游标{n}")) for n in "一二"]
    older = client.changesets.plan(operation="set", selection={"ids": [made[0].id]}, values={"phone": "13800000001"},
                                   reason="旧的变更")
    client.changesets.apply(older.id)
    app = console(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ChangesetsScreen)
        table = screen.query_one("#cs-list", DataTable)
        assert under_cursor(table) == older.id
        screen.load_list()  # a refresh keeps the cursor where it was
        await settle(pilot)
        assert under_cursor(table) == older.id

        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, BulkForm)
        form.query_one("#f-field", Select).value = "phone"
        form.query_one("#f-value", Input).value = "13800000002"
        form.query_one("#f-reason", Input).value = "新的变更"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PreviewScreen)
        await pilot.press("y", "y")
        await settle(pilot)
        assert app.screen is screen
        newest = client.changesets.list()[0]
        assert newest.reason == "新的变更" and newest.status == "applied"
        assert under_cursor(table) == newest.id
        await pilot.press("r")
        await settle(pilot)
        ask = app.screen
        assert isinstance(ask, Confirm) and "新的变更" in str(ask.query_one("#confirm-text", Static).render())
