"""Quarterly inspection, rates and data quality through the SDK."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, text

import flowpop
from flowpop.registry.store.db import normalize_url
from tests import tree
from tests.conftest import person_fields
from tests.records import reindex_id_numbers

TODAY = dt.date.today()
QUARTER = f"{TODAY.year}Q{(TODAY.month - 1) // 3 + 1}"


@pytest.fixture
def campaign(client, as_user):
    people = [client.persons.create(**person_fields(household_code=tree.VILLAGE_D1)) for _ in range(5)]
    house = client.houses.create(division_code=tree.VILLAGE_A1, address="清查路1号", use="rented", mode="scattered")
    assistant = as_user("village_assistant", tree.VILLAGE_A1)
    me = assistant.me()
    c = client.inspections.create(quarter=QUARTER, jurisdiction_code=tree.TOWNSHIP_A)
    client.inspections.assign(c.id, [{"division_code": tree.VILLAGE_A1, "username": me.username}])
    return c, people, house, assistant


def _item_for(client, campaign_id, person_id):
    return next(i for i in client.inspections.items(campaign_id, limit=1000) if i.person_id == person_id)


def test_campaign_fixes_its_scope_and_records_each_outcome(client, campaign, as_user) -> None:
    c, people, house, assistant = campaign
    assert c.items == 6  # five stays and one rented house
    later = client.persons.create(**person_fields())
    assert all(i.person_id != later.id for i in client.inspections.items(c.id, limit=1000))  # the list is fixed
    items = {p.id: _item_for(assistant, c.id, p.id) for p in people}
    assert {i.assignee for i in items.values()} == {assistant.me().username}
    a, b, cc, d, e = people
    assistant.inspections.record(c.id, items[a.id].id, version=items[a.id].version, outcome="present")
    assistant.inspections.record(c.id, items[b.id].id, version=items[b.id].version, outcome="corrected",
                                 changes={"phone": "13912345678", "stay.residence_address": "清查路1号302"})
    assert client.persons.get(b.id).phone == "13912345678"
    operator = as_user("township_operator", tree.TOWNSHIP_A)
    operator.inspections.record(c.id, items[cc.id].id, version=items[cc.id].version, outcome="left",
                                date=(TODAY - dt.timedelta(days=3)).isoformat())
    assert client.persons.get(cc.id).status == "deregistered"
    assistant.inspections.record(c.id, items[d.id].id, version=items[d.id].version, outcome="not_found")
    d_side = as_user("township_operator", tree.TOWNSHIP_D)
    assert [m.kind for m in d_side.inbox.list(kind="not_found")] == ["not_found"]
    got = assistant.inspections.record(c.id, items[e.id].id, version=items[e.id].version, outcome="certificate_missing")
    assert dt.date.fromisoformat(got.detail["deadline"]) > TODAY
    with pytest.raises(flowpop.VersionConflictError):
        assistant.inspections.record(c.id, items[a.id].id, version=items[a.id].version, outcome="not_found")
    found = assistant.inspections.found(c.id, **person_fields(name="新发现"))
    assert found.outcome == "new_found"
    progress = client.inspections.progress(c.id)
    village = next(v for v in progress.by_village if v.key == tree.VILLAGE_A1)
    assert (village.total, village.done) == (7, 6)
    assert progress.campaign.done == 6
    report = client.reports.rates(QUARTER, level="township", division=tree.TOWNSHIP_A)
    rates = {r.key: r for r in report.total.rates}
    assert (rates["registration"].numerator, rates["registration"].denominator) == (4, 5)
    assert (rates["person_address_match"].numerator, rates["person_address_match"].denominator) == (1, 5)
    behind = client.reports.rate_records("person_address_match", QUARTER, division=tree.TOWNSHIP_A)
    assert sorted(p.id for p in behind) == sorted([b.id, cc.id, d.id, e.id])
    client.inspections.close(c.id)
    with pytest.raises(flowpop.ConflictError):
        assistant.inspections.record(c.id, items[a.id].id, version=items[a.id].version + 1, outcome="present")


def test_progress_shows_a_village_its_own_area_only(client, as_user) -> None:
    for village in (tree.VILLAGE_A1, tree.VILLAGE_A2, tree.VILLAGE_A2):
        client.persons.create(**person_fields(household_code=tree.VILLAGE_D1,
                                              stay={"residence_code": village, "reason": "work",
                                                    "arrived_on": "2026-03-01"}))
    c = client.inspections.create(quarter=QUARTER, jurisdiction_code=tree.TOWNSHIP_A)
    assistant = as_user("village_assistant", tree.VILLAGE_A1)
    whole = client.inspections.progress(c.id)
    assert {v.key: v.total for v in whole.by_village} == {tree.VILLAGE_A1: 1, tree.VILLAGE_A2: 2}
    own = assistant.inspections.progress(c.id)
    assert {v.key: v.total for v in own.by_village} == {tree.VILLAGE_A1: 1}
    assert own.campaign.items == 1 and sum(a.total for a in own.by_assignee) == 1


def test_checklists_for_the_door_to_door_round(client, campaign) -> None:
    c, people, house, _ = campaign
    html = client.inspections.checklist(c.id, tree.VILLAGE_A1, "html").decode()
    assert all(p.name in html for p in people) and "入户核查清单" in html
    book = load_workbook(io.BytesIO(client.inspections.checklist(c.id, tree.VILLAGE_A1, "xlsx")), read_only=True)
    assert sum(1 for _ in book.worksheets[0].iter_rows()) == 2 + 6
    assert house.code in client.inspections.checklist(c.id, tree.VILLAGE_A1, "text").decode()


def test_rates_from_registry_data(client, as_user) -> None:
    d = as_user("township_operator", tree.TOWNSHIP_D)
    people = [client.persons.create(**person_fields(household_code=tree.VILLAGE_D1,
                                                    stay={"residence_code": tree.VILLAGE_A1, "reason": "work",
                                                          "arrived_on": (TODAY - dt.timedelta(days=2)).isoformat()}))
              for _ in range(4)]
    notes = list(d.inbox.list(kind="notification"))
    d.inbox.acknowledge([notes[0].id])
    client.persons.add_certificate(people[0].id, number="闽婚育2026001", verified_on=TODAY.isoformat())
    report = client.reports.rates(QUARTER, level="county")
    rates = {r.key: r for r in report.total.rates}
    # registered by the residence side only (the local administrator registers where they live): an
    # acknowledged notice is receipt, not the household side's registration
    assert (rates["co_management"].numerator, rates["co_management"].denominator) == (0, 4)
    assert rates["notifications_received"].numerator == 1 and rates["notifications_received"].denominator >= 4
    assert rates["co_management"].meets_target is False
    d.persons.create(**person_fields(id_number=client.persons.get(people[0].id, reveal=True).id_number,
                                     household_code=tree.VILLAGE_D1,
                                     stay={"residence_code": tree.VILLAGE_A1, "reason": "work",
                                           "arrived_on": (TODAY - dt.timedelta(days=2)).isoformat()}))
    rates = {r.key: r for r in client.reports.rates(QUARTER, level="county").total.rates}
    assert (rates["co_management"].numerator, rates["co_management"].denominator) == (1, 4)
    gap = client.reports.rate_records("co_management", QUARTER)
    assert sorted(p.id for p in gap) == sorted(p.id for p in people[1:])
    assert {r.division_code for r in report.rows} >= {tree.COUNTY_SANYUAN}


def test_quality_checks_count_and_open_the_people(client, db_url) -> None:
    people = [client.persons.create(**person_fields()) for _ in range(4)]
    engine = create_engine(normalize_url(db_url))
    with engine.begin() as conn:  # data as legacy systems left it
        conn.execute(text("UPDATE persons SET phone = '12345' WHERE id = :id"), {"id": people[0].id})
        conn.execute(text("UPDATE persons SET id_number = '360102900506124' WHERE id = :id"), {"id": people[1].id})
        conn.execute(text("UPDATE persons SET residence_code = :c WHERE id = :id"), {"c": tree.TOWNSHIP_A, "id": people[2].id})
        bad = people[3]
        row = conn.execute(text("SELECT id_number FROM persons WHERE id = :id"), {"id": bad.id}).scalar_one()
        wrong = row[:17] + ("0" if row[17] != "0" else "1")
        conn.execute(text("UPDATE persons SET id_number = :n WHERE id = :id"), {"n": wrong, "id": bad.id})
        reindex_id_numbers(conn)
    engine.dispose()
    report = {c.key: c for c in client.reports.quality().checks}
    assert report["bad_phone"].count == 1 and report["id_15_digits"].count == 1
    assert report["residence_not_village"].count == 1 and report["id_checksum"].count == 1
    assert report["bad_phone"].by_division == {tree.COUNTY_SANYUAN: 1}
    assert [p.id for p in client.reports.quality_persons("id_checksum")] == [bad.id]
    fix = client.reports.quality_fix("id_15_digits")
    assert fix.operation == "upgrade_id15" and fix.total == 1
    client.changesets.apply(fix.id)
    assert {c.key: c.count for c in client.reports.quality().checks}["id_15_digits"] == 0


def test_quality_finds_duplicates_and_house_problems(client, db_url) -> None:
    people = [client.persons.create(**person_fields()) for _ in range(7)]
    a, b, c, d, e, f, g = people
    house = client.houses.create(division_code=tree.VILLAGE_A1, address="超员路1号", use="rented", mode="scattered",
                                 capacity=1)
    engine = create_engine(normalize_url(db_url))
    with engine.begin() as conn:  # as legacy systems left them
        number = conn.execute(text("SELECT id_number FROM persons WHERE id = :id"), {"id": a.id}).scalar_one()
        # b holds a's number under another name; c is an exact copy of a; d an exact copy, archived (退档)
        conn.execute(text("UPDATE persons SET id_number = :n, name = '别名' WHERE id = :id"), {"n": number, "id": b.id})
        conn.execute(text("UPDATE persons SET id_number = :n, name = :m WHERE id IN (:c, :d)"),
                     {"n": number, "m": a.name, "c": c.id, "d": d.id})
        conn.execute(text("UPDATE persons SET status = 'archived' WHERE id = :id"), {"id": d.id})
        # two open stays in a house for one; one stay naming a house nobody registered
        conn.execute(text("UPDATE stays SET house_code = :h WHERE person_id IN (:e, :f)"),
                     {"h": house.code, "e": e.id, "f": f.id})
        conn.execute(text("UPDATE stays SET house_code = '350404001001999999' WHERE person_id = :g"), {"g": g.id})
        reindex_id_numbers(conn)
    engine.dispose()
    report = {k.key: k for k in client.reports.quality().checks}
    assert report["duplicate_active_id"].count == 3  # a, b and c: d is archived
    assert report["duplicate_record"].count == 2  # a and c: same name and number, both live
    assert report["house_problem"].count == 3
    assert sorted(p.id for p in client.reports.quality_persons("house_problem")) == sorted([e.id, f.id, g.id])
    assert sorted(p.id for p in client.reports.quality_persons("duplicate_record")) == sorted([a.id, c.id])


def test_exact_duplicates_are_fixed_by_merging_each_group(client, db_url) -> None:
    people = [client.persons.create(**person_fields()) for _ in range(5)]
    a, b, c, d, e = people
    engine = create_engine(normalize_url(db_url))
    with engine.begin() as conn:  # two groups of exact copies: {a, b, c} and {d, e}
        for keep, copies in ((a, (b, c)), (d, (e,))):
            number = conn.execute(text("SELECT id_number FROM persons WHERE id = :id"), {"id": keep.id}).scalar_one()
            for copy in copies:
                conn.execute(text("UPDATE persons SET id_number = :n, name = :m, updated_at = :t WHERE id = :id"),
                             {"n": number, "m": keep.name, "t": dt.datetime(2020, 1, 1), "id": copy.id})  # keep: newest
        reindex_id_numbers(conn)
    engine.dispose()
    checks = {k.key: k for k in client.reports.quality().checks}
    assert (checks["duplicate_record"].count, checks["duplicate_record"].fixable) == (5, "merge")
    assert checks["duplicate_active_id"].fixable is None  # different names need a person's judgement
    fix = client.reports.quality_fix("duplicate_record")
    assert fix.operation == "merge" and fix.total == 5
    client.changesets.apply(fix.id)
    kept = {p.id: p.status for p in (client.persons.get(x.id) for x in people)}
    assert kept == {a.id: "active", b.id: "archived", c.id: "archived", d.id: "active", e.id: "archived"}
    assert {s.person_id for s in client.stays.list(a.id)} == {a.id} and len(client.stays.list(a.id)) == 3
    assert {k.key: k.count for k in client.reports.quality().checks}["duplicate_record"] == 0
    client.changesets.revert(fix.id)
    assert all(client.persons.get(x.id).status == "active" for x in people)
    with pytest.raises(flowpop.ValidationError):
        client.changesets.plan(operation="merge", selection={"ids": [a.id, b.id]}, values={"groups": [[a.id, 999]]},
                               reason="bad group")
