"""婚育证明: recorded when shown, verified (查验) by the residence side — which notifies the household
side — and reminder notices (催办通知书) with a deadline when it is missing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from flowpop.registry.kernel import history
from flowpop.registry.kernel import settings as settings_mod
from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.divisions import township_of
from flowpop.registry.kernel.errors import Invalid, field_error
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.messaging import messages
from flowpop.registry.people import access
from flowpop.registry.store import tables as t
from flowpop.types import Certificate, CertificateCreate


def add(reg: Registry, session: Session, actor: Actor, person_id: int, data: CertificateCreate) -> Certificate:
    actor.require("write")
    person = access.load_person(session, actor, person_id)
    errors = reg.divisions.check(data.issued_by_code, "issued_by_code")
    for key in ("issued_on", "verified_on"):
        value = getattr(data, key)
        if value and value > today():
            errors.append(field_error(key, "date_in_future", "日期不能晚于今天", "date is in the future"))
    if data.issued_on and data.expires_on and data.expires_on < data.issued_on:
        errors.append(field_error("expires_on", "before_issue", "有效期早于发证日期", "expires before it was issued"))
    if errors:
        raise Invalid(errors)
    verifier = township_of(person.residence_code) if data.verified_on and person.residence_code else None
    row = t.Certificate(person_id=person.id, county=person.county, number=data.number, issued_by_code=data.issued_by_code, issued_on=data.issued_on,
                        expires_on=data.expires_on, verified_on=data.verified_on, verified_by_code=verifier)
    session.add(row)
    session.flush()
    history.record(session, actor, entity="certificate", entity_id=row.id, person_id=person.id, action="create",
                   changes={"number": [None, data.number], "verified_on": [None, history.jsonable(data.verified_on)]},
                   scope_code=person.residence_code)
    for reminder in session.execute(select(t.Reminder).where(t.Reminder.person_id == person.id, t.Reminder.kind == "certificate",
                                                             t.Reminder.resolved_on.is_(None))).scalars():
        reminder.resolved_on = today()
    if verifier and person.household_code[:6] != verifier[:6]:
        messages.new_message(reg, session, actor, kind="notification", topic="certificate_verified", sender_code=verifier,
                          addressee_code=township_of(person.household_code), subject=messages.subject_of(person),
                          person_id=person.id, items={"number": data.number, "verified_on": data.verified_on.isoformat()},  # type: ignore[union-attr]  # a verifier only with verified_on
                          event_on=data.verified_on)
    return Certificate.model_validate(row)


def list_for(session: Session, person_id: int) -> list[Certificate]:
    rows = session.execute(select(t.Certificate).where(t.Certificate.person_id == person_id).order_by(t.Certificate.id))
    return [Certificate.model_validate(r) for r in rows.scalars()]


def remind(reg: Registry, session: Session, actor: Actor, person: t.Person, reason: str) -> t.Reminder:
    days = settings_mod.load().deadline("certificate_show_days")
    deadline = today() + dt.timedelta(days=days)
    text = (f"{person.name}：经{reason}，您未能出示婚育证明。请于 {deadline:%Y年%m月%d日} 前持户籍地出具的婚育证明"
            f"到现居住地乡镇（街道）流动人口服务站办理查验。")
    row = t.Reminder(person_id=person.id, county=person.county, kind="certificate", issued_on=today(), deadline=deadline, text=text,
                     issued_by=actor.username)
    session.add(row)
    session.flush()
    history.record(session, actor, entity="reminder", entity_id=row.id, person_id=person.id, action="remind",
                   changes={"deadline": [None, deadline.isoformat()]}, reason=reason, scope_code=person.residence_code)
    return row
