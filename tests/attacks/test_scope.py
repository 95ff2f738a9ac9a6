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

import flowpop
from flowpop.rules import idnumber
from tests import tree
from tests.conftest import person_fields

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
def test_import_never_takes_over_a_record_outside_the_area(client: flowpop.Client, as_user: Any, row: list[str]) -> None:
    p = _sanyuan_person(client)
    shaxian = as_user("county_admin", tree.COUNTY_SHAXIAN)
    with pytest.raises(flowpop.NotFoundError):
        shaxian.persons.get(p.id)
    data = _csv([cell.format(number=p.id_number) for cell in row])

    for dry_run in (True, False):
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
    result = sanyuan.persons.import_file(_csv(["三元乙", p.id_number, "360102", tree.VILLAGE_A1, "2026-03-01"]),
                                         filename="x.csv")
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
