"""The `flowpop` command line, run in-process with click's CliRunner against a real registry."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from wcwidth import wcswidth

import flowpop
from flowpop.labels import title
from flowpop.rules import idnumber
from flowpop.rules.divisions_source import DivisionRow, write_csv
from flowpop_cli.output import table
from tests import tree
from tests.cli.runner import Run, invoke, jsonout
from tests.conftest import new_id_number, person_fields

# ------------------------------------------------------------------------------------ setup


def test_init_creates_a_registry_and_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "new" / "registry.db"
    invoke(["--db", str(db), "init"])
    with flowpop.Client(db=str(db)) as c:
        counties = len(c.divisions.list(level="county", limit=5000))
        assert c.divisions.get("350404").name == "三元区"
    assert counties > 2000

    own = tmp_path / "towns.csv"
    own.write_text(write_csv([DivisionRow("350404777000", "自编街道", "township", "350404000000")]), encoding="utf-8")
    second = invoke(["--db", str(db), "init", "--divisions", str(own)])
    assert "新增 1 条" in second.stdout
    with flowpop.Client(db=str(db)) as c:
        assert c.divisions.get("350404777000").name == "自编街道"
        assert len(c.divisions.list(level="county", limit=5000)) == counties


def test_demo_builds_and_refuses_to_mix(tmp_path: Path) -> None:
    pytest.importorskip("flowpop.demo.build")
    db = str(tmp_path / "demo.db")
    summary = json.loads(invoke(["--db", db, "demo", "--size", "150", "--seed", "3", "--json"]).stdout)
    with flowpop.Client(db=db) as c:
        assert len(list(c.persons.list(limit=500))) == summary["persons"] == 150
    refused = invoke(["--db", db, "demo", "--size", "10"], code=5)
    assert "--replace" in refused.stderr
    text = invoke(["--db", db, "demo", "--size", "20", "--replace"]).stdout
    assert "人员: 20" in text


def test_serve_factory_requires_tokens(db_url: str, client: flowpop.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from flowpop._embedded import EmbeddedTransport
    from flowpop_cli import asgi

    monkeypatch.setenv("FLOWPOP_DB", db_url)
    app = asgi.create()
    client.users.create(username="srv_op", role="township_operator", jurisdiction_code=tree.TOWNSHIP_A)
    secret = client.tokens.create(username="srv_op").token
    with (flowpop.Client(url="http://flowpop.test", transport=EmbeddedTransport(app), max_retries=0) as anon,
          pytest.raises(flowpop.AuthenticationError)):
        anon.me()
    with flowpop.Client(url="http://flowpop.test", token=secret, transport=EmbeddedTransport(app)) as op:
        assert op.me().username == "srv_op"


def test_shell_completion_script() -> None:
    result = invoke([], env={"_FLOWPOP_COMPLETE": "bash_source"})
    assert "_flowpop_completion" in result.stdout


# ------------------------------------------------------------------------------------ persons


def test_person_round_trip(run: Run, client: flowpop.Client) -> None:
    number = new_id_number(sex="F")
    added = run("persons", "add", "--id-number", number, "--name", "王秀英", "--household", "360102",
                "--marital", "初婚", "--residence", tree.VILLAGE_A1, "--arrived", "2026-03-01", "--reason", "务工",
                "--format", "json")
    person_id = jsonout(added)["id"]
    p = client.persons.get(person_id)
    assert (p.name, p.marital_status, p.stays[0].reason) == ("王秀英", "first_marriage", "work")

    listed = run("persons", "list").stdout
    assert "王秀英" in listed and "在册" in listed
    shown = run("persons", "show", str(person_id)).stdout
    assert "居住记录" in shown and "测试街道甲甲一社区" in shown and "变更历史" in shown

    run("persons", "edit", str(person_id), "--set", "phone=13800138000", "--set", "婚姻状况=离婚", "--reason", "核实")
    p = client.persons.get(person_id)
    assert (p.phone, p.marital_status, p.version) == ("13800138000", "divorced", 2)

    run("persons", "deregister", str(person_id), "--reason", "返乡")
    assert client.persons.get(person_id).status == "deregistered"
    restored = run("persons", "restore", str(person_id), "--reason", "误注销", "--yes")
    assert "在册" in restored.stdout
    assert client.persons.get(person_id).status == "active"

    history = jsonout(run("persons", "history", str(person_id), "--json"))
    actions = [h["action"] for h in history if h["entity"] == "person"]
    assert actions == [h.action for h in client.persons.history(person_id) if h.entity == "person"]
    assert {"create", "update", "deregister", "restore"} <= set(actions)
    update = next(h for h in history if h["action"] == "update")
    assert update["reason"] == "核实"


def test_add_from_json_on_stdin(run: Run, client: flowpop.Client) -> None:
    fields = person_fields(name="刘洋")
    result = run("persons", "add", "--json", "-", "--phone", "13900139000", "--format", "json",
                 input=json.dumps(fields, ensure_ascii=False))
    p = client.persons.get(jsonout(result)["id"])
    assert (p.name, p.phone, p.stays[0].residence_code) == ("刘洋", "13900139000", tree.VILLAGE_A1)


def test_formats_parse_back(run: Run, client: flowpop.Client, make_person: Callable[..., Any]) -> None:
    made = [make_person(name=n) for n in ("赵敏", "周芷若", "小昭")]
    expected = [p.id for p in client.persons.list()]
    assert sorted(expected) == sorted(p.id for p in made)

    as_json = jsonout(run("persons", "list", "--format", "json"))
    assert [r["id"] for r in as_json] == expected
    assert jsonout(run("persons", "list", "--json")) == as_json
    lines = run("persons", "list", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line)["id"] for line in lines] == expected
    rows = list(csv.DictReader(io.StringIO(run("persons", "list", "--format", "csv").stdout.lstrip("\ufeff"))))
    assert [int(r["编号"]) for r in rows] == expected  # the export's CSV: titles, labels, BOM
    assert [r["姓名"] for r in rows] == [r["name"] for r in as_json]
    assert set(rows[0]) == {title(k, "zh") for k in as_json[0]}

    limited = run("persons", "list", "--limit", "2", "--json")
    assert [r["id"] for r in jsonout(limited)] == expected[:2]
    assert "--all" in limited.stderr
    shown = jsonout(run("persons", "show", str(made[0].id), "--json"))
    assert shown["name"] == "赵敏" and shown["stays"] and shown["history"]


def test_ids_masked_unless_revealed_and_reveals_logged(run: Run, client: flowpop.Client, make_person) -> None:
    p = make_person()
    seen = client.persons.get(p.id, reveal=True)
    full, born = seen.id_number, seen.birth_date.isoformat()  # type: ignore[union-attr]
    client_log = len(client.audit.access_log())

    masked = run("persons", "list").stdout
    assert idnumber.mask(full) in masked and full not in masked
    assert "出生年份" in masked and "年龄" not in masked  # the birth year, not the age that moves on the birthday
    assert len(client.audit.access_log()) == client_log

    revealed = run("persons", "list", "--reveal").stdout
    assert full in revealed and "年龄" in revealed and "出生年份" not in revealed
    log = client.audit.access_log()
    assert len(log) == client_log + 1
    assert log[0].action == "reveal" and p.id in log[0].entity_ids

    shown = run("persons", "show", str(p.id), "--reveal").stdout
    assert full in shown and born in shown and ["年龄", str(seen.age)] in [line.split() for line in shown.splitlines()]
    shown = run("persons", "show", str(p.id)).stdout
    assert full not in shown and born not in shown and "年龄" not in shown and str(seen.birth_year) in shown


@pytest.mark.parametrize("query", ["zsf", "zhangsanfeng", "张三"])
def test_pinyin_query(run: Run, make_person, query: str) -> None:
    wanted = make_person(name="张三丰")
    make_person(name="李四")
    assert [r["id"] for r in jsonout(run("persons", "list", query, "--json"))] == [wanted.id]


def test_exit_codes(run: Run, client: flowpop.Client) -> None:
    bad = new_id_number()
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")  # wrong check character
    result = run("persons", "add", "--id-number", bad, "--name", "错号", "--household", "360102", code=4)
    assert "id_number" in result.stderr and "错误" in result.stderr
    assert run("persons", "show", "987654", code=3).stderr
    missing = run("persons", "add", "--name", "无号", code=2)
    assert "--id-number" in missing.stderr and "--household" in missing.stderr
    assert "无号" not in [p.name for p in client.persons.list()]


def test_version_conflict_exits_5(run: Run, client: flowpop.Client, make_person) -> None:
    p = make_person()
    read_version = client.persons.get(p.id).version
    client.persons.update(p.id, version=read_version, note="someone else")  # between our read and our write
    result = run("persons", "edit", str(p.id), "--set", "phone=13800138000", "--version", str(read_version), code=5)
    now = client.persons.get(p.id)
    assert now.phone is None and now.note == "someone else"
    assert str(now.version) in result.stderr


def test_english_output(run: Run, make_person) -> None:
    make_person(name="王秀英", marital_status="first_marriage")
    text = run("--lang", "en", "persons", "list").stdout
    assert "Name" in text and "ID number" in text and "married woman" in text
    assert "姓名" not in text and "已婚女性" not in text
    err = run("--lang", "en", "persons", "show", "987654", code=3).stderr
    assert err.startswith("Error:") and "错误" not in err
    assert os.environ.get("FLOWPOP_LANG") is None  # the option lasts one invocation
    assert "姓名" in run("persons", "list").stdout


def test_users_and_tokens_act_within_jurisdiction(run: Run, db_url: str, make_person) -> None:
    inside = make_person(stay={"residence_code": tree.VILLAGE_A1, "reason": "work", "arrived_on": "2026-03-01"})
    outside = make_person(stay={"residence_code": tree.VILLAGE_D1, "reason": "work", "arrived_on": "2026-03-01"})

    run("users", "add", "op_a", "--role", "乡镇信息员", "--jurisdiction", tree.TOWNSHIP_A, "--name", "小李")
    users = {u["username"]: u for u in jsonout(run("users", "list", "--json"))}
    assert users["op_a"]["role"] == "township_operator"
    assert users["op_a"]["jurisdiction_code"] == tree.TOWNSHIP_A

    created = run("tokens", "create", "op_a", "--name", "laptop")
    secret = created.stdout.strip()
    assert secret and "不会再次显示" in created.stderr
    assert secret not in run("tokens", "list").stdout

    as_op = ["--token", secret]
    assert jsonout(run(*as_op, "me", "--json"))["username"] == "op_a"
    seen = [r["id"] for r in jsonout(run(*as_op, "persons", "list", "--json"))]
    assert inside.id in seen and outside.id not in seen
    run(*as_op, "persons", "show", str(outside.id), code=3)
    run(*as_op, "users", "add", "op_b", "--role", "admin", code=6)

    token_id = next(t["id"] for t in jsonout(run("tokens", "list", "--json")) if t["username"] == "op_a")
    run("tokens", "revoke", str(token_id))
    run(*as_op, "me", code=6)


def test_stays_commands(run: Run, client: flowpop.Client) -> None:
    p = client.persons.create(**person_fields(stay=None))
    added = jsonout(run("stays", "add", str(p.id), "--residence", tree.VILLAGE_B1, "--arrived", "2026-04-02",
                        "--reason", "经商", "--format", "json"))
    assert (added["reason"], added["residence_code"]) == ("business", tree.VILLAGE_B1)
    assert [s["id"] for s in jsonout(run("stays", "list", str(p.id), "--json"))] == [added["id"]]
    run("stays", "edit", str(added["id"]), "--set", "room=301", "--set", "occupation=厨师")
    assert client.stays.get(added["id"]).room == "301"
    run("stays", "close", str(added["id"]), "--reason", "返乡", "--yes")
    assert client.stays.get(added["id"]).status == "closed"
    assert "已结束" in run("stays", "list", str(p.id)).stdout


def test_divisions_commands(run: Run, client: flowpop.Client, tmp_path: Path) -> None:
    children = jsonout(run("divisions", "list", "--parent", tree.TOWNSHIP_A, "--json"))
    assert {d["code"] for d in children} == {tree.VILLAGE_A1, tree.VILLAGE_A2}
    assert "测试街道甲" in run("divisions", "show", tree.TOWNSHIP_A).stdout
    own = tmp_path / "v.csv"
    own.write_bytes(write_csv([DivisionRow("350404002009", "乙九村", "village", tree.TOWNSHIP_B)]).encode("gb18030"))
    assert "新增 1 条" in run("divisions", "load", str(own)).stdout
    assert client.divisions.get("350404002009").name == "乙九村"
    broken = tmp_path / "broken.csv"
    broken.write_text("nothing,useful\n1,2\n", encoding="utf-8")
    run("divisions", "load", str(broken), code=4)


# ------------------------------------------------------------------------------------ tables


def display_offset(line: str, value: str) -> int:
    return wcswidth(line[: line.index(value)])


@pytest.mark.parametrize(("lang", "header"), [("zh", "姓名"), ("en", "Name")])
def test_tables_align_chinese(run: Run, make_person, lang: str, header: str) -> None:
    names = ["张三丰", "欧阳娜娜", "Li Lei", "王五"]
    for name in names:
        make_person(name=name)
    lines = run("--lang", lang, "persons", "list").stdout.splitlines()
    assert len(lines) == 2 + len(names)
    assert len({wcswidth(line) for line in lines}) == 1, lines
    column = display_offset(lines[0], header)
    for line, name in zip(lines[2:], reversed(names), strict=True):
        assert display_offset(line, name) == column


def test_a_table_fits_its_width_by_shortening_the_flexible_column() -> None:
    place = "福建省三明市三元区测试街道甲甲一社区"
    fitted = table([["1", "张三丰", place]], ["编号", "姓名", "现居住地"], max_width=30, flex=[None, None, "end"])
    widths = {wcswidth(line) for line in fitted.splitlines()}
    assert len(widths) == 1 and widths.pop() <= 30
    assert "甲一社区" in fitted and place not in fitted
