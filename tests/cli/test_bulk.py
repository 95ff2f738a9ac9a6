"""`flowpop bulk …`, `flowpop import`, `flowpop export`, `flowpop backup` / `restore`, run in-process with
click's CliRunner against a real registry (SQLite, or PostgreSQL when FLOWPOP_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook

import flowpop
from flowpop.rules import idnumber
from tests import tree
from tests.cli.runner import Run, invoke, jsonout
from tests.conftest import new_id_number, person_fields
from tests.records import unmarried_people

PG = bool(os.environ.get("FLOWPOP_TEST_DATABASE_URL"))


def _ids_file(tmp_path: Path, ids: list[int]) -> Path:
    path = tmp_path / "ids.txt"
    path.write_text("# 本次核实的记录\n" + "\n".join(str(i) for i in ids) + "\n\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------ bulk


def test_bulk_preview_apply_revert_round_trip(run: Run, client: flowpop.Client, tmp_path: Path) -> None:
    ids = unmarried_people(client, 4)
    ids_file = _ids_file(tmp_path, ids)
    shown = run("bulk", "preview", "set", "--ids", str(ids_file), "--set", "婚姻状况=初婚", "--reason", "婚姻状况核实")
    assert "婚姻状况: 未婚 → 初婚" in shown.stdout and "bulk apply" in shown.stderr
    preview = jsonout(run("bulk", "preview", "set", "--ids", str(ids_file), "--set", "marital=first_marriage",
                          "--reason", "婚姻状况核实", "--json"))
    assert (preview["total"], preview["failing"], preview["status"]) == (4, 0, "planned")
    assert {client.persons.get(i).marital_status for i in ids} == {"unmarried"}  # a preview changes nothing

    applied = run("bulk", "apply", preview["id"], "--yes")
    assert "修改 4 条" in applied.stdout
    people = [client.persons.get(i) for i in ids]
    assert {(p.marital_status, p.category) for p in people} == {("first_marriage", "married_female")}
    listed = {c["id"]: c for c in jsonout(run("bulk", "list", "--format", "json"))}
    assert listed[preview["id"]]["status"] == "applied" and listed[preview["id"]]["applied"] == 4

    run("bulk", "revert", preview["id"], "--yes")
    assert {client.persons.get(i).marital_status for i in ids} == {"unmarried"}
    assert jsonout(run("bulk", "show", preview["id"], "--json"))["status"] == "reverted"


def test_revert_refused_after_a_later_edit_names_the_record(run: Run, client: flowpop.Client) -> None:
    ids = unmarried_people(client, 3)
    client.persons.update(ids[1], version=client.persons.get(ids[1]).version, name="李后改")
    # plan and apply in one go, the record IDs on stdin
    applied = jsonout(run("bulk", "apply", "set", "--ids", "-", "--set", "education=高中/中专", "--reason", "补录",
                          "--yes", "--json", input="\n".join(map(str, ids))))
    assert applied["status"] == "applied" and applied["applied"] == 3
    latest = client.persons.get(ids[1])
    client.persons.update(ids[1], version=latest.version, phone="13900001111")

    refused = run("bulk", "revert", applied["id"], "--yes", code=5)
    assert "李后改" in refused.stdout and str(ids[1]) in refused.stdout
    assert "撤销会覆盖" in refused.stderr
    assert {client.persons.get(i).education for i in ids} == {"senior"}  # nothing reverted


def test_failing_rows_need_skip_failing(run: Run, client: flowpop.Client, tmp_path: Path) -> None:
    ids = unmarried_people(client, 3)
    gone = client.persons.get(ids[0])
    client.persons.deregister(ids[0], version=gone.version, reason="返乡")
    numbers = tmp_path / "numbers.txt"  # ID numbers, as a GB18030 file from an office PC
    numbers.write_bytes("\r\n".join(client.persons.get(i, reveal=True).id_number for i in ids).encode("gb18030"))
    shown = run("bulk", "preview", "set", "--id-numbers", str(numbers), "--set", "phone=13812345678", "--reason", "统一")
    assert "人员不在册" in shown.stdout
    preview_id = next(line.split()[-1] for line in shown.stdout.splitlines() if line.startswith("编号"))
    refused = run("bulk", "apply", preview_id, "--yes", code=5)
    assert "--skip-failing" in refused.stderr
    run("bulk", "apply", preview_id, "--skip-failing", "--yes")
    assert [client.persons.get(i).phone for i in ids] == [None, "13812345678", "13812345678"]


def _import_many(client: flowpop.Client, n: int) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "身份证号", "婚姻状况", "户籍地", "现居住地", "流入日期", "流动原因"])
    for i in range(n):
        writer.writerow([f"批量{i}", new_id_number(), "未婚", tree.COUNTY_DONGHU, tree.VILLAGE_A2, "2025-01-01", "务工"])
    result = client.persons.import_file(out.getvalue().encode("utf-8"), filename="many.csv")
    assert result.inserted == n, result.problems


def test_chunked_apply_resumes_and_completes(run: Run, client: flowpop.Client) -> None:
    _import_many(client, 230)
    selection = ["--filter", f"division={tree.VILLAGE_A2}", "--set", "户口性质=农业户口", "--reason", "户口性质",
                 "--chunk-size", "100"]
    dry = run("bulk", "apply", "set", *selection, "--dry-run")
    assert "选中记录  230" in dry.stdout
    people = list(client.persons.list(division=tree.VILLAGE_A2, limit=500))
    assert len(people) == 230 and {p.hukou_type for p in people} == {None}  # the dry run changed nothing

    preview = jsonout(run("bulk", "preview", "set", *selection, "--json"))
    first = client.changesets.apply(preview["id"], max_chunks=1)  # as if an earlier run stopped after one chunk
    assert (first.status, first.applied) == ("applying", 100)
    edited = max(p.id for p in people)  # someone edits a record of a later chunk in between
    client.persons.update(edited, version=1, hukou_type="non_agricultural")
    done = run("bulk", "apply", preview["id"], "--yes")
    assert "230/230" in done.stderr  # progress per chunk on stderr
    assert "修改 229 条" in done.stdout and "未修改 1 条" in done.stdout
    people = list(client.persons.list(division=tree.VILLAGE_A2, limit=500))
    assert {(p.hukou_type, p.version) for p in people if p.id != edited} == {("agricultural", 2)}  # changed once
    assert client.persons.get(edited).hukou_type == "non_agricultural"  # the later edit is kept


def test_bulk_usage_errors(run: Run, client: flowpop.Client, tmp_path: Path) -> None:
    ids_file = _ids_file(tmp_path, unmarried_people(client, 1))
    run("bulk", "preview", "set", "--set", "phone=13800000000", "--reason", "x", code=2)  # no selection
    run("bulk", "preview", "merge", "--ids", str(ids_file), "--reason", "x", code=2)  # merge needs --keep
    bad = tmp_path / "bad.txt"
    bad.write_text("12\nabc\n", encoding="utf-8")
    refused = run("bulk", "preview", "archive", "--ids", str(bad), "--reason", "x", code=4)
    assert "第 2 行" in refused.stderr
    invalid = run("bulk", "preview", "set", "--ids", str(ids_file), "--set", "phone=12", "--reason", "x", code=4)
    assert "values.phone" in invalid.stderr
    run("bulk", "show", "0" * 32, code=3)


# ------------------------------------------------------------------------------------ import and export

HEADER = ["姓名", "身份证号", "性别", "婚姻状况", "户籍地", "现居住地", "流入日期", "流动原因"]


def _legacy_csv(path: Path, rows: list[list[str]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode("gb18030"))
    return path


def _bad_checksum() -> str:
    good = new_id_number()
    return good[:-1] + ("0" if good[-1] != "0" else "1")


def test_import_gb18030_with_a_bad_row(run: Run, client: flowpop.Client, tmp_path: Path) -> None:
    bad = _bad_checksum()
    assert not idnumber.check(bad).ok
    rows = [
        ["王秀英", new_id_number(), "女", "初婚", "360102", tree.VILLAGE_A1, "2012.3.5", "务工"],
        ["坏号码", bad, "女", "初婚", "360102", tree.VILLAGE_A1, "2012年3月5日", "经商"],
        ["李强", new_id_number(sex="M"), "男", "未婚", "360102", tree.VILLAGE_A1, "20120305", "投亲"],
    ]
    source = _legacy_csv(tmp_path / "旧系统.csv", rows)
    before = sum(1 for _ in client.persons.list())

    refused = run("import", str(source), code=4)
    assert "--skip-bad" in refused.stderr
    assert sum(1 for _ in client.persons.list()) == before  # nothing half-imported
    report = tmp_path / "旧系统.csv.errors.csv"
    raw = report.read_bytes()
    assert raw.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert lines[0] == ["行号", "列", "值", "原因"]
    assert [(r[0], r[1], r[2].lstrip("\t")) for r in lines[1:]] == [("3", "身份证号", bad)]  # the tab keeps it text in Excel
    assert "校验" in lines[1][3]

    errors = tmp_path / "errors.csv"
    done = run("--lang", "en", "import", str(source), "--skip-bad", "--errors", str(errors), "--format", "json")
    result = json.loads(done.stdout)
    assert (result["inserted"], result["rejected"], result["applied"]) == (2, 1, True)
    assert list(csv.reader(io.StringIO(errors.read_text(encoding="utf-8-sig"))))[0] == ["line", "column", "value", "reason"]
    names = {p.name for p in client.persons.list(division=tree.VILLAGE_A1)}
    assert {"王秀英", "李强"} <= names and "坏号码" not in names


def test_import_dry_run_and_mapping(run: Run, client: flowpop.Client, tmp_path: Path) -> None:
    number = new_id_number()
    source = tmp_path / "list.csv"
    source.write_text("名字,证件,户籍所在,居住村居,来本地日期\n赵敏," + number + f",360102,{tree.VILLAGE_A1},2020-01-01\n",
                      encoding="utf-8")
    mapping = tmp_path / "map.csv"
    mapping.write_text("列名,字段\n证件,身份证号\n户籍所在,household_code\n居住村居,现居住地\n", encoding="utf-8")
    dry = run("import", str(source), "--mapping", str(mapping), "--dry-run")
    assert "未写入" in dry.stdout and not list(client.persons.list(q=number))
    run("import", str(source), "--mapping", str(mapping))
    found = list(client.persons.list(q=number))
    assert [p.name for p in found] == ["赵敏"] and str(found[0].arrived_on) == "2020-01-01"
    assert not (tmp_path / "list.csv.errors.csv").exists()  # no problems, no report


def test_export_to_files(run: Run, client: flowpop.Client, make_person, tmp_path: Path) -> None:
    people = [make_person(name=n) for n in ("甲某", "乙某")]
    make_person(name="丙某", stay={"residence_code": tree.VILLAGE_C1, "reason": "work", "arrived_on": "2026-03-01"})

    out_csv = tmp_path / "people.csv"
    done = run("export", "--division", tree.TOWNSHIP_A, "-o", str(out_csv))
    assert "已导出 2 人" in done.stderr and "访问日志" in done.stderr
    raw = out_csv.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert sorted(r["姓名"] for r in rows) == ["乙某", "甲某"]
    assert all("*" in r["身份证号"] for r in rows)
    full = {client.persons.get(p.id, reveal=True).id_number for p in people}
    assert not full & {r["身份证号"] for r in rows}

    out_jsonl = tmp_path / "people.jsonl"
    run("export", "--format", "jsonl", "--division", tree.TOWNSHIP_A, "--reveal", "-o", str(out_jsonl))
    assert {json.loads(line)["id_number"] for line in out_jsonl.read_text(encoding="utf-8").splitlines()} == full

    out_xlsx = tmp_path / "people.xlsx"
    run("export", "--format", "xlsx", "--division", tree.TOWNSHIP_A, "-o", str(out_xlsx))
    sheet = load_workbook(out_xlsx, read_only=True).worksheets[0]
    assert sum(1 for _ in sheet.iter_rows()) == 3
    run("export", "--format", "xlsx", code=2)  # a spreadsheet needs a file

    gb = run("export", "--format", "csv-gb18030", "--division", tree.TOWNSHIP_A).stdout_bytes.decode("gb18030")
    assert "甲某" in gb and "丙某" not in gb
    assert sum(1 for e in client.audit.access_log() if e.action == "export") == 4


# ------------------------------------------------------------------------------------ backup


@pytest.mark.skipif(PG, reason="backups of embedded (SQLite) registries")
def test_backup_then_restore(run: Run, client: flowpop.Client, db_url: str, tmp_path: Path) -> None:
    kept = client.persons.create(**person_fields(name="备份前"))
    copy = tmp_path / "backups" / "registry.bak"
    run("backup", str(copy))
    assert copy.exists()
    later = client.persons.create(**person_fields(name="备份后"))
    client.close()
    run("restore", str(copy), "--yes")
    with flowpop.Client(db=db_url) as again:
        names = {p.name for p in again.persons.list()}
        assert "备份前" in names and "备份后" not in names
        assert again.persons.get(kept.id).name == "备份前"
        with pytest.raises(flowpop.NotFoundError):
            again.persons.get(later.id)
    junk = tmp_path / "junk.bak"
    junk.write_bytes(b"not a registry" * 100)
    assert "不是有效的登记库备份" in run("restore", str(junk), "--yes", code=4).stderr


def test_backup_refuses_postgresql_and_servers(tmp_path: Path) -> None:
    target = str(tmp_path / "x.bak")
    refused = invoke(["--db", "postgresql://postgres@127.0.0.1:1/none", "backup", target], code=4)
    assert "pg_dump" in refused.stderr
    assert "服务" in invoke(["--url", "http://127.0.0.1:1", "restore", __file__, "--yes"], code=4).stderr
    assert not Path(target).exists()
