"""`--json FIELDS` keeps only the named fields of each record, as gh does; `--json` alone is the whole record
(issue #16, item 4)."""

from __future__ import annotations

from collections.abc import Callable

import flowpop
from tests.cli.runner import Run, jsonout


def test_json_fields_select_from_a_list_and_a_record(run: Run, make_person: Callable[..., flowpop.types.PersonDetail]
                                                     ) -> None:
    person = make_person()
    rows = jsonout(run("persons", "list", "--all", "--json", "id,name"))
    assert rows and all(set(row) == {"id", "name"} for row in rows)
    assert {"id": person.id, "name": person.name} in rows
    one = jsonout(run("persons", "show", str(person.id), "--json", "name,id"))
    assert one == {"name": person.name, "id": person.id}
    assert list(one) == ["name", "id"]  # in the order asked


def test_json_alone_is_the_whole_record(run: Run, make_person: Callable[..., flowpop.types.PersonDetail]) -> None:
    person = make_person()
    one = jsonout(run("persons", "show", str(person.id), "--json"))
    assert {"id", "name", "id_number", "status", "version"} <= set(one)


def test_an_unknown_field_is_refused_with_the_fields_there_are(
        run: Run, make_person: Callable[..., flowpop.types.PersonDetail]) -> None:
    make_person()
    result = run("persons", "list", "--all", "--json", "id,nam", code=2)
    assert result.stdout == ""
    assert "nam" in result.stderr and "name_pinyin" in result.stderr
