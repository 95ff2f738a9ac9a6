"""Messages (信息交换) as records: who sends what to whom about which person, and the notices (通报)
that registering or ending a stay across counties raises. What a place then does with a message is
the inbox's workflow (`flowpop.registry.inbox`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flowpop.registry.kernel import area, history
from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.counties import person_stays
from flowpop.registry.kernel.divisions import township_of
from flowpop.registry.kernel.errors import NotFound
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.messaging import deadlines, kinds, matching, outbox
from flowpop.registry.store import tables as t
from flowpop.registry.store.chunks import in_chunks
from flowpop.rules import beijing


def subject_of(person: t.Person, stay: t.Stay | None = None) -> dict[str, Any]:
    return {
        "id_number": person.id_number, "name": person.name, "sex": person.sex,
        "birth_date": person.birth_date.isoformat(), "household_code": person.household_code,
        "household_address": person.household_address,
        "residence_code": stay.residence_code if stay else person.residence_code,
        "residence_address": stay.residence_address if stay else None, "phone": person.phone,
    }


def new_message(
    reg: Registry, session: Session, actor: Actor, *, kind: str, sender_code: str, addressee_code: str,
    subject: dict[str, Any], items: dict[str, Any] | None = None, topic: str | None = None, text: str | None = None,
    stay_id: int | None = None, person_id: int | None = None, thread_uid: str | None = None,
    in_reply_to: str | None = None, event_on: dt.date | None = None, uid: str | None = None,
    created_at: dt.datetime | None = None, imported: bool = False, batch: bool = False,
) -> t.Message:
    """``batch``: the caller matches, flushes and writes history for many messages at once."""
    uid = uid or str(uuid.uuid4())
    sent = beijing.day_of(created_at or t.utcnow())  # the Beijing day: deadlines count from it
    external = area.outside(reg, addressee_code)  # outside the own area: leaves through the exchange
    row = t.Message(
        uid=uid, kind=kind, topic=topic, thread_uid=thread_uid or uid, in_reply_to=in_reply_to,
        sender_code=sender_code, addressee_code=addressee_code, subject=subject,
        subject_id_number=str(subject.get("id_number") or "")[:18] or None,
        subject_name=str(subject.get("name") or "")[:64] or None,
        subject_birth_date=matching.parse_date(subject.get("birth_date")),
        items=items or {}, text=text, stay_id=stay_id, sender_person_id=person_id, status="new",
        event_on=event_on, due_on=deadlines.due_on(kind, sent, deadlines.calendar(reg)), external=external and not imported,
        imported=imported, candidates=[], version=1, **({"created_at": created_at} if created_at else {}),
    )
    session.add(row)
    if row.external:  # the durable outbox of the online exchange: written with the message, or not at all
        outbox.queue_message(session, row)
    if batch:
        return row
    if not row.external:
        matching.apply(session, reg.divisions, row)
    session.flush()
    history.record(session, actor, entity="message", entity_id=row.id, person_id=person_id, action="send",
                   changes={"kind": [None, kind], "to": [None, addressee_code]}, scope_code=addressee_code)
    return row


def _sides(actor: Actor, residence: str, household: str, own: tuple[str, ...]) -> tuple[bool, bool]:
    if not actor.prefix:  # the local administrator acts as the side in the own area; both or neither: the residence
        hh_only = bool(own) and area.inside(own, household) and not area.inside(own, residence)
        return not hh_only, hh_only
    return actor.covers(residence), actor.covers(household)


def _route(reg: Registry, actor: Actor, stay: t.Stay) -> tuple[str, str] | None:
    """Who tells whom about a stay across counties (sender, addressee): the side that acted tells the other."""
    if stay.household_code[:6] == stay.residence_code[:6]:
        return None  # within one county: not floating population (人户分离)
    res_side, hh_side = _sides(actor, stay.residence_code, stay.household_code, area.own_area(reg))
    if res_side and not hh_side:
        return township_of(stay.residence_code), township_of(stay.household_code)
    if hh_side and not res_side:
        return (actor.jurisdiction_code or township_of(stay.household_code)), township_of(stay.residence_code)
    return None


def _notice(reg: Registry, session: Session, actor: Actor, person: t.Person, stay: t.Stay, topic: str,
            route: tuple[str, str], batch: bool = False) -> t.Message:
    return new_message(reg, session, actor, kind="notification", topic=topic, sender_code=route[0],
                       addressee_code=route[1], subject=subject_of(person, stay), stay_id=stay.id, person_id=person.id,
                       items={"arrived_on": stay.arrived_on.isoformat(), "reason": stay.reason,
                              "returned_on": stay.returned_on.isoformat() if stay.returned_on else None},
                       event_on=today(), batch=batch)


def on_stay(reg: Registry, session: Session, actor: Actor, person: t.Person, stay: t.Stay, topic: str) -> None:
    """Registering or ending a stay across counties tells the other side (通报)."""
    if (route := _route(reg, actor, stay)) is not None:
        _notice(reg, session, actor, person, stay, topic, route)


def on_stays(reg: Registry, session: Session, actor: Actor, stay_ids: list[int], topic: str) -> int:
    """Many stays ended at once (a bulk deregistration): each tells the other side as one ended alone does (通报),
    matched in bulk, one history row each. Answers how many notices were sent."""
    made: list[t.Message] = []
    for part in in_chunks(stay_ids):
        pairs = session.execute(select(t.Stay, t.Person).join(t.Person, person_stays())
                                .where(t.Stay.id.in_(part)).execution_options(populate_existing=True)).all()
        for stay, person in pairs:
            if (route := _route(reg, actor, stay)) is not None:
                made.append(_notice(reg, session, actor, person, stay, topic, route, batch=True))
    if not made:
        return 0
    matching.apply_many(session, reg.divisions, [m for m in made if not m.external])
    session.flush()
    now = t.utcnow()
    counties = history.person_counties(session, (m.sender_person_id for m in made))
    for entries in in_chunks(made, 5000):
        session.execute(t.HistoryEntry.__table__.insert(), [
            history.entry(actor, entity="message", entity_id=m.id, person_id=m.sender_person_id, action="send",
                          changes={"kind": [None, m.kind], "to": [None, m.addressee_code]}, scope_code=m.addressee_code,
                          at=now, county=counties[m.sender_person_id]) for m in entries])
    return len(made)


def close_with_subject(session: Session, actor: Actor, stay_ids: list[int], why: str | None) -> int:
    """查无此人 messages close with their subject: when the stay one is about ends (deregistered, archived, closed),
    an open one closes now, its outcome ``subject_ended`` and the reason in its history; it is nobody's lateness
    (not overdue, not counted against the household side's answers). Answers how many closed."""
    closed = 0
    now = t.utcnow()
    for part in in_chunks(stay_ids):
        rows = session.execute(
            select(t.Message.id, t.Message.status, t.Message.addressee_code, t.Message.matched_person_id)
            .where(t.Message.kind == "not_found", t.Message.stay_id.in_(part),
                   t.Message.status.in_(tuple(deadlines.OPEN)))).all()
        if not rows:
            continue
        session.execute(
            update(t.Message).where(t.Message.id.in_([r.id for r in rows]), t.Message.status.in_(tuple(deadlines.OPEN)))
            .values(status="closed", outcome=kinds.SUBJECT_ENDED, closed_at=now, version=t.Message.version + 1)
            .execution_options(synchronize_session="fetch"))
        counties = history.person_counties(session, (r.matched_person_id for r in rows))
        session.execute(t.HistoryEntry.__table__.insert(), [
            history.entry(actor, entity="message", entity_id=r.id, person_id=r.matched_person_id, action="close",
                          changes={"status": [r.status, "closed"], "outcome": [None, kinds.SUBJECT_ENDED]},
                          reason=why or kinds.SUBJECT_ENDED, scope_code=r.addressee_code, at=now,
                          county=counties[r.matched_person_id]) for r in rows])
        closed += len(rows)
    return closed


def visible(actor: Actor, row: t.Message) -> bool:
    return not actor.prefix or actor.covers(row.addressee_code) or actor.covers(row.sender_code)


def load(session: Session, actor: Actor, message_id: int) -> t.Message:
    row = session.get(t.Message, message_id)
    if row is None or not visible(actor, row):
        raise NotFound("message", message_id)
    return row


