"""An embedded registry exchanges while the console is open (issue 13): no `flowpop serve` delivers its outbox, so
the console runs the round of `flowpop exchange sync` on a timer (FLOWPOP_EXCHANGE_INTERVAL). A registers an
outflow to B's village with no server of its own; the console open on A's file delivers it to B, a real server.
A registry with no key or no peer answers idle rounds, and the console goes on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import flowpop
from flowpop_tui.app import FlowpopApp
from tests import tree
from tests.conftest import person_fields
from tests.registry.exchange.nodes import registries
from tests.tui.pilot import SIZE, console


async def test_an_open_console_delivers_an_embedded_registrys_outbox(
    template_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with registries(template_db, tmp_path, {"A": "3504", "B": "3601"}) as nodes:
        a, b = nodes["A"], nodes["B"]
        a.stop()  # A is embedded from now on
        monkeypatch.setenv("FLOWPOP_SETTINGS", str(a.settings))
        monkeypatch.setenv("FLOWPOP_EXCHANGE_INTERVAL", "0.2")
        with flowpop.Client(db=a.db, token=a.token_for("township_operator", tree.TOWNSHIP_A)) as op:
            op.persons.create(**person_fields(
                household_code=tree.TOWNSHIP_A,
                stay={"residence_code": tree.VILLAGE_D1, "reason": "work", "arrived_on": "2026-03-01"},
            ))
        (uid,) = [r[0] for r in a.sql("SELECT message_uid FROM exchange_outbox WHERE status = 'pending'")]
        assert not b.sql("SELECT 1 FROM messages WHERE uid = :uid", uid=uid)
        app = console(a.db)
        async with app.run_test(size=SIZE) as pilot:
            for _ in range(600):
                await pilot.pause(0.1)
                if a.sql("SELECT 1 FROM exchange_outbox WHERE message_uid = :uid AND status = 'delivered'", uid=uid):
                    break
            else:
                raise AssertionError("the console did not deliver")
            assert b.sql("SELECT 1 FROM messages WHERE uid = :uid", uid=uid)
            # (B's receipt waits in B's outbox: an embedded registry sends, but nothing can post to it until it is
            # served, or the receipt comes in a file)
            assert app.exchange_timer is not None and app.is_running


async def test_no_key_and_no_peer_is_an_idle_round(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWPOP_EXCHANGE_INTERVAL", "0.05")
    app = console(db_url)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(400):
            await pilot.pause(0.05)
            if app.exchange_result is not None:
                break
        result = app.exchange_result
        assert result is not None and (result.delivered, result.failed, result.refused) == (0, 0, 0)
        await asyncio.sleep(0.2)  # more ticks: the console goes on
        assert app.is_running and app.exchange_timer is not None


async def test_a_served_registry_is_left_to_its_server(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A console on a server runs no rounds: the server's own courier delivers."""
    monkeypatch.setenv("FLOWPOP_EXCHANGE_INTERVAL", "0.05")
    app = FlowpopApp(lambda: flowpop.AsyncClient(url=server, token="none", max_retries=0))
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            await pilot.pause(0.02)
            if app.client is not None:
                break
        assert app.client is not None and app.exchange_timer is None
