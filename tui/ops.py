"""Screens for the county's operations (dashboard, inspection, quality, bulk changes), registered with the app.

Contract with ``flowpop_tui.app``: ``SCREENS`` lists (key, Chinese label, English label, factory) — the
app binds each key and adds a command-palette entry that pushes ``factory(app)``; ``HOME``, when set,
is the factory of the screen the app opens first (the dashboard for the day).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ScreenFactory = Callable[[Any], Any]

SCREENS: list[tuple[str, str, str, ScreenFactory]] = []
HOME: ScreenFactory | None = None
