"""Quarterly inspection (季度清查) door to door: the items of a campaign, one key per outcome, progress per
village at the side. Filters: pending only, mine (assigned to me), one village; another campaign with c."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Static

from flowpop import labels
from flowpop.errors import VersionConflictError
from flowpop.types import HouseUpdate, PersonUpdate, StayUpdate
from flowpop_tui.base import BaseScreen, Confirm, Table
from flowpop_tui.format import tail
from flowpop_tui.forms import Field, FormScreen
from flowpop_tui.i18n import FIELD_KINDS, colon, error_text, label, lang, t
from flowpop_tui.ops_base import bar, pad, short_place

if TYPE_CHECKING:
    import flowpop
    from flowpop.types import Campaign, CampaignItem, CampaignProgress

LIMIT = 1000  # items shown at once; a village at a time beyond that
COLUMNS = {
    "zh": (("col_insp_who", 9), ("col_number", 19), ("col_outcome", 11), ("col_address", 14)),
    "en": (("col_insp_who", 9), ("col_number", 19), ("col_outcome", 12), ("col_address", 13)),
}
OUTCOME_STYLE = {"present": "green", "corrected": "cyan", "left": "yellow", "not_found": "red",
                 "certificate_missing": "magenta", "new_found": "blue"}
# outcome → the permission it needs besides write (left deregisters the person)
NEEDS = {"left": "deregister"}
PERSON_FIELDS = tuple(f for f in PersonUpdate.model_fields if f not in ("version", "change_reason"))
STAY_FIELDS = tuple(f for f in StayUpdate.model_fields if f not in ("version", "change_reason"))
HOUSE_FIELDS = tuple(f for f in HouseUpdate.model_fields if f not in ("version", "change_reason"))
HOUSE_KINDS = {"use": "house_use", "mode": "house_mode"}


def outcome_text(item: CampaignItem) -> Text:
    if item.outcome is None:
        return Text("·", style="dim")
    return Text(label("inspection_outcome", item.outcome), style=OUTCOME_STYLE.get(item.outcome, ""))


def item_cells(item: CampaignItem, address_width: int) -> list[Text]:
    if item.kind == "house":
        who, number = t("insp_house"), item.house_code or ""
    else:
        who, number = item.name or "", item.id_number or ""
    return [Text(who), Text(number), outcome_text(item), Text(tail(item.address, address_width))]


# ------------------------------------------------------------------ corrections typed as field=value


def _field(text: str, allowed: tuple[str, ...]) -> str | None:
    return labels.field_for(text, allowed)


def parse_change(line: str, kind: str) -> tuple[str, Any]:
    """``phone=139…``, ``婚姻状况=初婚``, ``stay.residence_address=…`` → the registry's (key, value); a
    ValueError names what is wrong. Values go on as typed (codes from labels): the registry validates."""
    key, sep, value = line.partition("=")
    if not sep or not key.strip():
        raise ValueError(t("correct_bad_line"))
    text = value.strip()
    if kind == "house":
        name = _field(key, HOUSE_FIELDS)
        api = name
        kinds = HOUSE_KINDS
    else:
        raw = key.strip()
        stay_side = raw.startswith("stay.")
        name = _field(raw[5:], STAY_FIELDS) if stay_side else _field(raw, PERSON_FIELDS) or _field(raw, STAY_FIELDS)
        api = None if name is None else (name if name in PERSON_FIELDS and not stay_side else f"stay.{name}")
        kinds = FIELD_KINDS
    if name is None or api is None:
        raise ValueError(t("correct_bad_field", field=key.strip()))
    if not text:
        return api, None
    if name in kinds:
        return api, labels.code_for(kinds[name], text) or text
    annotation = str(HouseUpdate.model_fields[name].annotation) if kind == "house" else ""
    if "int" in annotation.lower() and text.isascii() and text.isdigit():
        return api, int(text)
    return api, text


class CorrectForm(FormScreen["CampaignItem"]):
    """已更正: up to four ``field=value`` lines and a note."""

    LINES = 4

    def __init__(self, client: flowpop.AsyncClient, campaign_id: int, item: CampaignItem) -> None:
        self.campaign_id, self.item = campaign_id, item
        super().__init__(client, t("correct_title", name=item.name or item.house_code or ""))

    def fields(self) -> list[Field]:
        lines = [Field(f"change{n}", t("correct_line", n=n), None, hint=t("correct_hint") if n == 1 else "")
                 for n in range(1, self.LINES + 1)]
        return [*lines, Field("note", t("f_note"), None)]

    def changes(self, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        out: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for n in range(1, self.LINES + 1):
            line = values.get(f"change{n}")
            if not line:
                continue
            try:
                key, value = parse_change(line, self.item.kind)
            except ValueError as exc:
                errors[f"change{n}"] = str(exc)
                continue
            out[key] = value
        if not out and not errors:
            errors["change1"] = t("correct_empty")
        return out, errors

    def field_errors(self) -> dict[str, str]:
        return {**super().field_errors(), **self.changes(self.values())[1]}

    async def submit(self, values: dict[str, Any]) -> CampaignItem | None:
        changes, _errors = self.changes(values)
        return await self.client.inspections.record(self.campaign_id, self.item.id, version=self.item.version,
                                                    outcome="corrected", changes=changes, note=values.get("note"))


class LeftForm(FormScreen["CampaignItem"]):
    """已离开: the date (blank for today) and a note; the registry deregisters the person."""

    def __init__(self, client: flowpop.AsyncClient, campaign_id: int, item: CampaignItem) -> None:
        self.campaign_id, self.item = campaign_id, item
        super().__init__(client, t("left_title", name=item.name or ""))

    def fields(self) -> list[Field]:
        return [Field("date", t("f_left_on"), None, "date", hint=t("date_placeholder")),
                Field("note", t("f_note"), None)]

    async def submit(self, values: dict[str, Any]) -> CampaignItem | None:
        return await self.client.inspections.record(self.campaign_id, self.item.id, version=self.item.version,
                                                    outcome="left", date=values.get("date"), note=values.get("note"))


# ------------------------------------------------------------------ the screen


class InspectScreen(BaseScreen):
    BINDINGS = [
        Binding("1", "record('present')", "key_present"),
        Binding("2", "record('corrected')", "key_corrected"),
        Binding("3", "record('left')", "key_left"),
        Binding("4", "record('not_found')", "key_not_found"),
        Binding("5", "record('certificate_missing')", "key_cert_missing"),
        # shown on the filter line, as the search screen shows its filter keys
        Binding("p", "toggle_pending", "key_pending", show=False),
        Binding("m", "toggle_mine", "key_mine", show=False),
        Binding("v", "cycle_village", "key_village", show=False),
        Binding("c", "cycle_campaign", "key_campaign", show=False),
        Binding("ctrl+r", "refresh", "key_refresh", show=False),
        Binding("escape", "back", "key_back", show=False),
    ]

    def __init__(self, campaign_id: int | None = None) -> None:
        super().__init__()
        self.campaign_id = campaign_id
        self.campaigns: list[Campaign] = []
        self.progress: CampaignProgress | None = None
        self.items: dict[str, CampaignItem] = {}
        self.pending = False
        self.mine = False
        self.village: str | None = None
        self.truncated = False
        self.error: str | None = None
        self._recording: set[int] = set()

    @property
    def campaign(self) -> Campaign | None:
        return next((c for c in self.campaigns if c.id == self.campaign_id), None)

    def compose(self) -> ComposeResult:
        yield Header(icon="☰")
        yield Static(t("loading"), id="insp-head", classes="ops-head", markup=False)
        with Horizontal(classes="ops-body"):
            yield Table(id="insp-items", cursor_type="row", zebra_stripes=True, cell_padding=0)
            yield Static("", id="insp-side", classes="ops-side", markup=False)
        yield Static("", id="insp-status", classes="ops-status", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def setup(self) -> None:
        table = self.query_one("#insp-items", DataTable)
        for key, width in COLUMNS[lang()]:
            table.add_column(t(key), width=width, key=key)
        table.focus()
        self.load()

    def load(self) -> None:
        self.load_campaigns()

    # ------------------------------------------------------------------ loading

    @work(group="insp-campaigns", exclusive=True)
    async def load_campaigns(self) -> None:
        client = await self.get_client()
        if client is None:
            return
        try:
            campaigns = await client.inspections.list()
        except Exception as exc:
            self._show_error(error_text(exc))
            return
        # open ones first, the latest quarter first
        latest = sorted(campaigns, key=lambda c: (c.quarter, c.id), reverse=True)
        self.campaigns = sorted(latest, key=lambda c: c.status != "open")  # stable: open ones first
        if self.campaign is None:
            self.campaign_id = self.campaigns[0].id if self.campaigns else None
        if self.campaign is None:
            self._show_error(t("insp_no_campaign"))
            return
        self.load_items()
        self.load_progress()

    @work(group="insp-items", exclusive=True)
    async def load_items(self) -> None:
        campaign = self.campaign
        if campaign is None:
            return
        filters: dict[str, Any] = {"limit": LIMIT}
        if self.pending:
            filters["pending"] = True
        if self.village:
            filters["village"] = self.village
        try:
            if self.mine:
                me = self.app.me or await self.client.me()  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp
                filters["assignee"] = me.username
            items = await self.client.inspections.items(campaign.id, **filters)
        except Exception as exc:
            self._show_error(error_text(exc))
            return
        self.error = None
        table = self.query_one("#insp-items", DataTable)
        keep = self.cursor_key("#insp-items")
        table.clear()
        self.items = {}
        width = dict(COLUMNS[lang()])["col_address"] - 1
        for item in items:
            key = str(item.id)
            self.items[key] = item
            table.add_row(*item_cells(item, width), key=key)
        if keep in self.items:
            table.move_cursor(row=table.get_row_index(keep))
        self.truncated = len(items) >= LIMIT
        self._update_head()
        self._update_status()

    @work(group="insp-progress", exclusive=True)
    async def load_progress(self) -> None:
        campaign = self.campaign
        if campaign is None:
            return
        try:
            self.progress = await self.client.inspections.progress(campaign.id)
        except Exception as exc:
            self.fail(exc)
            return
        self._update_head()
        self._update_side()

    # ------------------------------------------------------------------ showing

    def _update_head(self) -> None:
        campaign = self.progress.campaign if self.progress else self.campaign
        if campaign is None:
            return
        head = Text(t("insp_head", name=campaign.name, done=campaign.done, total=campaign.items), style="bold")
        if campaign.status != "open":
            head.append(t("insp_closed"), style="yellow")

        def part(key: str, title: str, value: str) -> Text:
            return Text.assemble((key, "bold"), " ", title, colon(), (value, "reverse"), "  ")

        village = t("insp_all")
        if self.village:
            found = next((v for v in self.progress.by_village if v.key == self.village), None) if self.progress else None
            village = short_place(found.name if found else None, campaign.jurisdiction_name, 12) or self.village
        filters = Text.assemble(
            part("p", t("insp_pending"), t("insp_only") if self.pending else t("insp_all")),
            part("m", t("insp_mine"), t("insp_only") if self.mine else t("insp_all")),
            part("v", t("insp_village"), village),
            (f"c {t('key_campaign')}", "dim"),
        )
        self.query_one("#insp-head", Static).update(Text("\n").join([head, filters]))

    def _update_side(self) -> None:
        if self.progress is None:
            return
        lines = [Text(t("insp_progress"), style="bold")]
        within = self.progress.campaign.jurisdiction_name
        for v in self.progress.by_village:
            mark = "▶" if v.key == self.village else " "
            fraction = v.done / v.total if v.total else None
            style = "green" if v.total and v.done == v.total else "cyan"
            lines.append(Text.assemble(mark, pad(short_place(v.name, within, 10) or v.key, 10), " ", (bar(fraction, 5), style),
                                       f" {v.done}/{v.total}"))
        self.query_one("#insp-side", Static).update(Text("\n").join(lines))

    def _show_error(self, message: str) -> None:
        self.error = message
        self._update_status()

    def _update_status(self) -> None:
        status = self.query_one("#insp-status", Static)
        if self.error:
            status.update(Text(self.error.replace("\n", " "), style="bold red"))
        elif self.truncated:
            status.update(Text(t("insp_truncated", n=LIMIT), style="yellow"))
        else:
            status.update(t("insp_status", n=len(self.items)))

    def current(self) -> CampaignItem | None:
        key = self.cursor_key("#insp-items")
        return self.items.get(key) if key else None

    # ------------------------------------------------------------------ keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action != "record":
            return True
        outcome = str(parameters[0]) if parameters else ""
        if not self.allowed("write") or (outcome in NEEDS and not self.allowed(NEEDS[outcome])):
            return False
        campaign = self.campaign
        return True if campaign is None or campaign.status == "open" else None

    def action_toggle_pending(self) -> None:
        self.pending = not self.pending
        self._filters_changed()

    def action_toggle_mine(self) -> None:
        self.mine = not self.mine
        self._filters_changed()

    def action_cycle_village(self) -> None:
        villages: list[str | None] = [None, *(v.key for v in self.progress.by_village)] if self.progress else [None]
        index = villages.index(self.village) if self.village in villages else 0
        self.village = villages[(index + 1) % len(villages)]
        self._filters_changed()
        self._update_side()

    def action_cycle_campaign(self) -> None:
        if not self.campaigns:
            return
        ids = [c.id for c in self.campaigns]
        index = ids.index(self.campaign_id) if self.campaign_id in ids else -1
        self.campaign_id = ids[(index + 1) % len(ids)]
        self.village, self.progress = None, None
        self.query_one("#insp-side", Static).update("")
        self.load_items()
        self.load_progress()
        self.refresh_bindings()

    def _filters_changed(self) -> None:
        self._update_head()
        self.load_items()

    def action_record(self, outcome: str) -> None:
        item, campaign = self.current(), self.campaign
        if item is None or campaign is None or item.id in self._recording:
            return
        if item.outcome is not None:
            question = t("insp_again", name=item.name or item.house_code or "", outcome=label("inspection_outcome", item.outcome))
            self.app.push_screen(Confirm(question), lambda yes: self._record(campaign.id, item, outcome) if yes else None)
            return
        self._record(campaign.id, item, outcome)

    def _record(self, campaign_id: int, item: CampaignItem, outcome: str) -> None:
        if outcome == "corrected":
            self.app.push_screen(CorrectForm(self.client, campaign_id, item), self._recorded)
        elif outcome == "left":
            self.app.push_screen(LeftForm(self.client, campaign_id, item), self._recorded)
        else:
            self._recording.add(item.id)
            self.send(campaign_id, item, outcome)

    @work(group="insp-record")  # not exclusive: quick keys on the next rows each go through
    async def send(self, campaign_id: int, item: CampaignItem, outcome: str) -> None:
        try:
            got = await self.client.inspections.record(campaign_id, item.id, version=item.version, outcome=outcome)
        except VersionConflictError as exc:
            self.fail(exc)
            self.load_items()
            return
        except Exception as exc:
            self.fail(exc)
            return
        finally:
            self._recording.discard(item.id)
        self._recorded(got)

    def _recorded(self, item: CampaignItem | None) -> None:
        if item is None:
            return
        key = str(item.id)
        self.items[key] = item
        table = self.query_one("#insp-items", DataTable)
        if key in table.rows:
            width = dict(COLUMNS[lang()])["col_address"] - 1
            for (column, _w), cell in zip(COLUMNS[lang()], item_cells(item, width), strict=True):
                table.update_cell(key, column, cell)
            row = table.get_row_index(key)
            if table.cursor_row == row and row + 1 < table.row_count:
                table.move_cursor(row=row + 1)  # on to the next door
        self.notify(t("insp_recorded", name=item.name or item.house_code or "", outcome=label("inspection_outcome", item.outcome)),
                    markup=False, timeout=3)
        self.load_progress()

    @on(DataTable.RowSelected, "#insp-items")
    def _open(self, event: DataTable.RowSelected) -> None:
        from flowpop_tui.detail import DetailScreen

        item = self.items.get(str(event.row_key.value))
        if item is not None and item.person_id is not None:
            self.app.push_screen(DetailScreen(item.person_id))
