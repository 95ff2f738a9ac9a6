"""Issue 11, items 1, 3 and 13: what a caller may learn about, and do to, people outside its area.

The one bit a caller learns about an ID number outside its area is that it is registered elsewhere
(so that no second record is made), said the same way by create and by every import row; matching
results of a message belong to the addressee."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from sqlalchemy import create_engine, text

import flowpop
from flowpop.registry.store.db import normalize_url
from flowpop.rules import idnumber
from tests import tree
from tests.conftest import person_fields
from tests.records import reindex_id_numbers

HEADER = ["姓名", "身份证号", "户籍地", "现居住地", "流入日期"]
TOWNSHIP_C = "350405001000"  # 沙县's test township


def _csv(*rows: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


def _sanyuan_person(client: flowpop.Client) -> flowpop.types.PersonDetail:
    """Lives in 三元区 (household in 东湖区): nothing of it lies in 沙县. Read back with its full number."""
    p = client.persons.create(**person_fields(name="三元甲"))
    return client.persons.get(p.id, reveal=True)


@pytest.mark.parametrize("row", [
    ["X", "{number}", "350405", "", ""],  # the row: household moved into 沙县
    ["X", "{number}", "350405", tree.VILLAGE_C1, "2026-03-02"],  # and a stay there
])
@pytest.mark.parametrize("dry_run", [True, False], ids=["dry_run", "for_real"])
def test_import_never_takes_over_a_record_outside_the_area(client: flowpop.Client, as_user: Any, row: list[str],
                                                           dry_run: bool) -> None:
    p = _sanyuan_person(client)
    shaxian = as_user("county_admin", tree.COUNTY_SHAXIAN)
    with pytest.raises(flowpop.NotFoundError):
        shaxian.persons.get(p.id)
    data = _csv([cell.format(number=p.id_number) for cell in row])

    result = shaxian.persons.import_file(data, filename="x.csv", dry_run=dry_run, skip_bad=True)
    assert (result.applied, result.inserted, result.updated, result.unchanged, result.rejected) == (False, 0, 0, 0, 1)
    [refused] = result.problems
    assert (refused.line, refused.column, refused.code) == (2, "id_number", "held_elsewhere")

    after = client.persons.get(p.id, reveal=True)
    assert (after.name, after.household_code, after.version) == (p.name, p.household_code, p.version)
    assert [s.residence_code for s in after.stays] == [tree.VILLAGE_A1]
    with pytest.raises(flowpop.NotFoundError):
        shaxian.persons.get(p.id)

    # create says it the same way: one code, one message
    with pytest.raises(flowpop.ConflictError) as exc:
        shaxian.persons.create(**person_fields(id_number=p.id_number, household_code=tree.COUNTY_SHAXIAN, stay=None))
    assert exc.value.code == refused.code
    assert (exc.value.message, exc.value.message_en) == (refused.reason, refused.reason_en)
    assert str(p.id) not in exc.value.message + exc.value.message_en

    # inside the area, create still names the record and import still updates it
    sanyuan = as_user("county_admin", tree.COUNTY_SANYUAN)
    with pytest.raises(flowpop.ConflictError) as exc:
        sanyuan.persons.create(**person_fields(id_number=p.id_number))
    assert exc.value.code == "duplicate_id_number" and str(p.id) in exc.value.message
    # (another name for a known number is a conflict unless accepted: tests/registry/files/test_identity_conflicts.py)
    result = sanyuan.persons.import_file(_csv(["三元乙", p.id_number, "360102", tree.VILLAGE_A1, "2026-03-01"]),
                                         filename="x.csv", accept_identity_changes=True)
    assert (result.applied, result.updated, result.problems) == (True, 1, [])
    assert client.persons.get(p.id).name == "三元乙"


def test_import_leaves_a_deregistered_record_elsewhere_alone(client: flowpop.Client, as_user: Any) -> None:
    """Like create, a number held elsewhere only by an ended record makes a new record here."""
    p = _sanyuan_person(client)
    number = p.id_number
    p = client.persons.deregister(p.id, version=p.version, reason="回原籍")
    shaxian = as_user("county_admin", tree.COUNTY_SHAXIAN)
    result = shaxian.persons.import_file(_csv(["沙县新", number, "350405", tree.VILLAGE_C1, "2026-03-02"]),
                                         filename="x.csv")
    assert (result.applied, result.inserted, result.updated) == (True, 1, 0)
    old = client.persons.get(p.id)
    assert (old.name, old.status, old.version) == (p.name, "deregistered", p.version)
    [mine] = shaxian.persons.list(q=number)
    assert mine.id != p.id and mine.name == "沙县新"


@pytest.mark.parametrize("by", ["id_number", "name_birth_date"])
def test_a_message_does_not_show_the_sender_people_outside_its_area(client: flowpop.Client, as_user: Any,
                                                                     by: str) -> None:
    fields = person_fields(name="沙县甲", stay={"residence_code": tree.VILLAGE_C1, "reason": "work",
                                               "arrived_on": "2026-03-01"})
    p = client.persons.create(**fields)
    sender = as_user("township_operator", tree.TOWNSHIP_A)
    with pytest.raises(flowpop.NotFoundError):
        sender.persons.get(p.id)
    subject = ({"id_number": fields["id_number"]} if by == "id_number"
               else {"name": p.name, "birth_date": idnumber.check(fields["id_number"]).birth_date.isoformat()})

    sent = sender.inbox.send(kind="assist_request", addressee_code=TOWNSHIP_C, subject=subject, items={"verify": ["在住"]})
    later = sender.inbox.get(sent.id)
    [listed] = [m for m in sender.inbox.list(box="out") if m.id == sent.id]
    for seen in (sent, later, listed, *later.thread):
        assert (seen.matched_person_id, seen.match_score, seen.candidates) == (None, None, [])

    # the addressee sees what matching found
    receiver = as_user("township_operator", TOWNSHIP_C)
    got = receiver.inbox.get(sent.id)
    assert [c.person_id for c in got.candidates] == [p.id]
    if by == "id_number":
        assert got.matched_person_id == p.id
    assert [c.person_id for c in as_user("county_admin", tree.COUNTY_SHAXIAN).inbox.get(sent.id).candidates] == [p.id]


def test_an_exchange_batch_cannot_claim_a_sender_to_match_among_its_people(client: flowpop.Client, as_user: Any) -> None:
    """An imported transfer naming a 沙县 sender is matched among the importer's own records, not 沙县's."""
    fields = person_fields(name="沙县乙", stay={"residence_code": tree.VILLAGE_C1, "reason": "work",
                                               "arrived_on": "2026-03-01"})
    p = client.persons.create(**fields)
    importer = as_user("township_operator", tree.TOWNSHIP_A)
    line = {"format": "flowpop.message/1", "uid": "spoof-1", "kind": "transfer", "sender_code": TOWNSHIP_C,
            "addressee_code": tree.TOWNSHIP_A, "subject": {"id_number": fields["id_number"], "name": p.name},
            "items": {"to_residence_code": tree.VILLAGE_A1}}
    assert importer.exchange.import_batch(json.dumps(line) + "\n").inserted == 1
    [got] = [m for m in importer.inbox.list(kind="transfer") if m.uid == "spoof-1"]
    assert (got.matched_person_id, got.candidates) == (None, [])


def test_a_transfer_shows_the_receiving_side_only_the_moving_person(client: flowpop.Client, as_user: Any) -> None:
    """Matched on the sending side by ID number only: a namesake born the same day stays hidden."""
    mover = client.persons.create(**person_fields(name="同名"))
    born = idnumber.check(client.persons.get(mover.id, reveal=True).id_number).birth_date
    namesake = client.persons.create(**person_fields(name="同名", id_number=idnumber.make("360102", born, 998),
                                                     stay={"residence_code": tree.VILLAGE_B1, "reason": "work",
                                                           "arrived_on": "2026-03-01"}))
    sender = as_user("township_operator", tree.TOWNSHIP_A)
    stay = mover.stays[0]
    sender.stays.transfer(stay.id, version=stay.version, to_residence_code=tree.VILLAGE_C1, reason="搬迁")
    receiver = as_user("township_operator", TOWNSHIP_C)
    with pytest.raises(flowpop.NotFoundError):
        receiver.persons.get(namesake.id)
    [got] = receiver.inbox.list(kind="transfer")
    assert [c.person_id for c in got.candidates] == [mover.id] and got.matched_person_id == mover.id


def test_quality_duplicates_are_formed_inside_the_area_only(client: flowpop.Client, as_user: Any, db_url: str) -> None:
    """Typing a name into a record here that holds a number registered elsewhere, then reading the duplicate
    list, would test any name against a record the caller may not see: a duplicate group is made of records
    inside the caller's area only (a city-wide caller still sees one spanning both counties)."""
    from sqlalchemy import create_engine, text

    from flowpop.registry.store.db import normalize_url

    p = _sanyuan_person(client)
    client.persons.deregister(p.id, version=p.version, reason="回原籍")
    shaxian = as_user("county_admin", tree.COUNTY_SHAXIAN)
    mine = shaxian.persons.create(**person_fields(id_number=p.id_number, name="猜错", household_code=tree.VILLAGE_C1,
                                                  stay={"residence_code": tree.VILLAGE_C1, "reason": "work",
                                                        "arrived_on": "2026-03-01"}))

    def listed(who: flowpop.Client) -> dict[str, list[int]]:
        return {key: sorted(x.id for x in who.reports.quality_persons(key))
                for key in ("duplicate_record", "duplicate_active_id")}

    assert listed(shaxian) == {"duplicate_record": [], "duplicate_active_id": []}
    mine = shaxian.persons.update(mine.id, version=mine.version, name=p.name)  # the guess is right
    assert listed(shaxian) == {"duplicate_record": [], "duplicate_active_id": []}
    counts = {c.key: c.count for c in shaxian.reports.quality().checks}
    assert (counts["duplicate_record"], counts["duplicate_active_id"]) == (0, 0)
    assert listed(client)["duplicate_record"] == sorted([p.id, mine.id])  # both counties: one group
    # both active (as a legacy system left them): still nothing of the other county's record in 沙县's lists
    engine = create_engine(normalize_url(db_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE persons SET status = 'active' WHERE id = :id"), {"id": p.id})
    engine.dispose()
    assert listed(shaxian) == {"duplicate_record": [], "duplicate_active_id": []}
    assert listed(client) == {"duplicate_record": sorted([p.id, mine.id]), "duplicate_active_id": sorted([p.id, mine.id])}
    # two records of its own are a group 沙县 sees
    engine = create_engine(normalize_url(db_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE persons SET residence_code = :v, household_code = :v WHERE id = :id"),
                     {"v": tree.VILLAGE_C1, "id": p.id})
    engine.dispose()
    assert listed(shaxian) == {"duplicate_record": sorted([p.id, mine.id]), "duplicate_active_id": sorted([p.id, mine.id])}


# ------------------------------------------------------------------- one active record per ID number, in bulk too


def _legacy(db_url: str, person_id: int, number18: str) -> str:
    """Stores a record's number in its legacy 15-digit form, as old imports left it."""
    old = number18[:6] + number18[8:17]
    engine = create_engine(normalize_url(db_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE persons SET id_number = :n, id_rev = :r WHERE id = :id"),
                     {"n": old, "r": old[::-1], "id": person_id})
        reindex_id_numbers(conn)
    engine.dispose()
    return old


@pytest.mark.parametrize(("county", "code"), [(tree.COUNTY_SHAXIAN, "held_elsewhere"),
                                              (tree.COUNTY_SANYUAN, "duplicate_id_number")])
def test_a_bulk_restore_refuses_a_number_registered_again_meanwhile(client: flowpop.Client, as_user: Any,
                                                                    county: str, code: str) -> None:
    p = _sanyuan_person(client)
    number = p.id_number
    sanyuan = as_user("county_admin", tree.COUNTY_SANYUAN)
    p = sanyuan.persons.archive(p.id, version=p.version, reason="离开")
    again = as_user("county_admin", county).persons.create(**person_fields(id_number=number, household_code=county,
                                                                           stay=None))
    with pytest.raises(flowpop.ConflictError) as single:
        sanyuan.persons.restore(p.id, version=p.version, reason="回来")
    assert single.value.code == code
    planned = sanyuan.changesets.plan(operation="restore", selection={"ids": [p.id]}, reason="回来")
    assert (planned.total, planned.failing) == (1, 1)
    [failure] = planned.failures
    assert (failure.person_id, failure.code, failure.message) == (p.id, code, single.value.message)
    with pytest.raises(flowpop.ConflictError) as refused:
        sanyuan.changesets.apply(planned.id)
    assert refused.value.code == "changeset_has_failures"
    assert sanyuan.changesets.apply(planned.id, skip_failing=True).applied == 0
    assert (client.persons.get(p.id).status, client.persons.get(again.id).status) == ("archived", "active")


def test_a_bulk_restore_makes_one_of_two_ended_records_active(client: flowpop.Client) -> None:
    first = _sanyuan_person(client)
    number = first.id_number
    first = client.persons.archive(first.id, version=first.version, reason="离开")
    second = client.persons.create(**person_fields(id_number=number))
    second = client.persons.archive(second.id, version=second.version, reason="离开")
    planned = client.changesets.plan(operation="restore", selection={"ids": [first.id, second.id]}, reason="回来")
    assert (planned.total, planned.failing) == (2, 1)
    assert [(f.person_id, f.code) for f in planned.failures] == [(second.id, "duplicate_id_number")]
    client.changesets.apply(planned.id, skip_failing=True)
    assert [client.persons.get(x.id).status for x in (first, second)] == ["active", "archived"]


@pytest.mark.parametrize("how", ["changeset", "quality_fix"])
def test_upgrading_a_15_digit_number_refuses_one_held_elsewhere(client: flowpop.Client, as_user: Any, db_url: str,
                                                                how: str) -> None:
    shaxian = as_user("county_admin", tree.COUNTY_SHAXIAN)
    theirs = shaxian.persons.create(**person_fields(household_code=tree.COUNTY_SHAXIAN, stay=None))
    number = client.persons.get(theirs.id, reveal=True).id_number
    mine = _sanyuan_person(client)
    _legacy(db_url, mine.id, number)
    sanyuan = as_user("county_admin", tree.COUNTY_SANYUAN)
    legacy = sanyuan.persons.get(mine.id)
    with pytest.raises(flowpop.ConflictError) as single:  # the single edit of the number refuses it
        sanyuan.persons.update(mine.id, version=legacy.version, id_number=number)
    assert single.value.code == "held_elsewhere"
    planned = (sanyuan.changesets.plan(operation="upgrade_id15", selection={"ids": [mine.id]}, reason="15位升级")
               if how == "changeset" else sanyuan.reports.quality_fix("id_15_digits"))
    assert (planned.total, planned.failing) == (1, 1)
    assert [(f.person_id, f.code) for f in planned.failures] == [(mine.id, "held_elsewhere")]
    sanyuan.changesets.apply(planned.id, skip_failing=True)
    assert client.persons.get(mine.id, reveal=True).id_number == number[:6] + number[8:17]


def test_a_stored_15_digit_number_is_the_same_as_its_18_digit_form(client: flowpop.Client, as_user: Any,
                                                                   db_url: str) -> None:
    p = _sanyuan_person(client)
    number = p.id_number
    _legacy(db_url, p.id, number)
    shaxian = as_user("county_admin", tree.COUNTY_SHAXIAN)
    with pytest.raises(flowpop.ConflictError) as created:
        shaxian.persons.create(**person_fields(id_number=number, household_code=tree.COUNTY_SHAXIAN, stay=None))
    assert created.value.code == "held_elsewhere"
    result = shaxian.persons.import_file(_csv(["沙县新", number, "350405", tree.VILLAGE_C1, "2026-03-02"]),
                                         filename="x.csv", skip_bad=True)
    assert (result.inserted, result.updated, [r.code for r in result.problems]) == (0, 0, ["held_elsewhere"])
    # inside the area: create names the record, import updates it
    sanyuan = as_user("county_admin", tree.COUNTY_SANYUAN)
    with pytest.raises(flowpop.ConflictError) as inside:
        sanyuan.persons.create(**person_fields(id_number=number))
    assert inside.value.code == "duplicate_id_number" and str(p.id) in inside.value.message
    result = sanyuan.persons.import_file(_csv(["三元乙", number, "360102", tree.VILLAGE_A1, "2026-03-01"]),
                                         filename="x.csv", accept_identity_changes=True)  # another name: asked for
    assert (result.applied, result.inserted, result.updated, result.problems) == (True, 0, 1, [])
    assert client.persons.get(p.id).name == "三元乙"


def test_search_and_matching_find_a_stored_15_digit_number_by_its_18_digit_form(client: flowpop.Client,
                                                                                  as_user: Any, db_url: str) -> None:
    """One number in two forms for reading too: a whole 18-digit search and a message carrying the 18-digit form
    both find the record that holds the legacy 15-digit one."""
    p = _sanyuan_person(client)
    number = p.id_number
    _legacy(db_url, p.id, number)
    operator = as_user("township_operator", tree.TOWNSHIP_A)
    assert [x.id for x in operator.persons.list(q=number)] == [p.id]
    sender = as_user("township_operator", tree.TOWNSHIP_D)
    sent = sender.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_A,
                             subject={"id_number": number, "name": p.name}, items={"verify": ["在住"]})
    assert operator.inbox.get(sent.id).matched_person_id == p.id
