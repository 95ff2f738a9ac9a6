"""The dashboard's rates panel shows the co-management figures beside the rates (issue 14): each side's
registrations of the cross-county stays in the user's jurisdiction, the gap and 漏管 against its target, as
the registry counts them (`flowpop report comanagement`), on the panel's bottom border (its body is full at
80×24), whole."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

import flowpop
from flowpop_tui import i18n
from flowpop_tui.ops_dashboard import DashboardScreen
from tests import tree
from tests.conftest import person_fields
from tests.tui.pilot import SIZE, console, settle


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_rates_panel_shows_comanagement(
    db_url: str, townships: tuple[flowpop.Client, flowpop.Client], language: str
) -> None:
    a, _d = townships
    for name in ("共管甲", "共管乙"):  # township A registers two inflows from D's county; D registers no outflow
        a.persons.create(**person_fields(household_code=tree.VILLAGE_D1, name=name))
    total = a.reports.comanagement().total
    assert (total.inflows_registered, total.outflows_registered, total.unmanaged) == (2, 0, 2)
    i18n.set_lang(language)  # the conftest puts it back
    app = console(db_url, a)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        panel = app.screen.query_one("#dash-rates", Static)
        shown = Text.from_markup(str(panel.border_subtitle)).plain
        assert shown == i18n.t("dash_coman", inflows=2, outflows=0, gap=-2, unmanaged=2, target=500)
        assert cell_len(shown) <= panel.region.width - 6  # whole on the border (corners, dashes, spaces)
        assert panel.region.bottom <= SIZE[1] - 1  # the border line is on screen, above the footer
