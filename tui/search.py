"""Home screen: one search box, three filters, and a table filled page by page as the cursor goes down."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from flowpop.rules.idnumber import mask
from flowpop.types import PersonFilters
from flowpop_tui.format import person_cells, plain
from flowpop_tui.i18n import colon, error_text, label, lang, t
from flowpop_tui.ops_i18n import t as ops_t
from flowpop_tui.ops_i18n import translate_bindings

if TYPE_CHECKING:
    from flowpop.pagination import AsyncPager
    from flowpop.types import Person

DIRECTIONS: tuple[str | None, ...] = (None, "inflow", "outflow")
QUERY_MAX = 64  # PersonFilters.q's bound: longer text could not be searched
STATUSES: tuple[str | None, ...] = ("active", "deregistered", "archived", None)
# Widths in terminal cells, one more than the widest value: the table has no cell padding so
# that all eight columns fit in 80 columns (CJK characters count two cells; Textual measures them).
# English labels are longer: the sex column shows M/F there and the place column gives way.
COLUMNS = {
    "zh": (("col_name", 9), ("col_id", 19), ("col_sex", 5), ("col_birth_year", 9), ("col_category", 9),
           ("col_place", 11), ("col_arrived", 11), ("col_status", 6)),
    "en": (("col_name", 8), ("col_id", 19), ("col_sex", 4), ("col_birth_year", 5), ("col_category", 16),
           ("col_place", 8), ("col_arrived", 11), ("col_status", 8)),
}
DEBOUNCE = 0.25


class SearchScreen(Screen[None]):
    BINDINGS = [
        Binding("slash", "focus_filter", "key_filter", key_display="/"),
        Binding("f2", "cycle_direction", "key_direction", key_display="F2"),
        Binding("f3", "cycle_status", "key_status", key_display="F3"),
        Binding("f4", "toggle_key_target", "key_key_target", key_display="F4"),
        Binding("ctrl+r", "refresh", "key_refresh"),
        Binding("space", "toggle_select", "key_select", key_display="␣"),
        Binding("B", "bulk", "key_bulk", key_display="B"),
        Binding("escape", "focus_filter", show=False),
    ]

    PAGE_SIZE = 50
    NEAR_END = 10  # fetch the next page when the cursor comes this close to the last loaded row

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self.query_text = ""
        self.direction_filter: str | None = None
        self.status_filter: str | None = "active"
        self.key_target: bool | None = None
        self.has_more = False
        self.error: str | None = None
        self.busy = False
        self._pager: AsyncPager[Person] | None = None
        self._cursor: str | None = None
        self._generation = 0
        self._loading_more = False
        self.selected: set[int] = set()  # rows marked with space for a bulk change (kept across searches)
        self._rows: dict[str, Person] = {}

    def compose(self) -> ComposeResult:
        yield Header(icon="☰")
        with Horizontal(id="searchbar"):
            yield Label("›", id="prompt")
            yield Input(value=self.query_text, placeholder=t("search_placeholder"), id="q", compact=True,
                        max_length=QUERY_MAX)
        yield Static(self._filters_text(), id="filters")
        yield DataTable(id="persons", cursor_type="row", zebra_stripes=True, cell_padding=0)
        yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self._add_columns()
        self.query_one("#q", Input).focus()
        self.search()

    def _add_columns(self) -> None:
        table = self.query_one("#persons", DataTable)
        for key, width in COLUMNS[lang()]:
            table.add_column(t(key), width=width, key=key)

    async def relabel(self) -> None:
        """After a language switch: rebuild the widgets in the new language, keep the query."""
        translate_bindings(self)
        await self.recompose()
        self._add_columns()
        self.query_one("#q", Input).focus()
        self.search()

    # ------------------------------------------------------------------ input and keys

    @on(Input.Changed, "#q")
    def _typed(self, event: Input.Changed) -> None:
        if event.value == self.query_text:
            return
        self.query_text = event.value
        self.search(DEBOUNCE)

    @on(Input.Submitted, "#q")
    def _submitted(self) -> None:
        self.query_one("#persons", DataTable).focus()

    def on_key(self, event: Any) -> None:
        # Down from the search box moves into the results, as in a list picker.
        if event.key == "down" and isinstance(self.focused, Input):
            self.query_one("#persons", DataTable).focus()
            event.stop()

    def action_focus_filter(self) -> None:
        self.query_one("#q", Input).focus()

    def action_cycle_direction(self) -> None:
        self.direction_filter = DIRECTIONS[(DIRECTIONS.index(self.direction_filter) + 1) % len(DIRECTIONS)]
        self._filters_changed()

    def action_cycle_status(self) -> None:
        self.status_filter = STATUSES[(STATUSES.index(self.status_filter) + 1) % len(STATUSES)]
        self._filters_changed()

    def action_toggle_key_target(self) -> None:
        self.key_target = None if self.key_target else True
        self._filters_changed()

    def action_refresh(self) -> None:
        self.search()

    def _filters_changed(self) -> None:
        self.query_one("#filters", Static).update(self._filters_text())
        self.search()

    def _filters_text(self) -> Text:
        def part(key: str, title: str, value: str) -> Text:
            return Text.assemble((key, "bold"), " ", title, colon(), (value, "reverse"), "   ")

        return Text.assemble(
            part("F2", t("direction"), label("direction", self.direction_filter) if self.direction_filter else t("all")),
            part("F3", t("status"), label("person_status", self.status_filter) if self.status_filter else t("all")),
            part("F4", t("key_target"), t("only") if self.key_target else t("all")),
        )

    # ------------------------------------------------------------------ fetching

    def _filters(self) -> PersonFilters:
        """The search as the contract's person filters: what the registry searches by and a bulk change selects."""
        return PersonFilters.model_validate({"q": self.query_text.strip() or None, "direction": self.direction_filter,
                                             "status": self.status_filter, "key_target": self.key_target})

    @work(exclusive=True, group="search")
    async def search(self, delay: float = 0.0) -> None:
        """Exclusive: a new keystroke cancels the previous search, so the sleep is the debounce."""
        if delay:
            await asyncio.sleep(delay)
        client = await self.app.wait_client()  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp
        if client is None:
            self._show_error(self.app.connect_error)  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp
            return
        self.workers.cancel_group(self, "more")
        self._generation += 1
        generation = self._generation
        self._loading_more = False
        self.error = None
        self._set_loading(True)
        try:
            pager = client.persons.list(**self._filters().model_dump(exclude_none=True), limit=self.PAGE_SIZE)
            page = await pager.first_page()
        except Exception as exc:
            if generation == self._generation:  # the rows shown belong to the previous query: drop them
                self.query_one("#persons", DataTable).clear()
                self._pager, self._cursor, self.has_more = None, None, False
                self._show_error(error_text(exc))
            return
        finally:
            if generation == self._generation:
                self._set_loading(False)
        self._pager = pager
        table = self.query_one("#persons", DataTable)
        table.clear()
        self._rows = {}
        self._append(page.data)
        self._cursor, self.has_more = page.next_cursor, page.has_more and page.next_cursor is not None
        self._update_status()

    @work(exclusive=True, group="more")
    async def load_more(self) -> None:
        if self._pager is None or not self._cursor or self._loading_more:
            return
        generation, pager, cursor = self._generation, self._pager, self._cursor
        self._loading_more = True
        self._set_loading(True)
        try:
            page = await pager.page(cursor)
        except Exception as exc:
            if generation == self._generation:
                self._show_error(error_text(exc))
            return
        finally:
            if generation == self._generation:
                self._loading_more = False
                self._set_loading(False)
        if generation != self._generation:
            return  # a newer search replaced these results
        self._append(page.data)
        self._cursor, self.has_more = page.next_cursor, page.has_more and page.next_cursor is not None
        self._update_status()

    def _append(self, persons: list[Person]) -> None:
        table = self.query_one("#persons", DataTable)
        for p in persons:
            key = str(p.id)
            if key in table.rows:
                continue
            self._rows[key] = p
            table.add_row(*self._marked(p), key=key)

    def _marked(self, p: Person) -> list[Any]:
        cells = self._cells(p)
        if p.id in self.selected:
            cells[0] = Text("✓", style="bold green") + cells[0]
            cells[0].stylize("reverse", 1)
        return cells

    @staticmethod
    def _cells(p: Person) -> list[Any]:
        widths = dict(COLUMNS[lang()])
        cells = plain(person_cells(p, widths["col_place"] - 1))
        if lang() == "en":
            cells[2] = Text(p.sex)
        if p.key_target:  # 重点服务管理对象 stand out without an extra column
            cells[0].stylize("bold magenta")
        return cells

    @on(DataTable.RowHighlighted, "#persons")
    def _near_end(self, event: DataTable.RowHighlighted) -> None:
        if self.has_more and event.cursor_row >= event.data_table.row_count - self.NEAR_END:
            self.load_more()

    @on(DataTable.RowSelected, "#persons")
    def _open(self, event: DataTable.RowSelected) -> None:
        from flowpop_tui.detail import DetailScreen

        if event.row_key.value is None:
            return
        self.app.push_screen(DetailScreen(int(event.row_key.value)), self._returned)

    def _returned(self, person: Person | None) -> None:
        """The detail screen hands back the person when it changed: refresh that row in place."""
        if person is None:
            return
        if person.id_revealed:  # the list never shows a whole ID number
            person = person.model_copy(update={"id_number": mask(person.id_number)})
        table = self.query_one("#persons", DataTable)
        key = str(person.id)
        if key not in table.rows:
            return
        for (column, _width), value in zip(COLUMNS[lang()], self._marked(person), strict=True):
            table.update_cell(key, column, value)
        self._rows[key] = person

    # ------------------------------------------------------------------ selection and bulk changes

    def action_toggle_select(self) -> None:
        """Space on a row marks it for a bulk change (and again unmarks it); the cursor moves on."""
        table = self.query_one("#persons", DataTable)
        if not isinstance(self.focused, DataTable) or table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        person = self._rows.get(str(key))
        if person is None:
            return
        self.selected.symmetric_difference_update({person.id})
        table.update_cell(str(key), COLUMNS[lang()][0][0], self._marked(person)[0])
        if table.cursor_row + 1 < table.row_count:
            table.move_cursor(row=table.cursor_row + 1)
        self._update_status()

    def bulk_selection(self) -> dict[str, Any]:
        """The rows marked, else the current search (its filters, as the registry reads them)."""
        if self.selected:
            return {"ids": sorted(self.selected)}
        return {"filters": self._filters().model_dump(mode="json", exclude_none=True)}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "bulk":
            return bool(self.app.allowed("bulk"))  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp
        return True

    def action_bulk(self) -> None:
        from flowpop_tui.ops_bulk import start_bulk

        start_bulk(self.app, self.bulk_selection(), self._after_bulk)

    def _after_bulk(self, result: object | None) -> None:
        if result is not None:
            self.selected.clear()
            self.search()

    # ------------------------------------------------------------------ status line

    def _set_loading(self, value: bool) -> None:
        self.busy = value
        self._update_status()

    def _show_error(self, message: str | None) -> None:
        self.error = message
        self._update_status()

    def _update_status(self) -> None:
        found = self.query("#status")
        if not found:
            return  # the screen was closed while a search ran (its worker's finally still runs)
        status = found.first(Static)
        if self.error:
            status.update(Text(self.error.replace("\n", " "), style="bold red"))
            return
        n = self.query_one("#persons", DataTable).row_count
        if self.busy:
            text = t("loading")
        elif n == 0:
            text = t("none_found")
        else:
            text = t("loaded_more", n=n) if self.has_more else t("loaded_all", n=n)
        if self.selected:
            text += "  " + ops_t("search_selected", n=len(self.selected))
        status.update(text)

    @property
    def row_count(self) -> int:
        return self.query_one("#persons", DataTable).row_count
