"""Persons through the SDK: registering, ID-number rules, editing with versions, lifecycle, history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

import flowpop
from flowpop.registry.kernel.registry import today
from flowpop.rules import idnumber
from tests import tree
from tests.conftest import new_id_number, person_fields


def error_keys(exc: pytest.ExceptionInfo[flowpop.APIStatusError]) -> set[tuple[str, str]]:
    return {(e.field, e.code) for e in exc.value.errors}


def number_with_x(region: str = "360102", born: dt.date = dt.date(1988, 8, 8)) -> str:
    """A valid number whose check character is X."""
    return next(n for n in (idnumber.make(region, born, order) for order in range(1000)) if n.endswith("X"))


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


# ------------------------------------------------------------------------------------------ create


def test_create_with_stay(client: flowpop.Client) -> None:
    fields = person_fields(name="李娜")
    p = client.persons.create(**fields)
    assert p.status == "active" and p.version == 1
    assert p.name == "李娜" and p.name_pinyin == "lina"
    assert len(p.stays) == 1
    stay = p.stays[0]
    assert stay.status == "open" and stay.residence_code == tree.VILLAGE_A1
    assert stay.household_code == tree.COUNTY_DONGHU  # defaults to the person's
    assert p.current_stay_id == stay.id
    assert p.residence_code == tree.VILLAGE_A1 and p.arrived_on == dt.date(2026, 3, 1)
    assert p.id_number == idnumber.mask(fields["id_number"]) and not p.id_revealed


def test_create_without_stay(client: flowpop.Client) -> None:
    p = client.persons.create(**person_fields(stay=None))
    assert p.stays == [] and p.current_stay_id is None and p.residence_code is None and p.arrived_on is None
    assert client.persons.get(p.id).stays == []


@pytest.mark.parametrize(("sex", "order", "born"), [("M", 101, dt.date(1979, 2, 28)), ("F", 100, dt.date(2000, 2, 29))])
def test_sex_and_birth_date_follow_the_id_number(client: flowpop.Client, sex: str, order: int, born: dt.date) -> None:
    p = client.persons.create(**person_fields(id_number=idnumber.make("350402", born, order)))
    assert (p.sex, p.birth_date) == (sex, None)  # the birth date leaves only when revealed
    assert client.persons.get(p.id, reveal=True).birth_date == born


def test_given_sex_and_birth_date_that_agree_are_accepted(client: flowpop.Client) -> None:
    number = idnumber.make("360102", dt.date(1991, 12, 31), 7)
    p = client.persons.create(**person_fields(id_number=number, birth_date="1991-12-31"), sex="M")
    assert (p.sex, client.persons.get(p.id, reveal=True).birth_date) == ("M", dt.date(1991, 12, 31))


def test_disagreeing_sex_and_birth_date_are_refused(client: flowpop.Client) -> None:
    number = idnumber.make("360102", dt.date(1991, 12, 31), 7)  # a man
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.create(**person_fields(id_number=number, birth_date="1991-12-30"), sex="F")
    assert exc.value.status_code == 422
    assert error_keys(exc) == {("sex", "sex_mismatch"), ("birth_date", "birth_date_mismatch")}


def test_wrong_check_character(client: flowpop.Client) -> None:
    good = new_id_number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.create(**person_fields(id_number=bad))
    assert ("id_number", "id_checksum") in error_keys(exc)


@pytest.mark.parametrize("date_part", ["19900230", "19901301", "21000101", "18000101"])
def test_impossible_birth_date(client: flowpop.Client, date_part: str) -> None:
    body = "360102" + date_part + "123"
    number = body + idnumber.check_char(body)  # right check character, impossible date
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.create(**person_fields(id_number=number))
    assert ("id_number", "id_birth_date") in error_keys(exc), date_part


@pytest.mark.parametrize("number", ["36010219900101123", "3601021990010112345", "36010219900101A123",
                                    "36010219900101123Y"])
def test_malformed_id_number(client: flowpop.Client, number: str) -> None:
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.create(**person_fields(id_number=number))
    assert {f for f, _ in error_keys(exc)} == {"id_number"}, number


def test_unknown_region_is_only_a_warning(client: flowpop.Client) -> None:
    assert idnumber.region_name("379999") is None
    p = client.persons.create(**person_fields(id_number=idnumber.make("379999", dt.date(1985, 1, 1), 11)))
    assert [(w.code, w.field) for w in p.warnings] == [("id_region_unknown", "id_number")]
    assert p.warnings[0].message and p.warnings[0].message_en
    assert client.persons.get(p.id).warnings == p.warnings


def test_retired_region_is_no_warning(client: flowpop.Client) -> None:
    # 350402 梅列区 was retired in 2021 but births registered there keep the code
    p = client.persons.create(**person_fields(id_number=idnumber.make("350402", dt.date(1985, 1, 1), 11)))
    assert p.warnings == []


def test_fifteen_digit_number_is_upgraded(client: flowpop.Client) -> None:
    full = idnumber.make("360102", dt.date(1965, 7, 4), 35)
    legacy = full[:6] + full[8:17]
    p = client.persons.create(**person_fields(id_number=legacy))
    assert "id_upgraded_15" in {w.code for w in p.warnings}
    revealed = client.persons.get(p.id, reveal=True)
    assert revealed.id_number == full
    assert (p.sex, revealed.birth_date) == ("M", dt.date(1965, 7, 4))


def test_full_width_digits_and_lowercase_x_are_normalised(client: flowpop.Client) -> None:
    number = number_with_x()
    typed = " " + full_width(number[:17]) + "x "
    p = client.persons.create(**person_fields(id_number=typed))
    assert client.persons.get(p.id, reveal=True).id_number == number
    assert p.warnings == []


def test_duplicate_active_id_number(client: flowpop.Client, make_person: Any) -> None:
    first = make_person()
    number = client.persons.get(first.id, reveal=True).id_number
    with pytest.raises(flowpop.ConflictError) as exc:
        client.persons.create(**person_fields(id_number=number.lower()))
    assert exc.value.status_code == 409 and exc.value.code == "duplicate_id_number"
    assert str(first.id) in exc.value.message_en
    # once the first is deregistered the number may be registered again
    client.persons.deregister(first.id, version=first.version, reason="返乡", date=dt.date(2026, 4, 1))
    again = client.persons.create(**person_fields(id_number=number))
    assert again.id != first.id


# ------------------------------------------------------------------------------------------ places and dates


def test_unknown_division(client: flowpop.Client) -> None:
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.create(**person_fields(household_code="350499000000"))
    assert error_keys(exc) == {("household_code", "unknown_division")}
    stay = {"residence_code": "350404009001", "reason": "work", "arrived_on": "2026-03-01"}
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.create(**person_fields(stay=stay))
    assert error_keys(exc) == {("stay.residence_code", "unknown_division")}


@pytest.mark.parametrize("code", [tree.TOWNSHIP_A, tree.COUNTY_SANYUAN, tree.GRID_A1])
def test_residence_must_be_a_village(client: flowpop.Client, code: str) -> None:
    stay = {"residence_code": code, "reason": "work", "arrived_on": "2026-03-01"}
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.create(**person_fields(stay=stay))
    assert error_keys(exc) == {("stay.residence_code", "division_level")}, code


def test_retired_residence_code(client: flowpop.Client) -> None:
    client.divisions.import_rows([
        {"code": "350402001000", "name": "旧街道", "level": "township", "valid_to": 2021},
        {"code": "350402001001", "name": "旧社区", "level": "village", "valid_to": 2021},
    ])
    stay = {"residence_code": "350402001001", "reason": "work", "arrived_on": "2020-03-01"}
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.create(**person_fields(stay=stay))
    assert error_keys(exc) == {("stay.residence_code", "retired_division")}
    # a retired code is still a valid household place (the record may be old)
    p = client.persons.create(**person_fields(household_code="350402001001"))
    assert p.household_code == "350402001001"


@pytest.mark.parametrize(("arrived", "code"), [
    (lambda: today() + dt.timedelta(days=1), "date_in_future"),
    (lambda: dt.date(2000, 5, 31), "before_birth"),
], ids=["date_in_future", "before_birth"])
def test_arrival_in_the_future_or_before_birth(client: flowpop.Client, arrived: Callable[[], dt.date], code: str) -> None:
    number = idnumber.make("360102", dt.date(2000, 6, 1), 20)
    stay = {"residence_code": tree.VILLAGE_A1, "reason": "work", "arrived_on": arrived()}
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.create(**person_fields(id_number=number, stay=stay))
    assert error_keys(exc) == {("stay.arrived_on", code)}


def test_arrival_on_the_birth_date_is_accepted(client: flowpop.Client) -> None:
    number = idnumber.make("360102", dt.date(2000, 6, 1), 20)
    stay = {"residence_code": tree.VILLAGE_A1, "reason": "work", "arrived_on": dt.date(2000, 6, 1)}
    assert client.persons.create(**person_fields(id_number=number, stay=stay)).arrived_on == dt.date(2000, 6, 1)


@pytest.mark.parametrize("phone", ["12345", "2381234567x", "1381234567", "138-1234-56789", "电话"])
def test_phone_refused(client: flowpop.Client, phone: str) -> None:
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.create(**person_fields(phone=phone))
    assert error_keys(exc) == {("phone", "phone_format")}, phone


@pytest.mark.parametrize("phone", ["13812345678", "0598-8234567", "021-12345678"])
def test_phone_accepted(client: flowpop.Client, phone: str) -> None:
    assert client.persons.create(**person_fields(phone=phone)).phone == phone


# ------------------------------------------------------------------------------------------ categories


def _born_years_ago(day: dt.date, years: int, extra_days: int = 0) -> dt.date:
    return day.replace(year=day.year - years) + dt.timedelta(days=extra_days)


CATEGORIES = [
    ("F", "first_marriage", 30, 0, "married_female", True),
    ("F", "remarried", 15, 0, "married_female", True),  # 15 today
    ("F", "divorced", 15, 1, "married_female", False),  # 15 tomorrow
    ("F", "widowed", 50, 1, "married_female", True),  # 50 tomorrow: still 49
    ("F", "first_marriage", 50, 0, "married_female", False),  # 50 today
    ("F", "unmarried", 30, 0, "unmarried_female", False),
    ("F", None, 30, 0, "unmarried_female", False),
    ("M", "first_marriage", 30, 0, "married_male", False),
    ("M", "unmarried", 30, 0, "unmarried_male", False),
]


def test_category_and_key_target(client: flowpop.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWPOP_TODAY", "2026-06-15")
    day = dt.date(2026, 6, 15)
    made = {}
    for order, (sex, marital, years, extra, category, key) in enumerate(CATEGORIES):
        number = idnumber.make("360102", _born_years_ago(day, years, extra), order * 2 + (1 if sex == "M" else 0))
        p = client.persons.create(**person_fields(id_number=number, marital_status=marital, stay=None))
        assert (p.category, p.key_target) == (category, key), CATEGORIES[order]
        made[p.id] = (category, key)
    for category in {c for c, _ in made.values()}:
        for key in (True, False):
            found = {x.id for x in client.persons.list(key_target=key, category=category)}
            assert found == {pid for pid, ck in made.items() if ck == (category, key)}, (category, key)


def test_marriage_changes_category(client: flowpop.Client) -> None:
    p = client.persons.create(**person_fields(marital_status="unmarried", sex="F"))
    assert p.category == "unmarried_female"
    p = client.persons.update(p.id, version=p.version, marital_status="first_marriage")
    assert p.category == "married_female"


# ------------------------------------------------------------------------------------------ updates


def test_update_bumps_version_and_writes_history(client: flowpop.Client, make_person: Any) -> None:
    p = make_person(phone="13812345678")
    updated = client.persons.update(p.id, version=p.version, phone="13900001111", change_reason="本人来电更正")
    assert updated.version == p.version + 1 and updated.phone == "13900001111"
    assert updated.updated_at >= p.updated_at
    entry = client.persons.history(p.id)[0]
    assert (entry.action, entry.username, entry.reason) == ("update", "local", "本人来电更正")
    assert entry.changes == {"phone": ["13812345678", "13900001111"]}


def test_update_that_changes_nothing_keeps_the_version(client: flowpop.Client, make_person: Any) -> None:
    p = make_person(phone="13812345678")
    before = client.persons.history(p.id)
    same = client.persons.update(p.id, version=p.version, phone="13812345678")
    assert same.version == p.version
    assert client.persons.history(p.id) == before


def test_update_id_number_rederives_sex_and_birth_date(client: flowpop.Client, make_person: Any) -> None:
    p = make_person(sex="F")
    number = idnumber.make("360102", dt.date(1970, 3, 3), 99)
    q = client.persons.update(p.id, version=p.version, id_number=number)
    assert (q.sex, q.birth_date, q.category) == ("M", None, "married_male")
    assert client.persons.get(p.id, reveal=True).birth_date == dt.date(1970, 3, 3)


def test_stale_version_writes_nothing(client: flowpop.Client, make_person: Any) -> None:
    p = make_person(phone="13812345678")
    client.persons.update(p.id, version=p.version, note="第一次修改")
    before = client.persons.get(p.id)
    history_before = client.persons.history(p.id)
    with pytest.raises(flowpop.VersionConflictError) as exc:
        client.persons.update(p.id, version=p.version, phone="13900001111", note="旧版本上的修改")
    assert exc.value.status_code == 409 and exc.value.code == "version_conflict"
    assert exc.value.current_version == before.version == p.version + 1
    assert client.persons.get(p.id) == before
    assert client.persons.history(p.id) == history_before


def test_update_to_a_duplicate_id_number(client: flowpop.Client, make_person: Any) -> None:
    a, b = make_person(), make_person()
    number = client.persons.get(a.id, reveal=True).id_number
    with pytest.raises(flowpop.ConflictError) as exc:
        client.persons.update(b.id, version=b.version, id_number=number)
    assert exc.value.code == "duplicate_id_number"
    assert client.persons.get(b.id).version == b.version


def test_required_fields_cannot_be_cleared(client: flowpop.Client, make_person: Any) -> None:
    p = make_person()
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.update(p.id, version=p.version, name=None)
    assert ("name", "required") in error_keys(exc)


# ------------------------------------------------------------------------------------------ lifecycle


def test_deregister_ends_the_open_stay(client: flowpop.Client, make_person: Any) -> None:
    p = make_person()
    day = dt.date(2026, 9, 30)
    d = client.persons.deregister(p.id, version=p.version, reason="返回户籍地", date=day)
    assert d.status == "deregistered" and d.version == p.version + 1
    stay = client.stays.get(p.current_stay_id)
    assert (stay.status, stay.returned_on, stay.end_reason) == ("deregistered", day, "返回户籍地")
    with pytest.raises(flowpop.ConflictError) as exc:
        client.persons.deregister(p.id, version=d.version, reason="again")
    assert exc.value.status_code == 409 and exc.value.code == "person_not_active"


@pytest.mark.parametrize(("day", "code"), [
    (lambda: dt.date(2026, 2, 28), "before_arrival"),
    (lambda: today() + dt.timedelta(days=1), "date_in_future"),
], ids=["before_arrival", "date_in_future"])
def test_deregister_date_rules(client: flowpop.Client, make_person: Any, day: Callable[[], dt.date], code: str) -> None:
    p = make_person()  # arrived 2026-03-01
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.deregister(p.id, version=p.version, reason="离开", date=day())
    assert error_keys(exc) == {("date", code)}
    assert client.persons.get(p.id).status == "active"


def test_deregistered_person_cannot_be_edited(client: flowpop.Client, make_person: Any) -> None:
    p = make_person()
    d = client.persons.deregister(p.id, version=p.version, reason="离开")
    with pytest.raises(flowpop.ConflictError):
        client.persons.update(p.id, version=d.version, note="x")


def test_archive_and_restore_reopen_the_stay(client: flowpop.Client, make_person: Any) -> None:
    p = make_person()
    a = client.persons.archive(p.id, version=p.version, reason="长期失联")
    assert a.status == "archived" and a.stays[0].status == "archived"
    with pytest.raises(flowpop.ConflictError):
        client.persons.archive(p.id, version=a.version, reason="again")
    r = client.persons.restore(p.id, version=a.version, reason="重新找到")
    assert r.status == "active" and r.version == a.version + 1
    assert r.stays[0].status == "open" and r.stays[0].returned_on is None
    with pytest.raises(flowpop.ConflictError) as exc:
        client.persons.restore(p.id, version=r.version, reason="again")
    assert exc.value.code == "person_active"


def test_restore_after_deregister(client: flowpop.Client, make_person: Any) -> None:
    p = make_person()
    d = client.persons.deregister(p.id, version=p.version, reason="离开", date=dt.date(2026, 5, 1))
    r = client.persons.restore(p.id, version=d.version, reason="误注销")
    assert r.status == "active"
    assert (r.stays[0].status, r.stays[0].returned_on, r.stays[0].end_reason) == ("open", None, None)


def test_status_change_with_stale_version(client: flowpop.Client, make_person: Any) -> None:
    p = make_person()
    client.persons.update(p.id, version=p.version, note="changed")
    with pytest.raises(flowpop.VersionConflictError) as exc:
        client.persons.deregister(p.id, version=p.version, reason="离开")
    assert exc.value.current_version == p.version + 1
    assert client.persons.get(p.id).status == "active"
    assert client.stays.get(p.current_stay_id).status == "open"


def test_history_lists_every_change(client: flowpop.Client, make_person: Any) -> None:
    p = make_person()
    v = client.persons.update(p.id, version=p.version, phone="13812345678", change_reason="补录电话").version
    v = client.persons.archive(p.id, version=v, reason="失联").version
    v = client.persons.restore(p.id, version=v, reason="找到").version
    client.persons.deregister(p.id, version=v, reason="返乡", date=dt.date(2026, 10, 1))
    entries = client.persons.history(p.id)
    got = [(h.entity, h.action, h.reason) for h in reversed(entries)]
    assert got == [
        ("person", "create", None),
        ("stay", "create", None),
        ("person", "update", "补录电话"),
        ("person", "archive", "失联"),
        ("stay", "archive", "失联"),
        ("person", "restore", "找到"),
        ("stay", "restore", "找到"),
        ("person", "deregister", "返乡"),
        ("stay", "deregister", "返乡"),
    ]
    assert [h.id for h in entries] == sorted((h.id for h in entries), reverse=True)  # newest first
    assert all(h.username == "local" and h.person_id == p.id for h in entries)
    assert entries[1].changes["status"] == ["active", "deregistered"]
    assert entries[1].changes["date"] == [None, "2026-10-01"]


def test_unknown_person(client: flowpop.Client) -> None:
    with pytest.raises(flowpop.NotFoundError) as exc:
        client.persons.get(987654)
    assert exc.value.code == "person_not_found"
    with pytest.raises(flowpop.NotFoundError):
        client.persons.history(987654)


def test_restore_refuses_a_second_active_holder_of_the_number(client: flowpop.Client, make_person: Any) -> None:
    first = make_person()
    number = client.persons.get(first.id, reveal=True).id_number
    gone = client.persons.deregister(first.id, version=first.version, reason="返乡", date=dt.date(2026, 4, 1))
    client.persons.create(**person_fields(id_number=number))  # came back: registered anew
    with pytest.raises(flowpop.ConflictError) as exc:
        client.persons.restore(first.id, version=gone.version, reason="误注销")
    assert exc.value.code == "duplicate_id_number"
    assert client.persons.get(first.id).status == "deregistered"
    assert client.persons.list(q=number, status="active", with_total=True).first_page().total == 1
