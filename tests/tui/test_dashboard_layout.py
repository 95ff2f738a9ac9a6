"""The dashboard has its layout the first time the console opens (issue 15: on textual 8.2.8 the
operations stylesheet was never loaded, so panels had no borders and the left column was a one-cell strip)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine, text
from textual.widgets import OptionList, Static

import flowpop
from flowpop.registry.store.db import normalize_url
from flowpop_tui.app import FlowpopApp
from flowpop_tui.format import today
from flowpop_tui.inbox_message import MessageScreen
from flowpop_tui.ops_dashboard import DashboardScreen
from flowpop_tui.ops_quality import QualityPersonsScreen
from tests import tree
from tests.conftest import person_fields
from tests.tui.pilot import console, settle


async def test_dashboard_layout_on_first_open(app: FlowpopApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        left = screen.query_one("#dash-left").region
        rates = screen.query_one("#dash-rates", Static)
        assert rates.region.width == 46
        assert left.width == 80 - 46  # the rest of the width, not a one-cell strip
        for part in ("inbox", "overdue", "inspect", "quality"):
            panel = screen.query_one(f"#dash-{part}")
            assert panel.styles.border_top[0] == "round", part  # the panel's frame comes from the stylesheet
            assert panel.region.width >= left.width - 1  # the column (less a scroll bar when it scrolls)
            assert panel.region.height >= 3, part
        assert rates.styles.border_top[0] == "round"
        assert rates.region.x == left.right


async def test_enter_on_dashboard_items_opens_them(db_url: str, townships: tuple[flowpop.Client, flowpop.Client]) -> None:
    a, d = townships
    late = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1, name="逾期甲"))
    note = next(m for m in d.inbox.list(kind="notification") if m.matched_person_id == late.id)
    engine = create_engine(normalize_url(db_url))
    with engine.begin() as conn:  # a notice that should have been acknowledged three days ago
        conn.execute(text("UPDATE messages SET due_on = :d WHERE id = :id"),
                     {"d": today() - dt.timedelta(days=3), "id": note.id})
    engine.dispose()
    app = console(db_url, d)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        overdue = app.screen.query_one("#dash-overdue", OptionList)
        assert app.screen.focused is overdue
        assert "逾期甲" in str(overdue.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen) and app.screen.message_id == note.id
        assert app.current_mode == "inbox"
        await pilot.press("g")
        await settle(pilot)
        quality = app.screen.query_one("#dash-quality", OptionList)
        quality.focus()
        await pilot.press("down", "enter")  # the first line is the sum; the checks follow
        await settle(pilot)
        assert isinstance(app.screen, QualityPersonsScreen) and app.current_mode == "quality"
