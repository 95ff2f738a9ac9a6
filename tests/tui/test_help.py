"""``?`` and F1 open a help listing every key of the screen in the user's language (area keys included);
Esc closes it. The footer says more keys exist; a screen's own key never doubles an area key."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from flowpop_tui import i18n
from flowpop_tui.app import AREAS, FlowpopApp
from flowpop_tui.base import HelpScreen
from flowpop_tui.ops_dashboard import DashboardScreen
from tests.tui.pilot import SIZE, console, footer_keys, settle


def help_text(app: FlowpopApp) -> str:
    return str(app.screen.query_one("#help-keys", Static).render())


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_help_lists_every_key_and_closes_with_escape(db_url: str, language: str) -> None:
    i18n.set_lang(language)  # the conftest puts it back
    app = console(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert i18n.t("key_help") in footer_keys(app)  # at 80 columns: the footer says there is more
        for key in ("question_mark", "f1"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen)
            lines = help_text(app).splitlines()
            for _area, (area_key, shown, name) in AREAS.items():
                if area_key:
                    assert any(line.split()[0] == shown and i18n.t(name) in line for line in lines), name
            assert any(i18n.t("key_refresh") in line for line in lines)
            assert not any("Scroll" in line for line in lines)  # Textual's own keys are not ours to list
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, DashboardScreen)


async def test_late_declarations_notice_key_is_not_an_area_key(app: FlowpopApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.action_go("late")
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        lines = help_text(app).splitlines()
        keys = [line.split()[0] for line in lines]
        assert len(keys) == len(set(keys))  # one meaning per key
        assert f"t   {i18n.t('key_notice')}" in lines or any(
            line.split()[0] == "t" and i18n.t("key_notice") in line for line in lines)
        assert any(line.split()[0] == "n" and i18n.t("nav_inspection") in line for line in lines)
