"""Fixtures for the console's tests: Chinese by default, the console on the test registry, search first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flowpop_tui import i18n
from flowpop_tui.app import FlowpopApp
from tests.tui.pilot import console


@pytest.fixture(autouse=True)
def chinese(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every console test starts in Chinese, whatever FLOWPOP_LANG the shell holds."""
    monkeypatch.delenv("FLOWPOP_LANG", raising=False)
    i18n.set_lang(None)
    yield
    i18n.set_lang(None)


@pytest.fixture
def search_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Open on the search screen even when ops names a home screen (for tests not about the operations screens)."""
    monkeypatch.setattr(FlowpopApp, "DEFAULT_MODE", "persons")


@pytest.fixture
def app(db_url: str) -> FlowpopApp:
    """The console on the test registry, as its local administrator."""
    return console(db_url)
