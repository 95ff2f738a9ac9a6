"""The daily inbox (信息交换): today's counts, the work list by due date, a key per step, and
notifications acknowledged many at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from flowpop import labels
from flowpop_tui.base import Confirm
from flowpop_tui.format import message_cells
from flowpop_tui.i18n import colon, error_text, kind_short, message, t
from flowpop_tui.inbox_actions import ACTION_BINDINGS, MessageActions
from flowpop_tui.listing import Fetched, ListScreen

if TYPE_CHECKING:
    import flowpop
    from flowpop.types import InboxSummary, Message, MessageDetail, Skipped

KINDS: tuple[str | None, ...] = (None, "notification", "assist_request", "assist_reply", "transfer", "not_found",
                                 "dispute")
STATUSES = ("open", "all")
ACK_CHUNK = 5_000


class InboxScreen(ListScreen["Message"], MessageActions):
    BINDINGS = [
        # the keys of the base list, kept out of a full footer (the bar's › says where to type)
        Binding("escape", "back", "key_back", show=False),
        Binding("slash", "focus_filter", "key_filter", key_display="/", show=False),
        *ACTION_BINDINGS,
        Binding("space", "toggle_select", "key_select", show=False),
        Binding("A,ctrl+a", "select_notifications", "key_select_all", key_display="A"),
        # the filter line shows F2–F4 with their values
        Binding("f2", "cycle_kind", "key_kind", key_display="F2", show=False),
        Binding("f3", "toggle_overdue", "key_overdue", key_display="F3", show=False),
        Binding("f4", "cycle_status", "key_msg_status", key_display="F4", show=False),
    ]
    PLACEHOLDER = "inbox_placeholder"
    PAGE_SIZE = 50
    TABLE_ID = "messages"
    # one more than the widest value; 77 cells, so the scrollbar still fits in 80 columns
    COLUMNS = {
        "zh": (("col_sel", 2), ("col_kind", 7), ("col_topic", 6), ("col_subject", 8), ("col_id", 19),
               ("col_from", 6), ("col_due", 12), ("col_left", 10), ("col_msg_status", 7)),
        "en": (("col_sel", 2), ("col_kind", 7), ("col_topic", 6), ("col_subject", 8), ("col_id", 19),
               ("col_from", 6), ("col_due", 12), ("col_left", 10), ("col_msg_status", 7)),
    }

    def __init__(self) -> None:
        super().__init__()
        self.kind: str | None = None
        self.overdue: bool | None = None
        self.status = "open"
        self.selected: set[str] = set()
        self.summary: InboxSummary | None = None

    # ------------------------------------------------------------------ what the list shows

    def head(self) -> ComposeResult:
        yield Static(self.counts_text(), id="inbox-counts", classes="counts")

    def key_of(self, item: Message) -> str:
        return str(item.id)

    def cells(self, item: Message) -> list[Text]:
        return message_cells(item, str(item.id) in self.selected)

    def filters_text(self) -> Text:
        def part(key: str, title: str, value: str) -> Text:
            return Text.assemble((key, "bold"), " ", title, colon(), (value, "reverse"), "  ")

        return Text.assemble(
            part("F2", t("kind"), kind_short(self.kind) if self.kind else t("all")),
            part("F3", t("overdue"), t("only_overdue") if self.overdue else t("all")),
            part("F4", t("status"), t("status_open") if self.status == "open" else t("all")),
        )

    def counts_text(self) -> Text:
        s = self.summary
        if s is None:
            return Text(t("loading"), style="dim")

        def count(key: str, n: int, style: str = "") -> Text:
            return Text.assemble(t(key), " ", (str(n), ("bold " + style) if n and style else "bold"))

        sep = Text(" · ", style="dim")
        return sep.join([count("count_new", s.new), count("count_open", s.open), count("count_overdue", s.overdue, "red"),
                         count("count_due_today", s.due_today, "yellow"), count("count_outbox", s.outbox_unsent)])

    def status_text(self) -> str:
        text = super().status_text()
        if self.selected:
            text += " · " + t("n_selected", n=len(self.selected))
        return text

    # ------------------------------------------------------------------ fetching

    def filters(self) -> dict[str, Any]:
        return {"kind": self.kind, "overdue": self.overdue, "status": self.status,
                "q": self.query_text.strip() or None, "limit": self.PAGE_SIZE}

    async def fetch(self, client: flowpop.AsyncClient) -> Fetched:
        self.load_summary()
        pager = client.inbox.list(**self.filters())
        page = await pager.first_page()
        self.selected &= {str(m.id) for m in page.data}
        return page.data, ((pager, page.next_cursor) if page.has_more and page.next_cursor else None)

    async def fetch_more(self, client: flowpop.AsyncClient, token: Any) -> Fetched:
        pager, cursor = token
        page = await pager.page(cursor)
        return page.data, ((pager, page.next_cursor) if page.has_more and page.next_cursor else None)

    @work(exclusive=True, group="summary")
    async def load_summary(self) -> None:
        client = self.client
        if client is None:
            return
        try:
            self.summary = await client.inbox.summary()
        except Exception as exc:
            self.query_one("#inbox-counts", Static).update(Text(error_text(exc).replace("\n", " "), style="red"))
            return
        self.query_one("#inbox-counts", Static).update(self.counts_text())

    # ------------------------------------------------------------------ filters

    def action_cycle_kind(self) -> None:
        self.kind = KINDS[(KINDS.index(self.kind) + 1) % len(KINDS)]
        self.filters_changed()

    def action_toggle_overdue(self) -> None:
        self.overdue = None if self.overdue else True
        self.filters_changed()

    def action_cycle_status(self) -> None:
        self.status = STATUSES[(STATUSES.index(self.status) + 1) % len(STATUSES)]
        self.filters_changed()

    def action_back(self) -> None:
        if self.selected and not self.focused_is_input():
            self._set_selected(set())
            return
        super().action_back()

    def focused_is_input(self) -> bool:
        return self.focused is not None and self.focused.id == "q"

    # ------------------------------------------------------------------ selection and acknowledgement

    def _set_selected(self, keys: set[str]) -> None:
        changed = self.selected ^ keys
        self.selected = keys
        first_column = self.column_spec()[0][0]
        for key in changed:
            if key in self.items:
                self.table.update_cell(key, first_column, self.cells(self.items[key])[0])
        self.update_status()
        self.refresh_bindings()

    def action_toggle_select(self) -> None:
        key = self.current_key()
        if key is None:
            return
        self._set_selected(self.selected ^ {key})
        self.table.action_cursor_down()

    @work(exclusive=True, group="select")
    async def action_select_notifications(self) -> None:
        """Every message the query finds that the registry says may be acknowledged (open notifications and
        replies addressed here; the remaining pages are fetched first); pressed again when all are selected,
        it clears the selection."""
        self._set_busy(True)
        try:
            await self.fetch_all()
        except Exception as exc:
            self.show_error(error_text(exc))
            return
        finally:
            self._set_busy(False)
        wanted = {k for k, m in self.items.items() if "acknowledge" in m.allowed_actions}
        self._set_selected(set() if wanted and wanted <= self.selected else wanted)

    def action_close(self) -> None:
        if not self.selected:
            super().action_close()
            return
        n = len(self.selected)

        def answered(yes: bool | None) -> None:
            if yes:
                self.acknowledge()

        self.app.push_screen(Confirm(t("confirm_ack", n=n), t("key_close")), answered)

    @work(group="act")  # not exclusive: a second key must not cancel a write in flight
    async def acknowledge(self) -> None:
        client = self.client
        if client is None:
            return
        ids = sorted(int(k) for k in self.selected)
        done = 0
        skipped: list[Skipped] = []
        try:
            for start in range(0, len(ids), ACK_CHUNK):
                result = await client.inbox.acknowledge(ids[start:start + ACK_CHUNK])
                done, skipped = done + result.done, skipped + result.skipped
        except Exception as exc:
            self.show_error(error_text(exc))
            self.reload()
            return
        self.selected = set()
        why = labels.t("；", "; ").join(dict.fromkeys(message(s) for s in skipped))  # the registry's words
        self.say(t("acknowledged", done=done, skipped=len(skipped)) + colon() + why if skipped
                 else t("acknowledged_all", done=done))
        self.reload()

    # ------------------------------------------------------------------ one message

    def message_for_action(self) -> Message | None:
        return self.current()

    def show_message(self, m: MessageDetail) -> None:
        self.put(m)
        self.load_summary()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close" and self.selected:
            return self.app.allowed("write")  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp
        return self.action_allowed(action)

    @on(DataTable.RowHighlighted)
    def _moved(self) -> None:
        self.refresh_bindings()

    def opened(self, item: Message) -> None:
        from flowpop_tui.inbox_message import MessageScreen

        self.app.push_screen(MessageScreen(item.id), self._returned)

    def _returned(self, m: Message | None) -> None:
        if m is not None:
            self.put(m)
            self.load_summary()

    def loaded(self) -> None:
        self.refresh_bindings()

