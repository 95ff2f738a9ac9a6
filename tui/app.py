"""The console app: builds the SDK client in a worker (the first frame does not wait for it) and
opens on the search screen (or the operations home screen, when ``flowpop_tui.ops`` names one).
A key per area (inbox, houses, employers, persons, and each screen ``ops.SCREENS`` lists) goes there
from anywhere. Everything it shows comes through ``flowpop.AsyncClient``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from flowpop.labels import pick
from flowpop_tui import ops
from flowpop_tui.i18n import error_text, label, lang, paren, set_lang, t, translate_bindings

if TYPE_CHECKING:
    import flowpop
    from flowpop.types import Me


class FlowpopApp(App[None]):
    CSS_PATH = str(Path(__file__).with_name("flowpop.tcss"))  # absolute: subclasses elsewhere still find it
    BINDINGS = [
        Binding("q", "quit", "key_quit"),
        Binding("ctrl+p", "command_palette", "key_palette", show=False, priority=True),
        Binding("i", "go('inbox')", "nav_inbox"),
        Binding("h", "go('houses')", "nav_houses"),
        Binding("e", "go('employers')", "nav_employers"),
        Binding("f5", "go('persons')", "nav_persons", key_display="F5"),
    ]
    # area → (palette title, palette help); the screens are imported when first opened
    AREAS = {
        "inbox": ("cmd_inbox", "cmd_inbox_help"),
        "houses": ("cmd_houses", "cmd_houses_help"),
        "late": ("cmd_late", "cmd_late_help"),
        "employers": ("cmd_employers", "cmd_employers_help"),
        "persons": ("cmd_persons", "cmd_persons_help"),
    }

    def __init__(self, client_factory: Callable[[], flowpop.AsyncClient]) -> None:
        super().__init__()
        self._factory = client_factory
        self.client: flowpop.AsyncClient | None = None
        self.me: Me | None = None
        self.connect_error: str | None = None
        self._connected = asyncio.Event()
        self.ops_keys: dict[int, str] = {}  # ops.SCREENS index → its key (a key the app already uses is left out)
        translate_bindings(self)
        self._bind_ops()

    # ------------------------------------------------------------------ start-up

    def get_default_screen(self) -> Screen:
        if ops.HOME is not None:
            index = next((i for i, entry in enumerate(ops.SCREENS) if entry[3] is ops.HOME), None)
            return _named(ops.HOME(self), f"ops:{index}" if index is not None else "ops:home")
        return _named(self._make("persons"), "persons")

    # ------------------------------------------------------------------ areas

    def _bind_ops(self) -> None:
        """A key per operations screen, described in the current language (called again on a switch)."""
        merged = type(self)._merged_bindings
        taken = set(merged.key_to_bindings) if merged else set()
        bindings = self._bindings.key_to_bindings
        for index, (key, zh, en, _factory) in enumerate(ops.SCREENS):
            if key in taken:  # never over an app key such as q
                self.log.warning(f"ops screen {zh!r}: key {key!r} is taken; reachable from the command palette")
                continue
            bindings[key] = [Binding(key, f"go_ops({index})", pick((zh, en)))]
            self.ops_keys[index] = key

    @staticmethod
    def _make(area: str) -> Screen:
        if area == "inbox":
            from flowpop_tui.inbox import InboxScreen

            return InboxScreen()
        if area in ("houses", "late", "employers"):
            from flowpop_tui import places

            screens: dict[str, type[Screen]] = {"houses": places.HousesScreen, "late": places.LateScreen,
                                                "employers": places.EmployersScreen}
            return screens[area]()
        from flowpop_tui.search import SearchScreen

        return SearchScreen()

    def go(self, name: str, make: Callable[[], Screen]) -> None:
        """Show an area: back to it when it is already open underneath (as it was left), else open it."""
        for screen in self.screen_stack:
            if getattr(screen, "nav_name", None) == name:
                while self.screen is not screen:
                    self.pop_screen()
                return
        self.push_screen(_named(make(), name))

    def action_go(self, area: str) -> None:
        self.go(area, lambda: self._make(area))

    def action_go_ops(self, index: int) -> None:
        _key, _zh, _en, factory = ops.SCREENS[index]
        self.go(f"ops:{index}", lambda: factory(self))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # a form stays until it is saved or cancelled
        return not (action in ("go", "go_ops") and self.screen.is_modal)

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
        for area, (title, help_key) in self.AREAS.items():
            yield SystemCommand(t(title), t(help_key), partial(self.action_go, area))
        for index, (_key, zh, en, _factory) in enumerate(ops.SCREENS):
            title = pick((f"{zh} / {en}", f"{en} / {zh}"))
            yield SystemCommand(title, self.ops_keys.get(index, ""), partial(self.action_go_ops, index))
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
        self._bind_ops()
        relabel = getattr(self.screen, "relabel", None)
        if relabel is not None:
            await relabel()


def _named(screen: Screen, name: str) -> Screen:
    screen.nav_name = name  # type: ignore[attr-defined]  # our own mark on textual's Screen
    return screen


def run(client_factory: Callable[[], flowpop.AsyncClient]) -> None:
    FlowpopApp(client_factory).run()
