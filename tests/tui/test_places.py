"""The console's house and employer screens, driven by Textual's pilot at 80×24 against a real registry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static, TextArea

import flowpop
from flowpop_tui import i18n
from flowpop_tui.app import FlowpopApp
from flowpop_tui.detail import DetailScreen
from flowpop_tui.places import (
    NOTICE_NAME,
    EmployersScreen,
    HouseScreen,
    HousesScreen,
    LateScreen,
    NoticeScreen,
    RosterScreen,
)
from tests import tree
from tests.conftest import person_fields
from tests.records import credit_code, new_house
from tests.tui.pilot import SIZE, rows, settle, status_line

pytestmark = pytest.mark.usefixtures("search_first")
TODAY = dt.date.today()


def _tenant(client: flowpop.Client, house: str, name: str, arrived: dt.date, room: str = "201") -> flowpop.types.PersonDetail:
    return client.persons.create(**person_fields(name=name, stay={"residence_code": tree.VILLAGE_A1, "reason": "work",
                                                                  "arrived_on": arrived.isoformat(), "house_code": house,
                                                                  "room": room}))


async def go(pilot: Pilot[Any], key: str) -> None:
    await settle(pilot)
    await pilot.press("down", key)  # down leaves the search box for the results, where the key is a key
    await settle(pilot)


def texts(table: DataTable[Any], key: str) -> list[str]:
    return [str(c) for c in table.get_row(key)]


async def test_house_search_and_rooms_with_tenants_and_registered_members(
    app: FlowpopApp, client: flowpop.Client
) -> None:
    h = new_house(client, address="新市北路12号[b]")  # registry text is never markup
    new_house(client, address="东安新村5幢", landlord_name="林秀兰")
    tenant = _tenant(client, h.code, "租客甲", dt.date(2026, 3, 1))
    # registered at this house, living in 东湖区 now
    member = client.persons.create(**person_fields(name="户籍丙", household_code=tree.VILLAGE_A1,
                                                   household_house_code=h.code, household_room="101", region="350404",
                                                   stay={"residence_code": tree.VILLAGE_D1, "reason": "work",
                                                         "arrived_on": "2025-06-01"}))
    view = client.houses.get(h.code)
    where_now = next(o.where_now for r in view.rooms for o in r.household_members if o.person_id == member.id)
    assert where_now and "东湖区" in where_now
    async with app.run_test(size=SIZE) as pilot:
        await go(pilot, "h")
        houses = app.screen
        assert isinstance(houses, HousesScreen)
        table = houses.query_one("#houses", DataTable)
        assert sorted(rows(table)) == sorted(x.code for x in client.houses.list())
        houses.query_one("#q", Input).focus()
        await pilot.press(*"新市北路")
        await settle(pilot)
        assert rows(table) == [h.code] == [x.code for x in client.houses.list(q="新市北路")]
        assert texts(table, h.code)[1] == "新市北路12号[b]"
        await pilot.press("enter", "enter")  # into the results, then open the house
        await settle(pilot)
        house = app.screen
        assert isinstance(house, HouseScreen) and house.code == h.code
        summary = str(house.query_one("#house-summary", Static).render())
        assert "陈建国" in summary and i18n.t("occupancy", n=view.house.occupants, cap=4) in summary
        rooms = house.query_one("#rooms", DataTable)
        living_key, member_key = f"L{tenant.id}:201", f"H{member.id}:101"
        assert sorted(rows(rooms)) == sorted([living_key, member_key])
        lives = texts(rooms, living_key)
        assert lives[:5] == ["201", i18n.t("occ_living"), "租客甲", client.persons.get(tenant.id).id_number, "2026-03-01"]
        assert lives[5] == i18n.t("undeclared")
        registered = texts(rooms, member_key)
        assert registered[:3] == ["101", i18n.t("occ_hukou"), "户籍丙"] and "*" in registered[3]
        prefix = i18n.t("now_at", place="")
        assert registered[5].startswith(prefix) and where_now.endswith(registered[5][len(prefix):].lstrip("…"))
        rooms.focus()
        rooms.move_cursor(row=rooms.get_row_index(member_key))
        await pilot.pause()
        assert where_now in status_line(app)  # the whole name of where they are now
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.person_id == member.id


async def test_late_declarations_with_penalty_and_the_landlord_notice(
    app: FlowpopApp, client: flowpop.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = new_house(client, capacity=None)
    arrived = TODAY - dt.timedelta(days=30)
    declared, undeclared, on_time = (_tenant(client, h.code, name, arrived) for name in ("晚报甲", "未报乙", "按时丙"))
    due = declared.stays[0].declare_due_on
    assert due is not None
    client.houses.declare(h.code, stay_id=declared.stays[0].id, declared_on=(due + dt.timedelta(days=5)).isoformat())
    client.houses.declare(h.code, stay_id=on_time.stays[0].id, declared_on=due.isoformat())
    late = client.houses.late_declarations()
    assert sorted(x.person_id for x in late) == sorted([declared.id, undeclared.id])
    monkeypatch.chdir(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await go(pilot, "h")
        await pilot.press("l")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LateScreen)
        table = screen.query_one("#late", DataTable)
        assert rows(table) == [str(x.stay_id) for x in late]
        by_state = {x.state: x for x in late}
        missing = texts(table, str(by_state["missing"].stay_id))
        assert (missing[0], missing[5], missing[6]) == ("未报乙", i18n.t("undeclared"), str(by_state["missing"].penalty_yuan))
        assert texts(table, str(by_state["late"].stay_id))[5] == i18n.t("declared_late")
        total = sum(x.penalty_yuan for x in late)
        assert status_line(app) == i18n.t("late_counts", n=2, missing=1, yuan=total)
        table.move_cursor(row=0)
        await pilot.press("t")
        await settle(pilot)
        notice = app.screen
        assert isinstance(notice, NoticeScreen)
        text = client.houses.notice(h.code)
        assert notice.query_one("#notice", TextArea).text == text and "未报乙" in text
        await pilot.press("s")
        await settle(pilot)
        assert (tmp_path / NOTICE_NAME.format(code=h.code)).read_text(encoding="utf-8") == text
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


async def test_employers_needing_an_agreement_and_a_roster(app: FlowpopApp, client: flowpop.Client) -> None:
    big, small = credit_code(4321), credit_code(4322)
    client.employers.create(uscc=big, name="三明测试纺织有限公司", division_code=tree.TOWNSHIP_A)
    client.employers.create(uscc=small, name="三元小吃店", division_code=tree.TOWNSHIP_A,
                            agreement_signed_on=TODAY.isoformat())
    stay = {"residence_code": tree.VILLAGE_A1, "reason": "work", "arrived_on": "2026-03-01"}
    workers = [client.persons.create(**person_fields(name=f"工人{i}", stay={**stay, "employer_code": big})).id
               for i in range(10)]
    client.persons.create(**person_fields(name="店员", stay={**stay, "employer_code": small}))
    async with app.run_test(size=SIZE) as pilot:
        await go(pilot, "e")
        screen = app.screen
        assert isinstance(screen, EmployersScreen)
        table = screen.query_one("#employers", DataTable)
        assert rows(table) == [e.uscc for e in client.employers.list()]
        row = texts(table, big)
        assert row[3] == "10" and row[4] == i18n.t("unsigned")
        assert texts(table, small)[4] == TODAY.isoformat()
        await pilot.press("f2")  # needs an agreement
        await settle(pilot)
        assert rows(table) == [big] == [e.uscc for e in client.employers.list(needs_agreement=True)]
        await pilot.press("enter")
        await settle(pilot)
        roster = app.screen
        assert isinstance(roster, RosterScreen)
        listed = rows(roster.query_one("#roster", DataTable))
        assert listed == [str(p.id) for p in client.employers.roster(big)] and sorted(map(int, listed)) == sorted(workers)
        summary = str(roster.query_one("#employer-summary", Static).render())
        assert "三明测试纺织有限公司" in summary and i18n.t("unsigned") in summary


async def test_house_view_in_english(app: FlowpopApp, client: flowpop.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWPOP_LANG", "en")
    h = new_house(client)
    tenant = _tenant(client, h.code, "租客丁", dt.date(2026, 3, 1), room="302")
    async with app.run_test(size=SIZE) as pilot:
        await go(pilot, "h")
        await pilot.press("enter")
        await settle(pilot)
        house = app.screen
        assert isinstance(house, HouseScreen)
        rooms = house.query_one("#rooms", DataTable)
        assert [str(c.label) for c in rooms.columns.values()][0] == "Room"
        assert texts(rooms, f"L{tenant.id}:302")[1] == "living" and texts(rooms, f"L{tenant.id}:302")[5] == "undeclared"
        assert "1 living / capacity 4" in str(house.query_one("#house-summary", Static).render())
