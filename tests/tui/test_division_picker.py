"""A division picker wherever a division is needed: an administrator (the whole tree) who asks for inflows is
asked for the area first, picks it by name, and the search runs with both; F6 picks an area at any time."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable, Input, OptionList, Select

import flowpop
from flowpop_tui.app import FlowpopApp
from flowpop_tui.pickers import DivisionPicker
from flowpop_tui.search import SearchScreen
from tests import tree
from tests.conftest import person_fields
from tests.tui.pilot import SIZE, settle, status_line


async def test_direction_for_an_admin_asks_for_the_division(
    search_first: None, app: FlowpopApp, client: flowpop.Client
) -> None:
    inside = client.persons.create(**person_fields(name="流入甲", household_code=tree.VILLAGE_D1))
    township = client.divisions.get(tree.TOWNSHIP_A)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        search = app.screen
        assert isinstance(search, SearchScreen)
        search.table.focus()
        await pilot.press("f2")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, DivisionPicker)
        picker.query_one("#picker-q", Input).value = township.name
        await settle(pilot)
        options = picker.query_one("#picker-list", OptionList)
        index = next(n for n in range(options.option_count) if options.get_option_at_index(n).id == tree.TOWNSHIP_A)
        options.focus()
        options.highlighted = index
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is search
        assert (search.direction_filter, search.division and search.division.code) == ("inflow", tree.TOWNSHIP_A)
        table: DataTable[Any] = search.table
        assert str(inside.id) in [str(k.value) for k in table.rows]
        assert "区划" not in status_line(app)  # no refusal asking for one
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, DivisionPicker)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is search and search.division is not None


async def test_a_bulk_move_picks_its_village(search_first: None, app: FlowpopApp) -> None:
    from flowpop_tui.ops_bulk import BulkForm

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(BulkForm(app.client, {"ids": [1]}))  # type: ignore[arg-type]  # the client is open
        await settle(pilot)
        form = app.screen
        assert isinstance(form, BulkForm)
        assert form.check_action("pick_division", ()) is False  # a set needs no division
        form.query_one("#f-operation", Select).value = "move"
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, DivisionPicker)
        picker.query_one("#picker-q", Input).value = client_name(app, tree.VILLAGE_A1)
        await settle(pilot)
        options = picker.query_one("#picker-list", OptionList)
        index = next(n for n in range(options.option_count) if options.get_option_at_index(n).id == tree.VILLAGE_A1)
        options.focus()
        options.highlighted = index
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form and form.query_one("#f-value", Input).value == tree.VILLAGE_A1


def client_name(app: FlowpopApp, code: str) -> str:
    with flowpop.Client(db=app.client.settings.db, max_retries=0) as c:  # type: ignore[union-attr]  # open by now
        return c.divisions.get(code).name
