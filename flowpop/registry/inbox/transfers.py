"""Transfers (移交) between registries (issue 13): within one registry the accepted transfer moves the stay
(people.stays.move); across registries the stay is local to the sender, so each side does its own part.

- The receiving registry, accepting, registers the person's stay at the destination the transfer names, from the
  person the message carries (as 引用建档 does), or on its record of the same ID number (18- or 15-digit form):
  her open stay moves there, else a new stay is opened.
- The sending registry, told of the acceptance (``transfer_accepted``), ends its stay on the day of acceptance
  (迁往…), unless her household is in its own area: then its record stays, as the household side's outflow, its
  residence the place the other registry named.

A refusal changes nothing on either side."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from flowpop.registry.kernel import area, history, id_numbers
from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.errors import Invalid
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.kernel.validation import birth_as_seen
from flowpop.registry.kernel.versioning import compare_and_set
from flowpop.registry.people import other_side, persons, stays
from flowpop.registry.people.sides import SIDES
from flowpop.registry.store import tables as t
from flowpop.rules import beijing, idnumber
from flowpop.types import PersonCreate, StayFields

ACCEPTED = "transfer_accepted"


def _stay_fields(row: t.Message) -> StayFields:
    subject, items = row.subject or {}, row.items or {}
    return StayFields(
        household_code=subject.get("household_code"), household_address=subject.get("household_address"),
        residence_code=items["to_residence_code"], residence_address=items.get("residence_address"),
        reason=items.get("reason") or "other", left_home_on=items.get("left_home_on"),
        arrived_on=items.get("arrived_on") or today(), occupation=items.get("occupation"),
    )


def take_over(reg: Registry, session: Session, actor: Actor, row: t.Message) -> None:
    """The receiving side accepted a transfer from another registry (``row``, imported, no stay here): the stay
    registered here at the destination; the message matched to the person and pointed at that stay."""
    subject = row.subject or {}
    said = idnumber.normalize(str(subject.get("id_number") or ""))
    if not said or not (row.items or {}).get("to_residence_code"):
        return
    data = _stay_fields(row)
    person = session.execute(
        select(t.Person).where(id_numbers.holding(session, said), t.Person.status == "active")
        .order_by(t.Person.id).limit(1)
    ).scalar_one_or_none()
    if person is None:
        created = persons.create(reg, session, actor, PersonCreate(
            id_number=said, name=str(subject.get("name") or ""), phone=subject.get("phone") or None,
            household_code=str(subject.get("household_code") or ""), household_address=subject.get("household_address"),
            stay=data))
        person = session.get(t.Person, created.id)
        assert person is not None
        stay_id = person.current_stay_id
    else:
        open_stay = session.get(t.Stay, person.current_stay_id) if person.current_stay_id else None
        if open_stay is not None and open_stay.status == "open":
            stays.move(reg, session, actor, open_stay.id, data.residence_code, data.residence_address,
                       f"移交（消息 {row.uid}）")
            stay_id = open_stay.id
        else:
            born = birth_as_seen(person.birth_date, actor.can("reveal"), today())
            errors = stays.check_fields(reg, actor, data, born=born, household_code=data.household_code)
            if errors:
                raise Invalid(errors)
            stay_id = stays.insert(reg, session, actor, person, data).id
    compare_and_set(session, row, row.version, {"matched_person_id": person.id, "stay_id": stay_id}, entity="message")


def accepted(reg: Registry, session: Session, actor: Actor, batch: list[t.Message]) -> int:
    """The other registry's acceptances of transfers sent from here: each transfer's stay ends, or (her household
    in the own area) moves to the place the other side named. Answers how many stays changed."""
    changed = 0
    for msg in batch:
        if not msg.imported or msg.kind != "notification" or msg.topic != ACCEPTED:
            continue
        uid = str((msg.items or {}).get("transfer") or msg.in_reply_to or "")
        transfer = session.execute(
            select(t.Message).where(t.Message.uid == uid, t.Message.kind == "transfer", t.Message.imported.is_(False))
        ).scalar_one_or_none()
        stay = session.get(t.Stay, transfer.stay_id) if transfer is not None and transfer.stay_id else None
        if transfer is None or stay is None or stay.status != "open":
            continue
        items = transfer.items or {}
        to_code = str(items.get("to_residence_code") or "")
        if area.inside(area.own_area(reg), stay.household_code):
            _stays_outflow(reg, session, actor, stay, to_code, items.get("residence_address"), uid)
        else:
            day = min(max(beijing.day_of(msg.created_at or t.utcnow()), stay.arrived_on), today())
            node = reg.divisions.get(to_code) or reg.divisions.get(to_code[:6] + "000000")
            place = node.full_name if node is not None else to_code
            stays.close(reg, session, actor, stay.id, stay.version, f"迁往{place}（移交 {uid}，对方已接收）", day)
        changed += 1
    return changed


def _stays_outflow(reg: Registry, session: Session, actor: Actor, stay: t.Stay, to_code: str, address: Any,
                   uid: str) -> None:
    """Her household is here: the record stays, its residence the other registry's place; this side's
    registration is now the household side's (outflow), the residence side's comes with its notice."""
    stays.move(reg, session, actor, stay.id, to_code, address, f"移交至外地（消息 {uid}，对方已接收）")
    now = t.utcnow()
    values: dict[str, dt.datetime | None] = {SIDES["outflow"]: getattr(stay, SIDES["outflow"]) or now,
                                             SIDES["inflow"]: None}
    before = {k: getattr(stay, k) for k in values}
    if before != values:
        compare_and_set(session, stay, stay.version, values, entity="stay")
        history.record(session, actor, entity="stay", entity_id=stay.id, person_id=stay.person_id, action="update",
                       changes=history.diff(before, values), reason="移交至外地：本库为户籍地（流出）",
                       scope_code=stay.household_code)
        session.refresh(stay)
    person = session.get(t.Person, stay.person_id)
    if person is not None:
        other_side.on_insert(session, actor, person, stay)  # the other registry's registration, if its notice came
