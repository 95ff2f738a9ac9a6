"""A 查无此人 is answered from the console with the registry's `resolve` step: its key shows only where the
registry allows it (the household side's addressee), a form asks what the household side found (returned,
moved, present) and the day or the new place, and nothing leaves before the preview is confirmed; the key
and its label are in the `?` help."""

from __future__ import annotations

import datetime as dt

from textual.widgets import Input, Select, Static

import flowpop
from flowpop_tui import i18n
from flowpop_tui.base import Confirm, HelpScreen
from flowpop_tui.inbox_actions import ResolveForm
from tests import tree
from tests.conftest import person_fields
from tests.tui.pilot import SIZE, console, footer_keys, open_inbox, open_message, settle


def not_found_to_d(a: flowpop.Client) -> tuple[int, int]:
    """A registers someone whose household lies in D, finds nobody there and tells D (查无此人)."""
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1, name="查无对象"))
    sent = a.inbox.send(kind="not_found", addressee_code=tree.TOWNSHIP_D, person_id=p.id, text="入户核实查无此人")
    return p.id, sent.id


async def test_resolve_not_found_returned_after_preview(
    db_url: str, townships: tuple[flowpop.Client, flowpop.Client]
) -> None:
    a, d = townships
    person_id, message_id = not_found_to_d(a)
    async with console(db_url, d).run_test(size=SIZE) as pilot:
        inbox = await open_inbox(pilot)
        await open_message(pilot, inbox, message_id)
        assert i18n.t("key_resolve") in footer_keys(pilot.app)
        assert i18n.t("key_reply") not in footer_keys(pilot.app)  # the registry allows resolve, not a bare reply
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HelpScreen)
        help_lines = str(pilot.app.screen.query_one("#help-keys", Static).render()).splitlines()
        assert any(line.split()[0] == "s" and i18n.t("key_resolve") in line for line in help_lines)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, ResolveForm)
        await pilot.press("ctrl+s")  # no outcome: the form says so and sends nothing
        await settle(pilot)
        assert pilot.app.screen is form
        assert str(form.query_one("#err-outcome", Static).render()) == i18n.t("required")
        form.query_one("#f-outcome", Select).value = "returned"
        form.query_one("#f-date", Input).value = "2026-04-01"
        await pilot.press("ctrl+s")
        await settle(pilot)
        ask = pilot.app.screen
        assert isinstance(ask, Confirm)
        text = str(ask.query_one("#confirm-text", Static).render())
        assert i18n.t("key_resolve") in text and i18n.label("not_found_outcome", "returned") in text
        assert "2026-04-01" in text
        await pilot.press("n")  # not yet: back in the form, nothing sent
        await settle(pilot)
        assert pilot.app.screen is form
        assert d.inbox.get(message_id).status != "answered"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, (ResolveForm, Confirm))
    done = d.inbox.get(message_id)
    assert (done.status, done.outcome) == ("answered", "returned")
    stay = d.persons.get(person_id).stays[0]
    assert (stay.status, stay.returned_on) == ("closed", dt.date(2026, 4, 1))


async def test_resolve_moved_without_a_place_is_refused_in_the_form(
    db_url: str, townships: tuple[flowpop.Client, flowpop.Client]
) -> None:
    a, d = townships
    _person_id, message_id = not_found_to_d(a)
    async with console(db_url, d).run_test(size=SIZE) as pilot:
        inbox = await open_inbox(pilot)
        await open_message(pilot, inbox, message_id)
        await pilot.press("s")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, ResolveForm)
        form.query_one("#f-outcome", Select).value = "moved"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert pilot.app.screen is form  # the registry's refusal stays in the form, under the field
        assert str(form.query_one("#err-residence_code", Static).render())
    assert d.inbox.get(message_id).status != "answered"
