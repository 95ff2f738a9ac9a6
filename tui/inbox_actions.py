"""One key per step on a message (read, match, verify, reply, accept, refuse, forward, return, escalate,
close, resolve a 查无此人, save the verification sheet), shared by the inbox list and the message view, and the small forms
some steps need. The registry decides what is allowed (each message's allowed_actions); a refusal (the
message moved on meanwhile) is shown where the user is."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Static, TextArea

from flowpop import labels
from flowpop.errors import ConflictError
from flowpop_tui.base import Confirm
from flowpop_tui.format import today
from flowpop_tui.forms import Field, FormScreen, code_options
from flowpop_tui.i18n import colon, error_text, label, paren, step_done, t

if TYPE_CHECKING:
    import flowpop
    from flowpop.types import Message, MessageActionName, MessageDetail

# What the keys do; the footer shows a step's key only when the registry lists the step in the message's
# allowed_actions (it knows the kind, the status, whether this user is the addressee and may write).
ACTION_BINDINGS = [
    Binding("r", "read", "key_read"),
    Binding("m", "match", "key_match"),
    Binding("v", "verify", "key_verify"),
    Binding("y", "reply", "key_reply"),
    Binding("a", "accept", "key_accept"),
    Binding("x", "refuse", "key_refuse"),
    Binding("c", "close", "key_close"),
    Binding("f", "forward", "key_forward"),
    Binding("b", "return", "key_return"),
    Binding("u", "escalate", "key_escalate"),
    Binding("s", "resolve", "key_resolve"),
    Binding("p", "sheet", "key_sheet"),
]
STEP_KEYS = frozenset(b.action for b in ACTION_BINDINGS) - {"sheet"}  # the keys that ask the registry for a step
SHEET_NAME = "核实表-{id}.html"


def applies(action: str, m: Message | None) -> bool | None:
    """For check_action: a step's key is shown when the registry allows the step on this message, hidden
    otherwise; greyed while no message is under the cursor. The verification sheet prints any message."""
    if action not in STEP_KEYS and action != "sheet":
        return True
    if m is None:
        return None
    return action == "sheet" or action in m.allowed_actions


class MessageActions:
    """Mixed into a screen that knows its current message (``message_for_action``), shows a changed one
    (``show_message``) and has a status line (``show_error`` / ``say``)."""

    app: Any

    def message_for_action(self) -> Message | None:
        raise NotImplementedError

    def show_message(self, m: MessageDetail) -> None:
        raise NotImplementedError

    def show_error(self, message: str | None) -> None:
        raise NotImplementedError

    def say(self, message: str) -> None:
        raise NotImplementedError

    def action_allowed(self, action: str) -> bool | None:
        return applies(action, self.message_for_action())

    # ------------------------------------------------------------------ the steps

    def action_read(self) -> None:
        self.step("read")

    def action_verify(self) -> None:
        self.step("verify")

    def action_accept(self) -> None:
        m = self.message_for_action()
        if m is None:
            return
        text = t("confirm_accept", what=about(m), sender=m.sender_name or m.sender_code)

        def answered(yes: bool | None) -> None:
            if yes:
                self.step("accept")

        self.app.push_screen(Confirm(text, t("key_accept")), answered)

    def action_close(self) -> None:
        self.step("close")

    def action_match(self) -> None:
        self._form(MatchForm, self.preferred_candidate())

    def preferred_candidate(self) -> int | None:
        return None

    def action_reply(self) -> None:
        self._form(ReplyForm)

    def action_refuse(self) -> None:
        self._form(ReasonForm, "refuse")

    def action_return(self) -> None:
        self._form(ReasonForm, "return")

    def action_escalate(self) -> None:
        self._form(ReasonForm, "escalate")

    def action_forward(self) -> None:
        self._form(ForwardForm)

    def action_resolve(self) -> None:
        self._form(ResolveForm)

    def _form(self, form: type[StepForm], *args: Any) -> None:
        m = self.message_for_action()
        if m is not None and self.app.client is not None:
            self.app.push_screen(form(self.app.client, m, *args), self._after_form)

    def _after_form(self, result: MessageDetail | None) -> None:
        if result is not None:
            self.show_message(result)
            self.say(step_done(result))

    @work(group="act")  # not exclusive: a second key must not cancel a write in flight
    async def step(self, action: str, **fields: Any) -> None:
        m = self.message_for_action()
        client = self.app.client
        if m is None or client is None:
            return
        try:
            done = await client.inbox.act(m.id, action, version=m.version, **fields)
        except ConflictError as exc:
            # someone else moved it on (a stale version, or a step no longer allowed): show where it stands
            # now, with the steps the registry allows from there, and say so
            with contextlib.suppress(Exception):
                self.show_message(await client.inbox.get(m.id))
            self.show_error(error_text(exc))
            return
        except Exception as exc:
            self.show_error(error_text(exc))
            return
        self.show_message(done)
        self.say(step_done(done))

    # ------------------------------------------------------------------ verification sheet

    def action_sheet(self) -> None:
        self.save_sheet()

    @work(exclusive=True, group="sheet")
    async def save_sheet(self) -> None:
        m = self.message_for_action()
        client = self.app.client
        if m is None or client is None:
            return
        path = Path.cwd() / SHEET_NAME.format(id=m.id)
        try:
            html = await client.inbox.sheet(m.id)
            await asyncio.to_thread(path.write_text, html, encoding="utf-8")
        except Exception as exc:
            self.show_error(error_text(exc) if not isinstance(exc, OSError) else t("cannot_write", path=path, error=exc))
            return
        self.say(t("sheet_saved", path=path))


# ---------------------------------------------------------------------------- forms


def about(m: Message) -> str:
    """'协查 张三（350402***********X）' — what a message is about, for a question."""
    subject = str(m.subject.get("name") or f"#{m.id}")
    number = m.subject.get("id_number")
    return f"{label('message_kind', m.kind)} {subject}" + (paren(str(number)) if number else "")


def asked_facts(items: dict[str, Any]) -> list[str]:
    """What a request asks to verify: its ``verify`` item, under the code or its title (senders write
    "核实事项")."""
    for key in ("verify", *labels.FIELDS["verify"]):
        asked = items.get(key)
        if isinstance(asked, list):
            return [str(x) for x in asked if str(x).strip()]
        if isinstance(asked, str) and asked.strip():
            return [x.strip() for x in asked.replace("，", "、").replace(",", "、").split("、") if x.strip()]
    return []


class StepForm(FormScreen["MessageDetail"]):
    """A step that needs something from the user; the registry's refusal stays in the form. A step that
    leaves the office (a reply, a refusal) shows what goes, and to whom, before it goes."""

    action: MessageActionName  # each form names its step

    def __init__(self, client: flowpop.AsyncClient, message: Message, title: str) -> None:
        self.message = message
        subject = str(message.subject.get("name") or "")
        super().__init__(client, f"{title}{colon()}{label('message_kind', message.kind)} {subject}".rstrip())

    def sending(self, lines: list[str], warning: str | None = None) -> tuple[str, str, str | None]:
        """The preview of what leaves: the step, the message, the office it goes to, then ``lines``."""
        m = self.message
        head = t("confirm_send", step=t(f"key_{self.action}"), what=about(m), to=m.sender_name or m.sender_code)
        return "\n".join([head, *lines]), t("key_send"), warning

    async def send(self, **fields: Any) -> MessageDetail:
        return await self.client.inbox.act(self.message.id, self.action, version=self.message.version, **fields)

    async def reload(self) -> None:
        self.message = await self.client.inbox.get(self.message.id)


class ReasonForm(StepForm):
    """拒绝 / 退回 / 上报: a reason, required."""

    def __init__(self, client: flowpop.AsyncClient, message: Message, action: MessageActionName) -> None:
        self.action = action
        super().__init__(client, message, t(f"title_{action}"))

    def fields(self) -> list[Field]:
        return [Field("reason", t("f_why"), None, required=True)]

    def preview(self) -> tuple[str, str, str | None] | None:
        if self.action != "refuse":
            return None
        return self.sending([f"{t('f_why')}{colon()}{self.values()['reason']}"])

    async def submit(self, values: dict[str, Any]) -> MessageDetail | None:
        return await self.send(reason=values["reason"])


class ForwardForm(StepForm):
    action = "forward"

    def __init__(self, client: flowpop.AsyncClient, message: Message) -> None:
        super().__init__(client, message, t("title_forward"))

    def fields(self) -> list[Field]:
        return [Field("to_code", t("f_to_code"), None, "division", required=True, hint=t("to_code_hint")),
                Field("reason", t("f_why"), None)]

    async def submit(self, values: dict[str, Any]) -> MessageDetail | None:
        return await self.send(to_code=values["to_code"], reason=values.get("reason"))


class ResolveForm(StepForm):
    """答复查无此人: what the household side did to its outflow record — returned (ends it on the date), moved
    (ends it and registers the new residence from the date), present (kept, disputed); the registry checks
    the combination (a new residence only with moved)."""

    action = "resolve"

    def __init__(self, client: flowpop.AsyncClient, message: Message) -> None:
        super().__init__(client, message, t("title_resolve"))

    def fields(self) -> list[Field]:
        return [Field("outcome", t("f_outcome"), None, "select", code_options("not_found_outcome"), required=True),
                Field("date", t("f_date"), None, "date", hint=t("resolve_date_hint")),
                Field("residence_code", t("f_new_residence"), None, "division", hint=t("new_residence_hint")),
                Field("residence_address", t("f_new_address"), None),
                Field("text", t("f_text"), None)]

    def preview(self) -> tuple[str, str, str | None] | None:
        v = self.values()
        lines = [f"{t('f_outcome')}{colon()}{label('not_found_outcome', v['outcome'])}"]
        if v["outcome"] != "present":
            lines.append(f"{t('f_date')}{colon()}{v['date'] or today().isoformat()}")
        for name, title in (("residence_code", "f_new_residence"), ("residence_address", "f_new_address"),
                            ("text", "f_text")):
            if v[name]:
                lines.append(f"{t(title)}{colon()}{v[name]}")
        return self.sending(lines)

    async def submit(self, values: dict[str, Any]) -> MessageDetail | None:
        return await self.send(**{k: v for k, v in values.items() if v is not None})


class MatchForm(StepForm):
    """配对: one of the ranked candidates, or a person number typed in."""

    action = "match"

    def __init__(self, client: flowpop.AsyncClient, message: Message, preferred: int | None = None) -> None:
        self.preferred = preferred
        super().__init__(client, message, t("title_match"))

    def fields(self) -> list[Field]:
        options: list[tuple[Any, str]] = [(Text(f"{c.name} {c.id_number} · {t('score')} {c.score}"), str(c.person_id))
                                          for c in self.message.candidates]  # Text: a name is never markup
        first = self.preferred or self.message.matched_person_id or (self.message.candidates[0].person_id
                                                                      if self.message.candidates else None)
        chosen = str(first) if first is not None and str(first) in {v for _, v in options} else None
        return [Field("candidate", t("f_candidate"), chosen, "select", options),
                Field("person_id", t("f_person_id"), None, hint=t("person_id_hint"))]

    def field_errors(self) -> dict[str, str]:
        errors = super().field_errors()
        values = self.values()
        typed = values.get("person_id")
        if typed and not typed.isdigit():
            errors["person_id"] = t("not_a_number")
        elif not typed and not values.get("candidate"):
            errors["candidate"] = t("required")
        return errors

    async def submit(self, values: dict[str, Any]) -> MessageDetail | None:
        return await self.send(person_id=int(values.get("person_id") or values["candidate"]))


class ReplyForm(StepForm):
    """协查反馈: the verified facts as 事项=结果 lines, and a note."""

    action = "reply"

    def __init__(self, client: flowpop.AsyncClient, message: Message) -> None:
        super().__init__(client, message, t("title_reply"))

    def fields(self) -> list[Field]:
        return [Field("facts", t("f_facts")), Field("text", t("f_text"))]

    def initial_facts(self) -> str:
        """One line per fact the request asks about, ready for its result."""
        return "\n".join(f"{x}=" for x in asked_facts(self.message.items))

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text, id="dialog-title", markup=False)
            yield Static("", id="form-error", markup=False)
            with VerticalScroll(id="fields"):
                yield Label(t("f_facts") + paren(t("facts_hint")), classes="area-label")
                yield TextArea(self.initial_facts(), id="f-facts", classes="facts", soft_wrap=True)
                yield Static("", id="err-facts", classes="field-error", markup=False)
                with Horizontal(classes="row"):
                    yield Label(t("f_text"))
                    yield Input("", id="f-text", compact=True)
                yield Static("", id="err-text", classes="field-error", markup=False)
            with Horizontal(id="buttons"):
                yield Button(f"{t('key_save')} ^s", id="save", variant="primary", compact=True)
                yield Button(f"{t('key_cancel')} esc", id="cancel", compact=True)
        yield Footer(compact=True, show_command_palette=False)

    def focus_first(self) -> None:
        area = self.query_one("#f-facts", TextArea)
        area.focus()
        area.move_cursor((0, len(area.document.get_line(0))))

    def values(self) -> dict[str, Any]:
        return {"facts": self.query_one("#f-facts", TextArea).text,
                "text": self.query_one("#f-text", Input).value.strip() or None}

    def field_errors(self) -> dict[str, str]:
        try:
            parse_facts(self.values()["facts"])
        except ValueError as exc:
            return {"facts": t("bad_fact_line", line=str(exc))}
        return {}

    def facts(self) -> dict[str, str]:
        return {k: v for k, v in parse_facts(self.values()["facts"]).items() if v}  # a line left blank is no fact

    def preview(self) -> tuple[str, str, str | None] | None:
        facts, text = self.facts(), self.values().get("text")
        asked = asked_facts(self.message.items)
        missing = [x for x in asked if not facts.get(x)]
        lines = [t("facts_count", n=len(facts))]
        lines += [f"  {k}{colon()}{v}" for k, v in facts.items()] or [f"  {t('no_facts')}"]
        if text:
            lines.append(f"{t('f_text')}{colon()}{text}")
        warning = t("facts_missing", n=len(missing), total=len(asked), which="、".join(missing)) if missing else None
        return self.sending(lines, warning)

    async def submit(self, values: dict[str, Any]) -> MessageDetail | None:
        return await self.send(facts=self.facts(), text=values.get("text"))


def parse_facts(text: str) -> dict[str, str]:
    """'现居住地址=属实' lines (also with a full-width ＝ or a colon); blank lines are skipped.
    A line without a separator is refused (ValueError with that line)."""
    facts: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        for sep in ("=", "＝", "：", ":"):
            if sep in line:
                key, value = (part.strip() for part in line.split(sep, 1))
                break
        else:
            raise ValueError(line)
        if not key:
            raise ValueError(line)
        facts[key] = value
    return facts
