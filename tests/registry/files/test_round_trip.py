"""An unchanged export imports back as unchanged, in CSV and XLSX: including persons who were deregistered
or archived, whose export still carries the residence and arrival of the stay that ended with them (the
importer used to read those cells as a new stay and open one)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import flowpop


@pytest.mark.parametrize("fmt", ["csv", "csv-gb18030", "xlsx"])
def test_an_unchanged_export_reimports_as_unchanged(client: flowpop.Client, make_person: Callable[..., flowpop.types.PersonDetail],
                                                    fmt: str) -> None:
    kept = make_person(phone="05981234567")
    gone = make_person(name="李四")
    client.persons.deregister(gone.id, version=gone.version, reason="迁往他处")
    shelved = make_person(name="张三")
    client.persons.archive(shelved.id, version=shelved.version, reason="人员下落不明")
    ids = (kept.id, gone.id, shelved.id)
    before = [_state(client, i) for i in ids]
    assert [b[0][1] for b in before] == ["active", "deregistered", "archived"]

    data = client.persons.export(fmt, reveal=True)
    result = client.persons.import_file(data, filename=f"people.{'xlsx' if fmt == 'xlsx' else 'csv'}")

    assert (result.total, result.inserted, result.updated, result.unchanged, result.rejected) == (3, 0, 0, 3, 0), \
        result.problems
    assert [_state(client, i) for i in ids] == before  # no new stay opened, no version bumped


def _state(client: flowpop.Client, person_id: int) -> tuple[tuple[int, str], list[tuple[int, str]]]:
    person = client.persons.get(person_id)
    return (person.version, person.status), [(s.id, s.status) for s in person.stays]


def test_a_second_import_of_the_export_is_unchanged_too(client: flowpop.Client,
                                                        make_person: Callable[..., flowpop.types.PersonDetail]) -> None:
    gone = make_person()
    client.persons.deregister(gone.id, version=gone.version, reason="返回户籍地")
    data = client.persons.export("xlsx", reveal=True)
    for _ in range(2):
        result = client.persons.import_file(data, filename="people.xlsx")
        assert (result.updated, result.unchanged, result.rejected) == (0, 1, 0), result.problems
