"""Stays (流动记录): one episode of living away from the household place; at most one open."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flowpop.registry.kernel import area, history
from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.divisions import township_of
from flowpop.registry.kernel.errors import Conflict, Invalid, field_error
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.kernel.validation import birth_as_seen, check_stay_dates
from flowpop.registry.kernel.versioning import compare_and_set, expect_version
from flowpop.registry.messaging import deadlines, messages
from flowpop.registry.people import moves, other_side, present
from flowpop.registry.people.access import load_person, load_stay
from flowpop.registry.people.sides import SIDES, joinable, registering_side
from flowpop.registry.places import houses
from flowpop.registry.store import tables as t
from flowpop.types import FieldError, Stay, StayCreate, StayFields, StayUpdate

FIELDS = (
    "household_code", "household_address", "residence_code", "residence_address", "grid_code", "house_code",
    "room", "reason", "left_home_on", "arrived_on", "expected_return_on", "occupation", "employer", "employer_code",
    "permit_number", "permit_issued_on", "permit_expires_on",
)
ENDED = {"deregister": "deregistered", "archive": "archived"}
LIVED = frozenset({"open", "closed", ENDED["deregister"]})  # stays that happened: not archived (a mistake, or merged away)
def join(session: Session, actor: Actor, row: t.Stay, side: str) -> t.Stay:
    """The caller's side registers an open stay the other side registered: the registration joins the existing
    record (instead of a refused duplicate that leaves the flow 漏管), recorded in its history."""
    column = SIDES[side]
    now = t.utcnow()
    compare_and_set(session, row, row.version, {column: now}, entity="stay")
    history.record(session, actor, entity="stay", entity_id=row.id, person_id=row.person_id, action="register",
                   changes={column: [None, history.jsonable(now)]},
                   reason="流入登记（与户籍地流出登记共管）" if side == "inflow" else "流出登记（与现居住地流入登记共管）",
                   scope_code=row.residence_code if side == "inflow" else row.household_code)
    session.refresh(row)
    return row


def check_fields(
    reg: Registry, actor: Actor, data: StayFields | dict[str, Any], *, born: dt.date | None, prefix: str = "",
    household_code: str | None,
) -> list[FieldError]:
    values = data if isinstance(data, dict) else data.model_dump()
    errors: list[FieldError] = []
    errors += area.check_place(reg, household_code, prefix + "household_code", village=False)
    errors += area.check_place(reg, values.get("residence_code"), prefix + "residence_code", current=True)
    grid = values.get("grid_code")
    if grid:
        errors += reg.divisions.check(grid, prefix + "grid_code", levels=("grid",))
        if not errors and values.get("residence_code") and not grid.startswith(values["residence_code"]):
            errors.append(field_error(prefix + "grid_code", "grid_outside_residence", "网格不属于现居住村/居", "grid is not in the residence village"))
    errors += check_stay_dates(
        born=born, left_home_on=values.get("left_home_on"), arrived_on=values.get("arrived_on"),
        expected_return_on=values.get("expected_return_on"), today=today(), prefix=prefix,
    )
    if not errors and actor.prefix and not (actor.covers(values.get("residence_code")) or actor.covers(household_code)):
        errors.append(field_error(prefix + "residence_code", "outside_jurisdiction",
                                  "现居住地和户籍地都不在您的管辖范围内", "neither residence nor household place is in your jurisdiction"))
    return errors


def insert(reg: Registry, session: Session, actor: Actor, person: t.Person, data: StayFields, prefix: str = "") -> t.Stay:
    open_row = session.execute(
        select(t.Stay).where(t.Stay.person_id == person.id, t.Stay.status == "open").limit(1)
    ).scalar_one_or_none()
    if open_row is not None:
        side = joinable(actor, open_row, data.residence_code, data.household_code or person.household_code,
                        area.own_area(reg))
        if side is not None:  # the other side's registration of the same flow: join it
            return join(session, actor, open_row, side)
        open_stay = open_row.id
        raise Conflict("stay_open", f"该人员已有未结束的流动记录（{open_stay}），请先结束它",
                       f"person already has an open stay ({open_stay}); close it first")
    values = data.model_dump(exclude={"person_id", "over_capacity_ok"})
    values["household_code"] = values.get("household_code") or person.household_code
    side = registering_side(actor, values.get("residence_code"), values["household_code"], area.own_area(reg))
    if side is not None:
        values[SIDES[side]] = t.utcnow()
    errors, extra = houses.stay_links(reg, session, actor, {**values, "over_capacity_ok": data.over_capacity_ok},
                                      prefix=prefix)
    if errors:
        raise Invalid(errors)
    values.update(extra)
    county = moves.person_county(values["residence_code"], person.household_code)
    if county != person.county:  # a stay in another county: the person and their rows move there first
        moves.move_person(session, person.id, county)
        session.refresh(person)
    row = t.Stay(person_id=person.id, county=county, status="open", version=1, created_by=actor.username, **values)
    session.add(row)
    session.flush()
    history.record(session, actor, entity="stay", entity_id=row.id, person_id=person.id, action="create",
                   changes={k: [None, history.jsonable(v)] for k, v in values.items() if v is not None},
                   scope_code=row.residence_code)
    _point_person(session, person.id, row)
    messages.on_stay(reg, session, actor, person, row, "stay_registered")
    other_side.on_insert(session, actor, person, row)  # the other registry registered it already (issue 13)
    return row


def _point_person(session: Session, person_id: int, row: t.Stay) -> None:
    """Keep the person's denormalised current-stay fields in step (not a user edit: no version bump)."""
    session.execute(
        update(t.Person).where(t.Person.id == person_id)
        .values(residence_code=row.residence_code, arrived_on=row.arrived_on, current_stay_id=row.id)
        .execution_options(synchronize_session=False)
    )


def create(reg: Registry, session: Session, actor: Actor, data: StayCreate) -> Stay:
    actor.require("write")
    person = load_person(session, actor, data.person_id)
    if person.status != "active":
        raise Conflict("person_not_active", "人员不在册，不能登记流动记录", "person is not active")
    born = birth_as_seen(person.birth_date, actor.can("reveal"), today())
    errors = check_fields(reg, actor, data, born=born, household_code=data.household_code or person.household_code)
    if errors:
        raise Invalid(errors)
    row = insert(reg, session, actor, person, data)
    return present.stay(reg, actor, row)


def get(reg: Registry, session: Session, actor: Actor, stay_id: int) -> Stay:
    actor.require("read")
    return present.stay(reg, actor, load_stay(session, actor, stay_id))


REQUIRED = ("residence_code", "household_code", "reason", "arrived_on")


def check_edit(
    reg: Registry, session: Session, actor: Actor, current: Mapping[str, Any], changes: dict[str, Any], *,
    born: dt.date, stay_id: int, over_capacity_ok: bool = False, prefix: str = "",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The rules and rights every edit of an open stay meets — one stay's PATCH, or each record of a bulk move:
    required fields stay filled, a move to a township outside the caller's area is a transfer, the edited stay
    passes check_fields, and its house and employer are registered, in the caller's area and where it lives
    (houses.stay_links). Raises as the PATCH answers; returns the stay as edited and the values to write."""
    errors = [field_error(prefix + k, "required", "不能为空", "may not be empty")
              for k in REQUIRED if k in changes and changes[k] is None]
    if errors:
        raise Invalid(errors)
    merged = {k: changes.get(k, current[k]) for k in FIELDS}
    new_res = merged["residence_code"]
    if (actor.prefix and new_res and township_of(new_res) != township_of(current["residence_code"])
            and not actor.covers(new_res)):
        raise Conflict("transfer_required", "迁往其他乡镇须发起移交，由接收方确认",
                       "moving to a township outside your jurisdiction needs a transfer the receiving side accepts")
    errors = check_fields(reg, actor, merged, born=born, household_code=merged["household_code"], prefix=prefix)
    if errors:
        raise Invalid(errors)
    writes = dict(changes)
    if {"house_code", "employer_code", "arrived_on", "residence_code"} & set(changes):
        errors, extra = houses.stay_links(reg, session, actor, {**merged, "over_capacity_ok": over_capacity_ok},
                                          prefix=prefix, stay_id=stay_id)
        if errors:
            raise Invalid(errors)
        merged.update(extra)
        writes.update(extra)
    return merged, writes


def update_stay(reg: Registry, session: Session, actor: Actor, stay_id: int, data: StayUpdate) -> Stay:
    actor.require("write")
    row = load_stay(session, actor, stay_id)
    expect_version(row, data.version, entity="stay")
    if row.status != "open":
        raise Conflict("stay_not_open", "流动记录已结束，不能修改", "stay is closed; it can no longer be edited")
    changes = data.model_dump(exclude_unset=True, exclude={"version", "change_reason"})
    over_ok = changes.pop("over_capacity_ok", False)
    person = load_person(session, actor, row.person_id)
    born = birth_as_seen(person.birth_date, actor.can("reveal"), today())
    merged, changes = check_edit(reg, session, actor, {k: getattr(row, k) for k in FIELDS}, changes, born=born,
                                 stay_id=row.id, over_capacity_ok=over_ok)
    before = {k: getattr(row, k) for k in (*FIELDS, "declare_due_on")}
    delta = history.diff(before, {k: merged[k] for k in changes})
    if not delta:
        return present.stay(reg, actor, row)
    compare_and_set(session, row, data.version, {k: merged[k] for k in changes}, entity="stay")
    history.record(session, actor, entity="stay", entity_id=row.id, person_id=row.person_id, action="update",
                   changes=delta, reason=data.change_reason, scope_code=row.residence_code)
    session.refresh(row)
    if person.current_stay_id == row.id:
        _point_person(session, person.id, row)
    if "residence_code" in changes:  # to another county: the person and their rows move there
        moves.settle(session, [row.person_id])
    return present.stay(reg, actor, row)


def close(reg: Registry, session: Session, actor: Actor, stay_id: int, version: int, reason: str, day: dt.date | None,
          *, notify: bool = True) -> Stay:
    """End a stay (moved on or returned home) without deregistering the person: across counties the other side is
    told (通报; ``notify=False`` when the caller's own answer tells it), and a 查无此人 about it closes with it."""
    actor.require("write")
    row = load_stay(session, actor, stay_id)
    expect_version(row, version, entity="stay")
    if row.status != "open":
        raise Conflict("stay_not_open", "流动记录已结束", "stay is already closed")
    day = day or today()
    if day > today() or day < row.arrived_on:
        raise Invalid([field_error("date", "date_range", "结束日期须在流入日期与今天之间", "end date must lie between arrival and today")])
    compare_and_set(session, row, version, {"status": "closed", "returned_on": day, "end_reason": reason,
                                            "ended_at": t.utcnow()}, entity="stay")
    # the person no longer lives there: out of that village's lists until a new stay is registered
    session.execute(
        update(t.Person).where(t.Person.id == row.person_id, t.Person.current_stay_id == row.id)
        .values(residence_code=None, arrived_on=None, current_stay_id=None)
        .execution_options(synchronize_session=False)
    )
    history.record(session, actor, entity="stay", entity_id=row.id, person_id=row.person_id, action="close",
                   changes={"status": ["open", "closed"], "returned_on": [None, day.isoformat()]}, reason=reason,
                   scope_code=row.residence_code)
    session.refresh(row)
    messages.close_with_subject(session, actor, [row.id], reason)
    person = session.get(t.Person, row.person_id)
    if notify and person is not None:
        messages.on_stay(reg, session, actor, person, row, "stay_ended")
    return present.stay(reg, actor, row)


def follow_person(session: Session, actor: Actor, stay_id: int, action: str, day: dt.date, reason: str) -> None:
    """The current stay follows the person: ended on deregister/archive, reopened on restore."""
    row = session.get(t.Stay, stay_id)
    if row is None:
        return
    if action in ENDED and row.status == "open":
        values: dict[str, Any] = {"status": ENDED[action], "end_reason": reason, "ended_at": t.utcnow()}
        if action == "deregister":
            values["returned_on"] = day
    elif action == "restore" and row.status in ENDED.values():
        values = {"status": "open", "returned_on": None, "end_reason": None, "ended_at": None}
    else:
        return
    before = {k: history.jsonable(getattr(row, k)) for k in values}
    compare_and_set(session, row, row.version, values, entity="stay")
    history.record(session, actor, entity="stay", entity_id=row.id, person_id=row.person_id, action=action,
                   changes={k: [before[k], history.jsonable(v)] for k, v in values.items()}, reason=reason,
                   scope_code=row.residence_code)


def move(reg: Registry, session: Session, actor: Actor, stay_id: int, to_code: str, address: str | None, reason: str) -> None:
    """The residence changes because the receiving side accepted a transfer (迁入)."""
    row = session.get(t.Stay, stay_id)
    if row is None or row.status != "open":
        raise Conflict("stay_not_open", "流动记录已结束，无法迁入", "the stay is no longer open")
    values = {"residence_code": to_code, "residence_address": address, "grid_code": None, "house_code": None, "room": None}
    before = {k: getattr(row, k) for k in values}
    compare_and_set(session, row, row.version, values, entity="stay")
    history.record(session, actor, entity="stay", entity_id=row.id, person_id=row.person_id, action="transfer",
                   changes=history.diff(before, values), reason=reason, scope_code=to_code)
    session.refresh(row)
    _point_person(session, row.person_id, row)
    moves.settle(session, [row.person_id])  # to another county: the person and their rows move there


def request_transfer(reg: Registry, session: Session, actor: Actor, stay_id: int, version: int, to_code: str,
                     address: str | None, reason: str) -> t.Message:
    """Moving a stay to another township: a transfer request (移交); the stay moves when it is accepted."""
    actor.require("write")
    row = load_stay(session, actor, stay_id)
    expect_version(row, version, entity="stay")
    if row.status != "open":
        raise Conflict("stay_not_open", "流动记录已结束", "the stay is closed")
    errors = area.check_place(reg, to_code, "to_residence_code", current=True)
    if not errors and township_of(to_code) == township_of(row.residence_code):
        errors.append(field_error("to_residence_code", "same_township", "目标在同一乡镇，直接修改现居住地即可",
                                  "same township: edit the residence instead"))
    if errors:
        raise Invalid(errors)
    pending = session.execute(
        select(t.Message.id).where(t.Message.stay_id == row.id, t.Message.kind == "transfer",
                                   t.Message.status.in_(tuple(deadlines.OPEN)))
    ).first()
    if pending is not None:
        raise Conflict("transfer_pending", f"已有待处理的移交（消息 {pending[0]}）", f"a transfer is already pending (message {pending[0]})")
    person = load_person(session, actor, row.person_id)
    return messages.new_message(
        reg, session, actor, kind="transfer", sender_code=township_of(row.residence_code),
        addressee_code=township_of(to_code), subject=messages.subject_of(person, row), stay_id=row.id,
        person_id=person.id, text=reason,
        items={"from_residence_code": row.residence_code, "to_residence_code": to_code, "residence_address": address,
               # what another registry accepting it registers the stay with (inbox.transfers.take_over)
               "reason": row.reason, "arrived_on": row.arrived_on.isoformat(),
               "left_home_on": row.left_home_on.isoformat() if row.left_home_on else None,
               "occupation": row.occupation},
    )
