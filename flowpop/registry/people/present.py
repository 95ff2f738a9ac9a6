"""Rows to contract models, as one caller may see them (masking, names, direction)."""

from __future__ import annotations

from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.kernel.validation import age_on, is_key_target
from flowpop.registry.store import tables as t
from flowpop.rules.idnumber import mask
from flowpop.types import Notice, Person, PersonDetail, Stay


def direction(actor_prefix: str, residence: str | None, household: str | None) -> str | None:
    if not actor_prefix:
        return None
    res_in = bool(residence and residence.startswith(actor_prefix))
    hh_in = bool(household and household.startswith(actor_prefix))
    if res_in and hh_in:
        return "local"
    if res_in:
        return "inflow"
    if hh_in:
        return "outflow"
    return "other"


def stay(reg: Registry, actor: Actor, row: t.Stay, prefix: str | None = None) -> Stay:
    return Stay(
        id=row.id,
        person_id=row.person_id,
        household_code=row.household_code,
        household_name=reg.divisions.name(row.household_code),
        household_address=row.household_address,
        residence_code=row.residence_code,
        residence_name=reg.divisions.name(row.residence_code),
        residence_address=row.residence_address,
        grid_code=row.grid_code,
        house_code=row.house_code,
        room=row.room,
        reason=row.reason,
        left_home_on=row.left_home_on,
        arrived_on=row.arrived_on,
        expected_return_on=row.expected_return_on,
        returned_on=row.returned_on,
        occupation=row.occupation,
        employer=row.employer,
        employer_code=row.employer_code,
        declare_due_on=row.declare_due_on,
        permit_number=row.permit_number,
        permit_issued_on=row.permit_issued_on,
        permit_expires_on=row.permit_expires_on,
        status=row.status,
        end_reason=row.end_reason,
        inflow_registered_at=row.inflow_registered_at,
        outflow_registered_at=row.outflow_registered_at,
        direction=direction(actor.prefix if prefix is None else prefix, row.residence_code, row.household_code),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def person(reg: Registry, actor: Actor, row: t.Person, *, reveal: bool = False, prefix: str | None = None) -> Person:
    day = today()
    return Person(
        id=row.id,
        id_number=row.id_number if reveal else (mask(row.id_number) or ""),
        id_revealed=reveal,
        name=row.name,
        name_pinyin=row.name_pinyin,
        sex=row.sex,
        # unrevealed, the year only: a birth date beside the masked number rebuilds it, and an age polled daily
        # tells the birthday the day it goes up
        birth_date=row.birth_date if reveal else None,
        birth_year=row.birth_date.year,
        age=age_on(row.birth_date, day) if reveal else None,
        ethnicity=row.ethnicity,
        education=row.education,
        hukou_type=row.hukou_type,
        marital_status=row.marital_status,
        category=row.category,
        key_target=is_key_target(row.category, row.birth_date, day),
        phone=row.phone,
        household_code=row.household_code,
        household_name=reg.divisions.name(row.household_code),
        household_address=row.household_address,
        household_house_code=row.household_house_code,
        household_room=row.household_room,
        residence_code=row.residence_code,
        residence_name=reg.divisions.name(row.residence_code),
        arrived_on=row.arrived_on,
        current_stay_id=row.current_stay_id,
        direction=direction(actor.prefix if prefix is None else prefix, row.residence_code, row.household_code),
        status=row.status,
        note=row.note,
        warnings=[Notice(**w) for w in (row.warnings or [])],
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def person_detail(reg: Registry, actor: Actor, row: t.Person, stays: list[t.Stay], *, reveal: bool) -> PersonDetail:
    base = person(reg, actor, row, reveal=reveal)
    return PersonDetail(**base.model_dump(), stays=[stay(reg, actor, s) for s in stays])
