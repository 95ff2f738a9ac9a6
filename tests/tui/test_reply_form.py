"""A 协查 reply: the focus lands in the facts box, the box holds the request's 核实事项 ready to fill in, and
nothing leaves before a preview with the count (and a warning when asked facts are missing) is confirmed;
accepting a transfer is asked first too."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static, TextArea

import flowpop
from flowpop_tui import i18n
from flowpop_tui.base import Confirm
from flowpop_tui.inbox_actions import ReplyForm
from tests import tree
from tests.conftest import person_fields
from tests.tui.pilot import SIZE, console, open_inbox, open_message, settle

ASKED = ["是否在住", "现居住地址", "婚育情况"]


def request_to_d(a: flowpop.Client, d: flowpop.Client) -> int:
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1, name="核实对象"))
    sent = a.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_D, person_id=p.id,
                        items={"核实事项": ASKED})
    return sent.id


def confirm_text(screen: Any) -> str:
    return str(screen.query_one("#confirm-text", Static).render())


async def test_reply_focus_prefill_preview_and_warning(
    db_url: str, townships: tuple[flowpop.Client, flowpop.Client]
) -> None:
    a, d = townships
    request = request_to_d(a, d)
    async with console(db_url, d).run_test(size=SIZE) as pilot:
        inbox = await open_inbox(pilot)
        await open_message(pilot, inbox, request)
        await pilot.press("y")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, ReplyForm)
        area = form.query_one("#f-facts", TextArea)
        assert form.focused is area  # not the note below it
        assert area.text == "是否在住=\n现居住地址=\n婚育情况="
        for ch in "属实":  # typed at the end of the first line, as the cursor waits there
            await pilot.press(ch)
        assert area.text.splitlines()[0] == "是否在住=属实"
        await pilot.press("ctrl+s")
        await settle(pilot)
        ask = pilot.app.screen
        assert isinstance(ask, Confirm)
        assert i18n.t("facts_count", n=1) in confirm_text(ask)
        warning = str(ask.query_one("#confirm-warning", Static).render())
        assert i18n.t("facts_missing", n=2, total=3, which="现居住地址、婚育情况") in warning
        await pilot.press("n")  # not yet: back in the form, nothing sent
        await settle(pilot)
        assert pilot.app.screen is form
        assert d.inbox.get(request).status != "answered"
        area.text = "是否在住=属实\n现居住地址=幸福路8号\n婚育情况=已婚"
        await pilot.press("ctrl+s")
        await settle(pilot)
        ask = pilot.app.screen
        assert isinstance(ask, Confirm) and not ask.query("#confirm-warning")
        assert i18n.t("facts_count", n=3) in confirm_text(ask)
        await pilot.press("y")
        await settle(pilot)
        assert d.inbox.get(request).status == "answered"
        replies = list(a.inbox.list(kind="assist_reply"))
        assert [r.items for r in replies] == [{"是否在住": "属实", "现居住地址": "幸福路8号", "婚育情况": "已婚"}]
        assert replies[0].text is None
