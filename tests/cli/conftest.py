"""Fixtures for the command line's tests: a clean environment and `run`, the command against the test registry."""

from __future__ import annotations

import pytest
from click.testing import Result

import flowpop
from tests.cli.runner import ENV_NAMES, Run, invoke


@pytest.fixture(autouse=True)
def _plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def run(db_url: str) -> Run:
    """run(*args, code=0, input=None, user=None) → `flowpop --db <registry> [--token <user's>] args…`."""

    def call(*args: str, code: int = 0, input: str | bytes | None = None, user: flowpop.Client | None = None) -> Result:
        token = ["--token", user.settings.token or ""] if user is not None else []
        return invoke(["--db", db_url, *token, *args], code=code, input=input)

    return call
