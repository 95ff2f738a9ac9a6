"""Houses and employers (以房管人、以业管人): find a house, see who lives in each room and who is registered
there, the tenants declared late or not at all with the penalty, the landlord's notice; find an employer
and its roster of floating workers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static, TextArea

from flowpop_tui.base import BaseScreen
from flowpop_tui.format import (
    day,
    employer_cells,
    house_cells,
    late_cells,
    occupancy_text,
    occupant_cells,
    person_cells,
    plain,
    tail,
)
from flowpop_tui.i18n import colon, error_text, label, lang, t
from flowpop_tui.listing import Fetched, ListScreen
from flowpop_tui.search import COLUMNS as PERSON_COLUMNS

if TYPE_CHECKING:
    import flowpop
    from flowpop.types import Employer, House, LateDeclaration, Occupant, Person

NOTICE_NAME = "告知书-{code}.txt"


def _pair(title: str, value: str | None) -> Text:
    return Text.assemble((title + colon(), "dim"), value or "–", "   ")


def _open_person(screen: BaseScreen, person_id: int) -> None:
    from flowpop_tui.detail import DetailScreen

    screen.app.push_screen(DetailScreen(person_id))


# ---------------------------------------------------------------------------- houses


class HousesScreen(ListScreen["House"]):
    """Search by house code, address fragment or landlord; vacant rentals and over-full houses."""

    BINDINGS = [
        Binding("l", "late", "key_late"),
        Binding("f2", "toggle_vacant", "key_vacant", key_display="F2", show=False),  # on the filter line
        Binding("f3", "toggle_over", "key_over", key_display="F3", show=False),
    ]
    PLACEHOLDER = "house_placeholder"
    PAGE_SIZE = 50
    TABLE_ID = "houses"
    COLUMNS = {
        "zh": (("col_house_code", 19), ("col_address", 20), ("col_village", 11), ("col_use", 7),
               ("col_occupants", 7), ("col_landlord", 9)),
        "en": (("col_house_code", 19), ("col_address", 20), ("col_village", 11), ("col_use", 7),
               ("col_occupants", 7), ("col_landlord", 9)),
    }

    def __init__(self) -> None:
        super().__init__()
        self.vacant: bool | None = None
        self.over_capacity: bool | None = None

    def key_of(self, item: House) -> str:
        return item.code

    def cells(self, item: House) -> list[Text]:
        return house_cells(item)

    def filters_text(self) -> Text:
        def part(key: str, title: str, on: bool | None) -> Text:
            return Text.assemble((key, "bold"), " ", title, colon(), (t("only") if on else t("all"), "reverse"), "  ")

        return Text.assemble(part("F2", t("vacant"), self.vacant), part("F3", t("over_capacity"), self.over_capacity))

    def _filters(self) -> dict[str, Any]:
        return {"q": self.query_text.strip() or None, "vacant": self.vacant, "over_capacity": self.over_capacity,
                "use": "rented" if self.vacant else None, "limit": self.PAGE_SIZE}

    async def fetch(self, client: flowpop.AsyncClient) -> Fetched:
        return await self._page(client, None)

    async def fetch_more(self, client: flowpop.AsyncClient, token: Any) -> Fetched:
        return await self._page(client, token)

    async def _page(self, client: flowpop.AsyncClient, after: str | None) -> Fetched:
        houses = await client.houses.list(**self._filters(), after=after)
        return houses, (houses[-1].code if len(houses) == self.PAGE_SIZE else None)

    def action_toggle_vacant(self) -> None:
        self.vacant = None if self.vacant else True
        self.filters_changed()

    def action_toggle_over(self) -> None:
        self.over_capacity = None if self.over_capacity else True
        self.filters_changed()

    def action_late(self) -> None:
        self.app.push_screen(LateScreen())

    def opened(self, item: House) -> None:
        self.app.push_screen(HouseScreen(item.code))


Row = tuple[str, "Occupant", bool]  # room, person, living there (else: registered there)


class HouseScreen(ListScreen[Row]):
    """One house: rooms with who lives there (declared or not) and who is registered there."""

    BINDINGS = [Binding("t", "notice", "key_notice")]
    SEARCH = False
    TABLE_ID = "rooms"
    COLUMNS = {
        "zh": (("col_room", 6), ("col_occ_kind", 10), ("col_name", 9), ("col_id", 19), ("col_arrived", 11),
               ("col_declared_where", 22)),
        "en": (("col_room", 6), ("col_occ_kind", 13), ("col_name", 8), ("col_id", 19), ("col_arrived", 11),
               ("col_declared_where", 20)),
    }

    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code
        self.house: House | None = None

    def head(self) -> ComposeResult:
        yield Static(t("loading"), id="house-summary", classes="summary")

    def key_of(self, item: Row) -> str:
        room, o, living = item
        return f"{'L' if living else 'H'}{o.person_id}:{room}"

    def cells(self, item: Row) -> list[Text]:
        room, o, living = item
        return occupant_cells(room, o, living, self.column_spec()[-1][1] - 1)

    async def fetch(self, client: flowpop.AsyncClient) -> Fetched:
        view = await client.houses.get(self.code)
        self.house = view.house
        self.query_one("#house-summary", Static).update(self._summary(view.house))
        rows: list[Row] = []
        for room in view.rooms:
            rows += [(room.room, o, True) for o in room.living]
            rows += [(room.room, o, False) for o in room.household_members]
        return rows, None

    def _summary(self, h: House) -> Text:
        landlord = " ".join(x for x in (h.landlord_name, h.landlord_phone, h.landlord_id_number) if x)
        return Text("\n").join([
            Text.assemble((h.code, "bold"), "  ", (h.address, "bold")),
            Text.assemble(_pair(t("col_village"), tail(h.division_name, 24)), _pair(t("col_use"), label("house_use", h.use)),
                          _pair(t("mode"), label("house_mode", h.mode))),
            Text.assemble(_pair(t("col_landlord"), landlord), occupancy_text(h)),
        ])

    def status_text(self) -> str:
        living = sum(1 for _, _, here in self.items.values() if here)
        return t("house_counts", living=living, registered=len(self.items) - living)

    def opened(self, item: Row) -> None:
        _open_person(self, item[1].person_id)

    @on(DataTable.RowHighlighted)
    def _where_now(self, event: DataTable.RowHighlighted) -> None:
        """The column shows the end of a place's name; the status line has all of it."""
        item = self.items.get(str(event.row_key.value))
        if item is not None:
            _room, o, living = item
            self.say(None if living or not o.where_now else f"{o.name} {t('now_at', place=o.where_now)}")

    def action_notice(self) -> None:
        self.app.push_screen(NoticeScreen(self.code))


class LateScreen(ListScreen["LateDeclaration"]):
    """Tenants declared after the deadline or not at all (the deadline passed), with the penalty."""

    BINDINGS = [Binding("t", "notice", "key_notice")]
    SEARCH = False
    TABLE_ID = "late"
    COLUMNS = {
        "zh": (("col_name", 9), ("col_address", 16), ("col_landlord", 9), ("col_declare_due", 11),
               ("col_declared_on", 11), ("col_state", 9), ("col_penalty", 6)),
        "en": (("col_name", 9), ("col_address", 16), ("col_landlord", 9), ("col_declare_due", 11),
               ("col_declared_on", 11), ("col_state", 11), ("col_penalty", 8)),
    }

    def key_of(self, item: LateDeclaration) -> str:
        return str(item.stay_id)

    def cells(self, item: LateDeclaration) -> list[Text]:
        return late_cells(item)

    def filters_text(self) -> Text:
        return Text(t("late_help"), style="dim")

    async def fetch(self, client: flowpop.AsyncClient) -> Fetched:
        return await client.houses.late_declarations(), None

    def status_text(self) -> str:
        if not self.items:
            return t("none_late")
        missing = [x for x in self.items.values() if x.state == "missing"]
        return t("late_counts", n=len(self.items), missing=len(missing), yuan=sum(x.penalty_yuan for x in self.items.values()))

    def opened(self, item: LateDeclaration) -> None:
        self.app.push_screen(HouseScreen(item.house_code))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "notice":
            return True if self.current() is not None else None  # shown greyed while there is no row
        return super().check_action(action, parameters)

    def action_notice(self) -> None:
        item = self.current()
        if item is not None:
            self.app.push_screen(NoticeScreen(item.house_code))


class NoticeScreen(BaseScreen):
    """The landlord's notice (出租屋租住登记申报告知书) as the registry words it; s saves it to a file."""

    BINDINGS = [Binding("escape", "back", "key_back"), Binding("s", "save", "key_save_file")]

    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code
        self.text: str | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="☰")
        yield TextArea(t("loading"), id="notice", read_only=True, soft_wrap=True, show_line_numbers=False)
        yield Static("", id="status", classes="liststatus")
        yield Footer(compact=True, show_command_palette=False)

    def setup(self) -> None:
        self.query_one("#notice", TextArea).focus()
        self.load()

    @work(exclusive=True, group="load")
    async def load(self) -> None:
        try:
            self.text = await self.app.client.houses.notice(self.code)  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp
        except Exception as exc:
            self.query_one("#status", Static).update(Text(error_text(exc).replace("\n", " "), style="bold red"))
            self.query_one("#notice", TextArea).text = ""
            return
        self.query_one("#notice", TextArea).text = self.text

    def action_back(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        self.save()

    @work(exclusive=True, group="save")
    async def save(self) -> None:
        if self.text is None:
            return
        path = Path.cwd() / NOTICE_NAME.format(code=self.code)
        status = self.query_one("#status", Static)
        try:
            await asyncio.to_thread(path.write_text, self.text, encoding="utf-8")
        except OSError as exc:
            status.update(Text(t("cannot_write", path=path, error=exc), style="bold red"))
            return
        status.update(Text(t("file_saved", path=path), style="green"))


# ---------------------------------------------------------------------------- employers


class EmployersScreen(ListScreen["Employer"]):
    """Employers with their floating workers and the date of the responsibility agreement."""

    BINDINGS = [Binding("f2", "toggle_needs", "key_needs_agreement", key_display="F2", show=False)]
    PLACEHOLDER = "employer_placeholder"
    TABLE_ID = "employers"
    LIMIT = 1000  # the registry's largest list of employers; a narrower query finds the rest
    COLUMNS = {
        "zh": (("col_employer", 20), ("col_uscc", 19), ("col_division", 11), ("col_workers", 9),
               ("col_agreement", 11)),
        "en": (("col_employer", 20), ("col_uscc", 19), ("col_division", 11), ("col_workers", 8),
               ("col_agreement", 11)),
    }

    def __init__(self) -> None:
        super().__init__()
        self.needs_agreement = False

    def key_of(self, item: Employer) -> str:
        return item.uscc

    def cells(self, item: Employer) -> list[Text]:
        return employer_cells(item)

    def filters_text(self) -> Text:
        return Text.assemble(("F2", "bold"), " ", t("needs_agreement"), colon(),
                             (t("only") if self.needs_agreement else t("all"), "reverse"))

    async def fetch(self, client: flowpop.AsyncClient) -> Fetched:
        found = await client.employers.list(q=self.query_text.strip() or None, needs_agreement=self.needs_agreement,
                                            limit=self.LIMIT)
        return found, None

    def status_text(self) -> str:
        text = super().status_text()
        return text + " · " + t("narrow_query") if len(self.items) >= self.LIMIT else text

    def action_toggle_needs(self) -> None:
        self.needs_agreement = not self.needs_agreement
        self.filters_changed()

    def opened(self, item: Employer) -> None:
        self.app.push_screen(RosterScreen(item.uscc))


class RosterScreen(ListScreen["Person"]):
    """An employer and the floating workers whose open stays name it."""

    SEARCH = False
    TABLE_ID = "roster"
    COLUMNS = PERSON_COLUMNS

    def __init__(self, uscc: str) -> None:
        super().__init__()
        self.uscc = uscc
        self.employer: Employer | None = None

    def head(self) -> ComposeResult:
        yield Static(t("loading"), id="employer-summary", classes="summary")

    def key_of(self, item: Person) -> str:
        return str(item.id)

    def cells(self, item: Person) -> list[Text]:
        widths = dict(self.column_spec())
        cells = plain(person_cells(item, widths["col_place"] - 1))
        if lang() == "en":
            cells[2] = Text(item.sex)
        return cells

    async def fetch(self, client: flowpop.AsyncClient) -> Fetched:
        employer, roster = await asyncio.gather(client.employers.get(self.uscc), client.employers.roster(self.uscc))
        self.employer = employer
        self.query_one("#employer-summary", Static).update(self._summary(employer))
        return roster, None

    @staticmethod
    def _summary(e: Employer) -> Text:
        contact = " ".join(x for x in (e.contact_name, e.contact_phone) if x)
        if e.agreement_signed_on:
            agreement = Text(day(e.agreement_signed_on))
        else:
            agreement = Text(t("unsigned") + (t("agreement_needed") if e.needs_agreement else ""),
                             style="bold red" if e.needs_agreement else "")
        return Text("\n").join([
            Text.assemble((e.name, "bold"), "  ", e.uscc),
            Text.assemble(_pair(t("col_division"), e.division_name), _pair(t("address"), e.address)),
            Text.assemble(_pair(t("contact"), contact), _pair(t("col_workers"), str(e.floating_workers)),
                          (t("col_agreement") + colon(), "dim"), agreement),
        ])

    def opened(self, item: Person) -> None:
        _open_person(self, item.id)
