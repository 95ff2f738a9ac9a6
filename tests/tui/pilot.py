"""Plain helpers for driving the console with Textual's pilot, shared by the tests in this folder."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

import flowpop
from flowpop_tui.app import FlowpopApp
from flowpop_tui.inbox import InboxScreen
from flowpop_tui.inbox_message import MessageScreen

SIZE = (80, 24)


def console(db_url: str, user: flowpop.Client | None = None) -> FlowpopApp:
    """The console on the registry at ``db_url``, as ``user`` (their token) or as the local administrator."""
    token = user.settings.token if user is not None else None
    return FlowpopApp(lambda: flowpop.AsyncClient(db=db_url, token=token, max_retries=0))


async def settle(pilot: Pilot[Any], rounds: int = 400) -> None:
    """Wait (bounded) until the client is open and no worker of the app or its screens is running."""
    app = pilot.app
    for _ in range(rounds):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        opened = app.client is not None or app.connect_error is not None  # type: ignore[attr-defined]
        if opened and not any(w.is_running for w in app.workers):
            return
        await pilot.pause(0.02)
    raise AssertionError("the console did not settle")


def footer_keys(app: FlowpopApp) -> set[str]:
    """What the footer shows for each key (FooterKey widgets, found by their CSS type name)."""
    return {str(getattr(k, "description", "")) for k in app.screen.query("FooterKey")}


def rows(table: DataTable[Any]) -> list[str]:
    """The row keys of ``table``, in order."""
    return [str(key.value) for key in table.rows]


def status_line(app: FlowpopApp) -> str:
    """The text of the current screen's status line."""
    return str(app.screen.query_one("#status", Static).render())


async def open_inbox(pilot: Pilot[Any]) -> InboxScreen:
    """Open the inbox from the search screen with its key."""
    await settle(pilot)
    await pilot.press("down", "i")  # down leaves the search box (where i is a letter) for the results
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, InboxScreen)
    return screen


def messages(screen: InboxScreen) -> DataTable[Any]:
    """The inbox's table of messages."""
    return screen.query_one("#messages", DataTable)


def point_at(screen: InboxScreen, message_id: int) -> None:
    """Put the inbox's cursor on message ``message_id``."""
    table = messages(screen)
    table.focus()
    table.move_cursor(row=table.get_row_index(str(message_id)))


async def open_message(pilot: Pilot[Any], inbox: InboxScreen, message_id: int) -> MessageScreen:
    """Open message ``message_id`` from the inbox (cursor on it, enter)."""
    point_at(inbox, message_id)
    await pilot.press("enter")
    await settle(pilot)
    view = pilot.app.screen
    assert isinstance(view, MessageScreen)
    return view
