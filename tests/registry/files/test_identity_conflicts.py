"""Issue 14, item 6: an import never renames silently. A known ID number with another name (or sex, or
birth date) is a reported conflict, applied only when asked, and history records it; a row that would open a
stay for someone no longer active is refused as stays.create refuses it."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import create_engine, text

import flowpop
from flowpop.registry.store.db import normalize_url
from tests import tree

HEADER = ["姓名", "身份证号", "户籍地", "现居住地", "流入日期", "流动原因"]


def _csv(*rows: list[str], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue().encode("utf-8")


def _row(name: str, number: str, village: str = tree.VILLAGE_A1, arrived: str = "2026-03-01") -> list[str]:
    return [name, number, "360102", village, arrived, "务工"]


def _sql(db_url: str, sql: str, **params: Any) -> None:
    engine = create_engine(normalize_url(db_url))
    with engine.begin() as conn:
        conn.execute(text(sql), params)
    engine.dispose()


def test_another_name_for_a_known_number_is_a_reported_conflict(client: flowpop.Client, make_person: Any) -> None:
    p = make_person(name="王秀英")
    q = make_person(name="万慧")
    n_p, n_q = (client.persons.get(x.id, reveal=True).id_number for x in (p, q))
    history = {x.id: len(client.persons.history(x.id)) for x in (p, q)}

    result = client.persons.import_file(_csv(_row("李四", n_p), _row("万慧X", n_q)), filename="x.csv")

    assert (result.applied, result.updated, result.rejected) == (False, 0, 2)
    by_line = {pr.line: pr for pr in result.problems}
    assert {(pr.line, pr.column, pr.value, pr.code) for pr in result.problems} == {
        (2, "name", "李四", "identity_conflict"), (3, "name", "万慧X", "identity_conflict")}
    assert "王秀英" in by_line[2].reason and "王秀英" in by_line[2].reason_en
    assert "--accept-identity-changes" in by_line[3].reason
    for x in (p, q):
        after = client.persons.get(x.id)
        assert (after.name, after.version) == (x.name, x.version)
        assert len(client.persons.history(x.id)) == history[x.id]
    # with --skip-bad the other rows go in and the conflict stays out, still reported
    skipped = client.persons.import_file(_csv(_row("李四", n_p), _row("万慧", n_q, arrived="2026-03-02")),
                                         filename="x.csv", skip_bad=True)
    assert (skipped.applied, skipped.updated, [pr.line for pr in skipped.problems]) == (True, 1, [2])
    assert client.persons.get(p.id).name == "王秀英"
    # a dry run says the same
    dry = client.persons.import_file(_csv(_row("李四", n_p)), filename="x.csv", dry_run=True)
    assert [pr.code for pr in dry.problems] == ["identity_conflict"]


def test_a_rename_asked_for_is_applied_and_history_records_it(client: flowpop.Client, make_person: Any) -> None:
    p = make_person(name="王秀英")
    number = client.persons.get(p.id, reveal=True).id_number
    result = client.persons.import_file(_csv(_row("李四", number)), filename="x.csv", accept_identity_changes=True)
    assert (result.applied, result.updated, result.problems) == (True, 1, [])
    after = client.persons.get(p.id)
    assert (after.name, after.version) == ("李四", p.version + 1)
    assert [x.id for x in client.persons.list(q="lisi")] == [p.id]  # the name keys follow
    [last] = [h for h in client.persons.history(p.id) if h.action == "import"]
    assert last.changes["name"] == ["王秀英", "李四"]
    assert "identity change accepted" in (last.reason or "")


def test_another_birth_date_or_sex_stored_for_the_number_is_a_conflict_too(client: flowpop.Client, db_url: str,
                                                                          make_person: Any) -> None:
    """The ID number fixes sex and birth date; a record that holds others (an old entry error) is not silently
    corrected by an import either."""
    p = make_person(name="王秀英")
    q = make_person(name="张丽")
    n_p, n_q = (client.persons.get(x.id, reveal=True).id_number for x in (p, q))
    _sql(db_url, "UPDATE persons SET birth_date = :d WHERE id = :id", d="1991-01-01", id=p.id)
    _sql(db_url, "UPDATE persons SET sex = 'M' WHERE id = :id", id=q.id)

    result = client.persons.import_file(_csv(_row("王秀英", n_p), _row("张丽", n_q)), filename="x.csv")
    assert {(pr.line, pr.column, pr.code) for pr in result.problems} == {(2, "birth_date", "identity_conflict"),
                                                                         (3, "sex", "identity_conflict")}
    assert not result.applied

    fixed = client.persons.import_file(_csv(_row("王秀英", n_p), _row("张丽", n_q)), filename="x.csv",
                                       accept_identity_changes=True)
    assert (fixed.updated, fixed.problems) == (2, [])
    assert str(client.persons.get(p.id, reveal=True).birth_date) == f"{n_p[6:10]}-{n_p[10:12]}-{n_p[12:14]}"
    assert client.persons.get(q.id).sex == "F"
    assert [h.changes.get("sex") for h in client.persons.history(q.id) if h.action == "import"] == [["M", "F"]]


def test_a_new_stay_for_a_deregistered_person_is_refused_as_stays_create_refuses_it(client: flowpop.Client,
                                                                                     make_person: Any) -> None:
    p = make_person(name="王秀英")
    number = client.persons.get(p.id, reveal=True).id_number
    gone = client.persons.deregister(p.id, version=p.version, reason="返乡")
    stays = len(client.persons.get(p.id).stays)

    # the stay that ended with them, repeated: nothing to do
    same = client.persons.import_file(_csv(_row("王秀英", number)), filename="x.csv")
    assert (same.applied, same.unchanged, same.problems) == (True, 1, [])
    # another stay: refused with stays.create's code, nothing opened
    moved = client.persons.import_file(_csv(_row("王秀英", number, village=tree.VILLAGE_B1)), filename="x.csv")
    assert [(pr.line, pr.column, pr.code) for pr in moved.problems] == [(2, "residence_code", "person_not_active")]
    assert not moved.applied
    after = client.persons.get(p.id)
    assert (after.status, after.version, len(after.stays)) == ("deregistered", gone.version, stays)
