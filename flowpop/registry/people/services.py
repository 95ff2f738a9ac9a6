"""Service records for key targets; providing one notifies the household side (5 working days)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from flowpop.registry.kernel import history
from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.divisions import township_of
from flowpop.registry.kernel.errors import Conflict, Invalid, field_error
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.kernel.validation import birth_as_seen
from flowpop.registry.messaging import deadlines, messages
from flowpop.registry.people import access
from flowpop.registry.store import tables as t
from flowpop.types import ServiceCreate, ServiceRecord


def record(reg: Registry, session: Session, actor: Actor, person_id: int, data: ServiceCreate) -> ServiceRecord:
    actor.require("write")
    person = access.load_person(session, actor, person_id)
    if person.status != "active":
        raise Conflict("person_not_active", "人员不在册", "person is not active")
    stay = session.get(t.Stay, person.current_stay_id) if person.current_stay_id else None
    provider = data.provider_code or (township_of(stay.residence_code) if stay else actor.jurisdiction_code)
    errors = reg.divisions.check_acting(actor, provider, "provider_code", ("服务单位", "service provider"))
    if data.provided_on > today() or data.provided_on < birth_as_seen(person.birth_date, actor.can("reveal"), today()):
        errors.append(field_error("provided_on", "date_range", "服务日期须在出生日期与今天之间", "service date must lie between birth and today"))
    if errors:
        raise Invalid(errors)
    row = t.ServiceRecord(person_id=person.id, county=person.county, stay_id=stay.id if stay else None, kind=data.kind, provided_on=data.provided_on,
                          provider_code=provider, detail=data.detail, created_by=actor.username)
    session.add(row)
    session.flush()
    history.record(session, actor, entity="service", entity_id=row.id, person_id=person.id, action="create",
                   changes={"kind": [None, data.kind], "provided_on": [None, data.provided_on.isoformat()]},
                   scope_code=provider)
    if provider and provider[:6] != person.household_code[:6]:
        messages.new_message(reg, session, actor, kind="notification", topic="service_provided",
                          sender_code=provider, addressee_code=township_of(person.household_code),
                          subject=messages.subject_of(person, stay), person_id=person.id, stay_id=row.stay_id,
                          items={"service": data.kind, "provided_on": data.provided_on.isoformat()}, event_on=data.provided_on)
    return _present(reg, row, person)


def _present(reg: Registry, row: t.ServiceRecord, person: t.Person) -> ServiceRecord:
    """With whether its 通报 went out late: it goes out when the service is recorded (seed 000: within 5 working
    days of the service), so a service recorded later is a late 通报."""
    late = None if row.provider_code[:6] == person.household_code[:6] else deadlines.sent_late_by(
        row.created_at, row.provided_on, "notification_send", deadlines.calendar(reg))
    return ServiceRecord.model_validate(row).model_copy(update={"notice_late": late})


def list_for(reg: Registry, session: Session, actor: Actor, person_id: int) -> list[ServiceRecord]:
    """Sensitive: only roles that may reveal personal data, and every read is logged."""
    actor.require("reveal")
    person = access.load_person(session, actor, person_id)
    rows = list(session.execute(select(t.ServiceRecord).where(t.ServiceRecord.person_id == person_id)
                                .order_by(t.ServiceRecord.provided_on.desc())).scalars())
    history.log_access(session, actor, "reveal", "service", [r.id for r in rows], detail=f"services of person {person_id}")
    return [_present(reg, r, person) for r in rows]
