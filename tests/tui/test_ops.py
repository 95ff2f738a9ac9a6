"""The operations screens (dashboard, inspection, quality, bulk changes), driven by the pilot at 80×24
against a real registry (SQLite or PostgreSQL); what they show is checked against the SDK."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, Select, Static

import flowpop
from flowpop.registry.store.db import normalize_url
from flowpop_tui.app import AREAS
from flowpop_tui.base import Confirm, Reading
from flowpop_tui.detail import DetailScreen
from flowpop_tui.i18n import label, t
from flowpop_tui.ops_bulk import BulkForm, ChangesetsScreen, PreviewScreen
from flowpop_tui.ops_dashboard import DashboardScreen
from flowpop_tui.ops_inspect import CorrectForm, InspectScreen, LeftForm
from flowpop_tui.ops_quality import QualityPersonsScreen, QualityScreen
from flowpop_tui.search import SearchScreen
from tests import tree
from tests.conftest import person_fields
from tests.tui.pilot import SIZE, console, rows, settle

TODAY = dt.date.today()
QUARTER = f"{TODAY.year}Q{(TODAY.month - 1) // 3 + 1}"


async def open_ops(pilot: Pilot[Any], key: str) -> Any:
    """The area the app binds to ``key``, opened as the app does."""
    app = pilot.app
    area = next(area for area, (k, _shown, _name) in AREAS.items() if k == key)
    app.action_go(area)  # type: ignore[attr-defined]  # our FlowpopApp
    await settle(pilot)
    return app.screen


def shown(screen: Any, selector: str) -> str:
    """A panel's text: a Static's, or a list's lines (the dashboard's overdue items and quality lines)."""
    node = screen.query_one(selector)
    if isinstance(node, OptionList):
        return "\n".join(str(node.get_option_at_index(n).prompt) for n in range(node.option_count))
    return str(screen.query_one(selector, Static).render())


def cursor_to(table: DataTable[Any], key: str) -> None:
    table.focus()
    table.move_cursor(row=table.get_row_index(key))


def quality_counts(client: flowpop.Client) -> dict[str, int]:
    return {c.key: c.count for c in client.reports.quality().checks}


def break_records(db_url: str, **updates: tuple[int, str]) -> None:
    """Data as legacy systems left it: set a column of one person directly in the store."""
    engine = create_engine(normalize_url(db_url))
    with engine.begin() as conn:
        for column, (person_id, value) in updates.items():
            conn.execute(text(f"UPDATE persons SET {column} = :v WHERE id = :id"), {"v": value, "id": person_id})
    engine.dispose()


# ------------------------------------------------------------------ dashboard


async def test_dashboard_shows_inbox_overdue_inspection_quality_and_rates(
    db_url: str, client: flowpop.Client, as_user: Callable[..., flowpop.Client]
) -> None:
    people = [client.persons.create(**person_fields(household_code=tree.VILLAGE_D1)) for _ in range(3)]
    late = client.persons.get(people[0].id)
    campaign = client.inspections.create(quarter=QUARTER, jurisdiction_code=tree.TOWNSHIP_A)
    item = next(i for i in client.inspections.items(campaign.id) if i.person_id == people[1].id)
    client.inspections.record(campaign.id, item.id, version=item.version, outcome="present")
    d_side = as_user("township_operator", tree.TOWNSHIP_D)
    note = next(m for m in d_side.inbox.list(kind="notification") if m.matched_person_id == late.id)
    engine = create_engine(normalize_url(db_url))
    with engine.begin() as conn:  # a notice that should have been acknowledged three days ago
        conn.execute(text("UPDATE messages SET due_on = :d WHERE id = :id"),
                     {"d": TODAY - dt.timedelta(days=3), "id": note.id})
    engine.dispose()

    app = console(db_url, d_side)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dash = app.screen
        assert isinstance(dash, DashboardScreen)  # the home screen
        summary = d_side.inbox.summary()
        assert summary.overdue == 1 and summary.open >= 3
        inbox = shown(dash, "#dash-inbox")
        assert t("dash_inbox_open", new=summary.new, open=summary.open) in inbox
        assert t("dash_inbox_due", overdue=1, due_today=summary.due_today) in inbox
        assert dash.query_one("#dash-inbox").has_class("alert")
        overdue = shown(dash, "#dash-overdue")
        assert late.name in overdue and t("late_days", n=3) in overdue
        assert str(dash.query_one("#dash-overdue").border_title) == f"{t('dash_overdue')} 1"
        # the operator of township D sees no campaign of township A
        assert shown(dash, "#dash-inspect") == t("dash_inspect_none")
        rates = d_side.reports.rates(QUARTER, level="township").total.rates
        drawn = shown(dash, "#dash-rates").splitlines()
        assert len(drawn) == len(rates)
        for line, rate in zip(drawn, rates, strict=True):
            assert line.startswith(rate.name)
            assert "┃" in line and (rate.value is None or "█" in line or "░" in line)
            if rate.value is not None:
                assert t("percent", value=rate.value * 100) in line

    app = console(db_url)  # the local administrator: every area
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dash = app.screen
        progress = shown(dash, "#dash-inspect")
        listed = next(c for c in client.inspections.list() if c.id == campaign.id)
        assert (listed.done, listed.items) == (1, 3)
        assert listed.name[:10] in progress and f"{listed.done}/{listed.items}" in progress
        checks = sorted((c for c in client.reports.quality().checks if c.count), key=lambda c: -c.count)
        quality = shown(dash, "#dash-quality")
        assert checks and checks[0].name in quality and str(checks[0].count) in quality
        await app.switch_language()  # the home screen stays, in English
        await settle(pilot)
        assert app.screen is dash
        assert str(dash.query_one("#dash-rates").border_title).startswith(f"Rates {QUARTER}")
        summary = client.inbox.summary()
        assert f"new {summary.new} · open {summary.open}" in shown(dash, "#dash-inbox")
        assert checks[0].name_en[:15] in shown(dash, "#dash-quality")


# ------------------------------------------------------------------ inspection


async def test_inspection_keys_record_outcomes_and_progress(
    db_url: str, client: flowpop.Client, as_user: Callable[..., flowpop.Client]
) -> None:
    mine = [client.persons.create(**person_fields(name=f"清查{n}", household_code=tree.VILLAGE_D1)) for n in "甲乙丙丁戊"]
    other = client.persons.create(**person_fields(name="别村人", stay={"residence_code": tree.VILLAGE_A2, "reason": "work",
                                                                      "arrived_on": "2026-03-01"}))
    operator = as_user("township_operator", tree.TOWNSHIP_A)
    me = operator.me().username
    campaign = client.inspections.create(quarter=QUARTER, jurisdiction_code=tree.TOWNSHIP_A)
    client.inspections.assign(campaign.id, [{"division_code": tree.VILLAGE_A1, "username": me}])
    items = {i.person_id: str(i.id) for i in client.inspections.items(campaign.id)}
    present, moved, gone, missing, fixed = mine

    app = console(db_url, operator)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_ops(pilot, "n")
        assert isinstance(screen, InspectScreen)
        table = screen.query_one("#insp-items", DataTable)
        assert sorted(rows(table)) == sorted(items.values())
        await pilot.press("m")  # mine: the village assigned to me
        await settle(pilot)
        assert sorted(rows(table)) == sorted(str(i.id) for i in operator.inspections.items(campaign.id, assignee=me))
        assert items[other.id] not in rows(table) and len(rows(table)) == 5

        cursor_to(table, items[present.id])
        await pilot.press("1")
        await settle(pilot)
        cursor_to(table, items[moved.id])
        await pilot.press("3")  # left: the date form (blank for today), Enter records it
        await settle(pilot)
        assert isinstance(app.screen, LeftForm)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        cursor_to(table, items[gone.id])
        await pilot.press("4")
        await settle(pilot)
        cursor_to(table, items[fixed.id])
        await pilot.press("2")  # corrected: field=value lines, labels for codes
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CorrectForm)
        form.query_one("#f-change1", Input).value = "phone=13912345678"
        form.query_one("#f-change2", Input).value = "婚姻状况=离婚"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen

        outcomes = {i.person_id: i.outcome for i in client.inspections.items(campaign.id)}
        assert outcomes == {present.id: "present", moved.id: "left", gone.id: "not_found", missing.id: None,
                            fixed.id: "corrected", other.id: None}
        assert client.persons.get(moved.id).status == "deregistered"
        assert (client.persons.get(fixed.id).phone, client.persons.get(fixed.id).marital_status) == (
            "13912345678", "divorced")
        d_side = as_user("township_operator", tree.TOWNSHIP_D)
        assert [m.subject["name"] for m in d_side.inbox.list(kind="not_found")] == [gone.name]
        # the rows show what was recorded, and the progress what the registry counts
        assert str(table.get_row(items[present.id])[2]) == label("inspection_outcome", "present")
        assert str(table.get_row(items[missing.id])[2]) == "·"
        village = next(v for v in client.inspections.progress(campaign.id).by_village if v.key == tree.VILLAGE_A1)
        assert (village.done, village.total) == (4, 5)
        assert f"{village.done}/{village.total}" in shown(screen, "#insp-side")
        assert t("insp_head", name=campaign.name, done=4, total=6) in shown(screen, "#insp-head")

        await pilot.press("p")  # pending only
        await settle(pilot)
        assert rows(table) == [items[missing.id]]


# ------------------------------------------------------------------ data quality


async def test_quality_opens_the_people_behind_a_check_and_the_fix_applies(
    db_url: str, client: flowpop.Client
) -> None:
    legacy, phone, fine = (client.persons.create(**person_fields(name=n)) for n in ("老证号", "错电话", "无问题"))
    break_records(db_url, id_number=(legacy.id, "360102900506124"))
    break_records(db_url, phone=(phone.id, "12345"))
    before = quality_counts(client)
    assert before["id_15_digits"] == 1 and before["bad_phone"] == 1

    app = console(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_ops(pilot, "k")
        assert isinstance(screen, QualityScreen)
        table = screen.query_one("#q-checks", DataTable)
        assert sorted(rows(table)) == sorted(before)
        assert str(table.get_row("bad_phone")[1]).strip() == "1"
        cursor_to(table, "bad_phone")
        await pilot.press("enter")
        await settle(pilot)
        people = app.screen
        assert isinstance(people, QualityPersonsScreen)
        listed = people.query_one("#qp-persons", DataTable)
        assert rows(listed) == [str(p.id) for p in client.reports.quality_persons("bad_phone")] == [str(phone.id)]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.person_id == phone.id
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert app.screen is screen

        cursor_to(table, "id_15_digits")
        await pilot.press("f")
        await settle(pilot)
        preview = app.screen
        assert isinstance(preview, PreviewScreen)
        assert (preview.preview.operation, preview.preview.total) == ("upgrade_id15", 1)
        assert legacy.name in shown(preview, "#ops-preview-details")
        await pilot.press("y")  # apply…
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")  # …confirmed
        await settle(pilot)
        assert app.screen is screen
        after = quality_counts(client)
        assert after["id_15_digits"] == 0 and after["bad_phone"] == 1
        assert client.persons.get(legacy.id, reveal=True).id_number == "360102199005061242"
        assert str(table.get_row("id_15_digits")[1]).strip() == "0"
        assert fine.id not in [p.id for key in ("bad_phone", "id_15_digits") for p in client.reports.quality_persons(key)]


# ------------------------------------------------------------------ bulk changes


async def test_bulk_change_from_selected_rows_then_revert(db_url: str, client: flowpop.Client) -> None:
    made = [client.persons.create(**person_fields(name=f"批量{n}", marital_status="unmarried")) for n in "一二三四"]
    app = console(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(SearchScreen())
        await settle(pilot)
        search = app.screen
        table = search.query_one("#persons", DataTable)
        picked = [made[0].id, made[2].id]
        for person_id in picked:
            cursor_to(table, str(person_id))
            await pilot.press("space")
        assert search.selected == set(picked)  # type: ignore[attr-defined]
        assert str(table.get_row(str(picked[0]))[0]).startswith("✓")

        async def plan() -> PreviewScreen:
            await pilot.press("B")
            await settle(pilot)
            form = app.screen
            assert isinstance(form, BulkForm) and form.selection == {"ids": sorted(picked)}
            form.query_one("#f-field", Select).value = "education"
            form.query_one("#f-value", Input).value = "高中/中专"  # a label: the code is sent
            form.query_one("#f-reason", Input).value = "学历核实"
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert isinstance(app.screen, PreviewScreen)
            return app.screen

        preview = await plan()
        meanwhile = client.persons.get(picked[1])  # someone edits a selected record after the preview
        client.persons.update(meanwhile.id, version=meanwhile.version, note="预览后的修改")
        await pilot.press("y", "y")
        await settle(pilot)
        refusal = app.screen
        assert isinstance(refusal, Reading) and meanwhile.name in shown(refusal, "#ops-reading-text")
        assert client.changesets.get(preview.preview.id).status == "planned"
        assert all(client.persons.get(i).education is None for i in picked)  # nothing applied
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is search and search.selected == set(picked)  # type: ignore[attr-defined]

        preview = await plan()
        planned = client.changesets.get(preview.preview.id)
        assert (planned.status, planned.total, planned.failing) == ("planned", 2, 0)
        assert t("preview_counts", total=2, failing=0) in shown(preview, "#ops-preview-counts")
        assert all(client.persons.get(i).education is None for i in picked)  # a preview changes nothing
        await pilot.press("y", "y")
        await settle(pilot)
        assert app.screen is search and search.selected == set()  # type: ignore[attr-defined]
        assert [client.persons.get(p.id).education for p in made] == ["senior", None, "senior", None]

        screen = await open_ops(pilot, "b")
        assert isinstance(screen, ChangesetsScreen)
        listing = screen.query_one("#cs-list", DataTable)
        assert rows(listing) == [c.id for c in client.changesets.list()]
        assert str(listing.get_row(planned.id)[3]) == "已执行"
        cursor_to(listing, planned.id)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await settle(pilot)
        assert client.changesets.get(planned.id).status == "reverted"
        assert [client.persons.get(p.id).education for p in made] == [None] * 4
        assert str(listing.get_row(planned.id)[3]) == "已撤销"


async def test_bulk_change_of_the_current_search_in_chunks_and_a_refused_revert(
    db_url: str, client: flowpop.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flowpop.registry.bulk import changesets

    monkeypatch.setattr(changesets, "CHUNK_OVER", 1)  # the registry applies any selection chunk by chunk
    made = [client.persons.create(**person_fields(name="分块甲")) for _ in range(3)]
    client.persons.create(**person_fields(name="别人"))
    app = console(db_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(SearchScreen())
        await settle(pilot)
        search = app.screen
        field = search.query_one("#q", Input)
        field.focus()
        await pilot.press(*"分块甲", "space", "B")  # typed into the box: text there, not commands
        assert field.value == "分块甲 B" and isinstance(app.screen, SearchScreen)
        await pilot.press("backspace", "backspace")
        await settle(pilot)
        assert sorted(rows(search.query_one("#persons", DataTable))) == sorted(str(p.id) for p in made)
        search.query_one("#persons", DataTable).focus()
        await pilot.press("B")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, BulkForm)
        assert form.selection == {"filters": {"q": "分块甲", "status": "active"}}
        form.query_one("#f-field", Select).value = "phone"
        form.query_one("#f-value", Input).value = "13800001111"
        form.query_one("#f-reason", Input).value = "统一登记电话"
        await pilot.press("ctrl+s")
        await settle(pilot)
        preview = app.screen
        assert isinstance(preview, PreviewScreen) and preview.preview.chunk_size == changesets.CHUNK_SIZE
        await pilot.press("y", "y")
        await settle(pilot)
        applied = client.changesets.get(preview.preview.id)
        assert (applied.status, applied.applied) == ("applied", 3)
        assert [client.persons.get(p.id).phone for p in made] == ["13800001111"] * 3

        later = client.persons.get(made[1].id)  # someone edits one record afterwards
        client.persons.update(later.id, version=later.version, note="后来的修改")
        screen = await open_ops(pilot, "b")
        listing = screen.query_one("#cs-list", DataTable)
        cursor_to(listing, applied.id)
        await pilot.press("r", "y")
        await settle(pilot)
        refusal = app.screen
        assert isinstance(refusal, Reading)
        assert later.name in shown(refusal, "#ops-reading-text") and str(later.id) in shown(refusal, "#ops-reading-text")
        assert client.changesets.get(applied.id).status == "applied"
        assert [client.persons.get(p.id).phone for p in made] == ["13800001111"] * 3

        # a preview with failing records names them with the reason, and applying skips them
        gone = client.persons.get(made[0].id)
        client.persons.deregister(gone.id, version=gone.version, reason="返乡")
        failing = client.changesets.plan(operation="set", selection={"ids": [p.id for p in made]},
                                         values={"education": "junior"}, reason="补录学历")
        assert failing.failing == 1
        await pilot.press("escape")
        app.push_screen(PreviewScreen(app.client, failing))  # type: ignore[arg-type]
        await settle(pilot)
        details = shown(app.screen, "#ops-preview-details")
        assert f"{gone.name} " in details and failing.failures[0].message in details
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        assert t("preview_skip", todo=2, failing=1) in shown(app.screen, "#confirm-text")
        await pilot.press("y")
        await settle(pilot)
        assert [client.persons.get(p.id).education for p in made] == [None, "junior", "junior"]
