"""Stays (流动记录) through the SDK: at most one open, edits with versions, closing, places."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

import flowpop
from flowpop.registry.kernel.registry import today
from tests import tree
from tests.conftest import person_fields


def stay_fields(person_id: int, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"person_id": person_id, "residence_code": tree.VILLAGE_A2, "reason": "business",
                              "arrived_on": dt.date(2026, 5, 10)}
    fields.update(overrides)
    return fields


def error_keys(exc: pytest.ExceptionInfo[flowpop.APIStatusError]) -> set[tuple[str, str]]:
    return {(e.field, e.code) for e in exc.value.errors}


def test_create_for_a_person_without_one(client: flowpop.Client) -> None:
    p = client.persons.create(**person_fields(stay=None))
    s = client.stays.create(**stay_fields(p.id, grid_code=tree.GRID_A1, residence_code=tree.VILLAGE_A1,
                                          left_home_on=dt.date(2026, 5, 1), occupation="厨师", employer="某餐馆"))
    assert (s.person_id, s.status, s.version, s.reason) == (p.id, "open", 1, "business")
    assert s.household_code == tree.COUNTY_DONGHU and s.grid_code == tree.GRID_A1
    assert s.residence_name and "甲一社区" in s.residence_name
    person = client.persons.get(p.id)
    assert (person.current_stay_id, person.residence_code, person.arrived_on) == (s.id, tree.VILLAGE_A1, s.arrived_on)
    assert person.version == p.version  # pointing at the stay is not an edit of the person
    assert [x.id for x in client.stays.list(p.id)] == [s.id]
    assert client.stays.get(s.id) == s


def test_at_most_one_open_stay(client: flowpop.Client, make_person: Any) -> None:
    p = make_person()
    with pytest.raises(flowpop.ConflictError) as exc:
        client.stays.create(**stay_fields(p.id))
    assert exc.value.status_code == 409 and exc.value.code == "stay_open"
    assert len(client.stays.list(p.id)) == 1


def test_close_then_open_a_new_one(client: flowpop.Client, make_person: Any, as_user: Any) -> None:
    p = make_person()
    first = client.stays.get(p.current_stay_id)
    closed = client.stays.close(first.id, version=first.version, reason="搬往他处", date=dt.date(2026, 5, 9))
    assert (closed.status, closed.returned_on, closed.end_reason, closed.version) == (
        "closed", dt.date(2026, 5, 9), "搬往他处", first.version + 1)
    gone = client.persons.get(p.id)
    assert (gone.current_stay_id, gone.residence_code, gone.status) == (None, None, "active")
    assert p.id not in {x.id for x in client.persons.list(division=first.residence_code)}
    assert p.id in {x.id for x in client.persons.list(division=first.household_code)}  # still known at home
    # the residence side still opens the person (by the stay it had here), to register them when they return
    operator = as_user("township_operator", tree.TOWNSHIP_A)
    assert operator.persons.get(p.id).id == p.id
    assert p.id not in {x.id for x in operator.persons.list()}
    second = client.stays.create(**stay_fields(p.id))
    person = client.persons.get(p.id)
    assert person.current_stay_id == second.id and person.residence_code == tree.VILLAGE_A2
    assert [s.id for s in person.stays] == [second.id, first.id]  # newest arrival first
    with pytest.raises(flowpop.ConflictError) as exc:
        client.stays.close(first.id, version=closed.version, reason="again")
    assert exc.value.code == "stay_not_open"
    with pytest.raises(flowpop.ConflictError):
        client.stays.update(first.id, version=closed.version, room="101")


@pytest.mark.parametrize("day", [lambda: dt.date(2026, 2, 28), lambda: today() + dt.timedelta(days=1)],
                         ids=["before_arrival", "tomorrow"])
def test_close_date_between_arrival_and_today(client: flowpop.Client, make_person: Any,
                                              day: Callable[[], dt.date]) -> None:
    p = make_person()  # arrived 2026-03-01
    s = client.stays.get(p.current_stay_id)
    with pytest.raises(flowpop.ValidationError) as exc:
        client.stays.close(s.id, version=s.version, reason="离开", date=day())
    assert {f for f, _ in error_keys(exc)} == {"date"}
    assert client.stays.get(s.id).status == "open"


def test_update_bumps_version_and_moves_the_person(client: flowpop.Client, make_person: Any) -> None:
    p = make_person()
    s = client.stays.get(p.current_stay_id)
    u = client.stays.update(s.id, version=s.version, residence_code=tree.VILLAGE_B1, arrived_on=dt.date(2026, 4, 2),
                            change_reason="地址更正")
    assert (u.version, u.residence_code, u.arrived_on) == (s.version + 1, tree.VILLAGE_B1, dt.date(2026, 4, 2))
    person = client.persons.get(p.id)
    assert (person.residence_code, person.arrived_on) == (tree.VILLAGE_B1, dt.date(2026, 4, 2))
    entry = client.persons.history(p.id)[0]
    assert (entry.entity, entry.entity_id, entry.action, entry.reason) == ("stay", s.id, "update", "地址更正")
    assert entry.changes == {"residence_code": [tree.VILLAGE_A1, tree.VILLAGE_B1], "arrived_on": ["2026-03-01", "2026-04-02"]}


def test_stale_version_writes_nothing(client: flowpop.Client, make_person: Any) -> None:
    p = make_person()
    s = client.stays.get(p.current_stay_id)
    client.stays.update(s.id, version=s.version, room="201")
    now = client.stays.get(s.id)
    history = client.persons.history(p.id)
    with pytest.raises(flowpop.VersionConflictError) as exc:
        client.stays.update(s.id, version=s.version, room="302", occupation="保安")
    assert exc.value.current_version == s.version + 1
    with pytest.raises(flowpop.VersionConflictError):
        client.stays.close(s.id, version=s.version, reason="离开")
    assert client.stays.get(s.id) == now
    assert client.persons.history(p.id) == history


def test_grid_must_lie_in_the_residence_village(client: flowpop.Client) -> None:
    p = client.persons.create(**person_fields(stay=None))
    with pytest.raises(flowpop.ValidationError) as exc:
        client.stays.create(**stay_fields(p.id, residence_code=tree.VILLAGE_A2, grid_code=tree.GRID_A1))
    assert error_keys(exc) == {("grid_code", "grid_outside_residence")}
    with pytest.raises(flowpop.ValidationError) as exc:
        client.stays.create(**stay_fields(p.id, residence_code=tree.VILLAGE_A1, grid_code=tree.VILLAGE_A1))
    assert error_keys(exc) == {("grid_code", "division_level")}
    s = client.stays.create(**stay_fields(p.id, residence_code=tree.VILLAGE_A1, grid_code=tree.GRID_A1))
    # moving the stay to another village while keeping the grid is refused too
    with pytest.raises(flowpop.ValidationError) as exc:
        client.stays.update(s.id, version=s.version, residence_code=tree.VILLAGE_A2)
    assert error_keys(exc) == {("grid_code", "grid_outside_residence")}
    assert client.stays.get(s.id).residence_code == tree.VILLAGE_A1


def test_stay_place_and_date_rules(client: flowpop.Client) -> None:
    p = client.persons.create(**person_fields(stay=None))
    cases = [
        ({"residence_code": tree.TOWNSHIP_A}, ("residence_code", "division_level")),
        ({"household_code": "350499000000"}, ("household_code", "unknown_division")),
        ({"left_home_on": dt.date(2026, 5, 11)}, ("left_home_on", "after_arrival")),
        ({"expected_return_on": dt.date(2026, 5, 9)}, ("expected_return_on", "before_arrival")),
    ]
    for overrides, expected in cases:
        with pytest.raises(flowpop.ValidationError) as exc:
            client.stays.create(**stay_fields(p.id, **overrides))
        assert error_keys(exc) == {expected}
    assert client.stays.list(p.id) == []


def test_cannot_clear_required_fields(client: flowpop.Client, make_person: Any) -> None:
    p = make_person()
    s = client.stays.get(p.current_stay_id)
    with pytest.raises(flowpop.ValidationError) as exc:
        client.stays.update(s.id, version=s.version, residence_code=None, arrived_on=None)
    assert error_keys(exc) == {("residence_code", "required"), ("arrived_on", "required")}


def test_no_stay_for_an_inactive_person(client: flowpop.Client) -> None:
    p = client.persons.create(**person_fields(stay=None))
    client.persons.archive(p.id, version=p.version, reason="失联")
    with pytest.raises(flowpop.ConflictError) as exc:
        client.stays.create(**stay_fields(p.id))
    assert exc.value.code == "person_not_active"


def test_unknown_stay_and_person(client: flowpop.Client) -> None:
    with pytest.raises(flowpop.NotFoundError) as exc:
        client.stays.get(424242)
    assert exc.value.code == "stay_not_found"
    with pytest.raises(flowpop.NotFoundError):
        client.stays.create(**stay_fields(424242))
