"""The console app: one Textual mode per area (dashboard, persons, inbox, houses, late declarations,
employers, inspection, quality, bulk changes), each with its own stack of screens, kept as it was left.
A key per area goes there from anywhere (``AREAS``); the command palette lists the areas too and finds
them by pinyin or initials. The SDK client is built in a worker (the first frame does not wait for it);
everything shown comes through ``flowpop.AsyncClient``."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen

from flowpop.errors import AuthenticationError, PermissionDeniedError
from flowpop.rules.names import name_keys
from flowpop_tui.i18n import error_text, label, lang, paren, set_lang, t, translate_bindings

if TYPE_CHECKING:
    from textual.timer import Timer

    import flowpop
    from flowpop.types import ExchangeSyncResult, Me

EXCHANGE_INTERVAL = 30.0  # seconds between an embedded registry's exchange rounds (FLOWPOP_EXCHANGE_INTERVAL)


def exchange_interval() -> float:
    """FLOWPOP_EXCHANGE_INTERVAL (0 or less: no rounds from the console), else EXCHANGE_INTERVAL."""
    try:
        return float(os.environ.get("FLOWPOP_EXCHANGE_INTERVAL") or EXCHANGE_INTERVAL)
    except ValueError:
        return EXCHANGE_INTERVAL


def _screen(area: str) -> Screen[Any]:
    """An area's first screen (its module imported when the area first opens)."""
    if area == "dashboard":
        from flowpop_tui.ops_dashboard import DashboardScreen

        return DashboardScreen()
    if area == "persons":
        from flowpop_tui.search import SearchScreen

        return SearchScreen()
    if area == "inbox":
        from flowpop_tui.inbox import InboxScreen

        return InboxScreen()
    if area in ("houses", "late", "employers"):
        from flowpop_tui import places

        screens: dict[str, type[Screen[Any]]] = {"houses": places.HousesScreen, "late": places.LateScreen,
                                                 "employers": places.EmployersScreen}
        return screens[area]()
    if area == "inspection":
        from flowpop_tui.ops_inspect import InspectScreen

        return InspectScreen()
    if area == "quality":
        from flowpop_tui.ops_quality import QualityScreen

        return QualityScreen()
    from flowpop_tui.ops_bulk import ChangesetsScreen

    return ChangesetsScreen()


# area → (key, key shown, catalog key of its name); the palette's help is "cmd_<area>_help"
AREAS: dict[str, tuple[str | None, str, str]] = {
    "dashboard": ("g", "g", "nav_dashboard"),
    "persons": ("f5", "F5", "nav_persons"),
    "inbox": ("i", "i", "nav_inbox"),
    "houses": ("h", "h", "nav_houses"),
    "late": (None, "", "nav_late"),
    "employers": ("e", "e", "nav_employers"),
    "inspection": ("n", "n", "nav_inspection"),
    "quality": ("k", "k", "nav_quality"),
    "bulk": ("b", "b", "nav_bulk"),
}


def matches(query: str, title: str) -> bool:
    """A palette entry for what was typed: part of its title, or the start of its pinyin or initials
    (``sjzl`` and ``shuju`` find 数据质量), as in person search."""
    q = "".join(query.lower().split())
    if not q:
        return True
    if q in title.lower():
        return True
    for part in title.split("/"):
        full, initials = name_keys(part.strip())
        if full.startswith(q) or initials.startswith(q):
            return True
    return False


class AreaCommands(Provider):
    """The areas and the language switch in the palette, found by pinyin and initials too."""

    def commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        app = self.app
        assert isinstance(app, FlowpopApp)
        out: list[tuple[str, str, Callable[[], Any]]] = [(t("cmd_lang"), t("cmd_lang_help"), app.switch_language)]
        for area, (_key, shown, name) in AREAS.items():
            title = f"{t(name)} / {t(name) if lang() == 'en' else _en(name)}"
            out.append((title, (f"{shown} · " if shown else "") + t(f"cmd_{area}_help"), partial(app.action_go, area)))
        return out

    async def discover(self) -> Hits:
        for title, help_text, run in self.commands():
            yield DiscoveryHit(title, run, help=help_text)

    async def search(self, query: str) -> AsyncIterator[Hit]:
        matcher = self.matcher(query)
        for title, help_text, run in self.commands():
            score = matcher.match(title)
            if score > 0 or matches(query, title):
                yield Hit(max(score, 0.5), matcher.highlight(title), run, help=help_text)


def _place_commands() -> type[Provider]:
    """The places provider, imported when the palette first opens."""
    from flowpop_tui.palette_places import PlaceCommands

    return PlaceCommands


def _en(name: str) -> str:
    from flowpop_tui.i18n import UI

    pair = UI.pair(name)
    return pair[1] if pair else name


class FlowpopApp(App[None]):
    CSS_PATH = str(Path(__file__).with_name("flowpop.tcss"))  # the one stylesheet; absolute, for subclasses elsewhere
    DEFAULT_MODE: ClassVar[str] = "dashboard"  # the area the console opens on
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {area: partial(_screen, area) for area in AREAS}
    COMMANDS = App.COMMANDS | {AreaCommands, _place_commands}
    BINDINGS = [
        Binding("q", "quit", "key_quit"),
        Binding("ctrl+p", "command_palette", "key_palette", show=False, priority=True),
        *(Binding(key, f"go('{area}')", name, key_display=shown, show=False)
          for area, (key, shown, name) in AREAS.items() if key),
    ]

    def __init__(self, client_factory: Callable[[], flowpop.AsyncClient]) -> None:
        super().__init__()
        self._factory = client_factory
        self.client: flowpop.AsyncClient | None = None
        self.me: Me | None = None
        self.connect_error: str | None = None
        self._connected = asyncio.Event()
        self.exchange_timer: Timer | None = None
        self.exchange_result: ExchangeSyncResult | None = None  # the last round's, or None
        self._exchanging = False
        translate_bindings(self)

    # ------------------------------------------------------------------ areas

    def action_go(self, area: str) -> None:
        """Show an area as it was left; its key again (from a screen opened inside it) goes back to its first screen."""
        if area == self.current_mode:
            while len(self.screen_stack) > 1 and not self.screen.is_modal:
                self.pop_screen()
            return
        self.switch_mode(area)

    def area_screen(self, area: str) -> Screen[Any] | None:
        """An area's first screen, when the area has been opened."""
        stack = self._screen_stacks.get(area)
        return stack[0] if stack else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # a form or a dialog stays until it is answered
        return not (action == "go" and self.screen.is_modal)

    # ------------------------------------------------------------------ start-up

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
        self._start_exchange(client)

    # ------------------------------------------------------------------ exchange

    def _start_exchange(self, client: flowpop.AsyncClient) -> None:
        """An embedded registry has no server delivering its outbox: while the console is open, it runs the round
        of `flowpop exchange sync` on a timer (the registry answers an idle round when it has no key or no peer).
        A served registry's own server runs its rounds; nothing runs between two ticks."""
        interval = exchange_interval()
        if client.settings.embedded and interval > 0:
            self.exchange_timer = self.set_interval(interval, self._exchange_round)

    def _exchange_round(self) -> None:
        if not self._exchanging:  # a slow round (a peer not answering) is not doubled by the next tick
            self._exchanging = True
            self._exchange()

    @work(group="exchange", exit_on_error=False)
    async def _exchange(self) -> None:
        try:
            if self.client is not None:
                self.exchange_result = await self.client.exchange.sync(if_ready=True)
        except (PermissionDeniedError, AuthenticationError):
            if self.exchange_timer is not None:  # not the administrator: the cron job's or the server's to do
                self.exchange_timer.stop()
        except Exception:  # a round that fails is tried again at the next tick (what waits stays in the outbox)
            self.exchange_result = None
        finally:
            self._exchanging = False

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

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        from flowpop_tui.search import SearchScreen

        if isinstance(screen, SearchScreen):
            yield SystemCommand(t("cmd_refresh"), t("cmd_refresh_help"), screen.action_refresh)
            yield SystemCommand(t("cmd_key_targets"), t("cmd_key_targets_help"), screen.action_toggle_key_target)
        yield from super().get_system_commands(screen)

    async def switch_language(self) -> None:
        """中文 ⇄ English: the current area goes back to its first screen and is redrawn; the others are
        redrawn when next shown."""
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
