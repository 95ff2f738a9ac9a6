"""Person search: one search box, three filters, and the one paged table (``ListScreen``) filled page by page
as the cursor goes down."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable, Input

from flowpop.rules.idnumber import mask
from flowpop.types import PersonFilters
from flowpop_tui.format import person_cells, plain, tail
from flowpop_tui.i18n import colon, label, lang, t
from flowpop_tui.listing import Fetched, ListScreen
from flowpop_tui.pickers import pick_division

if TYPE_CHECKING:
    import flowpop
    from flowpop.types import Division, Person

DIRECTIONS: tuple[str | None, ...] = (None, "inflow", "outflow")
QUERY_MAX = 64  # PersonFilters.q's bound: longer text could not be searched
STATUSES: tuple[str | None, ...] = ("active", "deregistered", "archived", None)
# Widths in terminal cells, one more than the widest value: the table has no cell padding so
# that all eight columns fit in 80 columns (CJK characters count two cells; Textual measures them).
# English labels are longer: the sex column shows M/F there and the place column gives way.
COLUMNS = {
    "zh": (("col_name", 9), ("col_id", 19), ("col_sex", 5), ("col_birth_year", 9), ("col_category", 9),
           ("col_place", 10), ("col_arrived", 11), ("col_status", 7)),
    "en": (("col_name", 8), ("col_id", 19), ("col_sex", 4), ("col_birth_year", 5), ("col_category", 16),
           ("col_place", 8), ("col_arrived", 11), ("col_status", 8)),
}


class SearchScreen(ListScreen["Person"]):
    BINDINGS = [
        Binding("slash", "focus_filter", "key_filter", key_display="/"),
        Binding("f2", "cycle_direction", "key_direction", key_display="F2"),
        Binding("f3", "cycle_status", "key_status", key_display="F3"),
        Binding("f4", "toggle_key_target", "key_key_target", key_display="F4"),
        Binding("f6", "pick_division", "key_division", key_display="F6"),
        Binding("ctrl+r", "refresh", "key_refresh"),
        Binding("space", "toggle_select", "key_select", key_display="␣"),
        Binding("B", "bulk", "key_bulk", key_display="B"),
        Binding("escape", "focus_filter", "key_filter", show=False),
    ]

    PAGE_SIZE = 50
    TABLE_ID = "persons"
    COLUMNS = COLUMNS
    QUERY_MAX = QUERY_MAX

    def __init__(self) -> None:
        super().__init__()
        self.direction_filter: str | None = None
        self.status_filter: str | None = "active"
        self.key_target: bool | None = None
        self.division: Division | None = None  # the area searched (F6), within the user's jurisdiction
        self.selected: set[int] = set()  # rows marked with space for a bulk change (kept across searches)

    def setup(self) -> None:
        super().setup()
        self.query_one("#q", Input).focus()

    # ------------------------------------------------------------------ what the list shows

    def key_of(self, item: Person) -> str:
        return str(item.id)

    def cells(self, item: Person) -> list[Text]:
        cells = self._cells(item, dict(self.column_spec())["col_place"])
        if item.id in self.selected:
            cells[0] = Text("✓", style="bold green") + cells[0]
            cells[0].stylize("reverse", 1)
        return cells

    @staticmethod
    def _cells(p: Person, place_width: int | None = None) -> list[Text]:
        """A person's row; the place cut to its column (``place_width``: as the table has it, widened)."""
        width = place_width or dict(COLUMNS[lang()])["col_place"]
        cells = plain(person_cells(p, width - 1))
        if lang() == "en":
            cells[2] = Text(p.sex)
        if p.key_target:  # 重点服务管理对象 stand out without an extra column
            cells[0].stylize("bold magenta")
        return cells

    def filters_text(self) -> Text:
        def part(key: str, title: str, value: str) -> Text:
            return Text.assemble((key, "bold"), " ", title, colon(), (value, "reverse"), "   ")

        return Text.assemble(
            part("F2", t("direction"), label("direction", self.direction_filter) if self.direction_filter else t("all")),
            part("F3", t("status"), label("person_status", self.status_filter) if self.status_filter else t("all")),
            part("F4", t("key_target"), t("only") if self.key_target else t("all")),
            part("F6", t("division"), tail(self.division.name, 12) if self.division else t("all")),
        )

    def status_text(self) -> str:
        n = len(self.items)
        text = t("none_found") if n == 0 else (t("loaded_more", n=n) if self.has_more else t("loaded_all", n=n))
        if self.selected:
            text += "  " + t("search_selected", n=len(self.selected))
        return text

    # ------------------------------------------------------------------ keys

    def on_key(self, event: Any) -> None:
        # Down from the search box moves into the results, as in a list picker.
        if event.key == "down" and isinstance(self.focused, Input):
            self.table.focus()
            event.stop()

    def action_back(self) -> None:
        self.action_focus_filter()

    def action_cycle_direction(self) -> None:
        after = DIRECTIONS[(DIRECTIONS.index(self.direction_filter) + 1) % len(DIRECTIONS)]
        me = self.app.me  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp
        if after is not None and self.division is None and me is not None and me.jurisdiction_code is None:
            # a direction is inflow or outflow relative to an area: one with the whole tree picks it first
            def picked(division: Division | None) -> None:
                if division is not None:
                    self.division, self.direction_filter = division, after
                    self.filters_changed()

            pick_division(self, t("picker_division"), picked)
            return
        self.direction_filter = after
        self.filters_changed()

    def action_pick_division(self) -> None:
        def picked(division: Division | None) -> None:
            if division is not None:
                self.division = division
                self.filters_changed()

        pick_division(self, t("picker_division"), picked)

    def action_cycle_status(self) -> None:
        self.status_filter = STATUSES[(STATUSES.index(self.status_filter) + 1) % len(STATUSES)]
        self.filters_changed()

    def action_toggle_key_target(self) -> None:
        self.key_target = None if self.key_target else True
        self.filters_changed()

    def search(self, delay: float = 0.0) -> None:
        self.reload(delay)

    # ------------------------------------------------------------------ fetching

    def _filters(self) -> PersonFilters:
        """The search as the contract's person filters: what the registry searches by and a bulk change selects."""
        return PersonFilters.model_validate({"q": self.query_text.strip() or None, "direction": self.direction_filter,
                                             "status": self.status_filter, "key_target": self.key_target,
                                             "division": self.division.code if self.division else None})

    async def fetch(self, client: flowpop.AsyncClient) -> Fetched:
        pager = client.persons.list(**self._filters().model_dump(exclude_none=True), limit=self.PAGE_SIZE)
        page = await pager.first_page()
        return page.data, ((pager, page.next_cursor) if page.has_more and page.next_cursor else None)

    async def fetch_more(self, client: flowpop.AsyncClient, token: Any) -> Fetched:
        pager, cursor = token
        page = await pager.page(cursor)
        return page.data, ((pager, page.next_cursor) if page.has_more and page.next_cursor else None)

    def opened(self, item: Person) -> None:
        from flowpop_tui.detail import DetailScreen

        self.app.push_screen(DetailScreen(item.id), self._returned)

    def _returned(self, person: Person | None) -> None:
        """The detail screen hands back the person when it changed: refresh that row in place."""
        if person is None or str(person.id) not in self.items:
            return
        if person.id_revealed:  # the list never shows a whole ID number
            person = person.model_copy(update={"id_number": mask(person.id_number)})
        self.put(person)

    # ------------------------------------------------------------------ selection and bulk changes

    def action_toggle_select(self) -> None:
        """Space on a row marks it for a bulk change (and again unmarks it); the cursor moves on."""
        table = self.table
        if not isinstance(self.focused, DataTable) or table.row_count == 0:
            return
        person = self.current()
        if person is None:
            return
        self.selected.symmetric_difference_update({person.id})
        self.put(person)
        if table.cursor_row + 1 < table.row_count:
            table.move_cursor(row=table.cursor_row + 1)
        self.update_status()

    def bulk_selection(self) -> dict[str, Any]:
        """The rows marked, else the current search (its filters, as the registry reads them)."""
        if self.selected:
            return {"ids": sorted(self.selected)}
        return {"filters": self._filters().model_dump(mode="json", exclude_none=True)}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "bulk":
            return self.allowed("bulk")
        return True

    def action_bulk(self) -> None:
        from flowpop_tui.ops_bulk import start_bulk

        start_bulk(self.app, self.bulk_selection(), self._after_bulk)

    def _after_bulk(self, result: object | None) -> None:
        if result is not None:
            self.selected.clear()
            self.reload()

    @property
    def row_count(self) -> int:
        return self.table.row_count


__all__ = ["DIRECTIONS", "STATUSES", "SearchScreen"]
