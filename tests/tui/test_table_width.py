"""The console's paged table uses the width it has (issue 15): its widths are for 80 columns; at 120 the columns
of text (name, category, place) take the rest, the fixed ones (ID number, dates) keep theirs, and the rows are
drawn again to the new widths when the terminal is resized."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import DataTable

from flowpop_tui.app import FlowpopApp
from flowpop_tui.search import COLUMNS
from tests.tui.pilot import settle

pytestmark = pytest.mark.usefixtures("search_first")


async def test_the_person_table_fills_120_columns_and_follows_a_resize(app: FlowpopApp,
                                                                      make_person: Callable[..., Any]) -> None:
    make_person(name="宽表测试")
    base = dict(COLUMNS["zh"])
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#persons", DataTable)
        wide = {str(c.key.value): c.width for c in table.columns.values()}
        assert sum(wide.values()) == 120 - 1  # all but the scroll bar
        assert wide["col_id"] == base["col_id"] and wide["col_arrived"] == base["col_arrived"]
        assert wide["col_place"] > base["col_place"] and wide["col_name"] > base["col_name"]
        assert table.row_count == 1
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert {str(c.key.value): c.width for c in table.columns.values()} == base
        assert table.row_count == 1
