"""One rule for which duplicate survives a merge: scripts/dedupe_persons.py (through the SDK) and the quality
check's merge fix (POST /v1/quality/duplicate_record/fix) keep the same record of each group."""

from __future__ import annotations

import datetime as dt

import pytest

import flowpop
from tests import tree
from tests.conftest import person_fields
from tests.scripts.jobs import run_json, set_id_number, sql


def _twin(client: flowpop.Client, db_url: str, of: flowpop.types.PersonDetail) -> flowpop.types.PersonDetail:
    """A second record of the same person: same name and ID number (as a legacy import left it)."""
    twin = client.persons.create(**person_fields(name=of.name))
    set_id_number(db_url, twin.id, client.persons.get(of.id, reveal=True).id_number)
    return twin


def _updated(db_url: str, person_id: int, at: dt.datetime) -> None:
    sql(db_url, "UPDATE persons SET updated_at = :t WHERE id = :id", t=at, id=person_id)


def test_the_script_and_the_quality_fix_keep_the_same_record(client: flowpop.Client, db_url: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    # newest wins: the older record (lower id) was updated earlier
    old = client.persons.create(**person_fields(name="陈一"))
    newer = _twin(client, db_url, old)
    _updated(db_url, old.id, dt.datetime(2020, 1, 1))
    _updated(db_url, newer.id, dt.datetime(2024, 1, 1))
    # equally recent: the one with more stays wins
    first = client.persons.create(**person_fields(name="陈二"))
    busy = _twin(client, db_url, first)
    stay = busy.stays[0]
    client.stays.close(stay.id, version=stay.version, reason="返乡", date=dt.date.today())
    client.stays.create(person_id=busy.id, residence_code=tree.VILLAGE_A2, reason="work",
                        arrived_on=dt.date.today().isoformat())
    for pid in (first.id, busy.id):
        _updated(db_url, pid, dt.datetime(2025, 6, 1))
    # the active record before a deregistered one, however recent
    gone = client.persons.create(**person_fields(name="陈三"))
    active = _twin(client, db_url, gone)
    client.persons.deregister(gone.id, version=gone.version, reason="离开", date="2026-04-01")
    _updated(db_url, active.id, dt.datetime(2020, 1, 1))
    expected = {newer.id: [old.id], busy.id: [first.id], active.id: [gone.id]}

    fix = client.reports.quality_fix("duplicate_record")
    from_fix = {g[0]: sorted(g[1:]) for g in fix.params["groups"]}
    dry = run_json(capsys, "dedupe_persons", db_url)
    from_script = {g["keep"]: sorted(g["merge"]) for g in dry["groups"]}
    assert from_fix == from_script == expected
