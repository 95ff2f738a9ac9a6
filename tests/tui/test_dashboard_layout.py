"""The dashboard has its layout the first time the console opens (issue 15: on textual 8.2.8 the
operations stylesheet was never loaded, so panels had no borders and the left column was a one-cell strip)."""

from __future__ import annotations

from textual.widgets import Static

from flowpop_tui.app import FlowpopApp
from flowpop_tui.ops_dashboard import DashboardScreen
from tests.tui.pilot import settle


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
            panel = screen.query_one(f"#dash-{part}", Static)
            assert panel.styles.border_top[0] == "round", part  # the panel's frame comes from the stylesheet
            assert panel.region.width >= left.width - 1  # the column (less a scroll bar when it scrolls)
            assert panel.region.height >= 3, part
        assert rates.styles.border_top[0] == "round"
        assert rates.region.x == left.right
