"""Data quality (信息质量检查): each check with its count and counts by county; Enter opens the people
behind a check, Enter again one person; f plans the automatic fix, previewed before it is applied."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Static

from flowpop.labels import pick
from flowpop.rules.idnumber import mask
from flowpop_tui.base import BaseScreen, Table
from flowpop_tui.format import clip
from flowpop_tui.i18n import error_text, label, lang, t
from flowpop_tui.ops_base import pad

if TYPE_CHECKING:
    from flowpop.types import Changeset, Person, QualityCheck, QualityReport

CHECK_COLUMNS = (("col_check", 36), ("col_count", 8), ("col_fix", 9))
PERSONS_SHOWN = 500


def check_name(check: QualityCheck) -> str:
    return pick((check.name, check.name_en))


class QualityScreen(BaseScreen):
    BINDINGS = [
        Binding("f", "fix", "key_fix"),
        Binding("ctrl+r", "refresh", "key_refresh"),
        Binding("escape", "back", "key_back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.report: QualityReport | None = None
        self.places: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Header(icon="☰")
        yield Static(t("loading"), id="q-head", classes="ops-head", markup=False)
        with Horizontal(classes="ops-body"):
            yield Table(id="q-checks", cursor_type="row", zebra_stripes=True, cell_padding=0)
            yield Static("", id="q-side", classes="ops-side", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def setup(self) -> None:
        table = self.query_one("#q-checks", DataTable)
        for key, width in CHECK_COLUMNS:
            table.add_column(t(key), width=width, key=key)
        table.focus()
        self.load()

    def load(self) -> None:
        self.load_report()

    @work(group="q-report", exclusive=True)
    async def load_report(self) -> None:
        client = await self.get_client()
        if client is None:
            return
        self.query_one("#q-head", Static).update(t("loading"))
        try:
            report = await client.reports.quality()
        except Exception as exc:
            self.query_one("#q-head", Static).update(Text(error_text(exc), style="bold red"))
            return
        await self._name_places(report)
        self.report = report
        self.query_one("#q-head", Static).update(t("q_head", n=report.persons_checked))
        table = self.query_one("#q-checks", DataTable)
        keep = self.current()
        table.clear()
        for c in sorted(report.checks, key=lambda c: (c.count == 0, -c.count)):
            style = "bold" if c.count else "dim"
            table.add_row(Text(clip(check_name(c), 35), style=style), Text(f"{c.count:>7}", style=style),
                          Text(clip(label("operation", c.fixable), 9) if c.fixable else "", style="green"), key=c.key)
        if keep is not None and keep.key in table.rows:
            table.move_cursor(row=table.get_row_index(keep.key))
        self._update_side()
        self.refresh_bindings()

    async def _name_places(self, report: QualityReport) -> None:
        codes = sorted({code for c in report.checks for code in c.by_division} - self.places.keys())
        found = await asyncio.gather(*(self.client.divisions.get(code) for code in codes), return_exceptions=True)
        for code, division in zip(codes, found, strict=True):
            self.places[code] = code if isinstance(division, BaseException) else division.name

    def current(self) -> QualityCheck | None:
        key = self.cursor_key("#q-checks")
        return next((c for c in self.report.checks if c.key == key), None) if self.report and key else None

    @on(DataTable.RowHighlighted, "#q-checks")
    def _moved(self) -> None:
        self._update_side()
        self.refresh_bindings()

    def _update_side(self) -> None:
        check = self.current()
        if check is None:
            return
        lines = [Text(t("q_by_county"), style="bold")]
        for code, n in sorted(check.by_division.items(), key=lambda kv: -kv[1]):
            lines.append(Text.assemble(pad(self.places.get(code, code), 14), (f"{n:>8}", "bold")))
        if not check.by_division:
            lines.append(Text(t("none"), style="dim"))
        self.query_one("#q-side", Static).update(Text("\n").join(lines))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "fix":
            check = self.current()
            if not self.allowed("bulk"):
                return False
            return None if check is None or not check.fixable or not check.count else True
        return True

    def action_open(self) -> None:
        check = self.current()
        if check is not None and check.count:
            self.app.push_screen(QualityPersonsScreen(check))

    @on(DataTable.RowSelected, "#q-checks")
    def _selected(self) -> None:
        self.action_open()

    def action_fix(self) -> None:
        check = self.current()
        if check is not None and check.fixable and check.count:
            self.plan_fix(check.key)

    @work(group="q-fix", exclusive=True)
    async def plan_fix(self, key: str) -> None:
        from flowpop_tui.ops_bulk import PreviewScreen

        self.notify(t("q_planning"), markup=False, timeout=3)
        try:
            preview = await self.client.reports.quality_fix(key)
        except Exception as exc:
            self.fail(exc)
            return
        self.app.push_screen(PreviewScreen(self.client, preview), self._fixed)

    def _fixed(self, result: Changeset | None) -> None:
        if result is not None:
            self.load_report()


class QualityPersonsScreen(BaseScreen):
    """The people behind one check; Enter opens a person."""

    BINDINGS = [
        Binding("escape", "back", "key_back"),
        Binding("ctrl+r", "refresh", "key_refresh", show=False),
    ]

    def __init__(self, check: QualityCheck) -> None:
        super().__init__()
        self.check = check
        self.persons: list[Person] = []

    def compose(self) -> ComposeResult:
        yield Header(icon="☰")
        yield Static(t("q_persons_title", check=check_name(self.check), n=self.check.count), id="qp-head",
                     classes="ops-head", markup=False)
        yield Table(id="qp-persons", cursor_type="row", zebra_stripes=True, cell_padding=0)
        yield Static(t("loading"), id="qp-status", classes="ops-status", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def setup(self) -> None:
        from flowpop_tui.search import COLUMNS

        table = self.query_one("#qp-persons", DataTable)
        for key, width in COLUMNS[lang()]:
            table.add_column(t(key), width=width, key=key)
        table.focus()
        self.load()

    def load(self) -> None:
        self.load_persons()

    @work(group="qp-persons", exclusive=True)
    async def load_persons(self) -> None:
        from flowpop_tui.search import SearchScreen

        client = await self.get_client()
        if client is None:
            return
        try:
            persons = await client.reports.quality_persons(self.check.key, limit=PERSONS_SHOWN)
        except Exception as exc:
            self.query_one("#qp-status", Static).update(Text(error_text(exc), style="bold red"))
            return
        self.persons = persons
        table = self.query_one("#qp-persons", DataTable)
        table.clear()
        for p in persons:
            table.add_row(*SearchScreen._cells(p), key=str(p.id))
        status = t("q_persons_more", n=len(persons)) if self.check.count > len(persons) else t("loaded_all", n=len(persons))
        self.query_one("#qp-status", Static).update(status)

    @on(DataTable.RowSelected, "#qp-persons")
    def _open(self, event: DataTable.RowSelected) -> None:
        from flowpop_tui.detail import DetailScreen

        if event.row_key.value is not None:
            self.app.push_screen(DetailScreen(int(event.row_key.value)), self._returned)

    def _returned(self, person: Person | None) -> None:
        """A person changed in the detail screen: show the row as it is now."""
        from flowpop_tui.search import COLUMNS, SearchScreen

        if person is None:
            return
        if person.id_revealed:
            person = person.model_copy(update={"id_number": mask(person.id_number)})
        table = self.query_one("#qp-persons", DataTable)
        key = str(person.id)
        if key in table.rows:
            for (column, _w), value in zip(COLUMNS[lang()], SearchScreen._cells(person), strict=True):
                table.update_cell(key, column, value)
