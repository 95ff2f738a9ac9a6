"""One person: identity, stays and history, and the actions that change them."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from flowpop_tui.base import BaseScreen, Table
from flowpop_tui.format import changes_text, day, history_cells, history_codes, plain, stay_cells
from flowpop_tui.i18n import colon, error_text, label, message, paren, t

if TYPE_CHECKING:
    from flowpop.types import HistoryEntry, PersonDetail

STAY_COLUMNS = (("col_period", 23), ("col_residence", 15), ("col_household", 11), ("col_reason", 9),
                ("col_status", 7))
HISTORY_COLUMNS = (("col_when", 17), ("col_who", 10), ("col_action", 10), ("col_changes", 42), ("col_why", 20))

# action → the permission the registry asks for it, and the person statuses it applies to
ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "edit": ("write", ("active",)),
    "edit_stay": ("write", ("active",)),
    "deregister": ("deregister", ("active",)),
    "archive": ("archive", ("active",)),
    "restore": ("restore", ("deregistered", "archived")),
    "reveal": ("reveal", ("active", "deregistered", "archived")),
}


class DetailScreen(BaseScreen):
    BINDINGS = [
        Binding("escape", "back", "key_back"),
        Binding("e", "edit", "key_edit"),
        Binding("c", "edit_stay", "key_edit_stay"),
        Binding("d", "deregister", "key_deregister"),
        Binding("a", "archive", "key_archive"),
        Binding("s", "restore", "key_restore"),
        Binding("r", "reveal", "key_reveal"),
        Binding("h", "toggle_tab", "key_tab"),
        Binding("ctrl+r", "refresh", "key_refresh", show=False),
    ]

    def __init__(self, person_id: int) -> None:
        super().__init__()
        self.person_id = person_id
        self.person: PersonDetail | None = None
        self.history: list[HistoryEntry] = []
        self.changed = False
        self.places: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Header(icon="☰")
        yield Static(t("loading"), id="summary")
        with TabbedContent(id="detail-tabs"):
            with TabPane(t("stays"), id="tab-stays"):
                yield Table(id="stays", cursor_type="row", zebra_stripes=True, cell_padding=0)
            with TabPane(t("history"), id="tab-history"):
                yield Table(id="history", cursor_type="row", zebra_stripes=True, cell_padding=0)
        yield Footer(compact=True, show_command_palette=False)

    def setup(self) -> None:
        for table_id, columns in (("#stays", STAY_COLUMNS), ("#history", HISTORY_COLUMNS)):
            table = self.query_one(table_id, DataTable)
            for key, width in columns:
                table.add_column(t(key), width=width, key=key)
        self.query_one("#stays", DataTable).focus()
        self.load()

    @property
    def client(self) -> Any:
        return self.app.client  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp

    # ------------------------------------------------------------------ loading

    @work(exclusive=True, group="load")
    async def load(self, reveal: bool = False) -> None:
        try:
            person, history = await asyncio.gather(
                self.client.persons.get(self.person_id, reveal=reveal), self.client.persons.history(self.person_id)
            )
        except Exception as exc:
            self.notify(error_text(exc), severity="error", timeout=8, markup=False)
            if self.person is None:
                self.query_one("#summary", Static).update(Text(error_text(exc), style="bold red"))
            return
        await self._name_places(history)
        self.show(person, history)
        if reveal:
            self.notify(t("revealed"), markup=False)

    async def _name_places(self, history: list[HistoryEntry]) -> None:
        """History keeps division codes; look up the names once (a code that fails stays a code)."""
        missing = sorted(history_codes(history) - self.places.keys())
        if not missing:
            return
        found = await asyncio.gather(*(self.client.divisions.get(code) for code in missing), return_exceptions=True)
        for code, division in zip(missing, found, strict=True):
            self.places[code] = code if isinstance(division, BaseException) else division.full_name

    def show(self, person: PersonDetail, history: list[HistoryEntry]) -> None:
        self.person, self.history = person, history
        self.query_one("#summary", Static).update(self._summary(person))
        stays = self.query_one("#stays", DataTable)
        stays.clear()
        for s in person.stays:
            stays.add_row(*plain(stay_cells(s)), key=str(s.id))
        table = self.query_one("#history", DataTable)
        table.clear()
        for h in history:
            table.add_row(*plain(history_cells(h, self.places)), key=str(h.id))
        self.refresh_bindings()

    @staticmethod
    def _summary(p: PersonDetail) -> Text:
        def pair(title: str, value: str | None) -> Text:
            return Text.assemble((title + colon(), "dim"), value or "–", "   ")

        status_style = "bold green" if p.status == "active" else "bold yellow"
        years = t("born_in", year=p.birth_year) if p.age is None else t("aged", age=p.age)  # the age when revealed
        head = Text.assemble((p.name, "bold"), "  ", p.id_number, "  ", label("sex", p.sex), f" {years}  ",
                             label("category", p.category))
        if p.key_target:
            head.append("  " + t("key_target_yes"), style="magenta")
        head.append("  ")
        head.append(label("person_status", p.status), style=status_style)
        household = " ".join(x for x in (p.household_name, p.household_address) if x)
        residence = p.residence_name or ""
        if p.arrived_on:
            residence += paren(f"{t('col_arrived')} {day(p.arrived_on)}")
        lines = [
            head,
            pair(t("f_household"), household),
            pair(t("f_residence"), residence),
            Text.assemble(pair(t("f_phone"), p.phone), pair(t("f_marital_status"), label("marital_status", p.marital_status)),
                          pair(t("f_education"), label("education", p.education))),
        ]
        if p.note:
            lines.append(pair(t("f_note"), p.note))
        for w in p.warnings:
            lines.append(Text("! " + message(w), style="yellow"))
        return Text("\n").join(lines)

    # ------------------------------------------------------------------ keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        rule = ACTIONS.get(action)
        if rule is None:
            return True
        if self.person is None:
            return None  # shown, greyed, until the person is loaded
        permission, statuses = rule
        if self.person.status not in statuses or not self.app.allowed(permission):  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp
            return False
        if action == "reveal" and self.person.id_revealed:
            return False
        return not (action == "edit_stay" and self.person.current_stay_id is None)

    def action_back(self) -> None:
        self.dismiss(self.person if self.changed else None)

    def action_toggle_tab(self) -> None:
        tabs = self.query_one("#detail-tabs", TabbedContent)
        tabs.active = "tab-history" if tabs.active == "tab-stays" else "tab-stays"
        self.query_one("#history" if tabs.active == "tab-history" else "#stays", DataTable).focus()

    def action_refresh(self) -> None:
        self.load()

    def action_reveal(self) -> None:
        self.load(reveal=True)

    def action_edit(self) -> None:
        from flowpop_tui.forms import PersonForm

        if self.person is not None:
            self.app.push_screen(PersonForm(self.client, self.person), self._after_change)

    def action_edit_stay(self) -> None:
        from flowpop_tui.forms import StayForm

        if self.person is None:
            return
        stay = next((s for s in self.person.stays if s.id == self.person.current_stay_id), None)
        if stay is None:
            self.notify(t("no_open_stay"), severity="warning", markup=False)
            return
        self.app.push_screen(StayForm(self.client, stay, self.person.name), self._after_change)

    def _status(self, action: str) -> None:
        from flowpop_tui.forms import StatusForm

        if self.person is not None:
            self.app.push_screen(StatusForm(self.client, self.person, action), self._after_change)

    def action_deregister(self) -> None:
        self._status("deregister")

    def action_archive(self) -> None:
        self._status("archive")

    def action_restore(self) -> None:
        self._status("restore")

    def _after_change(self, result: object | None) -> None:
        if result is not None:
            self.changed = True
            self.load()

    @on(DataTable.RowSelected, "#history")
    def _history_row(self, event: DataTable.RowSelected) -> None:
        entry = next((h for h in self.history if str(h.id) == event.row_key.value), None)
        if entry is not None:
            text = changes_text(entry.changes, entry.entity, self.places)
            self.notify(text + (f"\n{entry.reason}" if entry.reason else ""), title=history_cells(entry)[2],
                        timeout=10, markup=False)
