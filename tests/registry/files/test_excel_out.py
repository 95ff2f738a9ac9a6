"""Files Excel and WPS keep: ID numbers, division codes and phone numbers survive a CSV opened by
double-click (a leading tab keeps them text) and our own importer reads the file back; XLSX exports have
fitted widths, a frozen bold header, a filter, real date cells and text cells for codes."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from openpyxl import load_workbook

import flowpop
from flowpop.labels import title
from flowpop.registry.files import exports
from flowpop.rules import cells, legacy
from tests import tree
from tests.cli.runner import invoke
from tests.conftest import new_id_number

PHONE = "05981234567"  # a landline with its area code: Excel drops the 0 of a bare number


def _csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_number_codes_are_text_in_csv(client: flowpop.Client, make_person: Any) -> None:
    # all digits (one in eleven test numbers ends in X, which Excel keeps as text anyway: no tab)
    digits = next(n for n in (new_id_number() for _ in range(100)) if n.isdigit())
    person = make_person(phone=PHONE, id_number=digits)
    number = client.persons.get(person.id, reveal=True).id_number
    assert number == digits
    data = client.persons.export("csv", reveal=True)
    assert data.startswith("\ufeff".encode()) and b"\r\n" in data
    (row,) = _csv(data)
    assert row["身份证号"] == "\t" + number
    assert row["户籍地代码"] == "\t" + tree.COUNTY_DONGHU and row["现居住地代码"] == "\t" + tree.VILLAGE_A1
    assert row["联系电话"] == "\t" + PHONE
    assert row["编号"] == str(person.id) and row["姓名"] == "王秀英"  # short numbers and names as they are
    assert row["流入日期"] == "2026-03-01"


def test_the_importer_reads_back_what_we_write(client: flowpop.Client, make_person: Any) -> None:
    made = [make_person(phone=PHONE), make_person(name="李四")]
    numbers = {client.persons.get(p.id, reveal=True).id_number for p in made}
    for fmt in ("csv", "csv-gb18030"):
        data = client.persons.export(fmt, reveal=True)
        rows = list(legacy.read_table(data, "people.csv"))
        fields = legacy.header_map([str(h) for h in rows[0]])
        at = {field: i for i, field in fields.items()}
        assert {legacy.clean(r[at["id_number"]]) for r in rows[1:]} == numbers
        assert {legacy.clean(r[at["household_code"]]) for r in rows[1:]} == {tree.COUNTY_DONGHU}
        assert PHONE in {legacy.clean(r[at["phone"]]) for r in rows[1:]}
        result = client.persons.import_file(data, filename="people.csv")
        assert (result.total, result.rejected, result.inserted, result.unchanged) == (2, 0, 0, 2), result.problems


def test_cells_mark_only_number_codes() -> None:
    assert cells.csv_row(["360102199005061234", "350404000000", "0598", "13812345678", "1234", 42, None, "=1+1",
                          "12345678901x"]) == \
        ["\t360102199005061234", "\t350404000000", "\t0598", "13812345678", "1234", 42, "", "'=1+1", "12345678901x"]


def test_xlsx_is_laid_out_for_people(client: flowpop.Client, make_person: Any, tmp_path: Any) -> None:
    made = [make_person(name="欧阳娜娜娜娜娜娜娜娜", phone=PHONE), make_person(name="=HYPERLINK(\"x\")")]
    target = tmp_path / "people.xlsx"
    target.write_bytes(client.persons.export("xlsx", reveal=True))
    sheet = load_workbook(target).worksheets[0]
    keys = [k for k, _ in exports.COLUMNS]
    col = {k: i + 1 for i, k in enumerate(keys)}
    letter = {k: sheet.cell(1, i).column_letter for k, i in col.items()}

    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{letter[keys[-1]]}3"
    assert [c.value for c in sheet[1]] == [title(k, "zh") for k in keys] and all(c.font.b for c in sheet[1])
    width = {k: sheet.column_dimensions[letter[k]].width for k in keys}
    assert width["name"] >= 20 and width["id_number"] >= 18 and width["household_name"] > width["sex"]

    rows = {sheet.cell(r, col["id"]).value: r for r in (2, 3)}
    first = rows[made[0].id]
    number = client.persons.get(made[0].id, reveal=True).id_number
    id_cell, birth, arrived = (sheet.cell(first, col[k]) for k in ("id_number", "birth_date", "arrived_on"))
    assert (id_cell.value, id_cell.data_type) == (number, "s")
    assert sheet.cell(first, col["household_code"]).data_type == "s"
    assert sheet.cell(first, col["phone"]).value == PHONE
    assert birth.is_date and birth.number_format == "yyyy-mm-dd"
    assert arrived.is_date and arrived.value.date() == dt.date(2026, 3, 1)
    formula = sheet.cell(rows[made[1].id], col["name"])
    assert (formula.value, formula.data_type, formula.quotePrefix) == ("=HYPERLINK(\"x\")", "s", True)


def test_masked_xlsx_has_no_date_of_birth(client: flowpop.Client, make_person: Any, tmp_path: Any) -> None:
    make_person()
    target = tmp_path / "people.xlsx"
    target.write_bytes(client.persons.export("xlsx"))
    sheet = load_workbook(target).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(2, header.index("出生日期") + 1).value is None
    assert sheet.cell(2, header.index("流入日期") + 1).is_date


def test_list_csv_is_the_export_csv(db_url: str, make_person: Any) -> None:
    person = make_person(phone=PHONE, sex="M")
    raw = invoke(["--db", db_url, "persons", "list", "--format", "csv"]).stdout_bytes
    assert raw.startswith("\ufeff".encode())
    (row,) = _csv(raw)
    assert row["编号"] == str(person.id) and row["姓名"] == "王秀英"
    assert row["性别"] == "男" and row["联系电话"] == "\t" + PHONE
    english = _csv(invoke(["--db", db_url, "--lang", "en", "persons", "list", "--format", "csv"]).stdout_bytes)
    assert english[0]["Sex"] == "male" and english[0]["Name"] == "王秀英"
