"""Houses, landlords and employers (以房管人) through the SDK."""

from __future__ import annotations

import datetime as dt

import pytest

import flowpop
from flowpop.rules import housecode
from tests import tree
from tests.conftest import person_fields
from tests.records import credit_code, new_house

TODAY = dt.date.today()


def test_house_codes_are_generated_and_checked(client) -> None:
    first, second = new_house(client), new_house(client, address="新市北路14号")
    assert housecode.check(first.code)[1] is None and first.code.startswith(tree.VILLAGE_A1)
    assert int(second.code[12:17]) == int(first.code[12:17]) + 1
    bad = first.code[:-1] + ("0" if first.code[-1] != "0" else "1")
    with pytest.raises(flowpop.ValidationError) as exc:
        new_house(client, code=bad)
    assert exc.value.errors[0].field == "code"
    other_village = housecode.make(tree.VILLAGE_A2, 7)
    with pytest.raises(flowpop.ValidationError) as exc2:
        new_house(client, code=other_village)
    assert exc2.value.errors[0].code == "house_code_village"
    with pytest.raises(flowpop.ConflictError):
        new_house(client, code=first.code)


def test_rooms_show_residents_and_household_members(client) -> None:
    h = new_house(client, capacity=None)
    tenant = client.persons.create(**person_fields(stay={"residence_code": tree.VILLAGE_A1, "reason": "work",
                                                         "arrived_on": "2026-03-01", "house_code": h.code, "room": "201"}))
    # a local resident registered at this house, now living elsewhere (outflow to 东湖区)
    local = client.persons.create(**person_fields(household_code=tree.VILLAGE_A1, household_house_code=h.code,
                                                  household_room="101", region="350404",
                                                  stay={"residence_code": tree.VILLAGE_D1, "reason": "work",
                                                        "arrived_on": "2025-06-01"}))
    view = client.houses.get(h.code)
    rooms = {r.room: r for r in view.rooms}
    assert [o.person_id for o in rooms["201"].living] == [tenant.id]
    assert not rooms["201"].living[0].registered_here
    member = rooms["101"].household_members[0]
    assert member.person_id == local.id and "东湖区" in (member.where_now or "")
    assert view.house.occupants == 1


def test_capacity_is_a_clear_conflict_with_an_override(client) -> None:
    h = new_house(client, capacity=1)
    stay = {"residence_code": tree.VILLAGE_A1, "reason": "work", "arrived_on": "2026-03-01", "house_code": h.code}
    client.persons.create(**person_fields(stay=stay))
    before = sum(1 for _ in client.persons.list())
    with pytest.raises(flowpop.ConflictError) as exc:
        client.persons.create(**person_fields(stay=stay))
    assert exc.value.code == "house_over_capacity"
    assert sum(1 for _ in client.persons.list()) == before  # nothing half-written
    client.persons.create(**person_fields(stay={**stay, "over_capacity_ok": True}))
    assert [x.code for x in client.houses.list(over_capacity=True)] == [h.code]


def test_tenant_in_a_house_outside_ones_jurisdiction(client, as_user) -> None:
    h = new_house(client)
    d = as_user("township_operator", tree.TOWNSHIP_D)
    with pytest.raises(flowpop.ValidationError) as exc:
        d.persons.create(**person_fields(household_code=tree.VILLAGE_D1,
                                         stay={"residence_code": tree.VILLAGE_A1, "reason": "work",
                                               "arrived_on": "2026-03-01", "house_code": h.code}))
    assert {(e.field, e.code) for e in exc.value.errors} == {("stay.house_code", "outside_jurisdiction")}
    with pytest.raises(flowpop.NotFoundError):
        d.houses.get(h.code)


def test_late_and_missing_declarations_with_penalty(client) -> None:
    h = new_house(client, capacity=None)
    arrived = TODAY - dt.timedelta(days=30)
    stays = []
    for _ in range(3):
        p = client.persons.create(**person_fields(stay={"residence_code": tree.VILLAGE_A1, "reason": "work",
                                                        "arrived_on": arrived.isoformat(), "house_code": h.code}))
        stays.append(p.stays[0])
    due = stays[0].declare_due_on
    assert due is not None and due > arrived
    client.houses.declare(h.code, stay_id=stays[0].id, declared_on=due.isoformat())  # on time
    client.houses.declare(h.code, stay_id=stays[1].id, declared_on=(due + dt.timedelta(days=5)).isoformat())  # late
    late = {x.stay_id: x for x in client.houses.late_declarations(division=tree.TOWNSHIP_A)}
    assert set(late) == {stays[1].id, stays[2].id}
    assert (late[stays[1].id].state, late[stays[1].id].penalty_yuan) == ("late", 0)
    assert (late[stays[2].id].state, late[stays[2].id].penalty_yuan) == ("missing", 200)
    text = client.houses.notice(h.code)
    assert "陈建国" in text and "200" in text and "未申报" in text
    with pytest.raises(flowpop.ConflictError):
        client.houses.declare(h.code, stay_id=stays[0].id, declared_on=due.isoformat())


def test_search_houses_and_vacant_rentals(client) -> None:
    empty = new_house(client, address="东安新村3幢", landlord_name="林秀兰")
    new_house(client, use="own", address="东安新村5幢", landlord_name=None)
    assert [x.code for x in client.houses.list(q="东安新村3")] == [empty.code]
    assert [x.code for x in client.houses.list(q="林秀")] == [empty.code]
    assert [x.code for x in client.houses.list(q=empty.code)] == [empty.code]
    assert empty.code in [x.code for x in client.houses.list(use="rented", vacant=True)]


def test_employers_rosters_and_agreements(client) -> None:
    with pytest.raises(flowpop.ValidationError) as exc:
        client.employers.create(uscc="91350404MA0000001X", name="坏代码公司", division_code=tree.TOWNSHIP_A)
    assert exc.value.errors[0].field == "uscc"
    code = credit_code(1234)
    e = client.employers.create(uscc=code, name="三明测试纺织有限公司", division_code=tree.TOWNSHIP_A)
    stay = {"residence_code": tree.VILLAGE_A1, "reason": "work", "arrived_on": "2026-03-01", "employer_code": code}
    ids = [client.persons.create(**person_fields(stay=stay)).id for _ in range(10)]
    with pytest.raises(flowpop.ValidationError) as exc2:
        client.persons.create(**person_fields(stay={**stay, "employer_code": credit_code(99)}))
    assert exc2.value.errors[0].code == "unknown_employer"
    assert sorted(p.id for p in client.employers.roster(code)) == sorted(ids)
    needing = client.employers.list(needs_agreement=True)
    assert [x.uscc for x in needing] == [code] and needing[0].floating_workers == 10
    client.employers.update(code, version=e.version, agreement_signed_on=TODAY.isoformat())
    assert client.employers.list(needs_agreement=True) == []


def test_import_house_and_employer_lists(client) -> None:
    import csv as _csv
    import io as _io

    out = _io.StringIO()
    w = _csv.writer(out)
    w.writerow(["所在村居", "地址", "房间数", "核定人数", "用途", "管理模式", "房东姓名", "房东身份证号", "房东电话"])
    w.writerow([tree.VILLAGE_A1, "列东街8号", "４", "6", "出租", "散居包片式", "陈建国", "", "13905981234"])
    w.writerow([tree.VILLAGE_A2, "列东街9号", "2", "", "自住", "院区围合式", "", "", ""])
    w.writerow(["999999999999", "无名地址", "1", "", "出租", "旅业式", "", "", "12"])  # unknown village, bad phone
    data = out.getvalue().encode("gb18030")
    refused = client.houses.import_file(data, filename="houses.csv")
    assert not refused.applied and refused.rejected == 1
    assert {(p.line, p.column) for p in refused.problems} >= {(4, "division_code")}
    assert client.houses.list(q="列东街") == []  # nothing half-imported
    done = client.houses.import_file(data, filename="houses.csv", skip_bad=True)
    assert done.applied and done.inserted == 2
    got = {h.address: h for h in client.houses.list(q="列东街")}
    assert got["列东街8号"].rooms == 4 and got["列东街8号"].mode == "scattered" and got["列东街9号"].use == "own"
    out = _io.StringIO()
    w = _csv.writer(out)
    w.writerow(["统一社会信用代码", "单位名称", "所在区划", "责任书签订日期"])
    w.writerow([credit_code(77), "列东纺织有限公司", tree.TOWNSHIP_A, "2025年3月1日"])
    w.writerow(["91350404MA0000001X", "坏代码公司", tree.TOWNSHIP_A, ""])
    result = client.employers.import_file(out.getvalue().encode("utf-8"), filename="employers.csv", skip_bad=True)
    assert (result.inserted, result.rejected) == (1, 1) and result.problems[0].column == "uscc"
    assert str(client.employers.get(credit_code(77)).agreement_signed_on) == "2025-03-01"
