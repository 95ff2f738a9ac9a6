"""Legacy files in (CSV in GB18030 or UTF-8, XLSX) and exports out, through the SDK."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from openpyxl import Workbook, load_workbook

import flowpop
from flowpop.rules import idnumber
from tests import tree
from tests.conftest import new_id_number

HEADER = ["姓名", "身份证号", "性别", "婚姻状况", "户籍地", "现居住地", "流入日期", "流动原因", "联系电话"]


def _csv(rows: list[list[str]], encoding: str = "gb18030") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


def test_gb18030_csv_with_legacy_quirks(client) -> None:
    a, b, c = new_id_number(), new_id_number(sex="M"), new_id_number()
    legacy15 = "360102900506124"
    rows = [
        ["王秀英", a, "女", "初婚", "江西省南昌市东湖区", tree.VILLAGE_A1, "2012.3.5", "务工", "13905981234"],
        [" 李 强 ", _fullwidth(b).lower(), "男", "未婚", "360102", tree.VILLAGE_A1, "2012年3月5日", "经商", ""],
        ["陈丽", c, "女", "离婚", "360102000000", tree.VILLAGE_A2, "40973", "", ""],
        ["陈丽", c, "女", "离婚", "360102000000", tree.VILLAGE_A2, "40973", "", ""],  # an exact duplicate row
        ["老张", legacy15, "女", "丧偶", "360102", tree.VILLAGE_A1, "20120305", "投亲", ""],
    ]
    result = client.persons.import_file(_csv(rows), filename="old.csv")
    assert (result.applied, result.inserted, result.duplicates, result.rejected) == (True, 4, 1, 0)
    found = {p.name: client.persons.get(p.id, reveal=True) for p in client.persons.list(division=tree.TOWNSHIP_A)}
    assert found["李强"].id_number == idnumber.normalize(b) and found["李强"].category == "unmarried_male"
    assert all(str(p.arrived_on) == "2012-03-05" for p in found.values())
    assert found["老张"].id_number == idnumber.upgrade15(legacy15)
    assert found["陈丽"].stays[0].reason == "other"
    assert found["王秀英"].household_code == tree.COUNTY_DONGHU


def test_bad_rows_are_reported_and_nothing_is_half_imported(client) -> None:
    good = new_id_number()
    bad_check = idnumber.make("360102", __import__("datetime").date(1990, 1, 1), 12)[:-1] + "0"
    if idnumber.check(bad_check).ok:
        bad_check = bad_check[:-1] + "1"
    rows = [
        ["好人", good, "女", "初婚", "360102", tree.VILLAGE_A1, "2020-01-01", "务工", ""],
        ["坏号", bad_check, "女", "初婚", "360102", tree.VILLAGE_A1, "2020-01-01", "务工", ""],
        ["坏日期", new_id_number(), "女", "初婚", "360102", tree.VILLAGE_A1, "2020-13-45", "务工", ""],
        ["坏地", new_id_number(), "女", "初婚", "火星", tree.VILLAGE_A1, "2020-01-01", "务工", "12345"],
    ]
    before = sum(1 for _ in client.persons.list())
    result = client.persons.import_file(_csv(rows, "utf-8"), filename="x.csv")
    assert not result.applied and result.rejected == 3
    assert sum(1 for _ in client.persons.list()) == before
    by_line = {(p.line, p.column) for p in result.problems}
    assert {(3, "id_number"), (4, "arrived_on"), (5, "household_code"), (5, "phone")} <= by_line
    skipped = client.persons.import_file(_csv(rows, "utf-8"), filename="x.csv", skip_bad=True)
    assert skipped.applied and skipped.inserted == 1
    dry = client.persons.import_file(_csv([["再来", new_id_number(), "女", "初婚", "360102", tree.VILLAGE_A1,
                                            "2020-01-01", "务工", ""]]), dry_run=True)
    assert not dry.applied and dry.total == 1 and sum(1 for _ in client.persons.list()) == before + 1


def test_update_or_insert_by_id_number_with_history(client) -> None:
    number = new_id_number()
    row = ["王芳", number, "女", "未婚", "360102", tree.VILLAGE_A1, "2021-05-01", "务工", ""]
    client.persons.import_file(_csv([row]))
    again = client.persons.import_file(_csv([row]))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)
    changed = client.persons.import_file(_csv([[*row[:3], "初婚", *row[4:8], "13811112222"]]))
    assert changed.updated == 1
    p = next(iter(client.persons.list(q=number)))
    assert (p.marital_status, p.phone, p.version) == ("first_marriage", "13811112222", 2)
    assert client.persons.history(p.id)[0].action == "import"


def test_xlsx_with_excel_dates_and_a_mapping(client) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["名字", "证件", "户籍所在", "居住村居", "来本地日期"])
    number = new_id_number()
    sheet.append(["赵敏", number, "360102", tree.VILLAGE_A1, 43831])  # an Excel serial: 2020-01-01
    data = io.BytesIO()
    book.save(data)
    result = client.persons.import_file(data.getvalue(), filename="list.xlsx",
                                        mapping={"证件": "id_number", "户籍所在": "household_code", "居住村居": "residence_code"})
    assert result.applied and result.inserted == 1, result.problems
    p = next(iter(client.persons.list(q=number)))
    assert p.name == "赵敏" and str(p.arrived_on) == "2020-01-01"


def test_exports_are_masked_logged_and_read_back(client, make_person, as_user) -> None:
    people = [make_person(name=n) for n in ("甲某", "乙某")]
    data = client.persons.export("csv", division=tree.TOWNSHIP_A)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert sorted(r["姓名"] for r in rows) == ["乙某", "甲某"]
    assert all("*" in r["身份证号"] for r in rows)
    gb = client.persons.export("csv-gb18030", division=tree.TOWNSHIP_A).decode("gb18030")
    assert "甲某" in gb
    revealed = client.persons.export("jsonl", reveal=True, division=tree.TOWNSHIP_A)
    numbers = {json.loads(line)["id_number"] for line in revealed.decode().splitlines()}
    assert numbers == {client.persons.get(p.id, reveal=True).id_number for p in people}
    xlsx = load_workbook(io.BytesIO(client.persons.export("xlsx", division=tree.TOWNSHIP_A)), read_only=True)
    assert sum(1 for _ in xlsx.worksheets[0].iter_rows()) == 3
    assert sum(1 for e in client.audit.access_log() if e.action == "export") == 4
    # a revealed export imports back unchanged
    back = client.persons.import_file(client.persons.export("csv", reveal=True, division=tree.TOWNSHIP_A), filename="x.csv")
    assert (back.unchanged, back.inserted) == (2, 0), back.problems
    operator = as_user("township_operator", tree.TOWNSHIP_A)
    with pytest.raises(flowpop.PermissionDeniedError):
        operator.persons.export("csv")


def _large_file(n: int) -> tuple[bytes, set[int], int, int]:
    """n rows: every 97th has a bad check character, every 89th is repeated exactly on the next line.
    Returns the file, the lines that must be refused, how many rows must be stored and how many lines
    are exact repeats of a good one."""
    rows: list[list[str]] = []
    bad_lines: set[int] = set()
    kept = repeats = 0
    for i in range(n):
        born = dt.date(1970, 1, 1) + dt.timedelta(days=i // 500)
        number = idnumber.make("360102", born, (i % 500) * 2)
        bad = i % 97 == 5
        if bad:
            number = number[:-1] + ("1" if number[-1] != "1" else "2")
        row = [f"{'王李张刘陈'[i % 5]}{'秀英伟芳娜敏'[i % 6]}{i % 7}", number, "女", "初婚", "360102",
               tree.VILLAGE_A1, "2021.3.5", "务工", ""]
        for _ in range(2 if i % 89 == 3 else 1):
            rows.append(row)
            if bad:
                bad_lines.add(len(rows) + 1)
        kept += not bad
        repeats += i % 89 == 3 and not bad
    return _csv(rows, "utf-8"), bad_lines, kept, repeats


@pytest.mark.parametrize("size", [3000])
def test_a_large_file_is_checked_by_helper_processes_with_the_same_outcome(client, db_url, monkeypatch,
                                                                           size) -> None:
    """Past PARALLEL_ROWS the rows are checked in helper processes and (SQLite) the indexes are built at
    the end: every bad line is still reported, nothing is half-imported, and the indexes come back."""
    from sqlalchemy import create_engine, text

    from flowpop.registry.files import imports
    from flowpop.registry.store.db import normalize_url

    monkeypatch.setattr(imports, "PARALLEL_ROWS", 100)
    monkeypatch.setattr(imports, "BULK_ROWS", 100)
    monkeypatch.setattr(imports, "CHUNK", 250)
    helper_runs: list[int] = []
    real = imports.checked_in_helpers

    def counted(*args, **kwargs):  # the real helpers, counted: the test must go down this path
        helper_runs.append(1)
        yield from real(*args, **kwargs)

    monkeypatch.setattr(imports, "checked_in_helpers", counted)
    data, bad_lines, kept, repeats = _large_file(size)
    engine = create_engine(normalize_url(db_url))

    def indexes() -> set[str]:
        with engine.connect() as conn:
            if engine.dialect.name != "sqlite":
                return set(conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename IN "
                                             "('persons', 'stays', 'history')")).scalars())
            return set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index' AND "
                                         "tbl_name IN ('persons', 'stays', 'history')")).scalars())

    before, people = indexes(), sum(1 for _ in client.persons.list())
    refused = client.persons.import_file(data, filename="big.csv")
    assert not refused.applied and {p.line for p in refused.problems} == bad_lines
    assert (refused.inserted, refused.duplicates, refused.rejected) == (kept, repeats, len(bad_lines))
    assert sum(1 for _ in client.persons.list()) == people and indexes() == before

    done = client.persons.import_file(data, filename="big.csv", skip_bad=True)
    assert done.applied and done.inserted == kept and done.rejected == len(bad_lines)
    assert done.total == refused.total == size + repeats + sum(1 for line in bad_lines if line - 1 in bad_lines)
    assert indexes() == before
    listed = client.persons.list(division=tree.VILLAGE_A1, with_total=True).first_page()
    assert listed.total == kept
    # the rebuilt indexes answer searches: by name keys and by the last digits of an ID number
    number = next(r[1] for r in csv.reader(io.StringIO(data.decode())) if r[0] == "张芳2")
    assert {p.name for p in client.persons.list(q="zhangfang")} >= {"张芳2"}
    assert any(p.name == "张芳2" for p in client.persons.list(q=number[-6:]))
    again = client.persons.import_file(data, filename="big.csv", skip_bad=True)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, kept)
    # all three were checked by the helper processes, the third (which repeats what is stored) too: comparing
    # the rows with their records is as much work for the importing process as reading the records
    assert len(helper_runs) == 3
    engine.dispose()


def test_an_import_leaves_postgresql_statistics_for_the_id_number_index(client, db_url) -> None:
    """A large load is analysed at its end, the ID-number index too: without its statistics PostgreSQL took it for
    empty and read all of it for every chunk of the next import of the same file (1M rows: 39 s of its 74)."""
    from sqlalchemy import create_engine, text

    from flowpop.registry.store.db import normalize_url

    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's statistics")
    data, _, kept, _ = _large_file(300)
    done = client.persons.import_file(data, filename="big.csv", skip_bad=True)
    assert done.inserted == kept
    engine = create_engine(normalize_url(db_url))
    with engine.connect() as conn:
        analysed = dict(conn.execute(text("SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE "
                                          "relname IN ('persons', 'stays', 'history', 'id_numbers')")).all())
    engine.dispose()
    assert analysed == {"persons": True, "stays": True, "history": True, "id_numbers": True}


def test_a_helper_that_prints_does_not_break_the_import(client, monkeypatch, tmp_path) -> None:
    """The helpers answer on a pipe of their own: text a helper's interpreter prints on its standard output (here
    a site hook, as a profiler or a library's warning might) is not read as an answer (it broke the pickle stream:
    "invalid load key" and a 500)."""
    import sys

    from flowpop.registry.files import imports

    (tmp_path / "sitecustomize.py").write_text("print('7 noise on stdout from the helper', flush=True)\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])  # the helpers' PYTHONPATH is built from it
    monkeypatch.setattr(imports, "PARALLEL_ROWS", 100)
    monkeypatch.setattr(imports, "CHUNK", 250)
    data, bad_lines, kept, _ = _large_file(1500)
    done = client.persons.import_file(data, filename="big.csv", skip_bad=True)
    assert done.applied and done.inserted == kept and done.rejected == len(bad_lines)
