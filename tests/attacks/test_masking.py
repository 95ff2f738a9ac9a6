"""Issue 11, item 2: what a role without the reveal right sees must not rebuild an ID number.

A masked number keeps the region (6) and the last character; no birth date leaves the registry unrevealed
(age instead). The rebuild below is the attacker's: every date the visible age allows, every sequence
number of the visible sex, kept when its check character is the visible one."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
from collections.abc import Callable
from typing import Any

import pytest

import flowpop
from flowpop.labels import LABELS
from flowpop.registry.core import today
from flowpop.registry.search import years_before
from flowpop.registry.validation import age_on
from flowpop.rules import idnumber
from tests import tree
from tests.conftest import person_fields

Maker = Callable[[str, str | None], flowpop.Client]
CITY = "350400000000"  # 三明市: over 三元区, where everyone below lives
BIRTHS = [("350402", dt.date(1958, 11, 23), 37), ("360102", dt.date(1975, 2, 28), 210), ("110101", dt.date(1990, 7, 15), 4),
          ("510104", dt.date(2000, 2, 29), 999), ("350404", dt.date(2012, 3, 9), 500)]
SEX_OF_LABEL = {zh: code for code, (zh, _en) in LABELS["sex"].items()}


@functools.cache
def candidates(masked: str, sex: str, age: int, day: dt.date) -> frozenset[str]:
    """Every number that agrees with what is visible: region and last character, sex and age."""
    assert len(masked) == 18 and masked[6:17] == "*" * 11, masked
    region, last = masked[:6], masked[-1]
    born = dt.date(day.year - age - 1, 1, 1)
    dates = []
    while born.year <= day.year - age:
        if age_on(born, day) == age:
            dates.append(f"{born:%Y%m%d}")
        born += dt.timedelta(days=1)
    found = set()
    for digits in dates:
        for order in range(1 if sex == "M" else 0, 1000, 2):  # the 17th digit is odd for men
            body = f"{region}{digits}{order:03d}"
            if idnumber.check_char(body) == last:
                found.add(body + last)
    return frozenset(found)


@pytest.fixture
def people(client: flowpop.Client) -> dict[int, tuple[str, dt.date]]:
    """Five people living in 三元区, by id: their full number and birth date."""
    out = {}
    for region, born, order in BIRTHS:
        number = idnumber.make(region, born, order)
        adult = age_on(born, today()) >= 22
        p = client.persons.create(**person_fields(id_number=number, name="林某",
                                                  marital_status="first_marriage" if adult else "unmarried"))
        out[p.id] = (number, born)
    return out


def _no_birth_date(shown: str, born: dt.date) -> None:
    for form in (f"{born:%Y%m%d}", born.isoformat(), f"{born:%y%m%d}"):
        assert form not in shown, (form, shown)


def _hard_to_rebuild(masked: str, sex: str, age: int, number: str) -> None:
    found = candidates(masked, sex, age, today())
    assert number in found  # the rebuild is the right one: the true number is among what it finds
    assert len(found) > 1000, (masked, len(found))


@pytest.mark.parametrize("role, jurisdiction", [("city_viewer", CITY), ("village_assistant", tree.VILLAGE_A1)])
def test_lists_and_details_show_no_birth_date_and_leave_thousands_of_candidates(
    as_user: Maker, people: dict[int, tuple[str, dt.date]], role: str, jurisdiction: str
) -> None:
    viewer = as_user(role, jurisdiction)
    listed = {p.id: p for p in viewer.persons.list(limit=100)}
    assert set(people) <= set(listed)
    for pid, (number, born) in people.items():
        for shown in (listed[pid], viewer.persons.get(pid)):
            assert shown.birth_date is None and not shown.id_revealed
            assert shown.age == age_on(born, today())
            assert shown.id_number == number[:6] + "*" * 11 + number[-1]
            _no_birth_date(shown.model_dump_json(), born)
            _hard_to_rebuild(shown.id_number, shown.sex, shown.age, number)
    operator = as_user("township_operator", tree.TOWNSHIP_A)  # may reveal: sees everything, logged
    for pid, (number, born) in people.items():
        shown = operator.persons.get(pid, reveal=True)
        assert (shown.id_number, shown.birth_date, shown.id_revealed) == (number, born, True)


def test_masked_export_shows_age_not_birth_date(as_user: Maker, people: dict[int, tuple[str, dt.date]]) -> None:
    # city viewers and village assistants may not export at all: a county admin's masked export
    county = as_user("county_admin", tree.COUNTY_SANYUAN)
    rows = {int(r["编号"]): r for r in csv.DictReader(io.StringIO(county.persons.export("csv").decode("utf-8-sig")))}
    for pid, (number, born) in people.items():
        row = rows[pid]
        assert row["出生日期"] == "" and int(row["年龄"]) == age_on(born, today())
        _no_birth_date(",".join(row.values()), born)
        _hard_to_rebuild(row["身份证号"], SEX_OF_LABEL[row["性别"]], int(row["年龄"]), number)
    for line in county.persons.export("jsonl").decode().splitlines():
        record: dict[str, Any] = json.loads(line)
        assert record["birth_date"] is None and record["id_number"][6:17] == "*" * 11


def test_partial_number_search_needs_the_reveal_right(as_user: Maker, people: dict[int, tuple[str, dt.date]]) -> None:
    pid, (number, _born) = next(iter(people.items()))
    viewer = as_user("city_viewer", CITY)
    for params in ({"q": number[-6:]}, {"id_number": number[-8:]}, {"q": number[:17]}):
        with pytest.raises(flowpop.ValidationError) as exc:
            list(viewer.persons.list(**params))
        field = "id_number" if "id_number" in params else "q"
        assert [(e.field, e.code) for e in exc.value.errors] == [(field, "partial_id_needs_reveal")]
        assert exc.value.errors[0].message and exc.value.errors[0].message_en
    assert [p.id for p in viewer.persons.list(q=number)] == [pid]  # a whole number may be looked up
    operator = as_user("township_operator", tree.TOWNSHIP_A)
    assert pid in [p.id for p in operator.persons.list(q=number[-6:])]


def test_history_of_a_new_number_shows_no_birth_date(
    client: flowpop.Client, as_user: Maker, people: dict[int, tuple[str, dt.date]]
) -> None:
    pid, (old, old_born) = next(iter(people.items()))
    new_born = dt.date(1961, 6, 17)
    new = idnumber.make("350402", new_born, 37)
    client.persons.update(pid, version=client.persons.get(pid).version, id_number=new, change_reason="证号更正")
    viewer = as_user("city_viewer", CITY)
    entries = viewer.persons.history(pid)
    change = next(e.changes for e in entries if "id_number" in e.changes and e.changes["id_number"][0])
    assert change["id_number"] == [idnumber.mask(old), idnumber.mask(new)]
    assert change["birth_date"] == [None, None]
    text = "".join(e.model_dump_json() for e in entries)
    for born in (old_born, new_born):
        _no_birth_date(text, born)
    revealed = client.request("GET", f"/v1/persons/{pid}/history", params={"reveal": "true"}).json()
    assert [old_born.isoformat(), new_born.isoformat()] in [e["changes"].get("birth_date") for e in revealed]


def test_messages_show_age_not_birth_date(as_user: Maker) -> None:
    a = as_user("township_operator", tree.TOWNSHIP_A)
    d = as_user("township_operator", tree.TOWNSHIP_D)
    born = dt.date(1983, 8, 19)
    number = idnumber.make("360102", born, 41)
    p = a.persons.create(**person_fields(id_number=number, household_code=tree.VILLAGE_D1, name="赵某"))
    sent = a.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_D, person_id=p.id, items={"verify": ["现居住地址"]})
    messages = [d.inbox.get(m.id) for m in d.inbox.list(box="in", status="all")] + [a.inbox.get(sent.id)]
    assert len(messages) >= 2  # the stay's notice to D and the request
    for m in messages:
        assert m.subject["birth_date"] is None and m.subject["age"] == age_on(born, today())
        assert all(c.birth_date is None and c.age == age_on(born, today()) for c in m.candidates)
        _no_birth_date(m.model_dump_json(), born)
    _no_birth_date(d.inbox.sheet(sent.id), born)


def test_dates_before_birth_do_not_tell_the_birth_date(client: flowpop.Client, as_user: Maker) -> None:
    """A writer without the reveal right is refused the same below the latest birth date its visible age allows,
    so refusals do not find the hidden date by halving."""
    day = today()
    born = years_before(day - dt.timedelta(days=100), 30)
    p = client.persons.create(**person_fields(id_number=idnumber.make("350402", born, 21)))
    village = as_user("village_assistant", tree.VILLAGE_A1)
    shown = village.persons.get(p.id)
    latest = years_before(day, shown.age)
    assert born + dt.timedelta(days=2) < latest
    answers = []
    for arrived in (born - dt.timedelta(days=1), born + dt.timedelta(days=1), latest - dt.timedelta(days=1)):
        stay = village.stays.get(shown.current_stay_id)
        with pytest.raises(flowpop.ValidationError) as exc:
            village.stays.update(stay.id, version=stay.version, arrived_on=arrived)
        answers.append([(e.field, e.code, e.message_en) for e in exc.value.errors])
    assert answers[0] == answers[1] == answers[2] == [("arrived_on", "before_birth", "arrival date is before birth")]
    stay = village.stays.get(shown.current_stay_id)
    assert village.stays.update(stay.id, version=stay.version, arrived_on=latest).arrived_on == latest
