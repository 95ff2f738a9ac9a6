"""Finding persons through the SDK: text box (ID number, tail, name, pinyin, initials), filters,
direction as seen from a jurisdiction, keyset pagination over every sort."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest

import flowpop
from flowpop.types import Person
from tests import tree
from tests.conftest import person_fields


def stay(residence: str, arrived: str = "2026-03-01") -> dict[str, Any]:
    return {"residence_code": residence, "reason": "work", "arrived_on": arrived}


def ids(items: Any) -> list[int]:
    return [p.id for p in items]


def cursor_of(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# ------------------------------------------------------------------------------------------ the text box


def test_by_full_id_number_and_its_tail(client: flowpop.Client) -> None:
    people = {p.id: client.persons.get(p.id, reveal=True).id_number
              for p in (client.persons.create(**person_fields()) for _ in range(6))}
    pid, number = next(iter(people.items()))
    assert ids(client.persons.list(q=number)) == [pid]
    assert ids(client.persons.list(q=number.lower())) == [pid]
    assert ids(client.persons.list(id_number=number)) == [pid]
    for n in (4, 5, 6):
        tail = number[-n:]
        expected = sorted((i for i, num in people.items() if num.endswith(tail)), reverse=True)
        assert ids(client.persons.list(q=tail)) == expected
        assert ids(client.persons.list(id_number=tail)) == expected
    assert ids(client.persons.list(q=number[:-1] + ("0" if number[-1] != "0" else "1"))) == []


@pytest.mark.parametrize("fragment", ["1", "12", "123", "12x", "１２３"])
def test_too_short_id_fragment(client: flowpop.Client, fragment: str) -> None:
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.list(q=fragment).first_page()
    assert [(e.field, e.code) for e in exc.value.errors] == [("q", "too_short")], fragment


@pytest.fixture
def named(client: flowpop.Client) -> dict[str, int]:
    names = ["张三", "张三丰", "章三", "张山", "李四", "欧阳娜娜", "王五"]
    return {n: client.persons.create(**person_fields(name=n)).id for n in names}


NAME_QUERIES = [
    ("张", {"张三", "张三丰", "张山"}),
    ("张三", {"张三", "张三丰"}),
    ("张三丰", {"张三丰"}),
    ("zhangs", {"张三", "张三丰", "章三", "张山"}),
    ("ZhangSan", {"张三", "张三丰", "章三"}),
    ("zhang san", {"张三", "张三丰", "章三"}),
    ("zs", {"张三", "张三丰", "章三", "张山"}),
    ("zsf", {"张三丰"}),
    ("ouyang", {"欧阳娜娜"}),
    ("oynn", {"欧阳娜娜"}),
    ("li", {"李四"}),
    ("zhao", set()),
    ("赵", set()),
]


@pytest.mark.parametrize(("q", "expected"), NAME_QUERIES, ids=[q for q, _ in NAME_QUERIES])
def test_by_name_pinyin_and_initials(client: flowpop.Client, named: dict[str, int], q: str, expected: set[str]) -> None:
    assert set(ids(client.persons.list(q=q))) == {named[n] for n in expected}, q


def test_name_parameter(client: flowpop.Client, named: dict[str, int]) -> None:
    assert set(ids(client.persons.list(name="zs"))) == {named[n] for n in ("张三", "张三丰", "章三", "张山")}
    assert set(ids(client.persons.list(name="张三", q="zsf"))) == {named["张三丰"]}


# ------------------------------------------------------------------------------------------ filters


def test_filters(client: flowpop.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWPOP_TODAY", "2026-11-23")
    mk = client.persons.create
    a = mk(**person_fields(sex="F", marital_status="first_marriage", stay=stay(tree.VILLAGE_A1, "2026-01-10")))
    b = mk(**person_fields(sex="F", marital_status="unmarried", stay=stay(tree.VILLAGE_A2, "2026-02-20")))
    c = mk(**person_fields(sex="M", marital_status="first_marriage", stay=stay(tree.VILLAGE_B1, "2026-03-30")))
    d = mk(**person_fields(sex="M", marital_status=None, stay=stay(tree.VILLAGE_C1, "2026-04-01")))
    e = mk(**person_fields(sex="F", marital_status="first_marriage", stay=None, household_code=tree.VILLAGE_D1))
    d = client.persons.deregister(d.id, version=d.version, reason="离开", date=dt.date(2026, 5, 1))
    e = client.persons.archive(e.id, version=e.version, reason="失联")
    everyone = [a, b, c, d, e]

    def found(**filters: Any) -> set[int]:
        return set(ids(client.persons.list(**filters)))

    assert found() == {p.id for p in everyone}
    assert found(status="active") == {a.id, b.id, c.id}
    assert found(status="deregistered") == {d.id}
    assert found(status="archived") == {e.id}
    assert found(category="married_female") == {a.id, e.id}
    assert found(category="unmarried_male") == {d.id}
    assert found(key_target=True) == {p.id for p in everyone if p.key_target} == {a.id, e.id}
    assert found(key_target=False) == {b.id, c.id, d.id}
    assert found(key_target=True, status="active") == {a.id}
    assert found(arrived_from=dt.date(2026, 2, 20), arrived_to="2026-03-30") == {b.id, c.id}
    assert found(arrived_from="2026-03-31") == {d.id}
    assert found(arrived_to=dt.date(2026, 1, 9)) == set()
    assert found(division=tree.TOWNSHIP_A) == {a.id, b.id}
    assert found(division=tree.VILLAGE_A2) == {b.id}
    assert found(division=tree.COUNTY_SANYUAN) == {a.id, b.id, c.id}
    assert found(division="350404") == {a.id, b.id, c.id}  # 6 digits: the county
    assert found(division="350400000000") == {a.id, b.id, c.id, d.id}  # the city of 三明
    assert found(division=tree.COUNTY_DONGHU) == {p.id for p in everyone}  # their household place
    assert found(division=tree.TOWNSHIP_D) == {e.id}


def test_unknown_division_filter(client: flowpop.Client) -> None:
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.list(division="350499000000").first_page()
    assert [(e.field, e.code) for e in exc.value.errors] == [("division", "unknown_division")]


def test_with_total(client: flowpop.Client) -> None:
    made = [client.persons.create(**person_fields(name="刘洋")) for _ in range(5)]
    client.persons.create(**person_fields(name="陈晨"))
    page = client.persons.list(q="liuy", limit=2, with_total=True).first_page()
    assert page.total == len(made) and len(page.data) == 2 and page.has_more
    assert client.persons.list(q="liuy", limit=2).first_page().total is None
    assert client.persons.list(q="nobody", with_total=True).first_page().total == 0


# ------------------------------------------------------------------------------------------ direction


@pytest.fixture
def flows(client: flowpop.Client) -> dict[str, int]:
    """Persons around township A (350404001): the direction each has as seen from there."""
    mk = client.persons.create
    return {
        "inflow": mk(**person_fields(household_code=tree.COUNTY_DONGHU, stay=stay(tree.VILLAGE_A1))).id,
        "outflow": mk(**person_fields(household_code=tree.VILLAGE_A2, stay=stay(tree.VILLAGE_D1))).id,
        "outflow_no_stay": mk(**person_fields(household_code=tree.TOWNSHIP_A, stay=None)).id,
        "local": mk(**person_fields(household_code=tree.VILLAGE_A1, stay=stay(tree.VILLAGE_A2))).id,
        "elsewhere": mk(**person_fields(household_code=tree.COUNTY_DONGHU, stay=stay(tree.VILLAGE_B1))).id,
    }


def _by_direction(flows: dict[str, int]) -> dict[str, set[int]]:
    return {
        "inflow": {flows["inflow"]},
        "outflow": {flows["outflow"], flows["outflow_no_stay"]},
        "local": {flows["local"]},
    }


def test_direction_from_a_township_user(as_user: Any, flows: dict[str, int]) -> None:
    township = as_user("township_operator", tree.TOWNSHIP_A)
    expected = _by_direction(flows)
    seen = {p.id: p.direction for p in township.persons.list()}
    assert seen == {pid: d for d, group in expected.items() for pid in group}
    for direction, group in expected.items():
        assert set(ids(township.persons.list(direction=direction))) == group
    assert ids(township.persons.list(direction="other")) == []  # those are outside the jurisdiction
    assert township.persons.get(flows["inflow"]).stays[0].direction == "inflow"


def test_direction_with_the_division_parameter(client: flowpop.Client, flows: dict[str, int]) -> None:
    expected = _by_direction(flows)
    for direction, group in expected.items():
        page = client.persons.list(division=tree.TOWNSHIP_A, direction=direction)
        got = list(page)
        assert set(ids(got)) == group
        assert {p.direction for p in got} == {direction}
    # "other": neither lives nor belongs here
    others = client.persons.list(division=tree.TOWNSHIP_A, direction="other")
    assert {p.id: p.direction for p in others} == {flows["elsewhere"]: "other"}
    # nationwide there is no "here": no direction
    assert {p.direction for p in client.persons.list()} == {None}
    # as seen from 东湖区 the same people look the other way round
    from_donghu = {p.id: p.direction for p in client.persons.list(division=tree.COUNTY_DONGHU)}
    assert from_donghu[flows["inflow"]] == "outflow" and from_donghu[flows["outflow"]] == "inflow"
    assert from_donghu[flows["elsewhere"]] == "outflow"


def test_division_narrows_a_user_but_never_widens(as_user: Any, flows: dict[str, int]) -> None:
    county = as_user("county_admin", tree.COUNTY_SANYUAN)
    assert set(ids(county.persons.list(division=tree.TOWNSHIP_A, direction="inflow"))) == {flows["inflow"]}
    township = as_user("township_operator", tree.TOWNSHIP_A)
    assert set(ids(township.persons.list(division=tree.COUNTY_SANYUAN))) == set().union(*_by_direction(flows).values())
    assert ids(township.persons.list(division=tree.TOWNSHIP_B)) == []
    assert ids(township.persons.list(division=tree.COUNTY_DONGHU)) == []


# ------------------------------------------------------------------------------------------ pagination


SORTS = ["-id", "id", "name", "-name", "arrived_on", "-arrived_on", "updated_at", "-updated_at"]


def _expected_order(people: list[Person], sort: str) -> list[int]:
    key = sort.lstrip("-")
    descending = sort.startswith("-")
    attr = {"id": "id", "name": "name_pinyin", "arrived_on": "arrived_on", "updated_at": "updated_at"}[key]
    present = [p for p in people if getattr(p, attr) is not None]
    missing = [p for p in people if getattr(p, attr) is None]
    present.sort(key=lambda p: (getattr(p, attr), p.id), reverse=descending)
    missing.sort(key=lambda p: p.id, reverse=descending)
    return ids(present) + ids(missing)  # NULLs last both ways


@pytest.fixture
def crowd(client: flowpop.Client) -> list[Person]:
    """Persons with ties in every sort key, and some without a stay (no arrival date)."""
    plan = [
        ("张三", "2026-03-01"), ("张三", "2026-03-01"), ("章三", "2026-03-01"), ("张三", None),
        ("李四", "2026-01-15"), ("李四", None), ("王五", "2026-03-01"), ("赵六", "2025-12-31"),
        ("阿力", None), ("周七", "2026-01-15"), ("张三丰", "2026-07-07"),
    ]
    made = [client.persons.create(**person_fields(name=n, stay=stay(tree.VILLAGE_A1, a) if a else None)) for n, a in plan]
    # touch a few so that updated_at differs from the creation order
    for p in made[::3]:
        client.persons.update(p.id, version=p.version, note="touched")
    everyone = client.persons.list(limit=500).first_page()
    assert not everyone.has_more and len(everyone.data) == len(plan)
    return everyone.data


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("sort", SORTS)
def test_every_page_size_walks_everyone_once_in_order(client: flowpop.Client, crowd: list[Person], sort: str,
                                                      size: int) -> None:
    expected = _expected_order(crowd, sort)
    pager = client.persons.list(sort=sort, limit=size)
    pages = list(pager.iter_pages())
    assert [len(p.data) for p in pages[:-1]] == [size] * (len(pages) - 1)
    assert all(p.has_more and p.next_cursor for p in pages[:-1])
    assert not pages[-1].has_more and pages[-1].next_cursor is None
    assert ids(x for p in pages for x in p.data) == expected, (sort, size)


def test_pagination_with_a_filter(client: flowpop.Client, crowd: list[Person]) -> None:
    zhang = [p for p in crowd if p.name.startswith("张")]
    got = ids(client.persons.list(q="张", sort="arrived_on", limit=2))
    assert got == _expected_order(zhang, "arrived_on")


def test_page_by_cursor(client: flowpop.Client, crowd: list[Person]) -> None:
    pager = client.persons.list(sort="name", limit=4)
    first = pager.first_page()
    second = pager.page(first.next_cursor)
    assert ids(first.data) + ids(second.data) == _expected_order(crowd, "name")[:8]


BAD_CURSORS = [
    ("-id", "not a cursor!"),
    ("-id", "e30"),  # {}
    ("-id", cursor_of([1])),
    ("-id", cursor_of([1, "x"])),
    ("arrived_on", cursor_of(["not a date", 3])),
    ("updated_at", cursor_of(["yesterday", 3])),
    ("arrived_on", cursor_of([20260301, 3])),
    ("name", cursor_of([5, 3])),
    ("name", cursor_of([["zhang"], 3])),
    ("-id", cursor_of([1, 10**30])),
    ("-id", cursor_of([1, True])),
]


@pytest.mark.parametrize(("sort", "cursor"), BAD_CURSORS)
def test_bad_cursor(client: flowpop.Client, sort: str, cursor: str) -> None:
    with pytest.raises(flowpop.BadRequestError) as exc:
        client.persons.list(sort=sort).page(cursor)
    assert exc.value.status_code == 400 and exc.value.code == "bad_cursor", (sort, cursor)


@pytest.mark.parametrize("filters", [{"sort": "age"}, {"limit": 0}, {"limit": 501}, {"status": "gone"}],
                         ids=["sort=age", "limit=0", "limit=501", "status=gone"])
def test_bad_sort_and_limit(client: flowpop.Client, filters: dict[str, Any]) -> None:
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.list(**filters).first_page()
    assert [e.field for e in exc.value.errors] == [next(iter(filters))]


def test_key_target_on_a_leap_day(client: flowpop.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from flowpop.rules import idnumber

    monkeypatch.setenv("FLOWPOP_TODAY", "2028-02-29")
    born = {  # on 2028-02-29: 15, 14, 49, 50
        "15": dt.date(2013, 2, 28), "14": dt.date(2013, 3, 1), "49": dt.date(1978, 3, 1), "50": dt.date(1978, 2, 28),
    }
    made = {}
    for order, (age, day) in enumerate(born.items()):
        number = idnumber.make("360102", day, order * 2)
        made[age] = client.persons.create(**person_fields(id_number=number, marital_status="first_marriage", stay=None))
    assert {age: p.key_target for age, p in made.items()} == {"15": True, "14": False, "49": True, "50": False}
    assert set(ids(client.persons.list(key_target=True))) == {made["15"].id, made["49"].id}
    assert set(ids(client.persons.list(key_target=False))) == {made["14"].id, made["50"].id}
