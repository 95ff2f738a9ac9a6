"""`flowpop houses …` and `flowpop employers …` against a real registry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import flowpop
from tests import tree
from tests.cli.runner import Run, jsonout
from tests.conftest import new_id_number, person_fields
from tests.records import credit_code

TODAY = dt.date.today()


def _tenant(client: flowpop.Client, name: str, code: str, room: str, arrived: dt.date) -> flowpop.types.PersonDetail:
    return client.persons.create(**person_fields(name=name, stay={
        "residence_code": tree.VILLAGE_A1, "reason": "work", "arrived_on": arrived.isoformat(), "house_code": code,
        "room": room}))


def test_houses_rooms_declarations_and_notice(run: Run, client: flowpop.Client, tmp_path: Path) -> None:
    added = jsonout(run("houses", "add", "--division", tree.VILLAGE_A1, "--address", "新市北路12号", "--rooms", "3",
                        "--capacity", "4", "--use", "出租", "--mode", "散居包片式", "--landlord-name", "陈建国",
                        "--landlord-phone", "13905981234", "--format", "json"))
    code = added["code"]
    assert (added["use"], added["mode"], added["rooms"], added["capacity"]) == ("rented", "scattered", 3, 4)
    assert client.houses.get(code).house.landlord_name == "陈建国"

    arrived = TODAY - dt.timedelta(days=30)
    on_time = _tenant(client, "林小红", code, "201", arrived)
    undeclared = _tenant(client, "郑小明", code, "202", arrived)
    local = client.persons.create(**person_fields(
        name="陈家豪", household_code=tree.VILLAGE_A1, household_house_code=code, household_room="101", region="350404",
        stay={"residence_code": tree.VILLAGE_D1, "reason": "work", "arrived_on": "2025-06-01"}))

    shown = run("houses", "show", code).stdout
    assert "在住人员" in shown and "户籍登记在此的人员" in shown
    assert "出生年份" in shown and "年龄" not in shown  # a roster never shows the age, which moves on the birthday
    assert all(name in shown for name in ("林小红", "郑小明", "陈家豪", "东湖区"))
    rooms = {r["room"]: r for r in jsonout(run("houses", "show", code, "--json"))["rooms"]}
    assert [o["person_id"] for o in rooms["201"]["living"]] == [on_time.id]
    assert rooms["201"]["living"][0]["age"] is None
    assert rooms["201"]["living"][0]["birth_year"] == client.persons.get(on_time.id, reveal=True).birth_date.year
    assert [o["person_id"] for o in rooms["101"]["household_members"]] == [local.id]

    stay = on_time.stays[0]
    run("houses", "declare", code, "--stay", str(stay.id), "--date", str(stay.declare_due_on), "--by", "陈建国")
    late = jsonout(run("houses", "late", "--division", tree.TOWNSHIP_A, "--json"))
    assert [(x["stay_id"], x["state"]) for x in late] == [(undeclared.stays[0].id, "missing")]
    assert late == [x.model_dump(mode="json") for x in client.houses.late_declarations(division=tree.TOWNSHIP_A)]
    table = run("houses", "late").stdout
    assert "未申报" in table and f"罚款 {sum(x['penalty_yuan'] for x in late)} 元" in table

    notice = tmp_path / "notice.txt"
    run("houses", "notice", code, "-o", str(notice))
    text = notice.read_text(encoding="utf-8")
    assert "陈建国" in text and "郑小明" in text and "未申报" in text and "林小红" not in text

    assert [h["code"] for h in jsonout(run("houses", "list", "新市北路", "--json"))] == [code]
    assert code not in [h["code"] for h in jsonout(run("houses", "list", "--vacant", "--json"))]
    run("houses", "edit", code, "--set", "capacity=1", "--set", "房屋用途=集体宿舍", "--reason", "核查")
    house = client.houses.get(code).house
    assert (house.capacity, house.use) == (1, "dormitory")
    assert [h["code"] for h in jsonout(run("houses", "list", "--over-capacity", "--json"))] == [code]

    # pages past the limit
    codes = sorted([code, *(client.houses.create(division_code=tree.VILLAGE_A1, address=f"东安新村{i}幢", use="own",
                                                 mode="compound").code for i in range(2))])
    first = run("houses", "list", "--limit", "2", "--json")
    assert [h["code"] for h in jsonout(first)] == codes[:2] and "--all" in first.stderr
    assert [h["code"] for h in jsonout(run("houses", "list", "--all", "--json"))] == codes


def test_employers_and_agreements(run: Run, client: flowpop.Client) -> None:
    bad = run("employers", "add", "--uscc", "91350404MA0000001X", "--name", "坏代码公司", "--division", tree.TOWNSHIP_A,
              code=4)
    assert "uscc" in bad.stderr
    code = credit_code(1234)
    added = jsonout(run("employers", "add", "--uscc", code, "--name", "三明测试纺织有限公司", "--division",
                        tree.TOWNSHIP_A, "--contact-name", "刘伟", "--format", "json"))
    assert (added["uscc"], added["contact_name"]) == (code, "刘伟")

    stay = {"residence_code": tree.VILLAGE_A1, "reason": "work", "arrived_on": "2026-03-01", "employer_code": code}
    ids = [client.persons.create(**person_fields(stay=stay)).id for _ in range(9)]
    by_cli = jsonout(run("persons", "add", "--id-number", new_id_number(), "--name", "吴敏", "--household", "360102",
                         "--residence", tree.VILLAGE_A1, "--arrived", "2026-03-01", "--reason", "务工",
                         "--employer-code", code, "--format", "json"))
    ids.append(by_cli["id"])

    needing = jsonout(run("employers", "list", "--needs-agreement", "--json"))
    assert [(e["uscc"], e["floating_workers"]) for e in needing] == [(code, 10)]
    shown = jsonout(run("employers", "show", code, "--json"))
    assert sorted(p["id"] for p in shown["roster"]) == sorted(ids)
    table = run("employers", "show", code).stdout
    assert "流动人员名册" in table and "吴敏" in table and "三明测试纺织有限公司" in table

    run("employers", "edit", code, "--set", f"agreement_signed_on={TODAY.isoformat()}")
    assert client.employers.get(code).agreement_signed_on == TODAY
    assert jsonout(run("employers", "list", "--needs-agreement", "--json")) == []
    assert [e["uscc"] for e in jsonout(run("employers", "list", "纺织", "--json"))] == [code]
