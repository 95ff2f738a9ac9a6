"""Houses and landlords (以房管人): codes, rooms and residents, capacity, tenant declarations."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from flowpop.registry.kernel import history
from flowpop.registry.kernel import settings as settings_mod
from flowpop.registry.kernel.auth import Actor, code_range
from flowpop.registry.kernel.counties import person_stays
from flowpop.registry.kernel.errors import Conflict, Invalid, NotFound, field_error
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.kernel.validation import check_id, check_phone
from flowpop.registry.kernel.versioning import compare_and_set, expect_version
from flowpop.registry.messaging import deadlines
from flowpop.registry.places import employers
from flowpop.registry.store import tables as t
from flowpop.registry.store.chunks import in_chunks
from flowpop.rules import housecode
from flowpop.rules.divisions_source import prefix_of
from flowpop.rules.idnumber import mask
from flowpop.types import (
    Declaration,
    DeclarationCreate,
    FieldError,
    House,
    HouseCreate,
    HouseResidents,
    HouseUpdate,
    LateDeclaration,
    Occupant,
    Room,
)

LANDLORD_DECLARES = frozenset({"rented"})
REQUIRED = ("address", "rooms", "use", "mode")  # an update may leave them out, not empty them


def _code_error(field: str, reason: tuple[str, str]) -> FieldError:
    return field_error(field, "house_code", *reason)


def occupants(session: Session, codes: list[str]) -> dict[str, int]:
    if not codes:
        return {}
    rows = session.execute(
        select(t.Stay.house_code, func.count()).where(t.Stay.house_code.in_(codes), t.Stay.status == "open")
        .group_by(t.Stay.house_code)
    ).all()
    return {code: n for code, n in rows if code is not None}


def present(reg: Registry, row: t.House, count: int) -> House:
    return House(
        id=row.id, code=row.code, legacy_code=row.legacy_code, division_code=row.division_code,
        division_name=reg.divisions.name(row.division_code), grid_code=row.grid_code, address=row.address,
        rooms=row.rooms, capacity=row.capacity, occupants=count,
        over_capacity=row.capacity is not None and count > row.capacity, use=row.use, mode=row.mode,
        landlord_name=row.landlord_name, landlord_id_number=mask(row.landlord_id_number),
        landlord_phone=row.landlord_phone, status=row.status, version=row.version, created_at=row.created_at,
        updated_at=row.updated_at,
    )


def load(session: Session, actor: Actor, code: str) -> t.House:
    row = session.execute(select(t.House).where(t.House.code == housecode.normalize(code))).scalar_one_or_none()
    if row is None or not (not actor.prefix or actor.covers(row.division_code)):
        raise NotFound("house", code)
    return row


def _landlord_errors(data: Any) -> tuple[list[FieldError], str | None]:
    errors: list[FieldError] = []
    number = None
    if getattr(data, "landlord_id_number", None):
        check, id_errors, _ = check_id(data.landlord_id_number, "landlord_id_number")
        errors += id_errors
        number = check.number
    errors += check_phone(getattr(data, "landlord_phone", None), "landlord_phone")
    return errors, number


def create(reg: Registry, session: Session, actor: Actor, data: HouseCreate) -> House:
    actor.require("write")
    errors = reg.divisions.check(data.division_code, "division_code", levels=("village",), current=True)
    if data.grid_code:
        errors += reg.divisions.check(data.grid_code, "grid_code", levels=("grid",))
        if not errors and not data.grid_code.startswith(data.division_code):
            errors.append(field_error("grid_code", "grid_outside_village", "网格不属于该村/居", "grid is not in this village"))
    if not errors and actor.prefix and not actor.covers(data.division_code):
        errors.append(field_error("division_code", "outside_jurisdiction", "该村/居不在您的管辖范围内", "outside your jurisdiction"))
    more, landlord_number = _landlord_errors(data)
    errors += more
    code = None
    if data.code:
        code, reason = housecode.check(data.code)
        if reason:
            errors.append(_code_error("code", reason))
        elif housecode.village_of(code) != data.division_code:
            errors.append(field_error("code", "house_code_village", "房屋编码前12位应为所在村/居代码",
                                      "the house code must start with its village code"))
    if errors:
        raise Invalid(errors)
    if code is None:
        code = _next_code(session, data.division_code)
    elif session.execute(select(t.House.id).where(t.House.code == code)).first():
        raise Conflict("house_exists", f"房屋编码 {code} 已存在", f"house code {code} already exists")
    row = t.House(code=code, legacy_code=data.legacy_code, division_code=data.division_code, grid_code=data.grid_code,
                  address=data.address, rooms=data.rooms, capacity=data.capacity, use=data.use, mode=data.mode,
                  landlord_name=data.landlord_name, landlord_id_number=landlord_number, landlord_phone=data.landlord_phone,
                  status="active", version=1, created_by=actor.username)
    session.add(row)
    session.flush()
    history.record(session, actor, entity="house", entity_id=row.id, person_id=None, action="create",
                   changes={"code": [None, code], "address": [None, data.address]}, scope_code=data.division_code)
    return present(reg, row, 0)


def _next_code(session: Session, village: str) -> str:
    last = session.execute(
        select(func.max(t.House.code)).where(t.House.code >= village, t.House.code < village + "\uffff")
    ).scalar_one_or_none()
    serial = int(last[12:17]) + 1 if last else 1
    return housecode.make(village, serial)


def update_house(reg: Registry, session: Session, actor: Actor, code: str, data: HouseUpdate) -> House:
    actor.require("write")
    row = load(session, actor, code)
    expect_version(row, data.version, entity="house")
    changes = data.model_dump(exclude_unset=True, exclude={"version", "change_reason"})
    errors = [field_error(k, "required", "不能为空", "may not be empty") for k in REQUIRED if k in changes and changes[k] is None]
    if errors:
        raise Invalid(errors)
    errors, number = _landlord_errors(data)
    if changes.get("grid_code"):
        errors += reg.divisions.check(changes["grid_code"], "grid_code", levels=("grid",))
    if errors:
        raise Invalid(errors)
    if "landlord_id_number" in changes:
        changes["landlord_id_number"] = number
    before = {k: getattr(row, k) for k in changes}
    delta = history.diff(before, changes)
    if delta:
        compare_and_set(session, row, data.version, changes, entity="house")
        history.record(session, actor, entity="house", entity_id=row.id, person_id=None, action="update",
                       changes=delta, reason=data.change_reason, scope_code=row.division_code)
        session.refresh(row)
    return present(reg, row, occupants(session, [row.code]).get(row.code, 0))


def list_houses(reg: Registry, session: Session, actor: Actor, *, q: str | None = None, division: str | None = None,
                use: str | None = None, vacant: bool | None = None, over_capacity: bool | None = None,
                limit: int = 50, after: str | None = None) -> list[House]:
    """Search by code, address fragment or landlord; rented houses with nobody registered (vacant)."""
    actor.require("read")
    conds = [code_range(t.House.division_code, actor.prefix)]
    if division:
        node = reg.divisions.get(division)
        if node is None:
            raise Invalid([field_error("division", "unknown_division", "行政区划不存在", "unknown division")])

        conds.append(code_range(t.House.division_code, prefix_of(node.code, node.level)))
    if q:
        text = q.strip()
        conds.append(or_(t.House.code == housecode.normalize(text), t.House.landlord_name.startswith(text, autoescape=True),
                         t.House.address.contains(text, autoescape=True), t.House.legacy_code == text))
    if use:
        conds.append(t.House.use == use)
    if after:
        conds.append(t.House.code > after)
    live = select(t.Stay.house_code, func.count().label("n")).where(t.Stay.status == "open", t.Stay.house_code.is_not(None)) \
        .group_by(t.Stay.house_code).subquery()
    stmt = select(t.House, func.coalesce(live.c.n, 0)).outerjoin(live, live.c.house_code == t.House.code).where(and_(*conds))
    if vacant:
        stmt = stmt.where(live.c.n.is_(None))
    if over_capacity:
        stmt = stmt.where(t.House.capacity.is_not(None), live.c.n > t.House.capacity)
    rows = session.execute(stmt.order_by(t.House.code).limit(limit)).all()
    return [present(reg, h, n) for h, n in rows]


def residents(reg: Registry, session: Session, actor: Actor, code: str) -> HouseResidents:
    """Room by room: who lives there now, and who is registered there (and where they are now)."""
    actor.require("read")
    house = load(session, actor, code)
    living = session.execute(
        select(t.Stay, t.Person).join(t.Person, person_stays())
        .where(t.Stay.house_code == house.code, t.Stay.status == "open")
    ).all()
    declared = _declared(session, [stay.id for stay, _ in living])
    registered = session.execute(select(t.Person).where(t.Person.household_house_code == house.code)).scalars().all()
    rooms: dict[str, Room] = defaultdict(lambda: Room(room="", living=[], household_members=[]))
    for stay, person in living:
        declared_on = declared.get(stay.id)
        key = stay.room or ""
        rooms[key].room = key
        rooms[key].living.append(Occupant(
            person_id=person.id, name=person.name, id_number=mask(person.id_number) or "", sex=person.sex,
            birth_year=person.birth_date.year, stay_id=stay.id, arrived_on=stay.arrived_on,
            registered_here=person.household_house_code == house.code, declared_on=declared_on,
        ))
    for person in registered:
        key = person.household_room or ""
        rooms[key].room = key
        rooms[key].household_members.append(Occupant(
            person_id=person.id, name=person.name, id_number=mask(person.id_number) or "", sex=person.sex,
            birth_year=person.birth_date.year, stay_id=person.current_stay_id, arrived_on=person.arrived_on,
            registered_here=True, where_now=reg.divisions.name(person.residence_code) if person.residence_code else None,
        ))
    ordered = [rooms[k] for k in sorted(rooms)]
    return HouseResidents(house=present(reg, house, len(living)), rooms=ordered)


# ------------------------------------------------------------------ stays at houses


def house_ref(session: Session, raw: str | None, field: str) -> tuple[str | None, list[FieldError]]:
    """A reference to a registered house (e.g. where a hukou is registered)."""
    if not raw:
        return None, []
    code, reason = housecode.check(raw)
    if reason:
        return None, [_code_error(field, reason)]
    if session.execute(select(t.House.id).where(t.House.code == code)).first() is None:
        return None, [field_error(field, "unknown_house", f"房屋编码 {code} 未登记", f"house {code} is not registered")]
    return code, []


def capacity_conflict(house: t.House, count: int, arriving: int = 1) -> Conflict | None:
    """``arriving`` more at a house where ``count`` others live: refused past its capacity (a stay's edit, or a
    bulk move of many at once)."""
    if house.capacity is None or count + arriving <= house.capacity:
        return None
    return Conflict("house_over_capacity", f"该房屋已住 {count} 人，核定 {house.capacity} 人；确认超员登记请加 over_capacity_ok",
                    f"house holds {count} of {house.capacity}; send over_capacity_ok to register anyway")


def stay_links(reg: Registry, session: Session, actor: Actor, values: dict[str, Any], *, prefix: str = "",
               stay_id: int | None = None) -> tuple[list[FieldError], dict[str, Any]]:
    """Check a stay's house and employer; returns errors and the values to store with it."""
    errors: list[FieldError] = []
    extra: dict[str, Any] = {}
    code = values.get("house_code")
    if code:
        code, reason = housecode.check(code)
        house = None if reason else session.execute(select(t.House).where(t.House.code == code)).scalar_one_or_none()
        if reason:
            errors.append(_code_error(prefix + "house_code", reason))
        elif house is None:
            errors.append(field_error(prefix + "house_code", "unknown_house", f"房屋编码 {code} 未登记", f"house {code} is not registered"))
        elif actor.prefix and not actor.covers(house.division_code):
            errors.append(field_error(prefix + "house_code", "outside_jurisdiction", "该房屋不在您的管辖范围内",
                                      "this house is outside your jurisdiction"))
        elif values.get("residence_code") and house.division_code != values["residence_code"]:
            errors.append(field_error(prefix + "house_code", "house_outside_residence", "房屋不在现居住村/居",
                                      "the house is not in the residence village"))
        else:
            extra["house_code"] = code
            arrived = values.get("arrived_on")
            if house.use in LANDLORD_DECLARES and arrived:
                days = settings_mod.load().deadline("landlord_declare")
                extra["declare_due_on"] = deadlines.calendar(reg).add_working_days(arrived, days)
            if house.capacity is not None and not values.get("over_capacity_ok"):
                count_stmt = select(func.count()).where(t.Stay.house_code == code, t.Stay.status == "open")
                if stay_id is not None:
                    count_stmt = count_stmt.where(t.Stay.id != stay_id)
                refused = capacity_conflict(house, session.execute(count_stmt).scalar_one())
                if refused:
                    raise refused
    employer = values.get("employer_code")
    if employer:
        number, problem = employers.check_uscc(employer)
        if problem:
            errors.append(field_error(prefix + "employer_code", "uscc", *problem))
        elif session.execute(select(t.Employer.id).where(t.Employer.uscc == number)).first() is None:
            errors.append(field_error(prefix + "employer_code", "unknown_employer", f"用人单位 {number} 未登记",
                                      f"employer {number} is not registered"))
        else:
            extra["employer_code"] = number
    return errors, extra


# ------------------------------------------------------------------ declarations


def declare(reg: Registry, session: Session, actor: Actor, code: str, data: DeclarationCreate) -> Declaration:
    actor.require("write")
    house = load(session, actor, code)
    stay = session.get(t.Stay, data.stay_id)
    if stay is None or stay.house_code != house.code:
        raise Invalid([field_error("stay_id", "not_in_house", "该流动记录不在此房屋", "that stay is not at this house")])
    if data.declared_on > today() or data.declared_on < stay.arrived_on - dt.timedelta(days=30):
        raise Invalid([field_error("declared_on", "date_range", "申报日期不合理", "declaration date out of range")])
    if session.execute(select(t.Declaration.id).where(t.Declaration.stay_id == stay.id)).first():
        raise Conflict("already_declared", "该租客已申报", "this tenant was already declared")
    row = t.Declaration(house_code=house.code, stay_id=stay.id, declared_on=data.declared_on,
                        declared_by=data.declared_by or house.landlord_name, created_by=actor.username)
    session.add(row)
    session.flush()
    history.record(session, actor, entity="declaration", entity_id=row.id, person_id=stay.person_id, action="declare",
                   changes={"house_code": [None, house.code], "declared_on": [None, data.declared_on.isoformat()]},
                   scope_code=house.division_code)
    return Declaration.model_validate(row)


def late_declarations(reg: Registry, session: Session, actor: Actor, *, division: str | None = None,
                      limit: int = 10_000) -> list[LateDeclaration]:
    """Tenants declared after the deadline, or not at all with the deadline passed, with the penalty estimate."""
    actor.require("read")
    prefix = actor.prefix
    if division:

        node = reg.divisions.get(division)
        if node is None or not prefix_of(node.code, node.level).startswith(prefix):
            raise Invalid([field_error("division", "outside_jurisdiction", "区划不存在或不在管辖范围内", "unknown or outside your jurisdiction")])
        prefix = prefix_of(node.code, node.level)
    penalty = settings_mod.load().penalties["undeclared_tenant_yuan"]
    day = today()
    S = t.Stay
    # A declaration lives in its house's county, a stay in its person's, which need not be the same once she moved
    # on: the declarations and the houses are derived tables, which Citus plans apart and joins to the stays
    # (PostgreSQL inlines them: the plan of a plain join)
    declared = select(t.Declaration.id, t.Declaration.stay_id, t.Declaration.declared_on).subquery("declared")
    house = select(t.House.code, t.House.address, t.House.landlord_name, t.House.landlord_phone).subquery("house")
    stmt = (
        select(S.id, S.person_id, S.arrived_on, S.declare_due_on, S.house_code, declared.c.declared_on, t.Person.name,
               house.c.address, house.c.landlord_name, house.c.landlord_phone)
        .join(house, house.c.code == S.house_code)
        .join(t.Person, person_stays())
        .outerjoin(declared, declared.c.stay_id == S.id)
        # a house code starts with its village's code: walking the house-code index over the area gives
        # the order wanted, and the first `limit` rows end the walk
        .where(code_range(S.house_code, prefix), code_range(S.residence_code, prefix), S.declare_due_on.is_not(None),
               or_(declared.c.declared_on > S.declare_due_on,
                   and_(declared.c.id.is_(None), S.declare_due_on < day, S.status == "open")))
        .order_by(S.house_code, S.id).limit(limit)
    )
    out = []
    for r in session.execute(stmt).all():
        out.append(LateDeclaration(
            house_code=r.house_code, address=r.address, landlord_name=r.landlord_name, landlord_phone=r.landlord_phone,
            stay_id=r.id, person_id=r.person_id, name=r.name, arrived_on=r.arrived_on, due_on=r.declare_due_on,
            declared_on=r.declared_on, state="late" if r.declared_on else "missing",
            penalty_yuan=0 if r.declared_on else penalty,
        ))
    return out


def _declared(session: Session, stay_ids: list[int]) -> dict[int, Any]:
    """Stay id → the day its declaration was made, for those of ``stay_ids`` declared (read by stay id: a
    declaration lives in its house's county)."""
    out: dict[int, Any] = {}
    for part in in_chunks(stay_ids):
        out.update({sid: day for sid, day in session.execute(
            select(t.Declaration.stay_id, t.Declaration.declared_on).where(t.Declaration.stay_id.in_(part)))})
    return out


def notice(reg: Registry, session: Session, actor: Actor, code: str) -> str:
    """The notice to a landlord (出租屋租住登记申报告知书) listing undeclared and late tenants."""
    house = load(session, actor, code)
    late = [x for x in late_declarations(reg, session, actor, division=house.division_code) if x.house_code == house.code]
    days = settings_mod.load().deadline("landlord_declare")
    per = settings_mod.load().penalties["undeclared_tenant_yuan"]
    lines = [
        "出租屋租住登记申报告知书",
        "",
        f"{house.landlord_name or '房东'}：",
        f"您位于{reg.divisions.name(house.division_code) or ''}{house.address}（房屋编码 {house.code}）的出租房屋，"
        f"按规定应在租客入住后{days}个工作日内申报登记。经核查，下列租客存在逾期或未申报情况：",
        "",
    ]
    for i, x in enumerate(late, start=1):
        state = f"逾期申报（{x.declared_on}）" if x.state == "late" else "未申报"
        lines.append(f"  {i}. {x.name}，{x.arrived_on} 入住，应于 {x.due_on} 前申报，{state}")
    missing = sum(1 for x in late if x.state == "missing")
    lines += [
        "",
        f"请于接到本告知书之日起{days}个工作日内到社区（村）流动人口服务站补办申报。"
        f"逾期不申报的，每名未申报人员可处{per}元罚款，合计 {missing * per} 元。",
        "",
        f"{reg.divisions.name(house.division_code) or ''}流动人口服务管理站",
        f"{today():%Y年%m月%d日}",
    ]
    return "\n".join(lines)
