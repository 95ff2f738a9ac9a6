"""Files as offices have them, through the SDK: XLSX with real Excel date cells, Excel 97 (.xls, written by
xlwt as a genuine BIFF8 file), ODS (built by the OpenDocument rules: a stored ``mimetype`` entry first),
files whose name lies about their kind, files that are no table (422, never a 500), and ID numbers Excel
stored as numbers."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from xml.sax.saxutils import escape

import pytest
import xlwt  # type: ignore[import-untyped]  # test-only: writes genuine BIFF8 files
from openpyxl import Workbook

import flowpop
from flowpop.rules import idnumber
from tests import tree
from tests.conftest import new_id_number

HEADER = ["姓名", "身份证号", "户籍地", "现居住地", "流入日期", "流出日期"]


def _xlsx(rows: list[list[object]], date_format: str = "yyyy-mm-dd") -> bytes:
    """As Excel saves it: date cells are numbers with a date number_format (openpyxl reads them back as datetimes)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, dt.date):
                cell.number_format = date_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xls(rows: list[list[object]]) -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("人员")
    dates = xlwt.easyxf(num_format_str="yyyy/m/d")
    for c, h in enumerate(HEADER):
        sheet.write(0, c, h)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, dates)
            else:
                sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _ods(rows: list[list[object]]) -> bytes:
    def cell(value: object) -> str:
        if isinstance(value, dt.date):
            return (f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                    f"<text:p>{value.isoformat()}</text:p></table:table-cell>")
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'

    body = "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in [HEADER, *rows])
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="人员">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _rows() -> tuple[list[list[object]], list[str]]:
    a, b = new_id_number(), new_id_number()
    return ([["王秀英", a, "360102", tree.VILLAGE_A1, dt.datetime(2026, 3, 1), dt.date(2025, 12, 31)],
             ["李强", b, "360102", tree.VILLAGE_A1, dt.date(2024, 2, 29), dt.datetime(2024, 1, 2)]], [a, b])


def _arrived(client: flowpop.Client, number: str) -> str:
    return str(next(iter(client.persons.list(q=number))).arrived_on)


@pytest.mark.parametrize("date_format", ["yyyy-mm-dd", "yyyy/m/d", "yyyy\"年\"m\"月\"d\"日\""])
def test_xlsx_date_cells_are_their_dates(client: flowpop.Client, date_format: str) -> None:
    rows, (a, b) = _rows()
    result = client.persons.import_file(_xlsx(rows, date_format), filename="名单.xlsx")
    assert result.applied and result.inserted == 2, result.problems
    assert _arrived(client, a) == "2026-03-01" and _arrived(client, b) == "2024-02-29"


@pytest.mark.parametrize(("make", "name"), [(_xls, "名单.xls"), (_ods, "名单.ods"),
                                            (_xls, "名单.csv"), (_ods, "名单.xlsx"), (_xls, "")])
def test_xls_and_ods_are_read_by_their_content(client: flowpop.Client, make: Callable[[list[list[object]]], bytes],
                                                name: str) -> None:
    rows, (a, b) = _rows()
    data = make(rows)
    result = client.persons.import_file(data, filename=name)
    assert result.applied and result.inserted == 2, result.problems
    assert _arrived(client, a) == "2026-03-01" and _arrived(client, b) == "2024-02-29"


def _refused(client: flowpop.Client, data: bytes, filename: str) -> flowpop.ValidationError:
    with pytest.raises(flowpop.ValidationError) as caught:
        client.persons.import_file(data, filename=filename)
    assert caught.value.status_code == 422
    return caught.value


def test_files_that_are_no_table_are_refused_with_the_reason(client: flowpop.Client) -> None:
    good = _xlsx(_rows()[0])
    cases = {
        "broken zip named .xlsx": (good[: len(good) // 2], "名单.xlsx", "XLSX"),
        "neither GB18030 nor UTF-8": ("姓名,身份证号\n".encode() + b"\x81\x30\xff\xfe\xfd\n", "名单.csv", "CSV"),
        "damaged .xls": (_xls(_rows()[0])[:600], "名单.xls", "XLS"),
        "random bytes named .xls": (b"\x00\x01garbage\x00" * 50, "名单.xls", "XLS"),
        "damaged .xls named .csv": (_xls(_rows()[0])[:600], "名单.csv", "XLS"),
        "damaged .ods": (_ods(_rows()[0])[:200], "名单.ods", "ODS"),
    }
    for what, (data, name, kind) in cases.items():
        err = _refused(client, data, name)
        assert [e.code for e in err.errors] == ["unreadable_file"], what
        assert kind in err.errors[0].message and kind in err.errors[0].message_en, (what, err.errors[0])
    empty = _refused(client, b"", "名单.xlsx")
    assert [(e.code, e.message, e.message_en) for e in empty.errors] == [("empty_file", "文件为空", "the file is empty")]


def test_id_numbers_excel_stored_as_numbers_say_so(client: flowpop.Client) -> None:
    ok15 = "360102900506124"  # 15 digits: a number cell keeps them all, and the old number is still good
    long_id = new_id_number()
    # a number Excel can hold (no X), whose garbled digits fail the check (one in eleven would pass)
    while not long_id.isdigit() or idnumber.check(str(int(float(long_id)))).ok:
        long_id = new_id_number()
    rows: list[list[object]] = [
        ["甲", float(long_id), "360102", tree.VILLAGE_A1, dt.date(2024, 1, 1), ""],  # a number cell: digits lost
        ["乙", "3.60102E+17", "360102", tree.VILLAGE_A1, dt.date(2024, 1, 1), ""],  # as a CSV from Excel has it
        ["丙", int(ok15), "360102", tree.VILLAGE_A1, dt.date(2024, 1, 1), ""],
    ]
    for data, name in ((_xlsx(rows), "x.xlsx"), (_xls(rows), "x.xls")):
        result = client.persons.import_file(data, filename=name, dry_run=True)
        by_line = {p.line: p for p in result.problems}
        assert sorted(by_line) == [2, 3], result.problems
        for p in by_line.values():
            assert p.column == "id_number"
            assert "存成了数字" in p.reason and "设为文本格式" in p.reason
            assert "stored as a number in Excel" in p.reason_en and "format it as text" in p.reason_en
        assert by_line[3].value == "3.60102E+17"
    csv = ("姓名,身份证号,户籍地\n乙,3.60102E+17,360102\n").encode("gb18030")
    result = client.persons.import_file(csv, filename="x.csv", dry_run=True)
    assert [p.reason_en.startswith("this column was stored as a number") for p in result.problems] == [True]
