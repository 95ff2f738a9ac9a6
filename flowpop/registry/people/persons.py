"""Persons (人员): register, read, edit, deregister (注销), archive (退档) and restore."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from flowpop.registry.kernel import area, history, id_numbers
from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.counties import same_county
from flowpop.registry.kernel.errors import ApiError, Conflict, Invalid, field_error
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.kernel.validation import category, check_id, check_phone
from flowpop.registry.kernel.versioning import compare_and_set, expect_version
from flowpop.registry.messaging import messages
from flowpop.registry.people import moves, present, stays
from flowpop.registry.people.access import load_person, sees_person
from flowpop.registry.places import houses
from flowpop.registry.store import tables as t
from flowpop.rules.names import clean_name, name_keys
from flowpop.types import FieldError, PersonCreate, PersonDetail, PersonUpdate, StatusChange

NAME_MAX = 64  # persons.name column
EDITABLE = (
    "id_number", "name", "ethnicity", "education", "hukou_type", "marital_status", "phone",
    "household_code", "household_address", "household_house_code", "household_room", "note",
)


def snapshot(row: t.Person) -> dict[str, Any]:
    return {k: getattr(row, k) for k in (*EDITABLE, "sex", "birth_date", "category", "status")}


# What a caller may learn about an ID number registered outside its area: that one bit (so that no second
# record is made), never who, where or any field of it. Create and every import row say it this same way.
HELD_ELSEWHERE = ("held_elsewhere", "该身份证号码已在其他辖区登记", "this ID number is registered outside your jurisdiction")


def held_elsewhere(field: str = "id_number") -> Conflict:
    return Conflict(*HELD_ELSEWHERE, errors=[field_error(field, *HELD_ELSEWHERE)])


def duplicate(session: Session, actor: Actor, id_number: str, exclude: int | None = None) -> None:
    """Refuses an ID number another active record holds, in either of its forms: held_elsewhere outside the
    caller's area, duplicate_id_number (naming the record) inside it."""
    stmt = select(t.Person).where(id_numbers.holding(session, id_number), t.Person.status == "active")
    if exclude is not None:
        stmt = stmt.where(t.Person.id != exclude)
    others = list(session.execute(stmt.order_by(t.Person.id)).scalars())
    if not others:
        return
    other = next((o for o in others if sees_person(session, actor, o)), None)
    if other is None:
        raise held_elsewhere()
    raise Conflict("duplicate_id_number", f"该身份证号码已有在册人员（编号 {other.id}）",
                   f"an active person with this ID number exists (id {other.id})")


def create(reg: Registry, session: Session, actor: Actor, data: PersonCreate) -> PersonDetail:
    actor.require("write")
    check, errors, notices = check_id(data.id_number)
    if check.ok:
        if data.sex and data.sex != check.sex:
            errors.append(field_error("sex", "sex_mismatch", "性别与身份证号码不符", "sex disagrees with the ID number"))
        if data.birth_date and data.birth_date != check.birth_date:
            errors.append(
                field_error("birth_date", "birth_date_mismatch", "出生日期与身份证号码不符", "birth date disagrees with the ID number")
            )
    errors += check_phone(data.phone)
    errors += area.check_place(reg, data.household_code, "household_code", village=False)
    name = _clean_name(data.name, errors)
    if data.stay is not None:
        stay_errors = stays.check_fields(reg, actor, data.stay, born=check.birth_date, prefix="stay.",
                                         household_code=data.stay.household_code or data.household_code)
        if data.stay.household_code is None:  # defaulted to the person's, whose errors are reported once above
            stay_errors = [e for e in stay_errors if e.field != "stay.household_code"]
        errors += stay_errors
    elif not errors and not actor.covers(data.household_code) and actor.prefix:
        errors.append(_outside("household_code"))
    house_code, house_errors = houses.house_ref(session, data.household_house_code, "household_house_code")
    errors += house_errors
    if errors:
        raise Invalid(errors)
    joined = _join_other_side(session, actor, check.number, data, area.own_area(reg))
    if joined is not None:
        return get(reg, session, actor, joined, reveal=False)
    duplicate(session, actor, check.number)
    pinyin, initials = name_keys(name)
    row = t.Person(
        id_number=check.number,
        id_rev=check.number[::-1],
        name=name,
        name_pinyin=pinyin,
        name_initials=initials,
        sex=check.sex,
        birth_date=check.birth_date,
        ethnicity=data.ethnicity,
        education=data.education,
        hukou_type=data.hukou_type,
        marital_status=data.marital_status,
        category=category(check.sex or "M", data.marital_status),
        phone=data.phone,
        household_code=data.household_code,
        # where the stay given with it lives, else the household's: the person is inserted there (issue #17)
        county=moves.person_county(data.stay.residence_code if data.stay is not None else None, data.household_code),
        household_address=data.household_address,
        household_house_code=house_code,
        household_room=data.household_room,
        note=data.note,
        status="active",
        warnings=[n.model_dump() for n in notices],
        version=1,
        created_by=actor.username,
    )
    session.add(row)
    session.flush()
    id_numbers.add(session, row.id, row.id_number, row.county)
    history.record(session, actor, entity="person", entity_id=row.id, person_id=row.id, action="create",
                   changes={k: [None, history.jsonable(v)] for k, v in snapshot(row).items() if v is not None},
                   scope_code=row.household_code)
    if data.stay is not None:
        stays.insert(reg, session, actor, row, data.stay, prefix="stay.")
    return get(reg, session, actor, row.id, reveal=False)


def _join_other_side(session: Session, actor: Actor, number: str, data: PersonCreate,
                     own: tuple[str, ...]) -> int | None:
    """A registration of a flow the other side already registered (the same ID number, in either form, with an
    open stay between the same two counties) joins that record instead of being refused as a duplicate: the
    caller's side's registration is recorded on the existing stay (stays.join). The person's id, or None."""
    if data.stay is None:
        return None
    household = data.stay.household_code or data.household_code
    rows = session.execute(
        select(t.Person, t.Stay).join(t.Stay, and_(t.Stay.id == t.Person.current_stay_id, same_county(t.Stay, t.Person)))
        .where(id_numbers.holding(session, number), t.Person.status == "active")
        .order_by(t.Person.id)
    ).all()
    for person, stay in rows:
        side = stays.joinable(actor, stay, data.stay.residence_code, household, own)
        if side is not None and sees_person(session, actor, person):
            stays.join(session, actor, stay, side)
            return person.id
    return None


def _clean_name(raw: str, errors: list[FieldError]) -> str:
    """The stored form of a name; NFKC may lengthen it (ﷺ is 18 letters), so the length is checked after."""
    name = clean_name(raw)
    if not name:
        errors.append(field_error("name", "required", "姓名不能为空", "name is required"))
    elif len(name) > NAME_MAX:
        errors.append(field_error("name", "string_too_long", f"姓名过长（最多 {NAME_MAX} 个字符）",
                                  f"name is too long (at most {NAME_MAX} characters)"))
    return name


def _outside(field: str) -> FieldError:
    return field_error(field, "outside_jurisdiction", "该地不在您的管辖范围内", "this place is outside your jurisdiction")


def get(reg: Registry, session: Session, actor: Actor, person_id: int, *, reveal: bool) -> PersonDetail:
    actor.require("read")
    row = load_person(session, actor, person_id)
    if reveal:
        actor.require("reveal")
        history.log_access(session, actor, "reveal", "person", [row.id])
    rows = list(session.execute(select(t.Stay).where(t.Stay.person_id == row.id).order_by(t.Stay.arrived_on.desc(), t.Stay.id.desc())).scalars())
    return present.person_detail(reg, actor, row, rows, reveal=reveal)


def update_person(reg: Registry, session: Session, actor: Actor, person_id: int, data: PersonUpdate) -> PersonDetail:
    actor.require("write")
    row = load_person(session, actor, person_id)
    expect_version(row, data.version, entity="person")
    if row.status != "active":
        raise _not_active(row.status)
    changes = data.model_dump(exclude_unset=True, exclude={"version", "change_reason"})
    errors = check_values(reg, changes)
    values: dict[str, Any] = {}
    if "id_number" in changes and changes["id_number"]:
        check, id_errors, notices = check_id(changes["id_number"])
        errors += id_errors
        if check.ok:
            values.update(id_number=check.number, id_rev=check.number[::-1], sex=check.sex, birth_date=check.birth_date,
                          warnings=[n.model_dump() for n in notices])
    if "name" in changes and changes["name"]:
        name = _clean_name(changes["name"], errors)
        pinyin, initials = name_keys(name)
        values.update(name=name, name_pinyin=pinyin, name_initials=initials)
    if not any(e.field == "household_code" for e in errors):
        errors += check_area(actor, changes, row.residence_code)
    if changes.get("household_house_code"):
        changes["household_house_code"], house_errors = houses.house_ref(session, changes["household_house_code"],
                                                                         "household_house_code")
        errors += house_errors
    if errors:
        raise Invalid(errors)
    for key in ("ethnicity", "education", "hukou_type", "marital_status", "phone", "household_address", "note",
                "household_code", "household_house_code", "household_room"):
        if key in changes:
            values[key] = changes[key]
    if "id_number" in values:
        duplicate(session, actor, values["id_number"], exclude=row.id)
    sex = values.get("sex", row.sex)
    marital = values.get("marital_status", row.marital_status)
    values["category"] = category(sex, marital)
    before = snapshot(row)
    delta = history.diff(before, {k: v for k, v in values.items() if k in before})
    if not delta:
        return get(reg, session, actor, row.id, reveal=False)
    old_number = row.id_number
    compare_and_set(session, row, data.version, values, entity="person")
    if "id_number" in values:
        id_numbers.renumber(session, row.id, old_number, values["id_number"], row.county)
    history.record(session, actor, entity="person", entity_id=row.id, person_id=row.id, action="update",
                   changes=delta, reason=data.change_reason, scope_code=row.household_code)
    if "household_code" in values:  # a person with no stay lives in the household's county
        moves.follow(session, row)
    return get(reg, session, actor, row.id, reveal=False)


def check_values(reg: Registry, changes: dict[str, Any], prefix: str = "") -> list[FieldError]:
    """The rules of an edit's values whatever the record: PATCH /v1/persons/ID and a bulk "set" share them."""
    errors = [field_error(prefix + key, "required", "不能为空", "may not be empty")
              for key in ("id_number", "name", "household_code") if key in changes and changes[key] is None]
    if changes.get("household_code"):
        errors += area.check_place(reg, changes["household_code"], prefix + "household_code", village=False)
    return errors + check_phone(changes.get("phone"), prefix + "phone")


def check_area(actor: Actor, changes: dict[str, Any], residence_code: str | None, prefix: str = "") -> list[FieldError]:
    """A new household may lie outside the caller's area only if the record stays in it by its residence: an
    edit never moves a record out of the caller's reach (PATCH and bulk "set" alike)."""
    code = changes.get("household_code")
    if code and actor.prefix and not (actor.covers(code) or actor.covers(residence_code)):
        return [_outside(prefix + "household_code")]
    return []


def _not_active(status: str) -> ApiError:
    return Conflict("person_not_active", f"人员当前状态为“{status}”，不能进行此操作", f"person is {status}; not allowed now")


def change_status(
    reg: Registry, session: Session, actor: Actor, person_id: int, action: str, data: StatusChange
) -> PersonDetail:
    """deregister (注销) | archive (退档) | restore."""
    actor.require(action)
    row = load_person(session, actor, person_id)
    expect_version(row, data.version, entity="person")
    day = data.date or today()
    if action in ("deregister", "archive") and row.status != "active":
        raise _not_active(row.status)
    if action == "restore" and row.status == "active":
        raise Conflict("person_active", "人员已是在册状态", "person is already active")
    if action == "restore":
        duplicate(session, actor, row.id_number, exclude=row.id)  # re-registered meanwhile
    if action == "deregister":
        errors = []
        if day > today():
            errors.append(field_error("date", "date_in_future", "注销日期不能晚于今天", "deregistration date is in the future"))
        if row.arrived_on and day < row.arrived_on:
            errors.append(field_error("date", "before_arrival", "注销日期早于流入日期", "deregistration date is before arrival"))
        if errors:
            raise Invalid(errors)
    new_status = {"deregister": "deregistered", "archive": "archived", "restore": "active"}[action]
    before_status = row.status
    compare_and_set(session, row, data.version, {"status": new_status}, entity="person")
    history.record(session, actor, entity="person", entity_id=row.id, person_id=row.id, action=action,
                   changes={"status": [before_status, new_status], **({"date": [None, day.isoformat()]} if action == "deregister" else {})},
                   reason=data.reason, scope_code=row.household_code)
    if row.current_stay_id:
        stays.follow_person(session, actor, row.current_stay_id, action, day, data.reason)
        if action in stays.ENDED:  # a 查无此人 about the stay closes with it
            messages.close_with_subject(session, actor, [row.current_stay_id], data.reason)
        if action == "deregister":
            stay = session.get(t.Stay, row.current_stay_id)
            if stay is not None:
                messages.on_stay(reg, session, actor, row, stay, "deregistered")
    return get(reg, session, actor, row.id, reveal=False)
