"""Bulk changes (批量变更): the changesets list with revert, the dialog that plans one for a selection (the
search screen's filters or the rows selected there), and the preview that applies it — chunk by chunk,
with progress, when the changeset is chunked."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Footer, Header, Input, ProgressBar, Select, Static

from flowpop import labels
from flowpop._params import ChangesetValues, SelectionParams
from flowpop.errors import APIStatusError, ConflictError
from flowpop.types import BULK_SETTABLE as SETTABLE
from flowpop_tui.base import BaseScreen, Confirm, Reading, Table
from flowpop_tui.format import changes_text, clip, when
from flowpop_tui.forms import Field, FormScreen
from flowpop_tui.i18n import FIELD_KINDS, error_text, field_name, label, lang, message, t, translate_bindings
from flowpop_tui.ops_base import pad

if TYPE_CHECKING:
    import flowpop
    from flowpop.types import ChangeFailure, ChangeSample, Changeset, ChangesetPreview

BULK_OPERATIONS = ("set", "deregister", "archive", "move")
REFUSED_NAMED = 20  # refused records looked up by name; the rest are counted


# ------------------------------------------------------------------ selection


def describe(selection: dict[str, Any]) -> str:
    """What a selection means, in words: "已选 3 人" or "当前查询条件：张 · 流入 · 在册"."""
    if selection.get("ids") is not None:
        return t("bulk_selected", n=len(selection["ids"]))
    filters = selection.get("filters") or {}
    parts = []
    if filters.get("q"):
        parts.append(str(filters["q"]))
    if filters.get("direction"):
        parts.append(label("direction", filters["direction"]))
    if filters.get("status"):
        parts.append(label("person_status", filters["status"]))
    if filters.get("key_target"):
        parts.append(t("key_target_yes"))
    return t("bulk_filters", what=" · ".join(parts)) if parts else t("bulk_all")


def search_selection(app: App[Any]) -> dict[str, Any]:
    """The selection of the search screen underneath, else everyone active in the user's area."""
    from flowpop_tui.search import SearchScreen

    screen = app.area_screen("persons")  # type: ignore[attr-defined]  # app is textual's App; ours is FlowpopApp
    return screen.bulk_selection() if isinstance(screen, SearchScreen) else {"filters": {"status": "active"}}


def start_bulk(app: App[Any], selection: dict[str, Any], done: Callable[[Changeset | None], None] | None = None) -> None:
    """The dialog, then the preview; ``done`` hears of the changeset once applied (None when not)."""

    def planned(preview: ChangesetPreview | None) -> None:
        if preview is not None:
            app.push_screen(PreviewScreen(app.client, preview), done)  # type: ignore[attr-defined]  # app is textual's App; ours is FlowpopApp
        elif done is not None:
            done(None)

    app.push_screen(BulkForm(app.client, selection), planned)  # type: ignore[attr-defined]  # app is textual's App; ours is FlowpopApp


# ------------------------------------------------------------------ the dialog


class BulkForm(FormScreen["ChangesetPreview"]):
    """Operation, field and value, reason → a planned changeset (nothing changes until it is applied)."""

    BINDINGS = [Binding("ctrl+s", "save", "key_preview")]

    def __init__(self, client: flowpop.AsyncClient, selection: dict[str, Any]) -> None:
        self.selection = selection
        super().__init__(client, t("bulk_title", what=describe(selection)))
        translate_bindings(self)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#save", Button).label = f"{t('key_preview')} ^s"  # nothing changes before the preview

    def fields(self) -> list[Field]:
        operations = [(label("operation", op), op) for op in BULK_OPERATIONS]
        settable = [(field_name(f), f) for f in SETTABLE]
        return [
            Field("operation", t("f_operation"), "set", "select", operations, allow_blank=False),
            Field("field", t("f_field"), None, "select", settable),
            Field("value", t("f_value"), None, hint=t("hint_set")),
            Field("reason", t("f_reason"), None, required=True),
        ]

    def division_field(self) -> str | None:
        """A move's village is picked from the tree (F6)."""
        found = self.query("#f-operation")
        return "value" if found and found.first(Select).value == "move" else None

    @on(Select.Changed, "#f-operation")
    def _operation(self, event: Select.Changed) -> None:
        op = str(event.value)
        self.query_one("#f-value", Input).placeholder = t(f"hint_{op}")
        self.query_one("#f-field", Select).disabled = op != "set"
        self.query_one("#f-value", Input).disabled = op == "archive"
        self.refresh_bindings()  # F6 picks a move's village

    def field_errors(self) -> dict[str, str]:
        errors = super().field_errors()
        values = self.values()
        if values["operation"] == "set" and not values["field"]:
            errors["field"] = t("bulk_need_field")
        if values["operation"] == "move" and not values["value"]:
            errors["value"] = t("bulk_need_place")
        if values["operation"] == "deregister" and not values["value"]:
            errors["value"] = t("bulk_need_date")
        return errors

    @staticmethod
    def change_values(values: dict[str, Any]) -> dict[str, Any]:
        op, value = values["operation"], values["value"]
        if op == "set":
            field = values["field"]
            if value and field in FIELD_KINDS:
                value = labels.code_for(FIELD_KINDS[field], value) or value
            return {field: value}
        if op == "deregister":
            return {"date": value} if value else {}
        if op == "move":
            return {"residence_code": value}
        return {}

    async def submit(self, values: dict[str, Any]) -> ChangesetPreview | None:
        """The registry plans it, and chooses whether it is applied at once or in resumable chunks."""
        self.show_form_error(t("bulk_planning"))
        return await self.client.changesets.plan(operation=values["operation"],
                                                 selection=cast(SelectionParams, self.selection),
                                                 values=cast(ChangesetValues, self.change_values(values)),
                                                 reason=values["reason"])


# ------------------------------------------------------------------ the preview


def sample_text(sample: ChangeSample) -> Text:
    parts = []
    for entity, after in sample.after.items():
        before = sample.before.get(entity, {})
        pairs = {k: [before.get(k), v] for k, v in after.items() if k not in ("ended_at", "end_reason")}
        if pairs:
            parts.append(changes_text(pairs, entity))
    sep = "; " if lang() == "en" else "；"
    return Text.assemble((f"{sample.name} {sample.id_number}", "bold"), "  ", sep.join(parts))


def failure_text(f: ChangeFailure) -> Text:
    return Text.assemble((f"{f.name} {f.id_number}", "bold"), "  ", (message(f), "red"))


class PreviewScreen(ModalScreen["Changeset | None"]):
    """Counts, samples before → after and the failing records with reasons; y applies."""

    BINDINGS = [Binding("y,ctrl+s", "apply", "key_apply"), Binding("escape", "close", "key_cancel")]

    def __init__(self, client: flowpop.AsyncClient, preview: ChangesetPreview) -> None:
        super().__init__()
        translate_bindings(self)
        self.client, self.preview = client, preview
        self.result: Changeset | None = None
        self.busy = False

    @property
    def pending(self) -> bool:
        return self.preview.status in ("planned", "applying")

    def compose(self) -> ComposeResult:
        p = self.preview
        with Vertical(id="dialog"):
            yield Static(t("preview_title", op=label("operation", p.operation), reason=clip(p.reason, 40)),
                         id="dialog-title", markup=False)
            yield Static(self._counts(), id="ops-preview-counts", markup=False)
            with VerticalScroll(id="ops-preview"):
                yield Static(self._details(), id="ops-preview-details", markup=False)
            yield ProgressBar(total=max(1, p.total - p.failing), show_eta=False, id="ops-apply-progress")
            with Horizontal(id="buttons"):
                if self.pending:
                    yield Button(f"{t('key_apply')} y", id="apply", variant="primary", compact=True)
                yield Button(f"{t('key_cancel')} esc", id="close", compact=True)
        yield Footer(compact=True, show_command_palette=False)

    def _counts(self) -> Text:
        p = self.preview
        text = Text(t("preview_counts", total=p.total, failing=p.failing))
        if p.applied:
            text.append(" · " + t("preview_applied", n=p.applied))
        text.append("  " + label("changeset_status", p.status), "bold")
        return text

    def _details(self) -> Text:
        p = self.preview
        lines: list[Text] = []
        if p.samples:
            lines.append(Text(t("preview_samples"), style="underline"))
            lines += [sample_text(s) for s in p.samples]
        if p.failures:
            lines.append(Text(f"{t('preview_failures')} ({p.failing})", style="underline red"))
            lines += [failure_text(f) for f in p.failures]
        if not lines:
            lines.append(Text(t("preview_nothing"), style="dim"))
        return Text("\n").join(lines)

    def on_mount(self) -> None:
        buttons = self.query("#buttons Button")
        if buttons:
            buttons.first().focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apply":
            return self.pending and not self.busy
        return True

    def action_close(self) -> None:
        if not self.busy:
            self.dismiss(self.result)

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.action_close()

    @on(Button.Pressed, "#apply")
    def _apply_pressed(self) -> None:
        self.action_apply()

    def action_apply(self) -> None:
        if not self.pending or self.busy:
            return
        p = self.preview
        todo = p.total - p.failing - p.applied
        text = t("preview_skip", todo=todo, failing=p.failing) if p.failing else t("preview_confirm", todo=todo)
        if todo <= 0:
            self.notify(t("preview_nothing"), markup=False)
            return
        def confirmed(yes: bool | None) -> None:
            if yes:
                self.apply()

        self.app.push_screen(Confirm(text, t("key_apply")), confirmed)

    @work(exclusive=True, group="apply")
    async def apply(self) -> None:
        p = self.preview
        self.busy = True
        self.refresh_bindings()
        bar = self.query_one("#ops-apply-progress", ProgressBar)
        bar.add_class("shown")
        skip = p.failing > 0
        try:
            if not p.chunk_size:
                result = await self.client.changesets.apply(p.id, skip_failing=skip)
            else:
                result = await self._chunks(p, skip, bar)
        except ConflictError as exc:  # nothing was applied: the preview is stale, say which records
            self.busy = False
            app = self.app
            self.dismiss(None)
            app.run_worker(show_refusal(app, self.client, exc, t("key_apply")), group="ops-refusal")
            return
        except Exception as exc:
            self.busy = False
            bar.remove_class("shown")
            self.notify(error_text(exc), severity="error", timeout=10, markup=False)
            self.refresh_bindings()
            return
        self.result = result
        bar.update(total=max(1, result.total - result.failing), progress=result.total - result.failing)
        self.busy = False
        done = t("applied_failing", n=result.applied, failing=result.failing) if result.failing else \
            t("applied", n=result.applied)
        self.notify(done, markup=False)
        self.dismiss(result)

    async def _chunks(self, p: ChangesetPreview, skip: bool, bar: ProgressBar) -> Changeset:
        """One chunk per call, so progress shows and an interruption leaves a changeset that resumes."""
        result: Changeset = p
        bar.update(total=max(1, p.total - p.failing), progress=p.applied)
        while result.status != "applied":
            before = (result.applied, result.failing)
            result = await self.client.changesets.apply(p.id, skip_failing=skip, max_chunks=1)
            bar.update(progress=result.applied + result.failing - p.failing)
            self.query_one("#ops-preview-counts", Static).update(
                t("applying", done=result.applied, total=p.total - p.failing))
            if result.status != "applied" and (result.applied, result.failing) == before:
                raise RuntimeError(t("no_progress"))
        return result


async def show_refusal(app: App[Any], client: flowpop.AsyncClient, exc: APIStatusError, title: str) -> None:
    """A 409 that names records (changed since the preview, or since the apply): who they are."""
    records: list[dict[str, Any]] = list(exc.body.get("records") or [])
    if not records:
        app.notify(error_text(exc), severity="error", timeout=10, markup=False)
        return
    ids = [r["person_id"] for r in records if "person_id" in r][:REFUSED_NAMED]
    found = await asyncio.gather(*(client.persons.get(i) for i in ids), return_exceptions=True)
    names = {i: getattr(p, "name", "") for i, p in zip(ids, found, strict=True)}
    lines = [Text(error_text(exc), style="red"), Text(t("refused_title"), style="bold")]
    for r in records[:REFUSED_NAMED * 2]:
        if "person_id" in r:
            lines.append(Text(t("refused_person", id=r["person_id"], name=names.get(r["person_id"], ""),
                                expected=r.get("expected_version"), version=r.get("version"))))
        else:
            lines.append(Text(t("refused_stay", id=r.get("stay_id"), expected=r.get("expected_version"),
                                version=r.get("version"))))
    if len(records) > REFUSED_NAMED * 2:
        lines.append(Text(t("refused_more", n=len(records)), style="dim"))
    app.push_screen(Reading(title, Text("\n").join(lines)))


# ------------------------------------------------------------------ the list


COLUMNS = (("col_created", 12), ("col_operation", 11), ("col_reason", 23), ("col_cs_status", 8), ("col_counts", 15))


class ChangesetsScreen(BaseScreen):
    BINDINGS = [
        Binding("a", "new", "key_new_bulk"),
        Binding("r", "revert", "key_revert"),
        Binding("ctrl+r", "refresh", "key_refresh", show=False),
        Binding("escape", "back", "key_back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.changesets: dict[str, Changeset] = {}

    def compose(self) -> ComposeResult:
        yield Header(icon="☰")
        yield Table(id="cs-list", cursor_type="row", zebra_stripes=True, cell_padding=0)
        yield Static(t("loading"), id="cs-status", classes="ops-status", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def setup(self) -> None:
        table = self.query_one("#cs-list", DataTable)
        for key, width in COLUMNS:
            table.add_column(t(key), width=width, key=key)
        table.focus()
        self.load()

    def load(self) -> None:
        self.load_list()

    @work(group="cs-list", exclusive=True)
    async def load_list(self, select: str | None = None) -> None:
        """The changesets, newest first; the cursor on ``select`` (a changeset just made), else on the record
        it was on."""
        client = await self.get_client()
        if client is None:
            return
        try:
            found = await client.changesets.list()
        except Exception as exc:
            self.query_one("#cs-status", Static).update(Text(error_text(exc), style="bold red"))
            return
        table = self.query_one("#cs-list", DataTable)
        keep = select or (c.id if (c := self.current()) is not None else None)
        table.clear()
        self.changesets = {c.id: c for c in found}
        for c in found:
            table.add_row(*self._cells(c), key=c.id)
        if keep is not None and keep in self.changesets:
            table.move_cursor(row=table.get_row_index(keep))
        self.query_one("#cs-status", Static).update(t("loaded_all", n=len(found)) if found else t("bulk_none"))
        self.refresh_bindings()

    @staticmethod
    def _cells(c: Changeset) -> list[Text]:
        status_style = {"applied": "green", "reverted": "yellow", "failed": "red", "applying": "cyan"}.get(c.status, "")
        return [Text(when(c.created_at)[5:]), Text(pad(label("operation", c.operation), 10)), Text(clip(c.reason, 22)),
                Text(label("changeset_status", c.status), style=status_style), Text(f"{c.total}/{c.applied}/{c.failing}")]

    def current(self) -> Changeset | None:
        key = self.cursor_key("#cs-list")
        return self.changesets.get(key) if key else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("new", "revert") and not self.allowed("bulk"):
            return False
        if action == "revert":
            c = self.current()
            return None if c is None or c.status not in ("applied", "applying") else True
        return True

    @on(DataTable.RowHighlighted, "#cs-list")
    def _moved(self) -> None:
        self.refresh_bindings()

    def _changed(self, result: Changeset | None) -> None:
        self.load_list(result.id if result is not None else None)

    def action_new(self) -> None:
        start_bulk(self.app, search_selection(self.app), self._changed)

    @on(DataTable.RowSelected, "#cs-list")
    def _open(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.open(str(event.row_key.value))

    @work(group="cs-open", exclusive=True)
    async def open(self, cs_id: str) -> None:
        try:
            preview = await self.client.changesets.get(cs_id)
        except Exception as exc:
            self.fail(exc)
            return
        self.app.push_screen(PreviewScreen(self.client, preview), self._changed)

    def action_revert(self) -> None:
        c = self.current()
        if c is None or c.status not in ("applied", "applying"):
            return
        def confirmed(yes: bool | None) -> None:
            if yes:
                self.revert(c.id)

        self.app.push_screen(Confirm(t("revert_confirm", reason=c.reason, n=c.applied), t("key_revert")), confirmed)

    @work(group="cs-revert", exclusive=True)
    async def revert(self, cs_id: str) -> None:
        try:
            await self.client.changesets.revert(cs_id)
        except ConflictError as exc:
            await show_refusal(self.app, self.client, exc, t("key_revert"))
            return
        except Exception as exc:
            self.fail(exc)
            return
        self.notify(t("reverted"), markup=False)
        self.load_list()
