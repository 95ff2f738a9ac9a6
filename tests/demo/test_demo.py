"""The demo registry (flowpop.demo.build.build), checked through the SDK against what was built."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

import flowpop
from flowpop.demo.build import DemoRefused, DemoSummary, build
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.kernel.validation import check_phone
from flowpop.registry.people import moves
from flowpop.registry.store import tables as t
from flowpop.rules import housecode, idnumber
from flowpop.types import Person
from tests import tree
from tests.conftest import PG_URL, empty_registry

SIZE = 1500
SANYUAN = "350404000000"


@dataclass
class Built:
    db: str
    summary: DemoSummary
    persons: list[Person]  # every person, ID numbers revealed


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """One demo registry for the read-only checks (SQLite file, or a fresh PostgreSQL schema)."""
    with empty_registry(tmp_path_factory.mktemp("demo"), "demo_") as db:
        stages: list[str] = []
        summary = build(db, SIZE, seed=11, progress=lambda stage, done, total: stages.append(stage))
        assert {"divisions", "persons"} <= set(stages)
        with flowpop.Client(db=db, max_retries=0) as c:
            persons = list(c.persons.list(reveal=True, limit=500))
        yield Built(db, summary, persons)


@pytest.fixture
def admin(built: Built) -> Iterator[flowpop.Client]:
    with flowpop.Client(db=built.db, max_retries=0) as c:
        yield c


def total(client: flowpop.Client, **filters: object) -> int:
    page = client.persons.list(limit=1, with_total=True, **filters).first_page()
    assert page.total is not None
    return page.total



def test_every_row_is_in_its_county(built: Built) -> None:
    """Issue #17: every row of the 11 distributed tables has the county store/distribution.py's rules give it
    (persons by their stay's residence, their rows with them, messages by addressee, houses and declarations by
    their division, inspection items by village, history without a person by its scope)."""
    reg = Registry(built.db)
    try:
        with reg.reading() as session:
            assert moves.problems(session) == []
            moved = session.execute(select(func.count()).where(
                func.substr(t.Person.household_code, 1, 6) != t.Person.county)).scalar_one()
            assert moved > 0  # people living in another county than their household's are there
    finally:
        reg.close()

def test_summary_matches_the_registry(built: Built, admin: flowpop.Client) -> None:
    s = built.summary
    assert s.persons == SIZE == len(built.persons) == total(admin)
    for status, n in s.statuses.items():
        assert total(admin, status=status) == n
    assert set(s.categories) == {"unmarried_male", "unmarried_female", "married_male", "married_female"}
    for category, n in s.categories.items():
        assert n > 0
        assert total(admin, category=category) == n
    assert s.key_targets == total(admin, key_target=True) > 0
    assert s.inflow + s.outflow + s.local == s.persons
    assert s.stays > s.persons  # earlier, closed stays for some people


def id_faults(persons: list[Person]) -> Counter[str]:
    """The deliberate ID-number faults among ``persons``; every other number must be valid."""
    found: Counter[str] = Counter()
    for p in persons:
        check = idnumber.check(p.id_number)
        if len(p.id_number) == 15:
            found["id_15_digits"] += 1
        elif any(code == "id_checksum" for code, _, _ in check.errors):
            found["id_checksum"] += 1
            continue
        assert check.ok, (p.id_number, check.errors)
        if check.sex != p.sex:
            found["sex_mismatch"] += 1
        if check.birth_date != p.birth_date:
            found["birth_date_mismatch"] += 1
    return found


@pytest.mark.parametrize("kind", ["id_15_digits", "id_checksum", "sex_mismatch", "birth_date_mismatch"])
def test_id_numbers_are_valid_except_the_deliberate_errors(built: Built, kind: str) -> None:
    found = id_faults(built.persons)
    errors = built.summary.errors
    assert errors[kind] > 0
    assert found[kind] == errors[kind], kind


def test_other_deliberate_errors_are_in_the_data(built: Built, admin: flowpop.Client) -> None:
    day = today()
    active = Counter(p.id_number for p in built.persons if p.status == "active")
    # in 三明 (the own area) a residence down to the township only is the error; elsewhere a county is the rule
    township_level = {p.residence_code for p in built.persons if p.residence_code and p.residence_code.endswith("000")
                      and p.residence_code.startswith("3504")}
    assert {admin.divisions.get(code).level for code in township_level} == {"township"}
    found = {
        "duplicate_id_number": sum(n - 1 for n in active.values() if n > 1),
        "phone_format": sum(1 for p in built.persons if check_phone(p.phone)),
        "arrival_in_future": sum(1 for p in built.persons if p.arrived_on and p.arrived_on > day),
        "arrival_before_birth": sum(1 for p in built.persons if p.arrived_on and p.arrived_on < p.birth_date),
        "residence_not_village": sum(1 for p in built.persons if p.residence_code and p.residence_code.endswith("000")
                                     and p.residence_code.startswith("3504")),
    }
    for kind, n in found.items():
        assert built.summary.errors[kind] > 0
        assert n == built.summary.errors[kind], kind
    assert sum(built.summary.errors.values()) < 0.08 * SIZE


def test_people_look_real(built: Built) -> None:
    ages = [p.age for p in built.persons]
    assert sum(16 <= a <= 60 for a in ages) > 0.8 * len(ages)
    assert Counter(p.ethnicity for p in built.persons).most_common(1)[0][0] == "汉族"
    assert all(p.name_pinyin.isascii() and p.name_pinyin for p in built.persons)
    regions = {p.id_number[:2] for p in built.persons}
    assert len(regions) >= 8  # birth registered across many provinces
    retired = {p.id_number[:6] for p in built.persons} & {"350402", "350403", "350427"}
    assert retired  # 三明 people born before 2021 carry the old codes
    married_young_women = [p for p in built.persons if p.sex == "F" and p.category == "married_female" and p.age < 20]
    assert not married_young_women  # nobody married below the legal age


def test_inflow_and_outflow_as_seen_from_a_county(built: Built, admin: flowpop.Client) -> None:
    expected: Counter[str] = Counter()
    for p in built.persons:
        res = bool(p.residence_code and p.residence_code.startswith("350404"))
        hh = p.household_code.startswith("350404")
        if res or hh:
            expected["local" if res and hh else "inflow" if res else "outflow"] += 1
    secret = admin.tokens.create(username="sanyuan_admin", name="demo test").token
    with flowpop.Client(db=built.db, token=secret, max_retries=0) as county:
        assert county.me().jurisdiction_code == SANYUAN
        for direction in ("inflow", "outflow"):
            assert expected[direction] > 0
            page = county.persons.list(direction=direction, limit=20, with_total=True).first_page()
            assert page.total == expected[direction]
            assert {p.direction for p in page.data} == {direction}
    assert total(admin, division=SANYUAN, direction="inflow") == expected["inflow"]


def test_places_and_users(admin: flowpop.Client) -> None:
    townships = admin.divisions.list(parent=SANYUAN, level="township")
    assert townships and all(d.is_demo and d.name.endswith("（演示）") for d in townships)
    villages = admin.divisions.list(parent=townships[0].code, level="village")
    assert villages and all(d.is_demo and len(d.code) == 12 for d in villages)
    grids = admin.divisions.list(parent=villages[0].code, level="grid")
    assert grids and all(len(d.code) == 15 and d.code.startswith(villages[0].code) for d in grids)
    assert not admin.divisions.get(SANYUAN).retired
    users = {u.username: u for u in admin.users.list()}
    assert users["sanyuan_admin"].role == "county_admin" and users["sanyuan_admin"].jurisdiction_code == SANYUAN
    assert users["sanming_viewer"].jurisdiction_code == "350400000000"
    assert {"township_operator", "village_assistant", "auditor"} <= {u.role for u in users.values()}


@pytest.mark.parametrize(("old", "new"), [("350402000000", SANYUAN), ("350403000000", SANYUAN),
                                          ("350427000000", "350405000000")])
def test_retired_counties_name_their_successor(admin: flowpop.Client, old: str, new: str) -> None:
    d = admin.divisions.get(old)
    assert d.retired and not d.is_demo and d.successor_code == new


def test_stays_history_and_houses(built: Built, admin: flowpop.Client) -> None:
    inflow = next(p for p in built.persons if p.status == "active" and p.residence_code
                  and p.residence_code.startswith("3504") and not p.household_code.startswith("3504")
                  and len(p.residence_code) == 12 and not p.residence_code.endswith("000"))
    stays = admin.stays.list(inflow.id)
    current = next(s for s in stays if s.id == inflow.current_stay_id)
    assert current.status == "open" and current.grid_code and current.grid_code.startswith(current.residence_code)
    assert current.house_code and housecode.check(current.house_code)[1] is None
    assert housecode.village_of(current.house_code) == current.residence_code
    house = admin.houses.get(current.house_code)
    assert any(o.person_id == inflow.id for room in house.rooms for o in room.living)
    assert current.left_home_on is None or current.left_home_on <= current.arrived_on
    history = admin.persons.history(inflow.id)
    assert any(h.action == "create" and h.entity == "person" and h.username == "demo" for h in history)
    ended = next(p for p in built.persons if p.status == "deregistered")
    assert all(s.status != "open" for s in admin.stays.list(ended.id))
    # a household registered at a house (户籍在此), living elsewhere: a registered member there, and where now
    away = next(p for p in (admin.persons.get(q.id) for q in built.persons if q.status == "active"
                            and q.household_code.startswith("3504") and q.residence_code
                            and not q.residence_code.startswith(q.household_code[:9])) if p.household_house_code)
    home = admin.houses.get(away.household_house_code)
    member = next(o for room in home.rooms for o in room.household_members if o.person_id == away.id)
    assert member.where_now and member.where_now == admin.divisions.get(away.residence_code).full_name


def test_same_seed_same_registry(tmp_path: Path) -> None:
    def ids(name: str, seed: int) -> list[str]:
        db = str(tmp_path / name)
        build(db, 300, seed=seed)
        with flowpop.Client(db=db, max_retries=0) as c:
            return [p.id_number for p in c.persons.list(reveal=True, limit=500, sort="id")]

    first = ids("a.db", 5)
    assert len(first) == 300
    assert ids("b.db", 5) == first
    assert ids("c.db", 6) != first


def test_refuses_to_overwrite_without_replace(db_url: str) -> None:
    """Builds into a registry that already has divisions (the test tree), then refuses a second build."""
    summary = build(db_url, 200, seed=3)
    with pytest.raises(DemoRefused) as refused:
        build(db_url, 200, seed=3)
    assert isinstance(refused.value, ValueError)
    assert "--replace" in refused.value.localized("zh") and "replace" in refused.value.localized("en")
    with flowpop.Client(db=db_url, max_retries=0) as c:
        assert total(c) == summary.persons == 200
        assert c.divisions.get(tree.VILLAGE_D1).name == "丁一社区"  # divisions already there are kept
        # ids continue after the demo's (PostgreSQL sequences moved past them)
        new = c.persons.create(id_number=idnumber.make("360102", today().replace(year=1990, day=1), 123),
                               name="测试人", household_code=tree.COUNTY_DONGHU)
        assert new.id > max(p.id for p in c.persons.list(limit=500) if p.id != new.id)
    if PG_URL:
        with pytest.raises(DemoRefused):
            build(db_url, 200, replace=True)  # never wipes a PostgreSQL database


@pytest.mark.skipif(bool(PG_URL), reason="replace deletes SQLite files only")
def test_replace_rebuilds_a_sqlite_file(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    build(db, 200, seed=1)
    again = build(db, 250, seed=2, replace=True)
    with flowpop.Client(db=db, max_retries=0) as c:
        assert total(c) == again.persons == 250
