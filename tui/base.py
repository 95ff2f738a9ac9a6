"""What every screen of the console shares: the one base screen (bindings in the user's language, the client
when it is open, errors in words, a ``?``/F1 help listing every key, a language switch that redraws it), the
one confirm dialog (a question, the count, an optional warning) and a text to read.

Screens set themselves up in ``setup`` (called once the widgets are composed, and again after a language
switch), never in ``on_mount``: Textual calls ``on_mount`` of every class along the way, so a base's
``on_mount`` would run after (and undo) a subclass's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text, TextType
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Static
from textual.widgets.data_table import ColumnKey, RowKey

from flowpop_tui.format import clip, fit
from flowpop_tui.i18n import UI, error_text, lang, t, translate_bindings

if TYPE_CHECKING:
    import flowpop

HELP_BINDING = Binding("question_mark,f1", "help", "key_help", key_display="?")


class Table(DataTable[Any]):
    """The console's table: a column of fixed width keeps one cell clear on its right, so neighbours never
    touch ("Marital statusfirst marriage"); what is longer ends in "…". Text only: registry data is never
    read as markup."""

    def add_column(self, label: TextType, *, width: int | None = None, key: str | None = None,
                   default: Any = None) -> ColumnKey:
        if width is not None and isinstance(label, str) and label:
            label = clip(label, max(width - 1, 1))
        return super().add_column(label, width=width, key=key, default=default)

    def _widths(self) -> list[int]:
        return [10**6 if c.auto_width else c.width for c in self.columns.values()]

    def add_row(self, *cells: Any, height: int | None = 1, key: str | None = None,
                label: TextType | None = None) -> RowKey:
        return super().add_row(*fit(list(cells), self._widths()), height=height, key=key, label=label)

    def update_cell(self, row_key: RowKey | str, column_key: ColumnKey | str, value: Any, *,
                    update_width: bool = False) -> None:
        column = self.columns.get(column_key if isinstance(column_key, ColumnKey) else ColumnKey(column_key))
        if column is not None and not column.auto_width:
            value = fit([value], [column.width])[0]
        super().update_cell(row_key, column_key, value, update_width=update_width)


class BaseScreen(Screen[Any]):
    """A full screen of the console."""

    BINDINGS = [HELP_BINDING]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self.shown_lang = lang()

    # ------------------------------------------------------------------ the client and errors

    async def get_client(self) -> flowpop.AsyncClient | None:
        client = await self.app.wait_client()  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp
        if client is None:
            self.notify(self.app.connect_error or "", severity="error", markup=False)  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp
        return client

    @property
    def client(self) -> Any:
        return self.app.client  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp

    def fail(self, exc: BaseException) -> None:
        self.notify(error_text(exc), severity="error", timeout=8, markup=False)

    def allowed(self, permission: str) -> bool:
        return bool(self.app.allowed(permission))  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp

    def cursor_key(self, selector: str) -> str | None:
        """The key of the row under a table's cursor (None while the table is empty or not there)."""
        found = self.query(selector)
        table = found.first() if found else None
        if not isinstance(table, DataTable) or table.row_count == 0:
            return None
        value = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return None if value is None else str(value)

    # ------------------------------------------------------------------ life cycle

    def on_mount(self) -> None:
        self.setup()

    def setup(self) -> None:
        """After the widgets are composed (again, after a language switch): columns, focus, then load."""
        self.load()

    def load(self) -> object:
        """(Re)load what the screen shows; each part in its own worker (a worker's handle may be returned)."""
        return None

    def on_screen_resume(self) -> None:
        if self.shown_lang != lang():  # the language changed while another area was shown
            self.run_worker(self.relabel(), group="relabel", exclusive=True)

    async def relabel(self) -> None:
        """After a language switch."""
        self.shown_lang = lang()
        translate_bindings(self)
        await self.recompose()
        self.setup()

    # ------------------------------------------------------------------ keys

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:  # an area's own screen stays
            self.dismiss(None)

    def action_refresh(self) -> None:
        self.load()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(key_lines(self)))


def key_lines(screen: Screen[Any]) -> list[tuple[str, str]]:
    """Every key the screen answers with a meaning of ours (its own, the focused widget's, the app's: areas
    included), as (key, what it does). Ours are the bindings our classes declare with a catalog key as their
    description; Textual's own scrolling, copying and quitting keys are left out."""
    out: list[tuple[str, str]] = []
    for key, active in screen.active_bindings.items():
        binding = active.binding
        merged = type(active.node)._merged_bindings
        declared = merged.key_to_bindings.get(key, []) if merged is not None else []
        if not binding.description or not any(b.description in UI for b in declared):
            continue
        display = screen.app.get_key_display(binding) or key
        if (display, binding.description) not in out:
            out.append((display, binding.description))
    return out


class HelpScreen(ModalScreen[None]):
    """``?`` / F1: every key of the screen underneath, in the user's language; Esc closes it."""

    BINDINGS = [Binding("escape,question_mark,f1,q", "close", "key_close_help")]

    def __init__(self, lines: list[tuple[str, str]]) -> None:
        super().__init__()
        translate_bindings(self)
        self.lines = lines

    def compose(self) -> ComposeResult:
        width = max((len(k) for k, _ in self.lines), default=1) + 2
        body = Text()
        for n, (key, what) in enumerate(self.lines):
            if n:
                body.append("\n")
            body.append(key.ljust(width), "bold")
            body.append(what)
        with Vertical(id="dialog", classes="help"):
            yield Static(t("help_title"), id="dialog-title", markup=False)
            with VerticalScroll(id="ops-reading"):
                yield Static(body, id="help-keys", markup=False)
            yield Static(t("help_close"), classes="ops-status", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    """The one yes-or-no: a question (with the count of what it concerns), an optional warning; y / Enter on
    the yes button, n / Esc for no."""

    BINDINGS = [Binding("y", "answer(True)", "key_yes"), Binding("escape,n", "answer(False)", "key_cancel")]

    def __init__(self, text: str | Text, yes: str | None = None, warning: str | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self._text, self._yes, self._warning = text, yes or t("key_yes"), warning

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            with VerticalScroll(id="ops-reading"):
                yield Static(self._text, id="confirm-text", markup=False)
            if self._warning:
                yield Static(Text("! " + self._warning, style="bold yellow"), id="confirm-warning", markup=False)
            with Horizontal(id="buttons"):
                yield Button(f"{self._yes} y", id="yes", variant="primary", compact=True)
                yield Button(f"{t('key_cancel')} n", id="no", compact=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class Reading(ModalScreen[None]):
    """A text to read (what a refusal named, the people behind a failure); escape closes it."""

    BINDINGS = [Binding("escape,enter", "close", "key_back")]

    def __init__(self, title: str, body: Text | str) -> None:
        super().__init__()
        translate_bindings(self)
        self._title, self._body = title, body

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._title, id="dialog-title", markup=False)
            with VerticalScroll(id="ops-reading"):
                yield Static(self._body, id="ops-reading-text", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def action_close(self) -> None:
        self.dismiss(None)
