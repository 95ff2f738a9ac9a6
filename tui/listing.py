"""A screen around one table: an optional search box and filter line, rows fetched in a worker (page by
page when the registry pages), a status line that says how many or what went wrong. The inbox, house
and employer screens build on it; each says what its columns are and how to fetch."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from flowpop_tui.base import BaseScreen, Table
from flowpop_tui.i18n import error_text, lang, t

if TYPE_CHECKING:
    import flowpop

T = TypeVar("T")
DEBOUNCE = 0.25
# columns whose values have one length (numbers, dates, codes, a mark): they keep their width on a wider screen
FIXED = frozenset({"col_sel", "col_id", "col_sex", "col_birth_year", "col_arrived", "col_due", "col_left",
                   "col_house_code", "col_uscc", "col_declare_due", "col_declared_on", "col_occupants",
                   "col_workers", "col_penalty", "col_room", "col_status", "col_msg_status"})
SCROLLBAR = 1  # DataTable's vertical scroll bar (flowpop.tcss)


def widened(spec: Sequence[tuple[str, int]], width: int) -> list[tuple[str, int]]:
    """The columns' widths for a table ``width`` cells wide: the widths are for 80 columns; what a wider screen
    adds goes to the columns of text (names, places, addresses), in proportion to their widths."""
    spec = list(spec)
    extra = width - sum(w for _key, w in spec)
    grow = [n for n, (key, _w) in enumerate(spec) if key not in FIXED]
    if extra <= 0 or not grow:
        return spec
    share = sum(spec[n][1] for n in grow)
    added = {n: extra * spec[n][1] // share for n in grow}
    added[grow[-1]] += extra - sum(added.values())
    return [(key, w + added.get(n, 0)) for n, (key, w) in enumerate(spec)]
Fetched = tuple[Sequence[Any], Any]  # the items, and what fetches the next page (None: no more)


class ListScreen(BaseScreen, Generic[T]):
    """The one paged table of the console (persons, inbox, houses, employers, rosters)."""

    BINDINGS = [
        Binding("escape", "back", "key_back"),
        Binding("slash", "focus_filter", "key_filter", key_display="/"),
        Binding("ctrl+r", "refresh", "key_refresh", show=False),
    ]

    SEARCH = True  # a search box in the bar
    PLACEHOLDER = "search_placeholder"
    COLUMNS: Mapping[str, Sequence[tuple[str, int]]] = {}  # language → (UI key, width in cells)
    NEAR_END = 10
    TABLE_ID = "rows"
    QUERY_MAX: int | None = None  # the filter's bound in the contract

    def __init__(self) -> None:
        super().__init__()
        self.query_text = ""
        self.items: dict[str, T] = {}
        self.has_more = False
        self.error: str | None = None
        self.news: str | None = None  # what the last step did, shown before the count
        self.busy = False
        self._next: Any = None
        self._generation = 0
        self._loading_more = False
        self._shown_spec: list[tuple[str, int]] = []  # the columns as the table has them

    # ------------------------------------------------------------------ what a subclass says

    def key_of(self, item: T) -> str:
        raise NotImplementedError

    def cells(self, item: T) -> list[Text]:
        raise NotImplementedError

    async def fetch(self, client: flowpop.AsyncClient) -> Fetched:
        """The first page for the current query and filters."""
        raise NotImplementedError

    async def fetch_more(self, client: flowpop.AsyncClient, token: Any) -> Fetched:
        return [], None

    def head(self) -> ComposeResult:
        """Lines above the bar (a summary)."""
        yield from ()

    def filters_text(self) -> Text:
        return Text("")

    def status_text(self) -> str:
        n = len(self.items)
        if n == 0:
            return t("none_found")
        return t("loaded_more", n=n) if self.has_more else t("loaded_all", n=n)

    def opened(self, item: T) -> None:
        """Enter on a row."""

    def loaded(self) -> None:
        """After the first page is shown."""

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header(icon="☰")
        yield from self.head()
        with Horizontal(classes="listbar"):
            if self.SEARCH:
                yield Label("›", classes="prompt")
                yield Input(value=self.query_text, placeholder=t(self.PLACEHOLDER), id="q", compact=True,
                            max_length=self.QUERY_MAX or 0)
            yield Static(self.filters_text(), id="filters", classes="listfilters")
        yield Table(id=self.TABLE_ID, cursor_type="row", zebra_stripes=True, cell_padding=0)
        yield Static("", id="status", classes="liststatus")
        yield Footer(compact=True, show_command_palette=False)

    def setup(self) -> None:
        self._add_columns()
        self.table.focus()
        self.reload()

    def _add_columns(self) -> None:
        self._shown_spec = list(self.column_spec())
        for key, width in self._shown_spec:
            self.table.add_column(t(key), width=width, key=key)

    def column_spec(self) -> Sequence[tuple[str, int]]:
        """The columns and their widths, widened to the screen's width (``widened``)."""
        spec = self.COLUMNS.get(lang()) or self.COLUMNS["zh"]
        width = self.size.width or self.app.size.width
        return widened(spec, width - SCROLLBAR) if width else spec

    def on_resize(self) -> None:
        """A wider or narrower terminal: the columns take the new width, the rows are drawn again to fit."""
        spec = list(self.column_spec())
        if not self.is_mounted or not self._shown_spec or spec == self._shown_spec:
            return
        table = self.table
        cursor = self.current_key()
        table.clear(columns=True)
        self._add_columns()
        for key, item in self.items.items():
            table.add_row(*self.cells(item), key=key)
        if cursor is not None and cursor in table.rows:
            table.move_cursor(row=table.get_row_index(cursor))

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one(f"#{self.TABLE_ID}", DataTable)

    # ------------------------------------------------------------------ keys

    @on(Input.Changed, "#q")
    def _typed(self, event: Input.Changed) -> None:
        if event.value != self.query_text:
            self.query_text, self.news = event.value, None
            self.reload(DEBOUNCE)

    @on(Input.Submitted, "#q")
    def _submitted(self) -> None:
        self.table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.SEARCH if action == "focus_filter" else True

    def action_focus_filter(self) -> None:
        if self.SEARCH:
            self.query_one("#q", Input).focus()

    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.table.focus()
        elif len(self.app.screen_stack) > 1:
            self.dismiss(None)

    def action_refresh(self) -> None:
        self.reload()

    def filters_changed(self) -> None:
        self.news = None
        self.query_one("#filters", Static).update(self.filters_text())
        self.reload()

    # ------------------------------------------------------------------ fetching

    @work(exclusive=True, group="load")
    async def reload(self, delay: float = 0.0) -> None:
        """Exclusive: a new keystroke cancels the previous fetch, so the sleep is the debounce."""
        if delay:
            await asyncio.sleep(delay)
        client = await self.app.wait_client()  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp
        if client is None:
            self.show_error(self.app.connect_error)  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp
            return
        self.workers.cancel_group(self, "more")
        self._generation += 1
        generation = self._generation
        self._loading_more = False
        self.error = None
        self._set_busy(True)
        try:
            items, token = await self.fetch(client)
        except Exception as exc:  # shown in place; the rows of the previous query go
            if generation == self._generation:
                self.table.clear()
                self.items, self._next, self.has_more = {}, None, False
                self.show_error(error_text(exc))
            return
        finally:
            if generation == self._generation:
                self._set_busy(False)
        cursor_key = self.current_key()
        self.table.clear()
        self.items = {}
        self._append(items)
        self._next, self.has_more = token, token is not None
        if cursor_key is not None and cursor_key in self.table.rows:
            self.table.move_cursor(row=self.table.get_row_index(cursor_key))
        self.update_status()
        self.loaded()
        self.refresh_bindings()  # keys that need a row (check_action) show as the rows arrive, not on the next key

    @work(exclusive=True, group="more")
    async def load_more(self) -> None:
        client = self.client
        if client is None or self._next is None or self._loading_more:
            return
        generation, token = self._generation, self._next
        self._loading_more = True
        self._set_busy(True)
        try:
            items, token = await self.fetch_more(client, token)
        except Exception as exc:
            if generation == self._generation:
                self.show_error(error_text(exc))
            return
        finally:
            if generation == self._generation:
                self._loading_more = False
                self._set_busy(False)
        if generation != self._generation:
            return  # a newer query replaced these rows
        self._append(items)
        self._next, self.has_more = token, token is not None
        self.update_status()

    async def fetch_all(self) -> None:
        """Fetch the remaining pages now (to act on everything the query finds)."""
        client = self.client
        while client is not None and self._next is not None:
            generation = self._generation
            items, token = await self.fetch_more(client, self._next)
            if generation != self._generation:
                return
            self._append(items)
            self._next, self.has_more = token, token is not None
        self.update_status()

    def _append(self, items: Sequence[T]) -> None:
        table = self.table
        for item in items:
            key = self.key_of(item)
            if key in self.items:
                continue
            self.items[key] = item
            table.add_row(*self.cells(item), key=key)

    def put(self, item: T) -> None:
        """Show a changed item in its row (in place; added at the end if it was not listed)."""
        key = self.key_of(item)
        known = key in self.items
        self.items[key] = item
        if not known:
            self.table.add_row(*self.cells(item), key=key)
            return
        for (column, _width), value in zip(self.column_spec(), self.cells(item), strict=True):
            self.table.update_cell(key, column, value)

    def current_key(self) -> str | None:
        table = self.table
        if table.row_count == 0:
            return None
        try:
            return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        except Exception:  # the cursor sits outside the rows
            return None

    def current(self) -> T | None:
        key = self.current_key()
        return self.items.get(key) if key is not None else None

    @on(DataTable.RowHighlighted)
    def _near_end(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == self.TABLE_ID and self.has_more \
                and event.cursor_row >= event.data_table.row_count - self.NEAR_END:
            self.load_more()

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != self.TABLE_ID or event.row_key.value is None:
            return
        item = self.items.get(str(event.row_key.value))
        if item is not None:
            self.opened(item)

    # ------------------------------------------------------------------ status line

    def _set_busy(self, value: bool) -> None:
        self.busy = value
        self.update_status()

    def show_error(self, message: str | None) -> None:
        self.error, self.news = message, None
        self.update_status()

    def say(self, message: str | None) -> None:
        """What the last step did, in the status line (replaces an error)."""
        self.error, self.news = None, message
        self.update_status()

    def update_status(self) -> None:
        found = self.query("#status")
        if not found:
            return  # the screen has gone (a fetch's finally after the user left)
        status = found.first(Static)
        if self.error:
            status.update(Text(self.error.replace("\n", " "), style="bold red"))
        elif self.busy:
            status.update(t("loading"))
        elif self.news:
            status.update(Text.assemble((self.news.replace("\n", " "), "green"), " · ", self.status_text()))
        else:
            status.update(Text(self.status_text()))
