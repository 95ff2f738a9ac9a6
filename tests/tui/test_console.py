"""The console, driven by Textual's pilot at 80×24 against a real registry (SQLite or PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

import flowpop
from flowpop import labels
from flowpop_tui import i18n
from flowpop_tui.app import FlowpopApp
from flowpop_tui.base import Confirm as ConfirmScreen
from flowpop_tui.detail import DetailScreen
from flowpop_tui.forms import PersonForm, StatusForm, StayForm
from flowpop_tui.search import SearchScreen
from tests import tree
from tests.tui.pilot import SIZE, footer_keys, rows, settle, status_line

Form = TypeVar("Form", bound=Screen[Any])

pytestmark = pytest.mark.usefixtures("search_first")  # these tests are about the search screen


def persons_table(app: FlowpopApp) -> DataTable[Any]:
    return app.screen.query_one("#persons", DataTable)


async def search_for(pilot: Pilot[Any], text: str) -> None:
    field = pilot.app.screen.query_one("#q", Input)
    field.focus()
    field.value = ""
    await pilot.press(*text)
    await settle(pilot)


async def open_detail(pilot: Pilot[Any], person_id: int) -> DetailScreen:
    app = pilot.app
    table = persons_table(app)  # type: ignore[arg-type]
    table.focus()
    table.move_cursor(row=table.get_row_index(str(person_id)))
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, DetailScreen)
    return app.screen


async def open_form(pilot: Pilot[Any], person_id: int, key: str, kind: type[Form]) -> Form:
    """From a person's detail screen, the form that ``key`` opens (which must be a ``kind``)."""
    await open_detail(pilot, person_id)
    await pilot.press(key)
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, kind)
    return form


def shown_error(screen: Any, field: str) -> str:
    node = screen.query_one(f"#err-{field}", Static)
    return str(node.render()) if node.has_class("shown") else ""


async def test_search_screen_at_80x24_shows_who_and_keys(app: FlowpopApp, make_person: Callable[..., Any]) -> None:
    made = [make_person(name="王秀英"), make_person(name="李娜")]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)
        assert sorted(rows(persons_table(app))) == sorted(str(p.id) for p in made)
        assert app.me is not None and app.me.username in app.sub_title
        assert labels.label("role", app.me.role) in app.sub_title
        keys = footer_keys(app)
        assert {i18n.t("key_filter"), i18n.t("key_direction"), i18n.t("key_status")} <= keys
        assert app.screen.query_one("#q", Input).placeholder == i18n.t("search_placeholder")
        status = str(app.screen.query_one("#status", Static).render())
        assert status == i18n.t("loaded_all", n=2)


async def test_pinyin_and_initials_find_only_the_match(
    app: FlowpopApp, client: flowpop.Client, make_person: Callable[..., Any]
) -> None:
    zhang = make_person(name="张三丰")
    li = make_person(name="李四")
    zhangwei = make_person(name="张伟")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert len(rows(persons_table(app))) == 3
        await search_for(pilot, "zsf")
        assert rows(persons_table(app)) == [str(zhang.id)]
        await search_for(pilot, "zhang")
        assert sorted(rows(persons_table(app))) == sorted([str(zhang.id), str(zhangwei.id)])
        await search_for(pilot, "lis")
        assert rows(persons_table(app)) == [str(li.id)]
        # a query the registry refuses (too few ID digits) is shown in place, the app keeps going
        await search_for(pilot, "12")
        with pytest.raises(flowpop.ValidationError) as refused:
            client.persons.list(q="12").first_page()
        assert status_line(app) == i18n.error_text(refused.value).replace("\n", " ")
        assert rows(persons_table(app)) == [] and app.is_running


async def test_results_load_page_by_page_as_the_cursor_moves(
    app: FlowpopApp, client: flowpop.Client, make_person: Callable[..., Any]
) -> None:
    made = [make_person(name="陈静").id for _ in range(120)]
    page_size = SearchScreen.PAGE_SIZE
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = persons_table(app)
        assert table.row_count == page_size
        assert app.screen.has_more  # type: ignore[attr-defined]
        table.focus()
        for _ in range(4):
            await pilot.press("pagedown")
        await settle(pilot)
        assert page_size < table.row_count <= 2 * page_size
        while app.screen.has_more:  # type: ignore[attr-defined]
            before = table.row_count
            table.move_cursor(row=table.row_count - 1)
            await settle(pilot)
            assert table.row_count > before
        assert sorted(map(int, rows(table))) == sorted(made)
        expected = [str(p.id) for p in client.persons.list(limit=page_size)]
        assert rows(table) == expected


async def test_enter_opens_stays_and_history(
    app: FlowpopApp, client: flowpop.Client, make_person: Callable[..., Any]
) -> None:
    p = make_person(name="赵敏")
    client.persons.update(p.id, version=p.version, phone="13800138000", change_reason="补录电话[/]")  # not markup
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        detail = await open_detail(pilot, p.id)
        assert detail.person is not None and detail.person.name == "赵敏"
        assert "*" in detail.person.id_number
        summary = str(detail.query_one("#summary", Static).render())  # the birth year until revealed, then the age
        assert i18n.t("born_in", year=detail.person.birth_year) in summary
        stays = detail.query_one("#stays", DataTable)
        history = detail.query_one("#history", DataTable)
        assert rows(stays) == [str(s.id) for s in client.persons.get(p.id).stays]
        assert rows(history) == [str(h.id) for h in client.persons.history(p.id)]
        assert "补录电话[/]" in [str(c) for c in history.get_row(rows(history)[0])]
        assert client.audit.access_log() == []
        await pilot.press("r")  # reveal the whole ID number: allowed for the local admin, and logged
        await settle(pilot)
        assert detail.person.id_revealed
        assert i18n.t("aged", age=detail.person.age) in str(detail.query_one("#summary", Static).render())
        log = client.audit.access_log()
        assert [(e.action, e.entity_ids) for e in log] == [("reveal", [p.id])]
        assert detail.person.id_number == client.persons.get(p.id, reveal=True).id_number
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SearchScreen)


async def test_edit_form_shows_field_message_in_place_then_saves(
    app: FlowpopApp, client: flowpop.Client, make_person: Callable[..., Any]
) -> None:
    p = make_person(name="孙丽")
    try:
        client.persons.update(p.id, version=p.version, phone="12345")
    except flowpop.ValidationError as exc:
        expected = next(e.message for e in exc.errors if e.field == "phone")
    else:
        raise AssertionError("the registry accepted a bad phone number")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = await open_form(pilot, p.id, "e", PersonForm)
        form.query_one("#f-phone", Input).value = "12345"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # kept open
        assert shown_error(form, "phone") == expected
        assert shown_error(form, "name") == ""
        unchanged = client.persons.get(p.id)
        assert (unchanged.version, unchanged.phone) == (p.version, None)

        form.query_one("#f-phone", Input).value = "13912345678"
        form.query_one("#f-change_reason", Input).value = "本人告知"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        saved = client.persons.get(p.id)
        assert (saved.phone, saved.version) == ("13912345678", p.version + 1)
        assert client.persons.history(p.id)[0].reason == "本人告知"
        assert app.screen.person is not None and app.screen.person.version == saved.version


async def test_edit_form_reports_a_version_conflict_and_reloads(
    app: FlowpopApp, client: flowpop.Client, make_person: Callable[..., Any]
) -> None:
    p = make_person(name="周芳")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = await open_form(pilot, p.id, "e", PersonForm)
        client.persons.update(p.id, version=p.version, phone="13700000000")  # someone else, meanwhile
        form.query_one("#f-note", Input).value = "我的修改"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is form
        assert form.query_one("#f-phone", Input).value == "13700000000"
        assert form.person.version == p.version + 1
        assert client.persons.get(p.id).note is None


async def test_stay_form_saves_the_current_stay(
    app: FlowpopApp, client: flowpop.Client, make_person: Callable[..., Any]
) -> None:
    p = make_person(name="吴刚", sex="M", marital_status="unmarried")
    stay_id = p.current_stay_id
    assert stay_id is not None
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = await open_form(pilot, p.id, "c", StayForm)
        form.query_one("#f-expected_return_on", Input).value = "not a date"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and shown_error(form, "expected_return_on") == i18n.t("bad_date")
        form.query_one("#f-expected_return_on", Input).value = ""
        form.query_one("#f-residence_address", Input).value = "幸福路8号302室"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert client.stays.get(stay_id).residence_address == "幸福路8号302室"


async def test_deregister_from_detail_changes_status(
    app: FlowpopApp, client: flowpop.Client, make_person: Callable[..., Any]
) -> None:
    p = make_person(name="郑洁")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        detail = await open_detail(pilot, p.id)
        await pilot.press("d")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, StatusForm)
        await pilot.press("ctrl+s")  # no reason given: said in place, nothing sent
        await settle(pilot)
        assert app.screen is form and shown_error(form, "reason") == i18n.t("required")
        assert client.persons.get(p.id).status == "active"
        await pilot.press(*"返回原籍")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is detail
        assert client.persons.get(p.id).status == "deregistered"
        assert detail.person is not None and detail.person.status == "deregistered"
        assert detail.check_action("restore", ()) is True and detail.check_action("deregister", ()) is False
        await pilot.press("s")  # and restore it
        await settle(pilot)
        assert isinstance(app.screen, StatusForm) and app.screen.action == "restore"
        await pilot.press(*"登记有误", "enter")
        await settle(pilot)
        assert client.persons.get(p.id).status == "active"
        await pilot.press("d")
        await settle(pilot)
        await pilot.press(*"返回原籍", "enter")
        await settle(pilot)
        assert client.persons.get(p.id).status == "deregistered"
        await pilot.press("escape")
        await settle(pilot)
        row = persons_table(app).get_row(str(p.id))
        assert str(row[-1]) == labels.label("person_status", "deregistered")
        assert "*" in str(row[1])


async def test_english_and_language_switch(
    app: FlowpopApp, make_person: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOWPOP_LANG", "en")
    p = make_person(name="黄蓉")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = persons_table(app)
        assert [str(c.label) for c in table.columns.values()][0] == "Name"
        assert str(table.get_row_at(0)[4]) == labels.label("category", p.category, "en")
        await app.switch_language()
        await settle(pilot)
        table = persons_table(app)
        assert [str(c.label) for c in table.columns.values()][0] == "姓名"
        assert str(table.get_row_at(0)[4]) == labels.label("category", p.category, "zh")
        await pilot.pause()
        assert i18n.t("key_filter") == "筛选"
        assert "筛选" in footer_keys(app)


async def test_unreachable_registry_is_reported_in_place() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there

    def factory() -> flowpop.AsyncClient:
        return flowpop.AsyncClient(url=f"http://127.0.0.1:{port}", token="t", max_retries=0)

    async with factory() as direct:
        with pytest.raises(flowpop.APIConnectionError) as caught:
            await direct.persons.list(status="active", limit=SearchScreen.PAGE_SIZE).first_page()
    app = FlowpopApp(factory)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert status_line(app) == i18n.error_text(caught.value)
        assert persons_table(app).row_count == 0 and app.is_running


async def test_a_registry_that_cannot_be_opened_is_reported(tmp_path: Any) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    app = FlowpopApp(lambda: flowpop.AsyncClient(db=str(blocker / "registry.db")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.client is None and app.connect_error
        assert status_line(app) == app.connect_error
        await pilot.press("down", "q")
        await pilot.pause()
        assert not app.is_running


async def test_filter_keys_narrow_the_list(
    db_url: str, client: flowpop.Client, make_person: Callable[..., Any], as_user: Callable[..., flowpop.Client]
) -> None:
    key = make_person(name="林慧")  # married woman of 36: a key target
    single = make_person(name="林强", sex="M", marital_status="unmarried")
    gone = make_person(name="林木")
    client.persons.deregister(gone.id, version=gone.version, reason="返乡", date=dt.date(2026, 10, 1))
    outflow = make_person(name="林出", sex="M", marital_status="unmarried", household_code=tree.COUNTY_SANYUAN,
                          stay={"residence_code": tree.VILLAGE_D1, "reason": "work", "arrived_on": "2026-02-01"})
    assert key.key_target and not single.key_target
    county = as_user("county_admin", tree.COUNTY_SANYUAN)
    app = FlowpopApp(lambda: flowpop.AsyncClient(db=db_url, token=county.settings.token, max_retries=0))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.me is not None and app.me.jurisdiction_name and app.me.jurisdiction_name in app.sub_title
        table = persons_table(app)
        assert sorted(rows(table)) == sorted(str(p.id) for p in (key, single, outflow))
        await pilot.press("f4")  # key targets only
        await settle(pilot)
        assert rows(table) == [str(key.id)]
        await pilot.press("f4", "f2")  # all again, then inflow
        await settle(pilot)
        assert sorted(rows(table)) == sorted(str(p.id) for p in (key, single))
        await pilot.press("f2")  # outflow
        await settle(pilot)
        assert rows(table) == [str(outflow.id)]
        await pilot.press("f2", "f3")  # both directions; deregistered
        await settle(pilot)
        assert rows(table) == [str(gone.id)]
        filters = str(app.screen.query_one("#filters", Static).render())
        assert labels.label("person_status", "deregistered") in filters
