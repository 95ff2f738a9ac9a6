"""What the operations screens share: the client (waited for, as the home screen opens before it is
ready), error notices, text bars, and two small modals (yes/no, and a text to read)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Static

from flowpop_tui.format import clip, tail
from flowpop_tui.i18n import error_text
from flowpop_tui.ops_i18n import t, translate_bindings

if TYPE_CHECKING:
    import flowpop

BLOCKS = " ▏▎▍▌▋▊▉"


def bar(fraction: float | None, width: int) -> str:
    """A bar of ``width`` cells filled to ``fraction`` (eighths of a cell), the rest shaded."""
    if fraction is None:
        return "·" * width
    eighths = round(min(max(fraction, 0.0), 1.0) * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (BLOCKS[part] if part else "")
    return text + "░" * (width - len(text))


def pad(text: str, width: int) -> str:
    """Clipped or padded to ``width`` terminal cells (CJK characters count two)."""
    text = clip(text, width)
    return text + " " * (width - cell_len(text))


def short_place(name: str | None, within: str | None, width: int) -> str:
    """A division's full name without the area it lies in (北岭社区, not 福建省…坑塘街道北岭社区)."""
    text = name or ""
    if within and text.startswith(within) and len(text) > len(within):
        text = text[len(within):]
    return clip(text, width) if text != name else tail(text, width)


def share(done: int, total: int) -> float | None:
    return done / total if total else None


class OpsScreen(Screen[None]):
    """A full screen of the operations set: bindings in the user's language, the client when it is open."""


    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    async def get_client(self) -> flowpop.AsyncClient | None:
        client = await self.app.wait_client()  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp
        if client is None:
            self.notify(self.app.connect_error or "", severity="error", markup=False)  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp
        return client

    @property
    def client(self) -> Any:
        return self.app.client  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp

    def cursor_key(self, selector: str) -> str | None:
        """The key of the row under a table's cursor (None while the table is empty or not there)."""
        found = self.query(selector)
        table = found.first() if found else None
        if not isinstance(table, DataTable) or table.row_count == 0:
            return None
        value = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return None if value is None else str(value)

    def fail(self, exc: BaseException) -> None:
        self.notify(error_text(exc), severity="error", timeout=8, markup=False)

    def allowed(self, permission: str) -> bool:
        return bool(self.app.allowed(permission))  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp

    def on_mount(self) -> None:
        self.setup()

    def setup(self) -> None:
        """After the widgets are composed (again, after a language switch): columns, focus, then load."""
        self.load()

    def load(self) -> None:
        """(Re)load what the screen shows; each part in its own worker."""

    async def relabel(self) -> None:
        """After a language switch (the app calls this on the screen it keeps)."""
        translate_bindings(self)
        await self.recompose()
        self.setup()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:  # the home screen stays
            self.app.pop_screen()

    def action_refresh(self) -> None:
        self.load()


class Confirm(ModalScreen[bool]):
    """Yes or no; y / Enter on the yes button, n / escape for no."""

    BINDINGS = [Binding("y", "answer(True)", "key_yes"), Binding("escape,n", "answer(False)", "key_cancel")]

    def __init__(self, text: str | Text, yes: str | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self._text, self._yes = text, yes or t("key_yes")

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._text, id="confirm-text", markup=False)
            with Horizontal(id="buttons"):
                yield Button(f"{self._yes} y", id="yes", variant="primary", compact=True)
                yield Button(f"{t('key_cancel')} n", id="no", compact=True)
        yield Footer()

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
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
