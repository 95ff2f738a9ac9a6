"""Rosters: the people a place holds, as the caller may see them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.counties import person_stays
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.people import present
from flowpop.registry.places import employers
from flowpop.registry.store import tables as t
from flowpop.types import Person


def employer_roster(reg: Registry, session: Session, actor: Actor, code: str) -> list[Person]:
    """The employer's floating workers that the caller may see: persons with an open stay at this employer."""
    actor.require("read")
    row = employers.load(session, actor, code)
    persons = session.execute(
        select(t.Person).join(t.Stay, person_stays())
        .where(t.Stay.employer_code == row.uscc, t.Stay.status == "open", employers.sees_worker(actor)).order_by(t.Person.name_pinyin)
    ).scalars().all()
    return [present.person(reg, actor, p) for p in persons]
