"""The ID-number index (id_numbers, issue #17 item 3): written with the person on every path that writes one, and
what uniqueness, duplicates and matching ask. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

import flowpop
from flowpop.demo.build import build
from flowpop.registry.kernel import id_numbers
from flowpop.registry.store.db import normalize_url
from flowpop.rules import idnumber
from tests import tree
from tests.conftest import new_id_number, person_fields
from tests.records import reindex_id_numbers

Maker = Callable[[str, str | None], flowpop.Client]
BORN = dt.date(1990, 5, 6)


def problems(db_url: str) -> list[str]:
    engine = create_engine(normalize_url(db_url))
    try:
        with Session(engine) as session:
            return id_numbers.problems(session)
    finally:
        engine.dispose()


def rows_of(db_url: str, person_id: int) -> list[tuple[str, str]]:
    """The index rows naming a person: (number as stored, county)."""
    engine = create_engine(normalize_url(db_url))
    try:
        with engine.connect() as conn:
            return [(n, c) for n, c in conn.execute(
                text("SELECT id_number, county FROM id_numbers WHERE person_id = :id ORDER BY id_number"),
                {"id": person_id})]
    finally:
        engine.dispose()


def run_sql(db_url: str, statement: str, **params: Any) -> None:
    engine = create_engine(normalize_url(db_url))
    try:
        with engine.begin() as conn:
            conn.execute(text(statement), params)
    finally:
        engine.dispose()


def number_of(client: flowpop.Client, person_id: int) -> str:
    return client.persons.get(person_id, reveal=True).id_number


# ------------------------------------------------------------------------------------------ kept in step


def test_a_create_and_an_edit_of_the_number_keep_the_index(client: flowpop.Client, db_url: str) -> None:
    lives_here = client.persons.create(**person_fields())  # household 东湖区, stay in 三元区
    no_stay = client.persons.create(**person_fields(stay=None))
    assert rows_of(db_url, lives_here.id) == [(number_of(client, lives_here.id), "350404")]
    assert rows_of(db_url, no_stay.id) == [(number_of(client, no_stay.id), "360102")]
    new = new_id_number()
    edited = client.persons.update(no_stay.id, version=no_stay.version, id_number=new, change_reason="证号更正")
    assert rows_of(db_url, edited.id) == [(new, "360102")]  # the old number's row is gone
    assert problems(db_url) == []


def test_the_15_digit_upgrade_and_its_revert_keep_the_index(client: flowpop.Client, db_url: str) -> None:
    p = client.persons.create(**person_fields(id_number=idnumber.make("360102", BORN, 124)))
    legacy = "360102900506124"
    engine = create_engine(normalize_url(db_url))
    with engine.begin() as conn:  # as an old import left it (the migration indexes such a record as stored)
        conn.execute(text("UPDATE persons SET id_number = :n, id_rev = :r WHERE id = :id"),
                     {"n": legacy, "r": legacy[::-1], "id": p.id})
        reindex_id_numbers(conn)
    engine.dispose()
    cs = client.changesets.plan(operation="upgrade_id15", selection={"ids": [p.id]}, reason="15位升级")
    client.changesets.apply(cs.id)
    assert rows_of(db_url, p.id) == [(idnumber.upgrade15(legacy), "350404")]
    assert problems(db_url) == []
    client.changesets.revert(cs.id)
    assert rows_of(db_url, p.id) == [(legacy, "350404")]
    assert problems(db_url) == []


def test_an_import_writes_the_index_with_its_rows(client: flowpop.Client, db_url: str) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "身份证号", "户籍地", "现居住地", "流入日期"])
    numbers = [new_id_number() for _ in range(3)]
    writer.writerows([["王秀英", numbers[0], "360102", tree.VILLAGE_A1, "2012-03-05"],
                      ["李娜", numbers[1], "360102", "", ""],
                      ["陈丽", numbers[2], "350404", tree.VILLAGE_D1, "2012-03-05"]])
    result = client.persons.import_file(out.getvalue().encode(), filename="old.csv")
    assert (result.inserted, result.rejected) == (3, 0)
    ids = {number_of(client, p.id): p.id for p in client.persons.list()}
    assert [rows_of(db_url, ids[n]) for n in numbers] == [[(numbers[0], "350404")], [(numbers[1], "360102")],
                                                          [(numbers[2], "360102")]]
    assert problems(db_url) == []
    # the same file again: its rows are recognised through the index (no second record), nothing is written
    again = client.persons.import_file(out.getvalue().encode(), filename="old.csv")
    assert (again.inserted, again.unchanged) == (0, 3)
    assert problems(db_url) == []


def test_the_demo_writes_the_index(db_url: str) -> None:
    summary = build(db_url, 200, seed=3)
    assert summary.persons == 200
    assert problems(db_url) == []


def test_a_move_to_another_county_updates_the_index(client: flowpop.Client, db_url: str) -> None:
    p = client.persons.create(**person_fields())
    assert rows_of(db_url, p.id)[0][1] == "350404"
    stay = client.persons.get(p.id).stays[0]
    client.stays.close(stay.id, version=stay.version, date=dt.date(2026, 3, 10), reason="离开")
    client.stays.create(person_id=p.id, residence_code=tree.VILLAGE_D1, arrived_on=dt.date(2026, 3, 11), reason="work")
    assert rows_of(db_url, p.id) == [(number_of(client, p.id), "360102")]
    assert problems(db_url) == []


# ------------------------------------------------------------------------------------------ what asks it


def test_a_number_held_in_another_county_is_refused(as_user: Maker, client: flowpop.Client, db_url: str) -> None:
    sanyuan, donghu = as_user("township_operator", tree.TOWNSHIP_A), as_user("township_operator", tree.TOWNSHIP_D)
    number = idnumber.make("360102", BORN, 128)
    p = sanyuan.persons.create(**person_fields(id_number=number, household_code=tree.COUNTY_SANYUAN))
    assert rows_of(db_url, p.id) == [(number, "350404")]
    elsewhere = person_fields(id_number=number, household_code=tree.VILLAGE_D1,
                              stay={"residence_code": tree.VILLAGE_D1, "arrived_on": dt.date(2026, 3, 1),
                                    "reason": "work"})
    with pytest.raises(flowpop.ConflictError) as refused:
        donghu.persons.create(**elsewhere)
    assert refused.value.code == "held_elsewhere"
    with pytest.raises(flowpop.ConflictError) as refused:  # the legacy 15-digit form of the number too
        donghu.persons.create(**{**elsewhere, "id_number": number[:6] + number[8:17]})
    assert refused.value.code == "held_elsewhere"
    with pytest.raises(flowpop.ConflictError) as refused:  # who sees both counties is told which record
        client.persons.create(**elsewhere)
    assert refused.value.code == "duplicate_id_number"
    # the index is what answers: without its row the number reads as free
    run_sql(db_url, "DELETE FROM id_numbers WHERE person_id = :id", id=p.id)
    assert donghu.persons.create(**elsewhere).id != p.id


def test_matching_finds_the_person_through_the_index(as_user: Maker, db_url: str) -> None:
    a, d = as_user("township_operator", tree.TOWNSHIP_A), as_user("township_operator", tree.TOWNSHIP_D)
    number = idnumber.make("360102", BORN, 130)
    p = a.persons.create(**person_fields(id_number=number, name="万慧", household_code=tree.VILLAGE_D1))

    def sent() -> flowpop.types.Message:
        m = d.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_A, subject={"id_number": number})
        return a.inbox.get(m.id)

    m = sent()
    assert m.matched_person_id == p.id and m.candidates[0].reason == "id_number"
    run_sql(db_url, "DELETE FROM id_numbers WHERE person_id = :id", id=p.id)
    assert sent().matched_person_id is None  # the number alone finds her only through the index
