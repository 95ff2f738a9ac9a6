"""The person's county (issue #17): a person and their rows live in the county of their current (or most recent)
stay's residence, else their household's; a stay or transfer to another county moves them all (delete and insert,
same ids, never an UPDATE of county: people/moves.py). SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event, select

import flowpop
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.people import moves
from flowpop.registry.store import tables as t
from tests import tree
from tests.conftest import person_fields

SANYUAN, SHAXIAN, DONGHU = "350404", "350405", "360102"
TOWNSHIP_C = "350405001000"


@pytest.fixture
def registry(db_url: str) -> Iterator[Registry]:
    reg = Registry(db_url)
    yield reg
    reg.close()


def rows_of(reg: Registry, person_id: int) -> dict[str, list[tuple[int, str]]]:
    """(id, county) of the person and of every row of theirs, by table."""
    with reg.reading() as session:
        out = {"persons": [tuple(r) for r in session.execute(
            select(t.Person.id, t.Person.county).where(t.Person.id == person_id))]}
        for model in moves.COLOCATED:
            table = model.__table__
            out[table.name] = [tuple(r) for r in session.execute(
                select(table.c.id, table.c.county).where(table.c.person_id == person_id).order_by(table.c.id))]
    return out


def counties(rows: dict[str, list[tuple[int, str]]]) -> set[str]:
    return {county for found in rows.values() for _, county in found}


def ids(rows: dict[str, list[tuple[int, str]]]) -> dict[str, list[int]]:
    return {table: [i for i, _ in found] for table, found in rows.items()}


def no_problems(reg: Registry) -> None:
    with reg.reading() as session:
        assert moves.problems(session) == []


def test_created_in_the_county_of_its_stay_without_a_move(client: flowpop.Client, registry: Registry,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any) -> bool:
        raise AssertionError("a create computes the county before inserting: no move")

    monkeypatch.setattr(moves, "move_person", refuse)
    p = client.persons.create(**person_fields())  # household 东湖区 (360102), living in 三元区 (350404)
    lonely = client.persons.create(**person_fields(stay=None))
    found = rows_of(registry, p.id)
    assert counties(found) == {SANYUAN} and found["stays"] and found["history"]
    assert counties(rows_of(registry, lonely.id)) == {DONGHU}  # no stay: the household's county
    no_problems(registry)


def test_a_stay_in_another_county_moves_the_person_and_all_their_rows(client: flowpop.Client,
                                                                      registry: Registry) -> None:
    p = client.persons.create(**person_fields())
    cert = client.persons.add_certificate(p.id, number="婚育2026001", verified_on=dt.date(2026, 4, 1))
    service = client.persons.record_service(p.id, kind="checkup", provided_on=dt.date(2026, 4, 2),
                                            provider_code=tree.VILLAGE_A1)
    first = client.stays.get(p.current_stay_id)
    client.stays.close(first.id, version=first.version, reason="搬往沙县", date=dt.date(2026, 5, 1))
    before, person_before = rows_of(registry, p.id), client.persons.get(p.id)
    assert counties(before) == {SANYUAN}
    second = client.stays.create(person_id=p.id, residence_code=tree.VILLAGE_C1, reason="work",
                                 arrived_on=dt.date(2026, 5, 2))
    after = rows_of(registry, p.id)
    assert counties(after) == {SHAXIAN}  # the old stay, the certificate, the service and the history moved too
    for table, kept in ids(before).items():  # same ids: nothing lost, nothing renumbered
        assert set(kept) <= set(ids(after)[table]), table
    assert ids(after)["stays"] == [first.id, second.id]
    person = client.persons.get(p.id)
    assert (person.version, person.name, person.current_stay_id) == (person_before.version, p.name, second.id)
    assert [c.id for c in client.persons.certificates(p.id)] == [cert.id]
    assert [s.id for s in client.persons.services(p.id)] == [service.id]
    assert client.stays.get(first.id).status == "closed"
    no_problems(registry)


def test_ending_a_stay_does_not_move_the_person(client: flowpop.Client, registry: Registry) -> None:
    p = client.persons.create(**person_fields())
    stay = client.stays.get(p.current_stay_id)
    client.stays.close(stay.id, version=stay.version, reason="回户籍地", date=dt.date(2026, 5, 1))
    assert counties(rows_of(registry, p.id)) == {SANYUAN}  # the most recent stay's county, not the household's
    no_problems(registry)


def test_a_residence_edited_to_another_county_moves_the_person(client: flowpop.Client, registry: Registry) -> None:
    p = client.persons.create(**person_fields())
    stay = p.stays[0]
    client.stays.update(stay.id, version=stay.version, residence_code=tree.VILLAGE_C1, change_reason="地址更正")
    assert counties(rows_of(registry, p.id)) == {SHAXIAN}
    assert client.persons.get(p.id).residence_code == tree.VILLAGE_C1
    no_problems(registry)


def test_a_transfer_to_another_county_moves_the_person(client: flowpop.Client, registry: Registry,
                                                       as_user: Callable[[str, str | None], flowpop.Client]) -> None:
    a = as_user("township_operator", tree.TOWNSHIP_A)
    c = as_user("township_operator", TOWNSHIP_C)
    p = a.persons.create(**person_fields())
    stay = p.stays[0]
    sent = a.stays.transfer(stay.id, version=stay.version, to_residence_code=tree.VILLAGE_C1, reason="搬迁至沙县")
    assert counties(rows_of(registry, p.id)) == {SANYUAN}  # nothing moves before acceptance
    incoming = [m for m in c.inbox.list(kind="transfer") if m.id == sent.id]
    c.inbox.act(sent.id, "accept", version=incoming[0].version)
    moved = rows_of(registry, p.id)
    assert counties(moved) == {SHAXIAN} and ids(moved)["stays"] == [stay.id]
    assert client.stays.get(stay.id).residence_code == tree.VILLAGE_C1
    no_problems(registry)


def test_move_person_deletes_and_inserts_never_updates_county(client: flowpop.Client, registry: Registry) -> None:
    p = client.persons.create(**person_fields())
    before = rows_of(registry, p.id)
    sent: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    engine = registry.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        with registry.writing() as session:
            person = session.get(t.Person, p.id)
            assert person is not None and person.county == SANYUAN
            stay = session.get(t.Stay, p.current_stay_id)
            assert moves.move_person(session, p.id, SHAXIAN)
            assert (person.county, stay.county, person.version) == (SHAXIAN, SHAXIAN, p.version)  # expired: read again
            assert not moves.move_person(session, p.id, SHAXIAN)  # already there
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    updates = [s for s in sent if s.lstrip().upper().startswith("UPDATE")]
    # only id_numbers, distributed by the number, may have its copy of the county brought up to date
    assert updates and not [s for s in updates if "county" in s.lower() and not s.startswith("UPDATE id_numbers ")]
    after = rows_of(registry, p.id)
    assert ids(after) == ids(before) and counties(after) == {SHAXIAN}
    with registry.reading() as session:  # the rule says 三元区: the check names every misplaced row
        assert moves.misplaced(session, [p.id]) == [(p.id, SANYUAN)]
        assert len(moves.problems(session)) == 1 + sum(1 for k, v in after.items() if k != "persons" and v)
    with registry.writing() as session:
        assert moves.settle(session, [p.id]) == 1
    assert counties(rows_of(registry, p.id)) == {SANYUAN}
    no_problems(registry)


def test_a_bulk_household_change_moves_people_without_a_stay_and_its_revert_moves_them_back(
        client: flowpop.Client, registry: Registry) -> None:
    lonely = client.persons.create(**person_fields(stay=None))  # no stay: the household's county (东湖区)
    living = client.persons.create(**person_fields())  # a stay in 三元区: the household does not place her
    plan = client.changesets.plan(operation="set", selection={"ids": [lonely.id, living.id]},
                                  values={"household_code": "350405000000"}, reason="户籍地更正")
    client.changesets.apply(plan.id)
    assert counties(rows_of(registry, lonely.id)) == {SHAXIAN}
    assert counties(rows_of(registry, living.id)) == {SANYUAN}
    no_problems(registry)
    client.changesets.revert(plan.id)
    assert counties(rows_of(registry, lonely.id)) == {DONGHU}
    no_problems(registry)


def test_a_bulk_set_of_another_field_moves_nobody(client: flowpop.Client, registry: Registry,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    p = client.persons.create(**person_fields(stay=None))
    looked: list[list[int]] = []
    real = moves.misplaced

    def watched(session: Any, person_ids: Any) -> list[tuple[int, str]]:
        looked.append(sorted(person_ids))
        return real(session, person_ids)

    monkeypatch.setattr(moves, "misplaced", watched)
    plan = client.changesets.plan(operation="set", selection={"ids": [p.id]}, values={"education": "senior"},
                                  reason="学历更正")
    client.changesets.apply(plan.id)
    client.changesets.revert(plan.id)
    assert all(not ids for ids in looked)  # no person looked at for a move
    assert counties(rows_of(registry, p.id)) == {DONGHU}
    no_problems(registry)
