"""`flowpop inbox …`, `flowpop stays transfer` and `flowpop persons services` against a real registry, as the
users of two townships in different counties."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import flowpop
from flowpop.rules import idnumber
from tests import tree
from tests.cli.runner import Run, jsonout
from tests.conftest import person_fields


def test_inflow_and_services_reach_the_household_township(run: Run, client: flowpop.Client, townships,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    a, d = townships
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    full = client.persons.get(p.id, reveal=True).id_number

    listed = jsonout(run("inbox", "list", "--json", user=d))
    assert [(m["kind"], m["topic"], m["subject"]["name"], m["matched_person_id"]) for m in listed] == [
        ("notification", "stay_registered", p.name, p.id)]
    assert jsonout(run("inbox", "list", "--json", user=a)) == []
    assert [m["id"] for m in jsonout(run("inbox", "list", "--box", "out", "--json", user=a))] == [listed[0]["id"]]

    table = run("inbox", "list", user=d).stdout
    assert "通报" in table and "流动登记" in table and p.name in table and "测试街道甲" in table
    assert idnumber.mask(full) in table and full not in table
    english = run("--lang", "en", "inbox", "list", user=d).stdout
    assert "notification" in english and "Due" in english and "通报" not in english

    summary = jsonout(run("inbox", "--json", user=d))
    assert summary == d.inbox.summary().model_dump(mode="json") and summary["by_kind"] == {"notification": 1}
    assert "收件箱今日概况" in run("inbox", user=d).stdout

    # past the deadline it is marked overdue, and the household side answers for it
    monkeypatch.setenv("FLOWPOP_TODAY", (dt.date.fromisoformat(listed[0]["due_on"]) + dt.timedelta(days=1)).isoformat())
    overdue = run("inbox", "list", "--overdue", user=d).stdout
    assert "逾期" in overdue and p.name in overdue
    shown = run("inbox", "show", str(listed[0]["id"]), user=d).stdout
    assert "责任方为户籍地" in shown and "测试街道丁" in shown
    monkeypatch.delenv("FLOWPOP_TODAY")

    # a service to the key target is told to the household side too
    today = dt.date.today().isoformat()
    run("persons", "add-service", str(p.id), "--kind", "孕环情检查", "--date", today, user=a)
    services = jsonout(run("persons", "services", str(p.id), "--json", user=a))
    assert [(s["kind"], s["provided_on"]) for s in services] == [("checkup", today)]
    assert "孕环情检查" in run("persons", "services", str(p.id), user=a).stdout
    topics = sorted(m["topic"] for m in jsonout(run("inbox", "list", "--json", user=d)))
    assert topics == ["service_provided", "stay_registered"]


def test_ack_every_open_notification(run: Run, townships) -> None:
    a, d = townships
    made = [a.persons.create(**person_fields(household_code=tree.VILLAGE_D1)) for _ in range(3)]
    result = run("inbox", "ack", "987654", "--all-notifications", "--yes", user=d)
    assert "已接收 3 条" in result.stdout and "跳过 1 条" in result.stdout and "987654" in result.stdout
    notes = list(d.inbox.list(status="all", kind="notification"))
    assert sorted(m.subject["name"] for m in notes) == sorted(p.name for p in made)
    assert {m.status for m in notes} == {"closed"}
    assert jsonout(run("inbox", "list", "--json", user=d)) == []
    again = jsonout(run("inbox", "ack", "--all-notifications", "--format", "json", user=d))
    assert again == {"done": 0, "skipped": []}
    run("inbox", "ack", user=d, code=2)


def test_request_and_reply_round_trip(run: Run, townships, tmp_path: Path) -> None:
    a, d = townships
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    sent = jsonout(run("inbox", "send", "--kind", "协查", "--to", tree.TOWNSHIP_A, "--person", str(p.id),
                       "--item", "verify=现居住地址", "--item", "verify=婚育情况", "--format", "json", user=d))
    assert (sent["kind"], sent["items"]) == ("assist_request", {"verify": ["现居住地址", "婚育情况"]})
    run("inbox", "send", "--kind", "协查", "--to", tree.TOWNSHIP_A, "--person", str(p.id), "--name", "x", user=d, code=2)
    mid = str(sent["id"])

    assert [m["id"] for m in jsonout(run("inbox", "list", "--type", "assist_request", "--json", user=a))] == [sent["id"]]
    shown = run("inbox", "show", mid, user=a).stdout
    assert p.name in shown and "现居住地址、婚育情况" in shown and "测试街道丁" in shown
    sheet = tmp_path / "sheet.html"
    run("inbox", "sheet", mid, "-o", str(sheet), user=a)
    assert "流动人口信息核实表" in sheet.read_text(encoding="utf-8")

    stale = a.inbox.get(sent["id"]).version
    run("inbox", "read", mid, user=a)
    run("inbox", "match", mid, str(p.id), "--version", str(stale), user=a, code=5)  # someone moved it on since
    run("inbox", "match", mid, str(p.id), user=a)
    run("inbox", "reply", mid, "--fact", "现居住地址=属实", "--text", "已入户核实", "--set", "phone=13800138000", user=a)
    assert a.persons.get(p.id).phone == "13800138000"
    assert a.inbox.get(sent["id"]).status == "answered"

    replies = jsonout(run("inbox", "list", "--type", "assist_reply", "--json", user=d))
    assert [(r["items"], r["text"]) for r in replies] == [({"现居住地址": "属实"}, "已入户核实")]
    run("inbox", "close", str(replies[0]["id"]), user=d)
    assert {m.kind: m.status for m in d.inbox.get(sent["id"]).thread} == {"assist_request": "closed",
                                                                          "assist_reply": "closed"}
    figures = jsonout(run("inbox", "figures", "--json", user=a))
    assert figures == [f.model_dump(mode="json") for f in a.inbox.figures()]
    assert next(f for f in figures if f["division_code"] == tree.TOWNSHIP_A)["answered_on_time"] == 1


def test_transfer_moves_the_stay_once_accepted(run: Run, client: flowpop.Client, as_user) -> None:
    a = as_user("township_operator", tree.TOWNSHIP_A)
    b = as_user("township_operator", tree.TOWNSHIP_B)
    p = a.persons.create(**person_fields())
    stay = p.stays[0]
    sent = jsonout(run("stays", "transfer", str(stay.id), "--to", tree.VILLAGE_B1, "--reason", "搬迁至乙镇",
                       "--format", "json", user=a))
    assert client.stays.get(stay.id).residence_code == tree.VILLAGE_A1  # nothing moves before acceptance
    assert [m["id"] for m in jsonout(run("inbox", "list", "--type", "transfer", "--json", user=b))] == [sent["id"]]
    run("inbox", "refuse", str(sent["id"]), user=b, code=2)  # a refusal needs --reason
    accepted = run("inbox", "accept", str(sent["id"]), user=b)
    assert "已接收移交" in accepted.stderr
    assert client.stays.get(stay.id).residence_code == tree.VILLAGE_B1
    topics = [m["topic"] for m in jsonout(run("inbox", "list", "--type", "notification", "--json", user=a))]
    assert topics == ["transfer_accepted"]


def test_export_and_import_twice(run: Run, client: flowpop.Client, tmp_path: Path) -> None:
    p = client.persons.create(**person_fields(household_code="510104000000"))  # 成都: outside this registry
    assert jsonout(run("inbox", "--json"))["outbox_unsent"] == 1
    batch = tmp_path / "out.jsonl"
    assert "已导出 1 条" in run("inbox", "export", "-o", str(batch)).stderr
    text = batch.read_text(encoding="utf-8")
    assert text.count("\n") == 1 and p.name in text
    again = run("inbox", "export")
    assert again.stdout == "" and "没有待导出" in again.stderr

    incoming = text.replace('"addressee_code": "510104000000"', f'"addressee_code": "{tree.TOWNSHIP_A}"')
    incoming = incoming.replace('"uid": "', '"uid": "ext-')
    with_bad = tmp_path / "in.jsonl"
    with_bad.write_text(incoming + "not json\n", encoding="utf-8")
    first = run("inbox", "import", str(with_bad), code=4)
    assert "新增 1 条" in first.stdout and "第 2 行" in first.stdout and "1 行被拒收" in first.stderr
    second = jsonout(run("inbox", "import", "-", "--format", "json", input=incoming))
    assert (second["inserted"], second["skipped"], second["rejected"]) == (0, 1, [])
    arrived = [m for m in client.inbox.list() if m.uid.startswith("ext-")]
    assert len(arrived) == 1 and arrived[0].matched_person_id == p.id

