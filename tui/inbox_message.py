"""One message beside the local record it concerns: what the sender says and what this registry holds,
side by side with the differences marked, the ranked candidates to match, and the conversation so far."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from flowpop.rules.divisions_source import pad12
from flowpop_tui.base import BaseScreen, Table
from flowpop_tui.format import clip, day, items_text, late_text, optional, tail, topic_text, when
from flowpop_tui.i18n import (
    colon,
    error_text,
    kind_short,
    label,
    lang,
    match_reason,
    outcome_name,
    paren,
    side_name,
    t,
)
from flowpop_tui.inbox_actions import ACTION_BINDINGS, MessageActions

if TYPE_CHECKING:
    from flowpop.types import Message, MessageDetail, PersonDetail

COMPARE_COLUMNS = {"zh": (("col_same", 2), ("col_item", 9), ("col_in_message", 33), ("col_local", 33)),
                   "en": (("col_same", 2), ("col_item", 11), ("col_in_message", 32), ("col_local", 32))}
CANDIDATE_COLUMNS = {"zh": (("col_sel", 2), ("col_name", 9), ("col_id", 19), ("col_birth_year", 9), ("col_place", 17),
                            ("col_score", 5), ("col_basis", 13)),
                     "en": (("col_sel", 2), ("col_name", 9), ("col_id", 19), ("col_birth_year", 5), ("col_place", 20),
                            ("col_score", 6), ("col_basis", 14))}
THREAD_COLUMNS = (("col_sent", 17), ("col_kind", 9), ("col_from", 11), ("col_to", 11), ("col_msg_status", 7),
                  ("col_topic", 22))


class MessageScreen(BaseScreen, MessageActions):
    BINDINGS = [
        Binding("escape", "back", "key_back"),
        *ACTION_BINDINGS,
        Binding("o", "open_person", "key_open_person"),
        Binding("ctrl+r", "refresh", "key_refresh", show=False),
    ]

    def __init__(self, message_id: int) -> None:
        super().__init__()
        self.message_id = message_id
        self.message: MessageDetail | None = None
        self.person: PersonDetail | None = None
        self.person_error: str | None = None
        self.places: dict[str, str] = {}
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="☰")
        yield Static(t("loading"), id="msg-summary")
        with VerticalScroll(id="msg-body"):
            yield Static(t("compare_title"), classes="section")
            yield Table(id="compare", cursor_type="none", cell_padding=0, show_cursor=False)
            yield Static(t("candidates_title"), classes="section", id="candidates-title")
            yield Table(id="candidates", cursor_type="row", zebra_stripes=True, cell_padding=0)
            yield Static(t("thread_title"), classes="section", id="thread-title")
            yield Table(id="thread", cursor_type="row", cell_padding=0)
        yield Static("", id="status", classes="liststatus")
        yield Footer(compact=True, show_command_palette=False)

    def setup(self) -> None:
        for table_id, columns in (("#compare", COMPARE_COLUMNS[lang()]), ("#candidates", CANDIDATE_COLUMNS[lang()]),
                                  ("#thread", THREAD_COLUMNS)):
            table = self.query_one(table_id, DataTable)
            for key, width in columns:
                table.add_column(t(key), width=width, key=key)
        self.query_one("#compare", DataTable).can_focus = False
        self.query_one("#candidates", DataTable).focus()
        self.load()

    @property
    def client(self) -> Any:
        return self.app.client  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp

    # ------------------------------------------------------------------ loading

    @work(exclusive=True, group="load")
    async def load(self) -> None:
        try:
            m = await self.client.inbox.get(self.message_id)
        except Exception as exc:
            self.show_error(error_text(exc))
            if self.message is None:
                self.query_one("#msg-summary", Static).update(Text(error_text(exc), style="bold red"))
            return
        await self.present(m)

    @work(exclusive=True, group="load")
    async def present_worker(self, m: MessageDetail) -> None:
        await self.present(m)

    async def present(self, m: MessageDetail) -> None:
        """Fetch the matched record (when it changed) and the names of the sender's places, then show."""
        if m.matched_person_id is None:
            self.person, self.person_error = None, None
        elif self.person is None or self.person.id != m.matched_person_id or self.message is None \
                or self.message.version != m.version:
            try:
                self.person, self.person_error = await self.client.persons.get(m.matched_person_id), None
            except Exception as exc:  # outside one's jurisdiction, say: the message is still shown
                self.person, self.person_error = None, error_text(exc)
        codes = {pad12(str(m.subject[k])) for k in ("household_code", "residence_code") if m.subject.get(k)}
        missing = sorted(codes - self.places.keys())
        found = await asyncio.gather(*(self.client.divisions.get(c) for c in missing), return_exceptions=True)
        for code, division in zip(missing, found, strict=True):
            self.places[code] = code if isinstance(division, BaseException) else division.full_name
        self.message = m
        self.show()

    def show(self) -> None:
        m = self.message
        if m is None:
            return
        self.query_one("#msg-summary", Static).update(self._summary(m))
        compare = self.query_one("#compare", DataTable)
        compare.clear()
        for i, row in enumerate(self._comparison(m)):
            compare.add_row(*row, key=str(i))
        candidates = self.query_one("#candidates", DataTable)
        keep = candidates.cursor_row
        candidates.clear()
        place_width = dict(CANDIDATE_COLUMNS[lang()])["col_place"] - 1
        for c in m.candidates:
            mark = Text("✓", style="bold green") if c.person_id == m.matched_person_id else Text("")
            candidates.add_row(mark, Text(clip(c.name, 8)), Text(c.id_number), Text(optional(c.birth_year)),
                               Text(tail(c.residence_name, place_width)), Text(str(c.score)),
                               Text(clip(match_reason(c.reason), 12)), key=str(c.person_id))
        if m.candidates:
            candidates.move_cursor(row=min(keep, len(m.candidates) - 1))
        title = self.query_one("#candidates-title", Static)
        title.update(t("candidates_title") if m.candidates else t("no_candidates"))
        candidates.display = bool(m.candidates)
        thread = self.query_one("#thread", DataTable)
        thread.clear()
        for x in m.thread:
            style = "bold" if x.id == m.id else ""
            thread.add_row(Text(when(x.created_at), style=style), Text(clip(kind_short(x.kind), 8)),
                           Text(tail(x.sender_name or x.sender_code, 10)), Text(tail(x.addressee_name or x.addressee_code, 10)),
                           Text(label("message_status", x.status)), Text(clip(topic_text(x), 21)), key=str(x.id))
        shown = len(m.thread) > 1
        thread.display = shown
        self.query_one("#thread-title", Static).display = shown
        self.refresh_bindings()

    def _summary(self, m: MessageDetail) -> Text:
        def pair(title: str, value: str) -> Text:
            return Text.assemble((title + colon(), "dim"), value, "   ")

        head = Text.assemble((label("message_kind", m.kind), "bold"), " · ", topic_text(m), " · ",
                             (label("message_status", m.status), "bold"))
        if m.overdue:
            head.append("  " + t("overdue_mark"), style="bold red")
            if m.accountable_side:
                head.append(paren(t("accountable", side=side_name(m.accountable_side))), style="red")
        route = Text.assemble(pair(t("from"), tail(m.sender_name or m.sender_code, 30)),
                              "→   ", pair(t("to"), tail(m.addressee_name or m.addressee_code, 30)))
        dates = pair(t("sent"), when(m.created_at))
        if m.due_on:
            dates.append_text(pair(t("due"), day(m.due_on) + (t("due_provisional") if m.due_provisional else "")))
        if m.overdue and m.due_on:
            dates.append_text(pair(t("col_left"), late_text(m.due_on)))
        elif m.working_days_left is not None:
            dates.append_text(pair(t("col_left"), str(m.working_days_left)))
        lines = [head, route, dates]
        items = items_text(m.items)
        if items:
            lines.append(pair(t("items"), items))
        if m.text:
            lines.append(pair(t("f_text"), m.text))
        if m.outcome:
            lines.append(pair(t("outcome"), outcome_name(m.outcome)))
        return Text("\n").join(lines)

    def _comparison(self, m: MessageDetail) -> list[list[Text]]:
        """The five things a match turns on, message against local record; a difference is marked."""
        s = m.subject
        p = self.person
        stay_address = None
        if p is not None:
            stay = next((x for x in p.stays if x.id == p.current_stay_id), None)
            stay_address = stay.residence_address if stay else None

        def place(code: Any, address: Any) -> str:
            name = self.places.get(pad12(str(code)), str(code)) if code else ""
            return " ".join(x for x in (tail(name, 18), str(address or "")) if x)

        rows: list[tuple[str, str, str, bool]] = [
            ("f_name", str(s.get("name") or ""), p.name if p else "", p is not None and s.get("name") != p.name),
            ("col_id", str(s.get("id_number") or ""), p.id_number if p else "",
             p is not None and bool(s.get("id_number")) and s.get("id_number") != p.id_number),
            # birth years, not birth dates (beside a masked number one rebuilds it) nor ages (they move on birthdays)
            ("col_birth_year", optional(s.get("birth_year")), optional(p.birth_year) if p else "",
             p is not None and s.get("birth_year") is not None and s.get("birth_year") != p.birth_year),
            ("f_household", place(s.get("household_code"), s.get("household_address")),
             " ".join(x for x in (tail(p.household_name, 18), p.household_address or "") if x) if p else "",
             p is not None and bool(s.get("household_code")) and pad12(str(s.get("household_code"))) != p.household_code),
            ("f_residence", place(s.get("residence_code"), s.get("residence_address")),
             " ".join(x for x in (tail(p.residence_name, 18), stay_address or "") if x) if p else "",
             p is not None and bool(s.get("residence_code")) and pad12(str(s.get("residence_code"))) != (p.residence_code or "")),
        ]
        out = []
        for i, (key, theirs, ours, differs) in enumerate(rows):
            if p is None and i == 0:
                ours_text = Text(clip(self.person_error or t("not_matched"), 31), style="red" if self.person_error else "dim")
            else:
                ours_text = Text(clip(ours, 31))
            theirs_text = Text(clip(theirs, 31))
            if differs:
                theirs_text.stylize("bold yellow")
                ours_text.stylize("bold yellow")
            mark = Text("≠", style="bold red") if differs else Text("=" if p else "", style="dim")
            out.append([mark, Text(t(key)), theirs_text, ours_text])
        return out

    # ------------------------------------------------------------------ actions

    def message_for_action(self) -> Message | None:
        return self.message

    def show_message(self, m: MessageDetail) -> None:
        self.present_worker(m)

    def show_error(self, message: str | None) -> None:
        self.error = message
        self.query_one("#status", Static).update(Text((message or "").replace("\n", " "), style="bold red"))

    def say(self, message: str | None) -> None:
        self.error = None
        self.query_one("#status", Static).update(Text((message or "").replace("\n", " "), style="green"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_person":
            return self.message is not None and self.message.matched_person_id is not None
        return self.action_allowed(action)

    def preferred_candidate(self) -> int | None:
        table = self.query_one("#candidates", DataTable)
        if table.row_count == 0 or self.focused is not table:
            return None
        value = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(value) if value else None

    @on(DataTable.RowSelected, "#candidates")
    def _pick(self, event: DataTable.RowSelected) -> None:
        """Enter on a candidate matches the message to that record."""
        if event.row_key.value is not None and self.action_allowed("match"):
            self.step("match", person_id=int(event.row_key.value))

    def action_back(self) -> None:
        self.dismiss(self.message)

    def action_refresh(self) -> None:
        self.load()

    def action_open_person(self) -> None:
        from flowpop_tui.detail import DetailScreen

        if self.message is not None and self.message.matched_person_id is not None:
            self.app.push_screen(DetailScreen(self.message.matched_person_id), self._person_back)

    def _person_back(self, changed: object | None) -> None:
        if changed is not None and self.message is not None:
            self.person = None  # edited there: read it again
            self.present_worker(self.message)

