"""Employers (用人单位): credit codes, responsibility agreements, rosters of floating workers."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from flowpop.registry.kernel import history
from flowpop.registry.kernel import settings as settings_mod
from flowpop.registry.kernel.auth import Actor, code_range
from flowpop.registry.kernel.counties import person_stays
from flowpop.registry.kernel.errors import Conflict, Invalid, NotFound, field_error
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.kernel.validation import check_phone
from flowpop.registry.kernel.versioning import compare_and_set, expect_version
from flowpop.registry.store import tables as t
from flowpop.rules.idnumber import normalize
from flowpop.types import Employer, EmployerCreate, EmployerUpdate


def agreement_threshold() -> int:
    """Floating workers from which an employer signs a responsibility agreement: settings employers.agreement_workers
    (seed 004: "专门与用工10人以上的业主签订流动人口管理责任状")."""
    return int(settings_mod.load().employers["agreement_workers"])


def check_uscc(raw: str) -> tuple[str, tuple[str, str] | None]:
    number = normalize(raw)
    try:
        return uscc.validate(number), None
    except StdnumError:
        return number, ("统一社会信用代码无效（18位，含校验位）", "not a valid unified social credit code (18 characters with a check character)")


Workers = tuple[int, int]  # (those the caller may see, all of them)


def sees_worker(actor: Actor) -> ColumnElement[bool]:
    """Workers the caller may see (persons.visible in SQL): living or registered in its area."""
    return or_(code_range(t.Person.residence_code, actor.prefix), code_range(t.Person.household_code, actor.prefix))


def _counts(actor: Actor) -> tuple[ColumnElement[int], ColumnElement[int]]:
    return func.sum(case((sees_worker(actor), 1), else_=0)).label("seen"), func.count().label("n")


def workers(session: Session, actor: Actor, codes: list[str]) -> dict[str, Workers]:
    if not codes:
        return {}
    rows = session.execute(select(t.Stay.employer_code, *_counts(actor)).join(t.Person, person_stays())
                           .where(t.Stay.employer_code.in_(codes), t.Stay.status == "open")
                           .group_by(t.Stay.employer_code)).all()
    return {c: (int(seen or 0), n) for c, seen, n in rows if c is not None}


def present(reg: Registry, row: t.Employer, workers: Workers = (0, 0)) -> Employer:
    seen, total = workers
    return Employer(
        id=row.id, uscc=row.uscc, name=row.name, address=row.address, division_code=row.division_code,
        division_name=reg.divisions.name(row.division_code), contact_name=row.contact_name, contact_phone=row.contact_phone,
        agreement_signed_on=row.agreement_signed_on, floating_workers=seen,
        # the agreement is the employer's duty, owed for all its workers wherever they live
        needs_agreement=total >= agreement_threshold() and row.agreement_signed_on is None, status=row.status,
        version=row.version, created_at=row.created_at, updated_at=row.updated_at,
    )


def load(session: Session, actor: Actor, code: str) -> t.Employer:
    row = session.execute(select(t.Employer).where(t.Employer.uscc == normalize(code))).scalar_one_or_none()
    if row is None or not (not actor.prefix or actor.covers(row.division_code)):
        raise NotFound("employer", code)
    return row


def create(reg: Registry, session: Session, actor: Actor, data: EmployerCreate) -> Employer:
    actor.require("write")
    number, problem = check_uscc(data.uscc)
    errors = [field_error("uscc", "uscc", *problem)] if problem else []
    errors += reg.divisions.check(data.division_code, "division_code", current=True)
    errors += check_phone(data.contact_phone, "contact_phone")
    if not errors and actor.prefix and not actor.covers(data.division_code):
        errors.append(field_error("division_code", "outside_jurisdiction", "不在您的管辖范围内", "outside your jurisdiction"))
    if errors:
        raise Invalid(errors)
    if session.execute(select(t.Employer.id).where(t.Employer.uscc == number)).first():
        raise Conflict("employer_exists", f"用人单位 {number} 已登记", f"employer {number} already registered")
    row = t.Employer(uscc=number, name=data.name, address=data.address, division_code=data.division_code,
                     contact_name=data.contact_name, contact_phone=data.contact_phone,
                     agreement_signed_on=data.agreement_signed_on, status="active", version=1)
    session.add(row)
    session.flush()
    history.record(session, actor, entity="employer", entity_id=row.id, person_id=None, action="create",
                   changes={"uscc": [None, number], "name": [None, data.name]}, scope_code=data.division_code)
    return present(reg, row)


def update_employer(reg: Registry, session: Session, actor: Actor, code: str, data: EmployerUpdate) -> Employer:
    actor.require("write")
    row = load(session, actor, code)
    expect_version(row, data.version, entity="employer")
    changes = data.model_dump(exclude_unset=True, exclude={"version", "change_reason"})
    errors = [field_error("name", "required", "不能为空", "may not be empty")] if "name" in changes and changes["name"] is None else []
    errors += check_phone(changes.get("contact_phone"), "contact_phone")
    if errors:
        raise Invalid(errors)
    delta = history.diff({k: getattr(row, k) for k in changes}, changes)
    if delta:
        compare_and_set(session, row, data.version, changes, entity="employer")
        history.record(session, actor, entity="employer", entity_id=row.id, person_id=None, action="update",
                       changes=delta, reason=data.change_reason, scope_code=row.division_code)
        session.refresh(row)
    return present(reg, row, workers(session, actor, [row.uscc]).get(row.uscc, (0, 0)))


def list_employers(reg: Registry, session: Session, actor: Actor, *, q: str | None = None, needs_agreement: bool = False,
                   limit: int = 100) -> list[Employer]:
    actor.require("read")
    workers = select(t.Stay.employer_code, *_counts(actor)).join(t.Person, person_stays()) \
        .where(t.Stay.status == "open", t.Stay.employer_code.is_not(None)).group_by(t.Stay.employer_code).subquery()
    stmt = select(t.Employer, func.coalesce(workers.c.seen, 0), func.coalesce(workers.c.n, 0)) \
        .outerjoin(workers, workers.c.employer_code == t.Employer.uscc) \
        .where(code_range(t.Employer.division_code, actor.prefix))
    if q:
        stmt = stmt.where((t.Employer.uscc == normalize(q)) | t.Employer.name.contains(q.strip(), autoescape=True))
    if needs_agreement:
        stmt = stmt.where(and_(workers.c.n >= agreement_threshold(), t.Employer.agreement_signed_on.is_(None)))
    rows = session.execute(stmt.order_by(t.Employer.name).limit(limit)).all()
    return [present(reg, e, (int(seen), n)) for e, seen, n in rows]
