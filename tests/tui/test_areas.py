"""One app: each area is a Textual mode with its own stack, one key away from anywhere, listed in the
palette (found by pinyin and initials too); the console opens on the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.widgets import DataTable

from flowpop_tui import i18n
from flowpop_tui.app import AREAS, AreaCommands, FlowpopApp, matches
from flowpop_tui.detail import DetailScreen
from flowpop_tui.inbox import InboxScreen
from flowpop_tui.ops_dashboard import DashboardScreen
from flowpop_tui.search import SearchScreen
from tests.tui.pilot import SIZE, settle


async def test_areas_are_modes_kept_as_they_were_left(app: FlowpopApp, make_person: Callable[..., Any]) -> None:
    person = make_person(name="区域测试")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen) and app.current_mode == "dashboard"
        await pilot.press("f5")
        await settle(pilot)
        search = app.screen
        assert isinstance(search, SearchScreen) and app.current_mode == "persons"
        table = search.query_one("#persons", DataTable)
        table.focus()
        table.move_cursor(row=table.get_row_index(str(person.id)))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("i")  # another area, from inside this one
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen) and app.current_mode == "inbox"
        await pilot.press("f5")  # back to persons as it was left: the person still open
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("f5")  # its key again: the area's first screen
        await settle(pilot)
        assert app.screen is search and len(app.screen_stack) == 1
        for area, (key, _shown, _name) in AREAS.items():
            if key is None:
                continue
            app.action_go(area)
            await settle(pilot)
            assert app.current_mode == area
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


def test_palette_finds_areas_by_pinyin_and_initials() -> None:
    assert matches("sjzl", "数据质量 / Data quality")
    assert matches("shuju", "数据质量 / Data quality")
    assert matches("quality", "数据质量 / Data quality")
    assert matches("sjx", "收件箱 / Inbox")
    assert not matches("sjx", "数据质量 / Data quality")


async def test_palette_search_by_initials(app: FlowpopApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        provider = AreaCommands(app.screen)
        found = [hit.text async for hit in provider.search("sjx")]
        assert any(i18n.t("nav_inbox") in str(text) for text in found)
