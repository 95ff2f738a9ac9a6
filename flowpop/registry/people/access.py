"""Which people and stays a caller may see, and loading one as the caller may see it (else 404, as if
it did not exist)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from flowpop.registry.kernel.auth import Actor, code_range
from flowpop.registry.kernel.errors import NotFound
from flowpop.registry.store import tables as t


def person_visible(actor: Actor, row: t.Person) -> bool:
    return actor.covers(row.household_code) or actor.covers(row.residence_code) or not actor.prefix


def load_person(session: Session, actor: Actor, person_id: int, *, for_update: bool = False) -> t.Person:
    stmt = select(t.Person).where(t.Person.id == person_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).scalar_one_or_none()
    if row is None or not sees_person(session, actor, row):
        raise NotFound("person", person_id)
    return row


def sees_person(session: Session, actor: Actor, row: t.Person) -> bool:
    """Visible by household or current residence, or by a past stay here: a person whose stay here was
    closed (returned home, moved on) can still be opened, and registered again when they come back."""
    if person_visible(actor, row):
        return True
    return session.execute(select(t.Stay.id).where(t.Stay.person_id == row.id,
                                                   code_range(t.Stay.residence_code, actor.prefix)).limit(1)).first() is not None


def stay_visible(actor: Actor, row: t.Stay) -> bool:
    return not actor.prefix or actor.covers(row.residence_code) or actor.covers(row.household_code)


def load_stay(session: Session, actor: Actor, stay_id: int) -> t.Stay:
    row = session.get(t.Stay, stay_id)
    if row is None or not stay_visible(actor, row):
        raise NotFound("stay", stay_id)
    return row
