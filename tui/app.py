"""The console app: builds the SDK client in a worker (the first frame does not wait for it) and
opens on the search screen. Everything it shows comes through ``flowpop.AsyncClient``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from flowpop_tui.i18n import error_text, label, lang, paren, set_lang, t, translate_bindings

if TYPE_CHECKING:
    import flowpop
    from flowpop.types import Me


class FlowpopApp(App[None]):
    CSS_PATH = str(Path(__file__).with_name("flowpop.tcss"))  # absolute: subclasses elsewhere still find it
    BINDINGS = [
        Binding("q", "quit", "key_quit"),
        Binding("ctrl+p", "command_palette", "key_palette", show=False, priority=True),
    ]

    def __init__(self, client_factory: Callable[[], flowpop.AsyncClient]) -> None:
        super().__init__()
        self._factory = client_factory
        self.client: flowpop.AsyncClient | None = None
        self.me: Me | None = None
        self.connect_error: str | None = None
        self._connected = asyncio.Event()
        translate_bindings(self)

    # ------------------------------------------------------------------ start-up

    def get_default_screen(self) -> Screen:
        from flowpop_tui.search import SearchScreen

        return SearchScreen()

    def on_mount(self) -> None:
        self.title = t("title")
        self.sub_title = t("connecting")

    def on_ready(self) -> None:
        # After the first frame: opening an embedded registry migrates it and builds the API app.
        self._connect()

    @work(exclusive=True, group="connect")
    async def _connect(self) -> None:
        # A plain thread (not call_from_thread): quitting while it runs cannot deadlock.
        try:
            client = await asyncio.to_thread(self._factory)
        except Exception as exc:  # any failure to open is shown, never a crash
            self._failed(exc)
            return
        self._client_ready(client)

    def _failed(self, exc: Exception) -> None:
        self.connect_error = t("connect_failed", error=error_text(exc))
        self.sub_title = self.connect_error
        self._connected.set()
        self.notify(self.connect_error, severity="error", timeout=10, markup=False)

    def _client_ready(self, client: flowpop.AsyncClient) -> None:
        self.client = client
        self._connected.set()
        self._whoami()

    @work(exclusive=True, group="me")
    async def _whoami(self) -> None:
        if self.client is None:
            return
        try:
            self.me = await self.client.me()
        except Exception as exc:
            self.notify(error_text(exc), severity="error", markup=False)
            return
        self.sub_title = self.whoami_text()
        self.refresh_bindings()

    def whoami_text(self) -> str:
        if self.me is None or self.client is None:
            return self.connect_error or t("connecting")
        me = self.me
        name = me.username
        area = me.jurisdiction_name or t("all_areas")
        settings = self.client.settings
        where = settings.url if settings.url else f"{t('embedded')} {settings.db or ''}".strip()
        return f"{name}{paren(label('role', me.role))} · {area} · {where}"

    async def wait_client(self) -> flowpop.AsyncClient | None:
        await self._connected.wait()
        return self.client

    def allowed(self, permission: str) -> bool:
        """What the footer offers; the registry checks rights again on every call."""
        return self.me is None or permission in self.me.permissions

    async def on_unmount(self) -> None:
        if self.client is not None:
            await self.client.close()

    # ------------------------------------------------------------------ palette

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield SystemCommand(t("cmd_lang"), t("cmd_lang_help"), self.switch_language)
        from flowpop_tui.search import SearchScreen

        if isinstance(screen, SearchScreen):
            yield SystemCommand(t("cmd_refresh"), t("cmd_refresh_help"), screen.action_refresh)
            yield SystemCommand(t("cmd_key_targets"), t("cmd_key_targets_help"), screen.action_toggle_key_target)
        yield from super().get_system_commands(screen)

    async def switch_language(self) -> None:
        set_lang("zh" if lang() == "en" else "en")
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.title = t("title")
        self.sub_title = self.whoami_text()
        translate_bindings(self)
        relabel = getattr(self.screen, "relabel", None)
        if relabel is not None:
            await relabel()


def run(client_factory: Callable[[], flowpop.AsyncClient]) -> None:
    FlowpopApp(client_factory).run()
