"""The division picker: wherever a division is needed (the person search's area, a direction filter that
needs one), the user picks from the registry's tree instead of typing a 12-digit code. It opens on the
divisions under the user's jurisdiction (or the whole tree); → or l shows a division's parts, ← or
backspace goes up, typing filters by name (the registry searches), Enter picks, Esc cancels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from flowpop_tui.format import tail
from flowpop_tui.i18n import error_text, label, t, translate_bindings

if TYPE_CHECKING:
    import flowpop
    from flowpop.types import Division

LIMIT = 200


class DivisionPicker(ModalScreen["Division | None"]):
    BINDINGS = [
        Binding("escape", "cancel", "key_cancel"),
        Binding("right,l", "down", "key_parts"),
        Binding("left,backspace", "up", "key_up"),
    ]

    def __init__(self, client: flowpop.AsyncClient, root: str | None, title: str) -> None:
        super().__init__()
        translate_bindings(self)
        self.client = client
        self.root = root  # the user's jurisdiction: never above it
        self.under: str | None = root
        self.title_text = title
        self.shown: dict[str, Division] = {}
        self.trail: list[str | None] = []
        self.names: dict[str, str] = {}  # divisions gone down into: their full names

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="picker"):
            yield Static(self.title_text, id="dialog-title", markup=False)
            yield Input(placeholder=t("picker_placeholder"), id="picker-q", compact=True)
            yield OptionList(id="picker-list", markup=False)
            yield Static("", id="picker-where", classes="ops-status", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#picker-list", OptionList).focus()
        self.load()

    @work(exclusive=True, group="picker")
    async def load(self, q: str | None = None) -> None:
        where = self.query_one("#picker-where", Static)
        try:
            if q:
                found = await self.client.divisions.list(q=q, limit=LIMIT)
                found = [d for d in found if self.root is None or d.code.startswith(_prefix(self.root))]
            else:
                found = await self.client.divisions.list(parent=self.under, limit=LIMIT)
        except Exception as exc:
            where.update(Text(error_text(exc), style="bold red"))
            return
        self.shown = {d.code: d for d in found}
        options = self.query_one("#picker-list", OptionList)
        options.clear_options()
        options.add_options([Option(Text.assemble(d.name, ("  " + label("level", d.level), "dim")), id=d.code)
                             for d in found])
        if found:
            options.highlighted = 0
        here = self.names.get(self.under or "", self.under or t("all_areas"))
        where.update(t("picker_where", where=tail(here, 40)))

    @on(Input.Changed, "#picker-q")
    def _typed(self, event: Input.Changed) -> None:
        self.load(event.value.strip() or None)

    @on(Input.Submitted, "#picker-q")
    def _to_list(self) -> None:
        self.query_one("#picker-list", OptionList).focus()

    @on(OptionList.OptionSelected, "#picker-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.shown.get(event.option.id or ""))

    def current(self) -> Division | None:
        options = self.query_one("#picker-list", OptionList)
        if options.highlighted is None:
            return None
        return self.shown.get(options.get_option_at_index(options.highlighted).id or "")

    def action_down(self) -> None:
        here = self.current()
        if here is not None and here.level not in ("grid",):
            self.trail.append(self.under)
            self.names[here.code] = here.full_name
            self.under = here.code
            self.load()

    def action_up(self) -> None:
        if isinstance(self.focused, Input):
            return
        if self.trail:
            self.under = self.trail.pop()
            self.load()

    def action_cancel(self) -> None:
        self.dismiss(None)


def _prefix(code: str) -> str:
    """A division's subtree as a code prefix: its code without the zero levels below it (350404001000 →
    350404001)."""
    kept = len(code.rstrip("0"))
    cut = next((n for n in (2, 4, 6, 9, 12) if n >= kept), 12)
    return code[:cut]


def pick_division(screen: Any, title: str, done: Any) -> None:
    """Open the picker over ``screen``, within the user's jurisdiction; ``done(division or None)``."""
    app = screen.app
    if app.client is None:
        return
    root = app.me.jurisdiction_code if app.me is not None else None
    app.push_screen(DivisionPicker(app.client, root, title), done)
