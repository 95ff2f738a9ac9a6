"""`flowpop inspect …`, `flowpop report …`, `flowpop quality`, certificates and `flowpop inbox register`,
run in-process with click's CliRunner against a real registry."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import create_engine, text

import flowpop
from flowpop.registry.store.db import normalize_url
from tests import tree
from tests.cli.runner import Run, jsonout
from tests.conftest import new_id_number, person_fields
from tests.records import reindex_id_numbers

TODAY = dt.date.today()
QUARTER = f"{TODAY.year}Q{(TODAY.month - 1) // 3 + 1}"


def arrived_now(village: str = tree.VILLAGE_A1, **overrides: Any) -> dict[str, Any]:
    """A person who arrived today (inside the current quarter) in ``village``, household elsewhere."""
    stay = {"residence_code": village, "reason": "work", "arrived_on": TODAY.isoformat()}
    return person_fields(household_code=tree.VILLAGE_D1, stay=stay, **overrides)


# ------------------------------------------------------------------------------------ inspection


def test_inspection_campaign_round_trip(run: Run, client: flowpop.Client, as_user, tmp_path: Path) -> None:
    people = [client.persons.create(**arrived_now(name=n)) for n in ("赵一", "钱二", "孙三")]
    assistant = as_user("village_assistant", tree.VILLAGE_A1)
    helper = assistant.me().username

    created = jsonout(run("inspect", "create", "--quarter", QUARTER, "--division", tree.TOWNSHIP_A, "--json"))
    cid = str(created["id"])
    assert created["items"] == 3 and created["status"] == "open"
    run("inspect", "assign", cid, "--division", tree.VILLAGE_A1, "--user", helper)
    mine = jsonout(run("inspect", "items", cid, "--mine", "--format", "json", user=assistant))
    assert sorted(i["person_id"] for i in mine) == sorted(p.id for p in people)
    assert {i["assignee"] for i in mine} == {helper}
    item = {i["person_id"]: i["id"] for i in mine}
    a, b, c = people

    run("inspect", "record", cid, str(item[a.id]), "在住无误", user=assistant)
    run("inspect", "record", cid, str(item[b.id]), "corrected", "--set", "phone=13912345678",
        "--set", "现居住地址=清查路1号302", user=assistant)
    assert client.persons.get(b.id).phone == "13912345678"
    assert client.persons.get(b.id).stays[0].residence_address == "清查路1号302"
    run("inspect", "record", cid, str(item[c.id]), "left", "--date", TODAY.isoformat(), "--note", "已回乡")
    assert client.persons.get(c.id).status == "deregistered"
    assert jsonout(run("inspect", "items", cid, "--pending", "--format", "json")) == []
    run("inspect", "record", cid, str(item[a.id] + 1000), "present", code=3)

    number = new_id_number()
    run("inspect", "found", cid, "--id-number", number, "--name", "新发现", "--household", tree.COUNTY_DONGHU,
        "--residence", tree.VILLAGE_A1, "--arrived", TODAY.isoformat(), "--reason", "务工")
    assert [p.name for p in client.persons.list(q=number)] == ["新发现"]

    table = run("inspect", "progress", cid).stdout
    assert "4/4" in table and "100.0%" in table and helper in table
    rows = list(csv.DictReader(io.StringIO(run("inspect", "progress", cid, "--format", "csv").stdout.lstrip("\ufeff"))))
    village = next(r for r in rows if r["group"] == "village" and r["key"].lstrip("\t") == tree.VILLAGE_A1)
    assert (village["done"], village["total"], village["present"], village["left"], village["new_found"]) == \
        ("4", "4", "1", "1", "1")

    checklist = run("inspect", "checklist", cid, "--division", tree.VILLAGE_A1, "--format", "text").stdout
    assert all(p.name in checklist for p in people)
    sheet = tmp_path / "checklist.xlsx"
    run("inspect", "checklist", cid, "--division", tree.VILLAGE_A1, "--format", "xlsx", "-o", str(sheet))
    assert sum(1 for _ in load_workbook(sheet, read_only=True).worksheets[0].iter_rows()) == 2 + 4
    run("inspect", "checklist", cid, "--division", tree.VILLAGE_A1, "--format", "xlsx", code=2)

    run("inspect", "close", cid, "--yes")
    assert [c["status"] for c in jsonout(run("inspect", "list", "--json")) if str(c["id"]) == cid] == ["closed"]
    assert "清查已结束" in run("inspect", "record", cid, str(item[a.id]), "present", code=5).stderr


def test_assignments_from_a_file(run: Run, client: flowpop.Client, as_user, tmp_path: Path) -> None:
    client.persons.create(**arrived_now())
    client.persons.create(**arrived_now(tree.VILLAGE_A2))
    one, two = (as_user("village_assistant", v).me().username for v in (tree.VILLAGE_A1, tree.VILLAGE_A2))
    cid = str(jsonout(run("inspect", "create", "--quarter", QUARTER, "--division", tree.TOWNSHIP_A, "--json"))["id"])
    plan = tmp_path / "分工.csv"
    plan.write_bytes(f"区划代码,用户名\n{tree.VILLAGE_A1},{one}\n{tree.VILLAGE_A2},{two}\n".encode("gb18030"))
    run("inspect", "assign", cid, "--file", str(plan))
    items = jsonout(run("inspect", "items", cid, "--all", "--format", "json"))
    assert {(i["village_code"], i["assignee"]) for i in items} == {(tree.VILLAGE_A1, one), (tree.VILLAGE_A2, two)}
    run("inspect", "assign", cid, "--division", tree.VILLAGE_A1, code=2)  # unpaired


# ------------------------------------------------------------------------------------ reports


def test_report_rates_table_csv_and_records(run: Run, client: flowpop.Client, tmp_path: Path) -> None:
    people = [client.persons.create(**arrived_now()) for _ in range(3)]
    client.persons.add_certificate(people[0].id, number="闽婚育2026001", verified_on=TODAY.isoformat())
    sdk = client.reports.rates(QUARTER, level="township", division=tree.COUNTY_SANYUAN)

    table = run("report", "rates", "--quarter", QUARTER, "--division", tree.COUNTY_SANYUAN).stdout
    lines = [line for line in table.splitlines() if line.strip()]
    assert lines[-2].startswith("合计")
    assert lines[-1].startswith("市内跨县（按双方登记）：流入登记 ")  # beside the rates: the gap and 漏管
    assert "共管率 ≥100%" in lines[1]
    assert "测试街道甲" in table and "%" in lines[-1] and ("✓" in table or "✗" in table)

    out = tmp_path / "rates.csv"
    run("report", "rates", "--division", tree.COUNTY_SANYUAN, "--format", "csv", "-o", str(out))
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    total = rows[-1]
    header = rows[0]
    co = {r.key: r for r in sdk.total.rates}["co_management"]
    i = header.index("共管率分子")
    assert (total[1], int(total[i]), int(total[i + 1])) == ("合计", co.numerator, co.denominator)
    assert rows[1][1] == "目标" and [r[0].lstrip("\t") for r in rows[2:-1]] == [r.division_code for r in sdk.rows]

    book = tmp_path / "rates.xlsx"
    run("report", "rates", "--division", tree.COUNTY_SANYUAN, "--format", "xlsx", "-o", str(book))
    assert load_workbook(book).active.max_row == len(sdk.rows) + 3

    behind = jsonout(run("report", "rates", "--records", "co_management", "--division", tree.COUNTY_SANYUAN,
                         "--format", "json"))
    expected = client.reports.rate_records("co_management", QUARTER, division=tree.COUNTY_SANYUAN)
    assert sorted(p["id"] for p in behind) == sorted(p.id for p in expected) and behind

    trend = run("report", "trend", "--quarters", f"{TODAY.year - 1}Q4,{QUARTER}").stdout
    assert QUARTER in trend and "共管率" in trend


def test_quarterly_report_html(run: Run, client: flowpop.Client, tmp_path: Path) -> None:
    for _ in range(2):
        client.persons.create(**arrived_now())
    client.persons.create(**arrived_now(tree.VILLAGE_B1))
    campaign = client.inspections.create(quarter=QUARTER, jurisdiction_code=tree.TOWNSHIP_A)
    out = tmp_path / "report.html"
    run("report", "quarterly", "--division", tree.COUNTY_SANYUAN, "-o", str(out))
    html = out.read_text(encoding="utf-8")
    report = client.reports.rates(QUARTER, level="township", division=tree.COUNTY_SANYUAN)
    townships = [r.division_name or "" for r in report.rows]
    assert {tree.TOWNSHIP_A, tree.TOWNSHIP_B} <= {r.division_code for r in report.rows}
    assert all(name.removeprefix(report.total.division_name or "") in html for name in townships)
    assert "测试街道甲" in html and "测试镇乙" in html
    assert html.count("<svg") >= len(report.total.rates)  # a chart per rate, plus the trend lines
    assert campaign.name in html and QUARTER in html
    co = client.reports.comanagement()  # beside the rates: each side's registrations, the gap, 漏管 and its target
    assert f"差额（流出−流入）{co.total.gap} 人；漏管 {co.total.unmanaged} 人（目标 ≤ 500" in html
    assert all(c.name in html for c in client.reports.quality().checks)
    assert "<script" not in html and "src=" not in html and "http" not in html  # self-contained


def test_quality_list_persons_and_fix(run: Run, client: flowpop.Client, db_url: str) -> None:
    people = [client.persons.create(**person_fields()) for _ in range(2)]
    engine = create_engine(normalize_url(db_url))
    with engine.begin() as conn:  # a legacy 15-digit number, as old imports left it
        conn.execute(text("UPDATE persons SET id_number = '360102900506124' WHERE id = :id"), {"id": people[1].id})
        reindex_id_numbers(conn)
    engine.dispose()
    checks = {c["key"]: c for c in jsonout(run("quality", "--format", "json"))}
    assert checks["id_15_digits"]["count"] == 1 and checks["id_15_digits"]["fixable"] == "upgrade_id15"
    assert "15位旧身份证号" in run("quality").stdout
    assert [p["id"] for p in jsonout(run("quality", "--persons", "id_15_digits", "--json"))] == [people[1].id]

    fix = jsonout(run("quality", "--fix", "id_15_digits", "--json"))
    assert (fix["operation"], fix["total"]) == ("upgrade_id15", 1)
    run("bulk", "apply", fix["id"], "--yes")
    assert {c["key"]: c["count"] for c in jsonout(run("quality", "--json"))}["id_15_digits"] == 0
    assert client.persons.get(people[1].id, reveal=True).id_number == "360102199005061242"
    run("quality", "--fix", "bad_phone", code=4)  # no automatic fix for that one


# ------------------------------------------------------------------------------------ certificates, 引用建档


def test_certificates(run: Run, client: flowpop.Client) -> None:
    p = client.persons.create(**person_fields())
    run("persons", "add-certificate", str(p.id), "--number", "闽婚育001", "--issued-by", tree.COUNTY_DONGHU,
        "--verified-on", TODAY.isoformat())
    listed = jsonout(run("persons", "certificates", str(p.id), "--format", "json"))
    assert [(c["number"], c["verified_on"]) for c in listed] == [("闽婚育001", TODAY.isoformat())]
    assert "闽婚育001" in run("persons", "certificates", str(p.id)).stdout
    run("persons", "add-certificate", "999999", "--number", "x", code=3)


def test_inbox_register_from_an_unmatched_request(run: Run, client: flowpop.Client, as_user) -> None:
    a = as_user("township_operator", tree.TOWNSHIP_A)
    d = as_user("township_operator", tree.TOWNSHIP_D)
    fields = person_fields(household_code=tree.VILLAGE_D1, name="外来王")
    req = d.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_A,
                       subject={"id_number": fields["id_number"], "name": fields["name"]}, items={"verify": ["在住"]})
    wrong = new_id_number()
    assert "不符" in run("inbox", "register", str(req.id), "--id-number", wrong, "--household", tree.VILLAGE_D1,
                         code=4, user=a).stderr
    shown = run("inbox", "register", str(req.id), "--id-number", fields["id_number"], "--household", tree.VILLAGE_D1,
                "--residence", tree.VILLAGE_A1, "--arrived", TODAY.isoformat(), "--reason", "务工", "--format", "json",
                user=a)
    person = jsonout(shown)
    assert person["name"] == "外来王"  # taken from the message
    m = a.inbox.get(req.id)
    assert m.matched_person_id == person["id"] and m.status == "matched"
    assert client.persons.get(person["id"]).stays[0].residence_code == tree.VILLAGE_A1
