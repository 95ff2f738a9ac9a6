"""Places in the command palette: typing a place's name, pinyin or initials (``sx``, ``shaxian``, 沙县) lists the
divisions the registry finds (GET /v1/divisions?q=, within the user's jurisdiction); choosing one opens person
search on that area, as F6 there would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from textual.command import Hit, Provider

from flowpop_tui.i18n import label, t
from flowpop_tui.pickers import _prefix

SHOWN = 8


def search_in(app: Any, division: Any) -> None:
    """Person search on ``division`` (its area's first screen, the other filters as they were)."""
    from flowpop_tui.search import SearchScreen

    app.action_go("persons")
    screen = app.area_screen("persons")
    if isinstance(screen, SearchScreen):
        screen.division = division
        if screen.query("#filters"):  # shown before: search again; a screen new here searches it when it mounts
            screen.filters_changed()


class PlaceCommands(Provider):
    async def search(self, query: str) -> AsyncIterator[Hit]:
        q = "".join(query.split())
        app: Any = self.app
        if len(q) < 2 or getattr(app, "client", None) is None:
            return
        root = app.me.jurisdiction_code if app.me is not None else None
        try:
            found = await app.client.divisions.list(q=q, limit=SHOWN * 4)
        except Exception:  # the palette lists what it can; the registry's error shows elsewhere
            return
        found = [d for d in found if root is None or d.code.startswith(_prefix(root))][:SHOWN]
        matcher = self.matcher(query)
        for d in found:
            title = f"{d.full_name or d.name}"
            yield Hit(0.4, matcher.highlight(title), partial(search_in, app, d),
                      help=t("cmd_place_help", level=label("level", d.level)))
