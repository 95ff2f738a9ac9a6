"""Screens for the county's operations (dashboard, inspection, quality, bulk changes), registered with the app.

Contract with ``flowpop_tui.app``: ``SCREENS`` lists (key, Chinese label, English label, factory) — the
app binds each key and adds a command-palette entry that pushes ``factory(app)``; ``HOME``, when set,
is the factory of the screen the app opens first (the dashboard for the day).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ScreenFactory = Callable[[Any], Any]


# Imported when a screen opens, so that importing this contract stays cheap and free of cycles.
def dashboard(app: Any) -> Any:
    from flowpop_tui.ops_dashboard import DashboardScreen

    return DashboardScreen()


def inspection(app: Any) -> Any:
    from flowpop_tui.ops_inspect import InspectScreen

    return InspectScreen()


def quality(app: Any) -> Any:
    from flowpop_tui.ops_quality import QualityScreen

    return QualityScreen()


def bulk(app: Any) -> Any:
    from flowpop_tui.ops_bulk import ChangesetsScreen

    return ChangesetsScreen()


SCREENS: list[tuple[str, str, str, ScreenFactory]] = [
    ("g", "今日概览", "Today", dashboard),
    ("n", "季度清查", "Inspection", inspection),
    ("k", "数据质量", "Data quality", quality),
    ("b", "批量变更", "Bulk changes", bulk),
]
HOME: ScreenFactory | None = dashboard
