"""Files that leave the registry (issue 11, items 4 and 5): every export is logged before its first byte,
and text that Excel or WPS would run as a formula is inert in every file they open."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import flowpop
from flowpop.rules import idnumber
from flowpop_cli.main import cli
from tests import tree
from tests.conftest import person_fields

EVIL = '=HYPERLINK("http://evil.example/","点我")'  # names accept it, so does every address field
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"
PLUS = "+86 135 0000 0000"


def _import_many(client: flowpop.Client, n: int) -> None:
    """n people in 三元区 through a legacy import (a few MB of export, more than the sockets buffer)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "身份证号", "性别", "婚姻状况", "户籍地", "现居住地", "流入日期", "流动原因", "户籍地址"])
    for i in range(n):
        order = 1 + i % 998
        number = idnumber.make("360102", dt.date(1960, 1, 1) + dt.timedelta(days=i // 998), order)
        writer.writerow([f"批量{i}", number, "男" if order % 2 else "女", "初婚", "360102", tree.VILLAGE_A1,
                         "2024-03-01", "务工", "江西省南昌市东湖区某某街道某某路某某号某某小区某栋某单元"])
    result = client.persons.import_file(out.getvalue().encode(), filename="many.csv")
    assert (result.applied, result.inserted) == (True, n), result.problems[:3]


def _token(client: flowpop.Client, role: str, jurisdiction: str) -> tuple[str, str]:
    name = f"{role}_exports"
    client.users.create(username=name, role=role, jurisdiction_code=jurisdiction)
    return name, client.tokens.create(username=name, name="test").token


# ------------------------------------------------------------------------------------ item 4: logged first


def test_an_export_cut_short_is_logged_before_its_first_byte(client: flowpop.Client, server: str) -> None:
    _import_many(client, 20_000)
    name, token = _token(client, "county_admin", tree.COUNTY_SANYUAN)
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http, \
            http.stream("GET", "/v1/exports/persons", params={"format": "csv", "reveal": "true"}) as response:
        assert response.status_code == 200
        received = b""
        for chunk in response.iter_bytes():
            received += chunk
            if len(received) > 4096:
                break
        assert idnumber.make("360102", dt.date(1960, 1, 1), 1).encode() in received  # unmasked rows are leaving
        # the rest of the file is still on its way (or never comes): the entry is there already
        logged = [e for e in client.audit.access_log(limit=20) if e.username == name]
        assert [(e.action, e.entity) for e in logged] == [("export", "person")]
        assert logged[0].detail is not None and "20000 persons" in logged[0].detail and "revealed" in logged[0].detail
    # the client hung up after a few KB: the entry stays, and names every person selected
    logged = [e for e in client.audit.access_log(limit=20) if e.username == name]
    assert len(logged) == 1 and len(logged[0].entity_ids) == 20_000


def test_a_checklist_is_logged_as_an_export(client: flowpop.Client) -> None:
    person = client.persons.create(**person_fields(name="清单上的人"))
    campaign = client.inspections.create(quarter="2026Q2", jurisdiction_code=tree.TOWNSHIP_A)
    before = {e.id for e in client.audit.access_log()}
    client.inspections.checklist(campaign.id, tree.VILLAGE_A1, "xlsx")
    new = [e for e in client.audit.access_log() if e.id not in before]
    assert [(e.action, e.entity, e.entity_ids) for e in new] == [("export", "person", [person.id])]
    assert new[0].detail is not None and "checklist" in new[0].detail


# ------------------------------------------------------------------------------------ item 5: no formulas


def _evil_person(client: flowpop.Client) -> int:
    stay = {"residence_code": tree.VILLAGE_A1, "reason": "work", "arrived_on": "2026-03-01", "residence_address": DDE}
    return client.persons.create(**person_fields(name=EVIL, household_address=PLUS, stay=stay)).id


def _csv_row(text: str, person_id: int) -> dict[str, str]:
    return next(r for r in csv.DictReader(io.StringIO(text)) if r["编号"] == str(person_id))


def test_formula_text_is_inert_in_csv_exports_in_both_encodings(client: flowpop.Client) -> None:
    person_id = _evil_person(client)
    for fmt, encoding in (("csv", "utf-8-sig"), ("csv-gb18030", "gb18030")):
        row = _csv_row(client.persons.export(fmt, reveal=True).decode(encoding), person_id)
        assert row["姓名"] == "'" + EVIL, fmt
        assert row["户籍地址"] == "'" + PLUS, fmt
        assert row["编号"] == str(person_id)  # a number stays a bare number


def test_formula_text_is_a_string_cell_in_xlsx_exports(client: flowpop.Client) -> None:
    person_id = _evil_person(client)
    sheet = load_workbook(io.BytesIO(client.persons.export("xlsx"))).worksheets[0]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == person_id)
    name, address = row[header.index("姓名")], row[header.index("户籍地址")]
    assert (name.data_type, name.value) == ("s", EVIL)  # text, exactly as registered, not a formula
    assert (address.data_type, address.value) == ("s", PLUS)
    assert name.quotePrefix and address.quotePrefix  # and Excel keeps it text when the cell is edited
    assert row[0].data_type == "n"  # numbers stay numbers


def test_formula_text_is_a_string_cell_in_inspection_checklists(client: flowpop.Client) -> None:
    _evil_person(client)
    campaign = client.inspections.create(quarter="2026Q2", jurisdiction_code=tree.TOWNSHIP_A)
    sheet = load_workbook(io.BytesIO(client.inspections.checklist(campaign.id, tree.VILLAGE_A1, "xlsx"))).worksheets[0]
    row = next(r for r in sheet.iter_rows(min_row=3) if r[2].value == EVIL)
    assert row[2].data_type == "s"
    assert (row[4].data_type, row[4].value) == ("s", DDE)


def test_formula_text_is_inert_in_the_cli_csv_files(client: flowpop.Client, db_url: str, tmp_path: Path) -> None:
    _evil_person(client)
    runner = CliRunner()
    listed = runner.invoke(cli, ["--db", db_url, "persons", "list", "--format", "csv"], prog_name="flowpop")
    assert listed.exit_code == 0, listed.output
    row = next(r for r in csv.DictReader(io.StringIO(listed.stdout.lstrip("\ufeff"))) if r["姓名"].endswith(EVIL))
    assert row["姓名"] == "'" + EVIL

    # the import's error report repeats the bad value as it was in the file
    bad = tmp_path / "bad.csv"
    text = io.StringIO()
    csv.writer(text).writerows([["姓名", "身份证号", "户籍地", "现居住地"], ["王五", EVIL, "360102", tree.VILLAGE_A1]])
    bad.write_bytes(text.getvalue().encode("gb18030"))
    report = tmp_path / "errors.csv"
    result = runner.invoke(cli, ["--db", db_url, "import", str(bad), "--yes", "--errors", str(report)],
                           prog_name="flowpop")
    assert result.exit_code == 4, result.output
    values = [r["值"] for r in csv.DictReader(io.StringIO(report.read_text(encoding="utf-8-sig")))]
    assert "'" + EVIL in values, values


def test_the_plain_text_checklist_is_inert_and_keeps_its_grid(client: flowpop.Client) -> None:
    """Tab-separated text opens in a spreadsheet too: no cell may start a formula, and a tab or line break in a
    value may not add a column or a row (addresses and titles may hold them; names may not, see below)."""
    stay = {"residence_code": tree.VILLAGE_A1, "reason": "work", "arrived_on": "2026-03-01",
            "residence_address": "=1+1\t@SUM(1)\r\n+1+1\n=2"}
    evil = client.persons.create(**person_fields(name=EVIL, stay=stay))
    for name in ("+1+1", "@SUM(1)", "-2"):
        client.persons.create(**person_fields(name=name))
    campaign = client.inspections.create(quarter="2026Q2", jurisdiction_code=tree.TOWNSHIP_A, name=EVIL + "\t=1\n+1")
    text = client.inspections.checklist(campaign.id, tree.VILLAGE_A1, "text").decode()
    lines = text.splitlines()
    assert lines[0].startswith("'" + EVIL + " =1 +1 ")  # the title: one line, inert
    assert "\t" not in lines[0]
    rows = [line.split("\t") for line in lines[2:-2]]
    assert len(rows) == 1 + 4 and all(len(r) == 8 for r in rows)  # the head and four people, eight columns each
    assert [r[2] for r in rows[1:]] == ["'" + EVIL, "'+1+1", "'@SUM(1)", "'-2"]
    assert rows[1][4] == "'=1+1 @SUM(1)  +1+1 =2" and rows[1][3].startswith(evil.id_number[:6])
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "4"]  # numbers stay bare


@pytest.mark.parametrize("name", ["a\t=1+1", "张三\n=1+1", "李\r四"], ids=["tab", "newline", "return"])
def test_a_name_is_one_line(client: flowpop.Client, name: str) -> None:
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.create(**person_fields(name=name))
    assert [(e.field, e.code) for e in exc.value.errors] == [("name", "line_break")]
    assert exc.value.errors[0].message and exc.value.errors[0].message_en


def test_a_name_is_one_line_on_update_too(client: flowpop.Client) -> None:
    p = client.persons.create(**person_fields(note="第一行\n第二行\t备注"))  # free text keeps its lines and tabs
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.update(p.id, version=p.version, name="王\t五")
    assert [(e.field, e.code) for e in exc.value.errors] == [("name", "line_break")]
    assert client.persons.get(p.id).note == "第一行\n第二行\t备注"
