"""Places in the command palette (issue 15: pinyin and initials in the palette): ``shaxian`` or ``sx`` lists 沙县区
(the registry's division search, by pinyin and initials); choosing it opens person search on that area."""

from __future__ import annotations

from flowpop_tui.app import FlowpopApp
from flowpop_tui.palette_places import PlaceCommands
from flowpop_tui.search import SearchScreen
from tests import tree
from tests.tui.pilot import SIZE, settle


async def test_the_palette_finds_a_place_by_pinyin_and_opens_its_person_search(app: FlowpopApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        provider = PlaceCommands(app.screen)
        for query in ("shaxian", "sx", "沙县"):
            hits = [hit async for hit in provider.search(query)]
            assert hits and "沙县区" in str(hits[0].text), query
        hits[0].command()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SearchScreen) and app.current_mode == "persons"
        assert screen.division is not None and screen.division.code == tree.COUNTY_SHAXIAN
        assert "沙县区" in str(screen.query_one("#filters").render())
        app.action_go("dashboard")  # from elsewhere, with person search open already: it searches again
        await settle(pilot)
        hits = [hit async for hit in provider.search("syq")]
        hit = next(h for h in hits if "三元区" in str(h.text))
        hit.command()
        await settle(pilot)
        assert app.screen is screen and screen.division is not None
        assert screen.division.code == tree.COUNTY_SANYUAN
        assert "三元区" in str(screen.query_one("#filters").render())
