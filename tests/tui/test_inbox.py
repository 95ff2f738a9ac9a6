"""The console's inbox, driven by Textual's pilot at 80×24 against a real registry (SQLite or PostgreSQL):
messages made through the SDK between townships of different counties, acted on with one key each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.screen import Screen
from textual.widgets import DataTable, Input, Select, Static, TextArea

import flowpop
from flowpop import labels
from flowpop_tui import i18n
from flowpop_tui.base import Confirm
from flowpop_tui.detail import DetailScreen
from flowpop_tui.inbox_actions import SHEET_NAME, ForwardForm, MatchForm, ReplyForm
from tests import tree
from tests.conftest import person_fields
from tests.tui.pilot import (
    SIZE,
    console,
    footer_keys,
    messages,
    open_inbox,
    open_message,
    point_at,
    rows,
    settle,
)

pytestmark = pytest.mark.usefixtures("search_first")  # these tests are about the inbox, not the operations screens
Maker = Callable[[str, str | None], flowpop.Client]


def cell(table: DataTable[Any], row: int | str, column: str) -> str:
    return str(table.get_cell(str(row), column))


def status_line(screen: Screen[Any]) -> str:
    return str(screen.query_one("#status", Static).render())


def household_in_d(a: flowpop.Client, name: str) -> flowpop.types.PersonDetail:
    """A registers an arrival whose household lies in township D (another county): D is notified."""
    return a.persons.create(**person_fields(household_code=tree.VILLAGE_D1, name=name))


async def test_inbox_lists_by_due_date_with_counts_kinds_and_overdue(
    db_url: str, as_user: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, d = (as_user("township_operator", code) for code in (tree.TOWNSHIP_A, tree.TOWNSHIP_B, tree.TOWNSHIP_D))
    # township B gets a notification (a household of B registered in D) and a transfer (due in 4 days)
    registered = d.persons.create(**person_fields(household_code=tree.VILLAGE_B1, region="350404", name="陈林",
                                                  stay={"residence_code": tree.VILLAGE_D1, "reason": "work",
                                                        "arrived_on": "2026-03-01"}))
    mover = a.persons.create(**person_fields(name="周敏"))
    stay = mover.stays[0]
    transfer = a.stays.transfer(stay.id, version=stay.version, to_residence_code=tree.VILLAGE_B1, reason="搬迁至乙镇")
    note = next(m for m in b.inbox.list(kind="notification"))
    assert note.subject["name"] == registered.name and transfer.due_on is not None and note.due_on is not None
    assert transfer.due_on < note.due_on
    monkeypatch.setenv("FLOWPOP_TODAY", (transfer.due_on + dt.timedelta(days=1)).isoformat())
    summary = b.inbox.summary()
    assert summary.overdue == 1

    async with console(db_url, b).run_test(size=SIZE) as pilot:
        inbox = await open_inbox(pilot)
        table = messages(inbox)
        assert rows(table) == [str(m.id) for m in b.inbox.list()] == [str(transfer.id), str(note.id)]
        counts = str(inbox.query_one("#inbox-counts", Static).render())
        for key, n in (("count_new", summary.new), ("count_open", summary.open), ("count_overdue", summary.overdue),
                       ("count_due_today", summary.due_today), ("count_outbox", summary.outbox_unsent)):
            assert f"{i18n.t(key)} {n}" in counts
        assert cell(table, transfer.id, "col_left") == i18n.t("late_days", n=1)  # marked late, by how much
        assert cell(table, note.id, "col_left") == str(b.inbox.get(note.id).working_days_left)
        assert cell(table, note.id, "col_subject") == registered.name
        assert "*" in cell(table, note.id, "col_id")
        assert cell(table, note.id, "col_msg_status") == labels.label("message_status", "new")
        assert {i18n.t("key_read"), i18n.t("key_close")} <= footer_keys(pilot.app)  # type: ignore[arg-type]

        await pilot.press("f3")  # overdue only
        await settle(pilot)
        assert rows(table) == [str(transfer.id)]
        await pilot.press("f3", "f2")  # all again, then notifications only
        await settle(pilot)
        assert rows(table) == [str(note.id)]
        assert i18n.kind_short("notification") in str(inbox.query_one("#filters", Static).render())


async def test_read_match_close_moves_the_message_along(
    db_url: str, townships: tuple[flowpop.Client, flowpop.Client]
) -> None:
    a, d = townships
    p = household_in_d(a, "张三丰")
    note = next(iter(d.inbox.list(kind="notification")))
    assert [c.person_id for c in note.candidates] == [p.id]
    async with console(db_url, d).run_test(size=SIZE) as pilot:
        inbox = await open_inbox(pilot)
        table = messages(inbox)
        point_at(inbox, note.id)
        await pilot.press("r")
        await settle(pilot)
        assert d.inbox.get(note.id).status == "read"
        assert cell(table, note.id, "col_msg_status") == labels.label("message_status", "read")

        await pilot.press("m")  # pick the candidate in a form
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, MatchForm)
        assert form.query_one("#f-candidate", Select).value == str(p.id)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is inbox
        got = d.inbox.get(note.id)
        assert (got.status, got.matched_person_id) == ("matched", p.id)
        assert cell(table, note.id, "col_msg_status") == labels.label("message_status", "matched")

        await pilot.press("c")
        await settle(pilot)
        assert d.inbox.get(note.id).status == "closed"
        assert cell(table, note.id, "col_msg_status") == labels.label("message_status", "closed")
        assert inbox.summary is not None and inbox.summary.open == d.inbox.summary().open == 0


async def test_bulk_acknowledge_selected_rows_then_all_notifications(
    db_url: str, townships: tuple[flowpop.Client, flowpop.Client]
) -> None:
    a, d = townships
    people = [household_in_d(a, name) for name in ("李一", "李二", "李三", "李四")]
    request = d.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_A, person_id=people[0].id,
                           items={"verify": ["在住"]})
    asked = a.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_D, person_id=people[1].id,
                         items={"verify": ["婚育情况"]})
    notes = [m.id for m in d.inbox.list(kind="notification")]
    assert len(notes) == 4 and request.id not in notes
    async with console(db_url, d).run_test(size=SIZE) as pilot:
        inbox = await open_inbox(pilot)
        table = messages(inbox)
        point_at(inbox, notes[0])
        await pilot.press("space", "space")  # the first two notifications, the cursor moving down
        assert inbox.selected == {str(notes[0]), str(notes[1])}
        assert cell(table, notes[0], "col_sel") == "✓"
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(pilot.app.screen, Confirm)  # nothing acknowledged before the count is seen
        assert i18n.t("confirm_ack", n=2) in str(pilot.app.screen.query_one("#confirm-text", Static).render())
        assert {d.inbox.get(m).status for m in notes} == {"new"}
        await pilot.press("y")
        await settle(pilot)
        status = {m: d.inbox.get(m).status for m in notes}
        assert status == {notes[0]: "closed", notes[1]: "closed", notes[2]: "new", notes[3]: "new"}
        assert sorted(rows(table)) == sorted(str(m) for m in (notes[2], notes[3], asked.id))  # open ones stay
        assert i18n.t("acknowledged_all", done=2) in status_line(inbox)

        await pilot.press("A")  # every open notification; the request is not one
        await settle(pilot)
        assert inbox.selected == {str(notes[2]), str(notes[3])}
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert {d.inbox.get(m).status for m in notes} == {"closed"}
        assert d.inbox.get(asked.id).status == "new"
        assert rows(table) == [str(asked.id)]


async def test_a_step_the_registry_refuses_is_shown_in_place(
    db_url: str, townships: tuple[flowpop.Client, flowpop.Client]
) -> None:
    a, d = townships
    household_in_d(a, "王芳")
    note = next(iter(d.inbox.list()))
    async with console(db_url, d).run_test(size=SIZE) as pilot:
        inbox = await open_inbox(pilot)
        point_at(inbox, note.id)
        await pilot.press("r")
        await settle(pilot)
        read = d.inbox.get(note.id)
        assert read.status == "read"
        # reading it again is not a step from "read": the registry does not list it, so the key is not offered
        assert "read" not in read.allowed_actions and inbox.check_action("read", ()) is False
        await pilot.press("r")
        await settle(pilot)
        assert pilot.app.is_running and d.inbox.get(note.id).version == read.version

        await pilot.press("f")  # forwarding outside one's jurisdiction: the registry's word under the field
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, ForwardForm)
        form.query_one("#f-to_code", Input).value = tree.VILLAGE_A1
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form
        with pytest.raises(flowpop.ValidationError) as invalid:
            d.inbox.act(note.id, "forward", version=read.version, to_code=tree.VILLAGE_A1)
        expected = next(e.message for e in invalid.value.errors if e.field == "to_code")
        error = form.query_one("#err-to_code", Static)
        assert error.has_class("shown") and str(error.render()) == expected
        form.query_one("#f-to_code", Input).value = tree.VILLAGE_D1
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is inbox
        moved = d.inbox.get(note.id)
        assert (moved.status, moved.addressee_code) == ("forwarded", tree.VILLAGE_D1)


async def test_preview_shows_the_matched_record_with_differences_and_candidates(
    db_url: str, client: flowpop.Client, townships: tuple[flowpop.Client, flowpop.Client]
) -> None:
    a, d = townships
    p = household_in_d(a, "张三丰")
    request = a.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_D, person_id=p.id,
                           items={"verify": ["现居住地址", "婚育情况"]})
    client.persons.update(p.id, version=p.version, name="张三峰", change_reason="更正姓名")  # the record moved on
    detail = d.inbox.get(request.id)
    assert detail.matched_person_id == p.id and detail.subject["name"] == "张三丰"
    async with console(db_url, d).run_test(size=SIZE) as pilot:
        inbox = await open_inbox(pilot)
        view = await open_message(pilot, inbox, request.id)
        compare = view.query_one("#compare", DataTable)
        table = {str(r[1]): (str(r[0]), str(r[2]), str(r[3])) for r in (compare.get_row_at(i) for i in range(5))}
        assert table[i18n.t("f_name")] == ("≠", "张三丰", "张三峰")
        mark, theirs, ours = table[i18n.t("col_id")]
        assert mark == "=" and theirs == ours == d.persons.get(p.id).id_number and "*" in ours
        # birth years: unrevealed, no birth date nor age leaves the registry
        assert table[i18n.t("col_birth_year")] == ("=", str(p.birth_year), str(p.birth_year))
        assert table[i18n.t("f_household")][0] == table[i18n.t("f_residence")][0] == "="
        candidates = view.query_one("#candidates", DataTable)
        assert rows(candidates) == [str(c.person_id) for c in detail.candidates]
        assert str(candidates.get_row_at(0)[0]) == "✓"  # the matched one
        assert str(candidates.get_row_at(0)[3]) == str(p.birth_year)
        assert labels.label("message_kind", "assist_request") in str(view.query_one("#msg-summary", Static).render())

        await pilot.press("o")  # the local record itself
        await settle(pilot)
        assert isinstance(pilot.app.screen, DetailScreen) and pilot.app.screen.person_id == p.id
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is view


async def test_verify_reply_with_facts_and_save_the_sheet(
    db_url: str, townships: tuple[flowpop.Client, flowpop.Client], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, d = townships
    p = household_in_d(a, "刘洋")
    request = a.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_D, person_id=p.id,
                           items={"verify": ["现居住地址", "婚育情况"]})
    monkeypatch.chdir(tmp_path)
    async with console(db_url, d).run_test(size=SIZE) as pilot:
        inbox = await open_inbox(pilot)
        view = await open_message(pilot, inbox, request.id)
        await pilot.press("p")
        await settle(pilot)
        sheet = tmp_path / SHEET_NAME.format(id=request.id)
        assert sheet.read_text(encoding="utf-8") == d.inbox.sheet(request.id)
        assert str(sheet) in status_line(view)

        await pilot.press("r", "v")
        await settle(pilot)
        assert d.inbox.get(request.id).status == "verifying"
        await pilot.press("y")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, ReplyForm)
        area = form.query_one("#f-facts", TextArea)
        assert area.text == "现居住地址=\n婚育情况="  # what was asked, ready to fill in
        area.text = "现居住地址=属实\n这一行没有等号"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form and form.query_one("#err-facts", Static).has_class("shown")
        area.text = "现居住地址=属实\n婚育情况＝已婚，已查验婚育证明\n"
        form.query_one("#f-text", Input).value = "已入户核实"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, Confirm)  # what leaves, before it leaves
        assert d.inbox.get(request.id).status == "verifying"
        await pilot.press("y")
        await settle(pilot)
        assert pilot.app.screen is view
        assert d.inbox.get(request.id).status == "answered"
        replies = list(a.inbox.list(kind="assist_reply"))
        assert [(r.items, r.text) for r in replies] == [
            ({"现居住地址": "属实", "婚育情况": "已婚，已查验婚育证明"}, "已入户核实")]
        assert view.message is not None and view.message.status == "answered"
        await pilot.press("escape")
        await settle(pilot)
        assert cell(messages(inbox), request.id, "col_msg_status") == labels.label("message_status", "answered")
