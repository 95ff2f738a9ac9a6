"""Modal forms: edit a person, edit the current stay, deregister/archive/restore.

The registry validates (one set of rules, bilingual messages); a form puts each field's message
under its input and stays open. A stale version offers to reload."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Select, Static

from flowpop import labels
from flowpop.errors import APIStatusError, ValidationError, VersionConflictError
from flowpop_tui.base import Confirm
from flowpop_tui.i18n import colon, error_text, field_name, label, message, t, translate_bindings

if TYPE_CHECKING:
    import flowpop
    from flowpop.types import PersonDetail, Stay

R = TypeVar("R")


@dataclass
class Field:
    name: str
    title: str
    value: str | None = None
    kind: str = "text"  # text | select | date | division (a code, picked from the tree with F6)
    options: list[tuple[str, str]] = field(default_factory=list)
    required: bool = False
    allow_blank: bool = True
    hint: str = ""  # placeholder


def code_options(kind: str) -> list[tuple[str, str]]:
    return [(label(kind, code), code) for code in labels.codes(kind)]


class FormScreen(ModalScreen[R | None], Generic[R]):
    """Fields in rows (label, input), a message line under each, Save/Cancel. Subclasses say what
    the fields are (``fields``) and how to send them (``submit``); ``reload`` after a conflict."""

    BINDINGS = [Binding("ctrl+s", "save", "key_save"), Binding("escape", "cancel", "key_cancel"),
                Binding("f6", "pick_division", "key_division", key_display="F6")]

    def __init__(self, client: flowpop.AsyncClient, title: str) -> None:
        super().__init__()
        translate_bindings(self)
        self.client = client
        self.title_text = title

    def fields(self) -> list[Field]:
        raise NotImplementedError

    async def submit(self, values: dict[str, Any]) -> R | None:
        raise NotImplementedError

    async def reload(self) -> None:
        """Read the record again (after a version conflict) and show its current values."""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text, id="dialog-title", markup=False)
            yield Static("", id="form-error", markup=False)
            with VerticalScroll(id="fields"):
                for f in self.fields():
                    with Horizontal(classes="row"):
                        yield Label(f.title + ("*" if f.required else ""))
                        if f.kind == "select":
                            yield Select(f.options, value=f.value if f.value else Select.NULL, id=f"f-{f.name}",
                                         allow_blank=f.allow_blank, prompt="–", compact=True)
                        else:
                            yield Input(f.value or "", id=f"f-{f.name}", compact=True,
                                        placeholder=f.hint or ("YYYY-MM-DD" if f.kind == "date" else ""))
                    yield Static("", id=f"err-{f.name}", classes="field-error", markup=False)
            with Horizontal(id="buttons"):
                yield Button(f"{t('key_save')} ^s", id="save", variant="primary", compact=True)
                yield Button(f"{t('key_cancel')} esc", id="cancel", compact=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.focus_first()

    def focus_first(self) -> None:
        """Where typing starts (a form with a text box says so here, not in another on_mount: Textual runs
        every class's on_mount, so a second one would be undone by this one)."""
        self.query("#fields Input, #fields Select, #fields TextArea").first().focus()

    # ------------------------------------------------------------------ values and messages

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.fields():
            widget = self.query_one(f"#f-{f.name}")
            if isinstance(widget, Select):
                out[f.name] = None if widget.value is Select.NULL else widget.value
            else:
                text = widget.value.strip()  # type: ignore[attr-defined]  # not a Select: an Input, which has .value
                out[f.name] = text or None
        return out

    def set_values(self, fields: list[Field]) -> None:
        for f in fields:
            widget = self.query_one(f"#f-{f.name}")
            if isinstance(widget, Select):
                widget.value = f.value if f.value else Select.NULL
            else:
                widget.value = f.value or ""  # type: ignore[attr-defined]  # not a Select: an Input, which has .value

    def clear_errors(self) -> None:
        for node in self.query(".field-error"):
            node.update("")  # type: ignore[attr-defined]  # .field-error nodes are Static labels
            node.remove_class("shown")
        self.show_form_error(None)

    def show_field_error(self, name: str, text: str) -> bool:
        found = self.query(f"#err-{name}")
        if not found:
            return False
        node = found.first(Static)
        node.update(text)
        node.add_class("shown")
        return True

    def show_form_error(self, text: str | None) -> None:
        node = self.query_one("#form-error", Static)
        node.update(text or "")
        node.set_class(bool(text), "shown")

    def field_errors(self) -> dict[str, str]:
        """What the form can tell before sending: required fields, dates that are not dates."""
        errors: dict[str, str] = {}
        values = self.values()
        for f in self.fields():
            value = values.get(f.name)
            if f.required and not value:
                errors[f.name] = t("required")
            elif f.kind == "date" and value:
                try:
                    dt.date.fromisoformat(value)
                except ValueError:
                    errors[f.name] = t("bad_date")
        return errors

    # ------------------------------------------------------------------ actions

    def action_cancel(self) -> None:
        self.dismiss(None)

    def division_field(self) -> str | None:
        """The field a division picked with F6 goes into (a form with none has no F6)."""
        return next((f.name for f in self.fields() if f.kind == "division"), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pick_division":
            return self.division_field() is not None
        return True

    def action_pick_division(self) -> None:
        from flowpop_tui.pickers import pick_division

        name = self.division_field()
        if name is None:
            return

        def picked(division: Any) -> None:
            if division is not None:
                box = self.query_one(f"#f-{name}", Input)
                box.value = division.code
                box.focus()

        pick_division(self, t("picker_division"), picked)

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _enter(self) -> None:
        self.action_save()

    def _refused_here(self) -> bool:
        """Clear the messages, then show what the form itself finds wrong; True when something was."""
        self.clear_errors()
        local = self.field_errors()
        for name, text in local.items():
            self.show_field_error(name, text)
        if local:
            self.show_form_error(t("fix_errors"))
        return bool(local)

    def action_save(self) -> None:
        """Check what can be checked here; a form whose result leaves the office shows it first (``preview``)."""
        if self._refused_here():
            return
        shown = self.preview()
        if shown is None:
            self.save()
            return
        text, yes, warning = shown

        def answered(go: bool | None) -> None:
            if go:
                self.save()

        self.app.push_screen(Confirm(text, yes, warning), answered)

    def preview(self) -> tuple[str, str, str | None] | None:
        """(what will be sent, the yes button, a warning) for a form to confirm before sending; None sends at once."""
        return None

    @work(exclusive=True, group="save")
    async def save(self) -> None:
        if self._refused_here():
            return
        self.show_form_error(t("saving"))
        try:
            result = await self.submit(self.values())
        except ValidationError as exc:
            self.clear_errors()
            rest = [f"{field_name(e.field)}: {message(e)}" for e in exc.errors
                    if not self.show_field_error(e.field.split(".")[-1], message(e))]
            self.show_form_error("\n".join(rest) if rest else t("fix_errors"))
            return
        except VersionConflictError:
            self.clear_errors()
            self.show_form_error(t("conflict"))
            self.app.push_screen(Confirm(t("conflict"), t("reload")), self._after_conflict)
            return
        except APIStatusError as exc:
            self.clear_errors()
            self.show_form_error(error_text(exc))
            return
        except Exception as exc:  # connection trouble and the like: say so, keep the form
            self.clear_errors()
            self.show_form_error(error_text(exc))
            return
        self.notify(t("saved"), markup=False)
        self.dismiss(result)

    def _after_conflict(self, reload: bool | None) -> None:
        if reload:
            self._reload()

    @work(exclusive=True, group="save")
    async def _reload(self) -> None:
        try:
            await self.reload()
        except Exception as exc:
            self.show_form_error(error_text(exc))
            return
        self.clear_errors()
        self.notify(t("reloaded"), markup=False)


def _changed(values: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k in before and v != before[k]}


class PersonForm(FormScreen["PersonDetail"]):
    EDITABLE = ("name", "phone", "marital_status", "education", "household_address", "note")

    def __init__(self, client: flowpop.AsyncClient, person: PersonDetail) -> None:
        self.person = person
        super().__init__(client, f"{t('edit_person')}{colon()}{person.name}")

    def fields(self) -> list[Field]:
        p = self.person
        return [
            Field("name", t("f_name"), p.name, required=True),
            Field("phone", t("f_phone"), p.phone),
            Field("marital_status", t("f_marital_status"), p.marital_status, "select", code_options("marital_status")),
            Field("education", t("f_education"), p.education, "select", code_options("education")),
            Field("household_address", t("f_household_address"), p.household_address),
            Field("note", t("f_note"), p.note),
            Field("change_reason", t("f_change_reason"), None),
        ]

    def before(self) -> dict[str, Any]:
        return {name: getattr(self.person, name) or None for name in self.EDITABLE}

    async def submit(self, values: dict[str, Any]) -> PersonDetail | None:
        changes = _changed(values, self.before())
        if not changes:
            self.notify(t("nothing_changed"), markup=False)
            return None
        return await self.client.persons.update(self.person.id, version=self.person.version,
                                                change_reason=values.get("change_reason"), **changes)

    async def reload(self) -> None:
        self.person = await self.client.persons.get(self.person.id)
        self.set_values([f for f in self.fields() if f.name != "change_reason"])


class StayForm(FormScreen["Stay"]):
    EDITABLE = ("residence_address", "grid_code", "reason", "expected_return_on")

    def __init__(self, client: flowpop.AsyncClient, stay: Stay, name: str) -> None:
        self.stay = stay
        super().__init__(client, f"{t('edit_stay')}{colon()}{name}")

    def fields(self) -> list[Field]:
        s = self.stay
        return [
            Field("residence_address", t("f_residence_address"), s.residence_address),
            Field("grid_code", t("f_grid_code"), s.grid_code),
            Field("reason", t("f_reason"), s.reason, "select", code_options("reason"), allow_blank=False),
            Field("expected_return_on", t("f_expected_return_on"),
                  s.expected_return_on.isoformat() if s.expected_return_on else None, "date"),
            Field("change_reason", t("f_change_reason"), None),
        ]

    def before(self) -> dict[str, Any]:
        s = self.stay
        return {"residence_address": s.residence_address or None, "grid_code": s.grid_code or None,
                "reason": s.reason,
                "expected_return_on": s.expected_return_on.isoformat() if s.expected_return_on else None}

    async def submit(self, values: dict[str, Any]) -> Stay | None:
        changes = _changed(values, self.before())
        if not changes:
            self.notify(t("nothing_changed"), markup=False)
            return None
        if changes.get("expected_return_on"):
            changes["expected_return_on"] = dt.date.fromisoformat(changes["expected_return_on"])
        return await self.client.stays.update(self.stay.id, version=self.stay.version,
                                              change_reason=values.get("change_reason"), **changes)

    async def reload(self) -> None:
        self.stay = await self.client.stays.get(self.stay.id)
        self.set_values([f for f in self.fields() if f.name != "change_reason"])


class StatusForm(FormScreen["PersonDetail"]):
    """注销 (reason and date), 退档 and 恢复 (reason)."""

    def __init__(self, client: flowpop.AsyncClient, person: PersonDetail, action: str) -> None:
        self.person = person
        self.action = action
        super().__init__(client, t(f"{action}_title", name=person.name))

    def fields(self) -> list[Field]:
        out = [Field("reason", t("f_why"), None, required=True)]
        if self.action == "deregister":
            out.append(Field("date", t("f_date"), None, "date", hint=t("date_placeholder")))  # blank: the registry's today
        return out

    async def submit(self, values: dict[str, Any]) -> PersonDetail | None:
        persons = self.client.persons
        if self.action == "deregister":
            return await persons.deregister(self.person.id, version=self.person.version, reason=values["reason"],
                                            date=dt.date.fromisoformat(values["date"]) if values["date"] else None)
        method = persons.archive if self.action == "archive" else persons.restore
        return await method(self.person.id, version=self.person.version, reason=values["reason"])

    async def reload(self) -> None:
        self.person = await self.client.persons.get(self.person.id)
