"""Snapshots of every screen of the console at 80×24 and 120×40, in Chinese and English, as a township
operator of the demo registry (a fixed seed, FLOWPOP_TODAY pinned). The SVGs are in
tests/tui/__snapshots__/test_snapshots/; after a deliberate change of the screens, look at the failing
report and accept with ``pytest tests/tui/test_snapshots.py --snapshot-update``."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from textual.pilot import Pilot

import flowpop
from flowpop.demo.build import build
from flowpop_tui import i18n
from flowpop_tui.app import FlowpopApp
from tests.conftest import PG_URL, empty_registry
from tests.tui.pilot import settle

# The same demo on PostgreSQL reads back other figures (rates, quality counts: a difference between the
# stores' answers, reported to the registry's side), so the pictures are SQLite's; the console's behaviour
# on PostgreSQL is covered by the pilot tests of this folder, which run on both.
pytestmark = pytest.mark.skipif(bool(PG_URL), reason="snapshots are taken on the SQLite demo registry")

TODAY = "2026-12-05"
SEED = 11
OPERATOR = "sanyuan_op1"  # a township operator of the demo

# screen → what to do after the console has settled on the dashboard: keys, or an area to open
Step = str
SCREENS: dict[str, list[Step]] = {
    "dashboard": [],
    "persons": ["f5", "down"],
    "person": ["f5", "down", "enter"],
    "person_edit": ["f5", "down", "enter", "e"],
    "inbox": ["i"],
    "message": ["i", "enter"],
    "reply": ["i", "f2", "f2", "enter", "y"],
    "houses": ["h"],
    "house": ["h", "enter"],
    "late": ["area:late"],
    "employers": ["e"],
    "roster": ["e", "enter"],
    "inspection": ["n"],
    "quality": ["k"],
    "quality_persons": ["k", "enter"],
    "bulk": ["b"],
    "help": ["question_mark"],
}
VARIANTS = [("zh", (80, 24)), ("zh", (120, 40)), ("en", (80, 24)), ("en", (120, 40))]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The demo registry (SQLite file or PostgreSQL schema) and the operator's token."""
    before = os.environ.get("FLOWPOP_TODAY")
    os.environ["FLOWPOP_TODAY"] = TODAY
    try:
        with empty_registry(tmp_path_factory.mktemp("snap"), "snap_") as db:
            build(db, 400, seed=SEED)
            with flowpop.Client(db=db, max_retries=0) as admin:
                token = admin.tokens.create(username=OPERATOR, name="snapshots").token
            yield db, token
    finally:
        if before is None:
            os.environ.pop("FLOWPOP_TODAY", None)
        else:
            os.environ["FLOWPOP_TODAY"] = before


def steps(db: str, keys: list[Step]) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, FlowpopApp)
        await settle(pilot)
        for key in keys:
            if key.startswith("area:"):
                app.action_go(key.removeprefix("area:"))
            else:
                await pilot.press(key)
            await settle(pilot)
        app.sub_title = app.sub_title.replace(db, "demo.db")  # the same header wherever the registry lives
        for box in app.screen.query("Input, TextArea"):
            box.cursor_blink = False  # type: ignore[attr-defined]  # both have it; a blinking cursor is half the time gone
        await pilot.pause()

    return run_before


@pytest.mark.parametrize(("language", "size"), VARIANTS, ids=[f"{lang}-{w}x{h}" for lang, (w, h) in VARIANTS])
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare: Any, demo: tuple[str, str], monkeypatch: pytest.MonkeyPatch, screen: str,
                language: str, size: tuple[int, int]) -> None:
    db, token = demo
    monkeypatch.setenv("FLOWPOP_TODAY", TODAY)
    i18n.set_lang(language)  # the conftest puts it back
    app = FlowpopApp(lambda: flowpop.AsyncClient(db=db, token=token, max_retries=0))
    assert snap_compare(app, terminal_size=size, run_before=steps(db, SCREENS[screen]))
