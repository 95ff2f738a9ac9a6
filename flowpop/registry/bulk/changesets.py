"""Bulk changes (changesets): select, plan and preview, apply all-or-nothing or in resumable chunks
that finish exactly once, and revert — refused, with the records named, where later changes would be lost.

A plan materialises one item per record (before, after, the versions it was planned against), so
apply and revert are set-based statements rather than a loop of single updates.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticError
from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.orm import Session

from flowpop.registry.kernel import history, id_numbers
from flowpop.registry.kernel.auth import Actor, code_range
from flowpop.registry.kernel.counties import same_county
from flowpop.registry.kernel.errors import ApiError, Conflict, Invalid, NotFound, field_error
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.kernel.validation import category
from flowpop.registry.messaging import messages
from flowpop.registry.people import moves, persons, stays, survivors
from flowpop.registry.people.search import person_conditions
from flowpop.registry.people.sides import SIDES
from flowpop.registry.places import houses
from flowpop.registry.store import bulk_insert
from flowpop.registry.store import tables as t
from flowpop.registry.store.chunks import by_county, in_chunks, one_of
from flowpop.rules import idnumber
from flowpop.types import (
    BULK_SETTABLE,
    ApplyOptions,
    ChangeFailure,
    ChangeSample,
    Changeset,
    ChangesetCreate,
    ChangesetPreview,
    FieldError,
    MergeValues,
    PersonUpdate,
    StatusChange,
    StayUpdate,
)

Item = Any  # a changeset_items row: id, person_id, stay_id, before, after, person_version, stay_version

SETTABLE = BULK_SETTABLE
PERSON_COLUMNS = ("id", "id_number", "name", "sex", "birth_date", "status", "version", "current_stay_id", "category",
                  "residence_code", "household_code", "note", "county", *SETTABLE[:-2])
STAY_COLUMNS = tuple(dict.fromkeys(("id", "status", "version", *stays.FIELDS, "declare_due_on", "returned_on",
                                    "end_reason", "ended_at")))
DATES = {"returned_on", "birth_date", "arrived_on", "declare_due_on"}  # kept as text in a plan's items
SAMPLES = 5
FAILURES_SHOWN = 200
CHUNK_OVER = 2000  # a change of more records than this is applied in resumable chunks…
CHUNK_SIZE = 1000  # …of this many, unless the plan names its own chunk size


_ID_SHAPE = re.compile(r"[0-9]{15}|[0-9]{17}[0-9X]")


def _fail(code: str, zh: str, en: str) -> dict[str, str]:
    return {"code": code, "message": zh, "message_en": en}


# ------------------------------------------------------------------------------------------ selecting


def _selected_ids(reg: Registry, session: Session, actor: Actor, data: ChangesetCreate) -> list[int]:
    sel = data.selection
    given = [x for x in (sel.filters, sel.ids, sel.id_numbers) if x is not None]
    if len(given) != 1:
        raise Invalid([field_error("selection", "one_selection", "请只用一种方式选择：筛选条件、记录编号或身份证号",
                                   "select by exactly one of: filters, ids, id_numbers")])
    scope = code_range(t.Person.residence_code, actor.prefix) | code_range(t.Person.household_code, actor.prefix)
    if sel.filters is not None:  # the contract's PersonFilters: what search takes, the same model
        where, _ = person_conditions(reg, actor, sel.filters)
        return list(session.execute(select(t.Person.id).where(where).order_by(t.Person.id)).scalars())
    ids: list[int] = []
    if sel.ids is not None:
        for part in in_chunks(sorted(set(sel.ids))):
            ids += session.execute(select(t.Person.id).where(t.Person.id.in_(part), scope)).scalars().all()
    else:
        numbers = sorted({idnumber.normalize(n) for n in sel.id_numbers or []})
        bad = [i for i, n in enumerate(sel.id_numbers or []) if not _ID_SHAPE.fullmatch(idnumber.normalize(n))]
        if bad:
            raise Invalid([field_error(f"selection.id_numbers.{i}", "id_number_shape",
                                       "身份证号码应为15位数字或18位（末位可为X）",
                                       "an ID number has 15 digits, or 18 (the last may be X)") for i in bad[:20]])
        numbers += [idnumber.upgrade15(n) for n in numbers if len(n) == 15]
        for chunk in in_chunks(numbers):
            ids += session.execute(select(t.Person.id).where(t.Person.id_number.in_(chunk), scope)).scalars().all()
    return sorted(set(ids))


def _rows(session: Session, ids: list[int]) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    pcols = [getattr(t.Person, c) for c in PERSON_COLUMNS]
    scols = [getattr(t.Stay, c).label("stay_" + c) for c in STAY_COLUMNS]
    for part in in_chunks(ids):
        stmt = select(*pcols, *scols).outerjoin(t.Stay, and_(t.Stay.id == t.Person.current_stay_id,
                                                             same_county(t.Stay, t.Person))).where(t.Person.id.in_(part))
        for row in session.execute(stmt.order_by(t.Person.id)).mappings():
            person = {c: row[c] for c in PERSON_COLUMNS}
            stay = {c: row["stay_" + c] for c in STAY_COLUMNS} if row["stay_id"] is not None else None
            yield person, stay


# ------------------------------------------------------------------------------------------ planning


def _typed(model: type[BaseModel], values: dict[str, Any], allowed: tuple[str, ...], refusal: tuple[str, str, str],
           **fixed: Any) -> dict[str, Any]:
    """An operation's values, typed by the contract of the single edit it repeats (``fixed`` fills what a bulk
    change gives elsewhere); keys outside ``allowed`` are refused with ``refusal`` (code, Chinese, English)."""
    errors: list[FieldError] = [field_error(f"values.{k}", *refusal) for k in sorted(set(values) - set(allowed))]
    if errors:
        raise Invalid(errors)
    try:
        typed = model.model_validate({**values, **fixed})
    except PydanticError as exc:
        raise Invalid([field_error("values." + ".".join(str(p) for p in e["loc"]), e["type"], "取值无效", e["msg"])
                       for e in exc.errors()]) from exc
    return typed.model_dump(exclude_unset=True, exclude=set(fixed))


def _plan_set(reg: Registry, actor: Actor, values: dict[str, Any], refusals: _Refusals) -> Any:
    """Values and each record are checked by the single edit's rules and rights (persons.check_values and
    check_area): what a PATCH of the person would refuse refuses the plan, naming the records."""
    if not values:
        raise Invalid([field_error("values", "required", "请指定要修改的字段", "name the fields to set")])
    clean = _typed(PersonUpdate, values, SETTABLE, ("not_settable", "该字段不能批量修改", "this field cannot be set in bulk"),
                   version=0)
    errors = persons.check_values(reg, clean, "values.")
    if errors:
        raise Invalid(errors)

    def plan(person: dict[str, Any], stay: dict[str, Any] | None) -> tuple[dict, dict] | dict[str, str]:
        if person["status"] != "active":
            return _fail("person_not_active", "人员不在册", "person is not active")
        outside = persons.check_area(actor, clean, person["residence_code"], "values.")
        if outside:
            refusals.append((person, Invalid(outside)))
            return _fail(outside[0].code, outside[0].message, outside[0].message_en)
        after = dict(clean)
        if "marital_status" in after:
            after["category"] = category(person["sex"], after["marital_status"])
        before = {k: person[k] for k in after}
        return {"person": before}, {"person": after}

    return plan


class _Unique:
    """Whether a record may hold its ID number as an active one, as the single restore and the single edit of
    the number decide it (persons.duplicate), and against the records this plan makes active before it."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session, self.actor = session, actor
        self.planned: dict[str, int] = {}  # every form of a number this plan makes active → its record

    def refused(self, person: dict[str, Any], number: str) -> dict[str, str] | None:
        forms = idnumber.forms(number)
        other = next((self.planned[f] for f in forms if f in self.planned), None)
        if other is not None:
            return _fail("duplicate_id_number", f"该身份证号码已有在册人员（编号 {other}，本批变更中）",
                         f"an active person with this ID number exists (id {other}, in this changeset)")
        try:
            persons.duplicate(self.session, self.actor, number, exclude=person["id"])
        except ApiError as exc:
            return _fail(exc.code, exc.message, exc.message_en)
        self.planned.update(dict.fromkeys(forms, person["id"]))
        return None


def _plan_status(session: Session, actor: Actor, action: str, values: dict[str, Any], reason: str) -> Any:
    typed = _typed(StatusChange, values, ("date",), ("not_accepted", "只能指定日期（date）", "only a date is accepted"),
                   version=0, reason=reason)
    given = typed.get("date")
    if action == "deregister" and given is None:
        # the day the people left, not the day it is entered: the 7-day rate (rates.py) compares the two
        raise Invalid([field_error("values.date", "departure_date_required",
                                   "批量注销须给出人员离开的日期（date）：7日未注销率按离开日期与录入日期计算",
                                   "a bulk deregistration needs the day the people left (date): the 7-day rate "
                                   "compares it with the day it is entered")])
    day = given or today()
    if action == "deregister" and day > today():
        raise Invalid([field_error("values.date", "date_in_future", "注销日期不能晚于今天", "date is in the future")])
    target = {"deregister": "deregistered", "archive": "archived", "restore": "active"}[action]
    now = t.utcnow()
    unique = _Unique(session, actor)

    def plan(person: dict[str, Any], stay: dict[str, Any] | None) -> tuple[dict, dict] | dict[str, str]:
        if action == "restore" and person["status"] == "active":
            return _fail("person_active", "人员已在册", "person is already active")
        if action == "restore" and (held := unique.refused(person, person["id_number"])):
            return held  # re-registered meanwhile, here or elsewhere
        if action != "restore" and person["status"] != "active":
            return _fail("person_not_active", "人员不在册", "person is not active")
        before: dict[str, Any] = {"person": {"status": person["status"]}}
        after: dict[str, Any] = {"person": {"status": target}}
        if stay is not None:
            if action == "deregister" and stay["status"] == "open":
                if stay["arrived_on"] and day < stay["arrived_on"]:
                    return _fail("before_arrival", "注销日期早于流入日期", "deregistration date is before arrival")
                after["stay"] = {"status": "deregistered", "returned_on": day, "end_reason": reason, "ended_at": now}
            elif action == "archive" and stay["status"] == "open":
                after["stay"] = {"status": "archived", "end_reason": reason, "ended_at": now}
            elif action == "restore" and stay["status"] in ("deregistered", "archived"):
                after["stay"] = {"status": "open", "returned_on": None, "end_reason": None, "ended_at": None}
            if "stay" in after:
                before["stay"] = {k: stay[k] for k in after["stay"]}
        return before, after

    return plan


class _Refusals(list[tuple[dict[str, Any], ApiError]]):
    """Records a bulk edit refuses as the single edit would refuse them: the plan is refused, each named."""

    def error(self) -> ApiError:
        errors = [field_error(e.field, e.code, f"人员 {p['id']}：{e.message}", f"person {p['id']}: {e.message_en}")
                  for p, exc in self for e in exc.errors][:FAILURES_SHOWN]
        first = self[0][1]
        out = Invalid(errors) if isinstance(first, Invalid) else first
        out.errors = errors
        out.extra["records"] = [{"person_id": p["id"], "code": exc.code, "fields": [e.field for e in exc.errors]}
                                for p, exc in self]
        return out


def _plan_move(reg: Registry, session: Session, actor: Actor, values: dict[str, Any], refusals: _Refusals) -> Any:
    """Each record is checked by the single edit's rules and rights (stays.check_edit): what a PATCH of the stay
    would refuse refuses the plan, naming the records."""
    if not values:
        raise Invalid([field_error("values", "required", "请指定迁往何处", "say where to move")])
    target = _typed(StayUpdate, values, ("residence_code", "grid_code", "house_code", "room", "over_capacity_ok"),
                    ("not_movable", "只能修改现居住地、网格、房屋和房间", "only residence, grid, house and room"), version=0)
    over_ok = target.pop("over_capacity_ok", False)

    def plan(person: dict[str, Any], stay: dict[str, Any] | None) -> tuple[dict, dict] | dict[str, str]:
        if stay is None or stay["status"] != "open":
            return _fail("no_open_stay", "没有未结束的流动记录", "no open stay to move")
        try:
            _, writes = stays.check_edit(reg, session, actor, stay, dict(target), born=person["birth_date"],
                                         stay_id=stay["id"], over_capacity_ok=over_ok, prefix="values.")
        except ApiError as exc:
            refusals.append((person, exc))
            return _fail(exc.code, exc.message, exc.message_en)
        after: dict[str, Any] = {"stay": writes}
        before: dict[str, Any] = {"stay": {k: stay[k] for k in writes}}
        if "residence_code" in writes:
            after["person"] = {"residence_code": writes["residence_code"]}
            before["person"] = {"residence_code": person["residence_code"]}
        return before, after

    return plan


def _check_capacity(session: Session, items: list[dict[str, Any]]) -> None:
    """Each record passed the house's capacity alone; everyone a move brings in at once must fit too."""
    moving = [i for i in items if i["state"] == "pending" and i["after"].get("stay", {}).get("house_code")]
    if not moving:
        return
    code = moving[0]["after"]["stay"]["house_code"]
    arriving = [i for i in moving if i["before"]["stay"]["house_code"] != code]
    house = session.execute(select(t.House).where(t.House.code == code)).scalar_one()
    living = session.execute(select(func.count()).where(t.Stay.house_code == code, t.Stay.status == "open")).scalar_one()
    refused = houses.capacity_conflict(house, living, len(arriving))
    if refused:
        refused.extra["records"] = [{"person_id": i["person_id"]} for i in arriving[:FAILURES_SHOWN]]
        raise refused


def _plan_upgrade(session: Session, actor: Actor) -> Any:
    unique = _Unique(session, actor)

    def plan(person: dict[str, Any], stay: dict[str, Any] | None) -> tuple[dict, dict] | dict[str, str]:
        number = idnumber.normalize(person["id_number"])
        if len(number) != 15:
            return _fail("not_15_digit", "不是15位旧号码", "not a 15-digit number")
        check = idnumber.check(number)
        if not check.ok:
            return _fail(check.errors[0][0], check.errors[0][1], check.errors[0][2])
        if person["status"] == "active" and (held := unique.refused(person, check.number)):
            return held  # the 18-digit number is another record's, as for the single edit of the number
        return _upgraded(person, check)

    return plan


def _upgraded(person: dict[str, Any], check: idnumber.IdCheck) -> tuple[dict, dict]:
    after = {"id_number": check.number, "id_rev": check.number[::-1], "birth_date": check.birth_date, "sex": check.sex,
             "category": category(check.sex or "M", person["marital_status"])}
    before = {"id_number": person["id_number"], "id_rev": person["id_number"][::-1], "birth_date": person["birth_date"],
              "sex": person["sex"], "category": person["category"]}
    return {"person": before}, {"person": after}


def _keepers(values: dict[str, Any], ids: list[int]) -> dict[int, int]:
    """Record → the record it is merged into: one group (`keep` among the selected), or several (`groups`:
    lists whose first record is kept, every record among the selected, none in two groups)."""
    selected = set(ids)
    if "groups" in values:
        groups = values["groups"]
        if groups == [] and not selected:
            return {}  # nothing to merge: an empty changeset
        flat = [x for g in groups for x in g] if isinstance(groups, list) and all(
            isinstance(g, list) and len(g) >= 2 for g in groups) else None
        if not flat or not all(isinstance(x, int) and x in selected for x in flat) or len(set(flat)) != len(flat):
            raise Invalid([field_error("values.groups", "bad_groups", "分组须为记录编号列表（每组至少两条，首条保留，"
                                       "均在所选记录中且不重复）", "groups are lists of selected record ids (two or "
                                       "more each, the first kept, none repeated)")])
        return {x: g[0] for g in groups for x in g}
    keep = values.get("keep")
    if keep not in selected:
        raise Invalid([field_error("values.keep", "required", "请指定保留的记录（须在所选记录中）",
                                   "name the record to keep (one of the selected)")])
    return dict.fromkeys(ids, keep)


def _plan_merge(session: Session, values: dict[str, Any], ids: list[int]) -> Any:
    if ids and "keep" not in values and "groups" not in values:
        # one group, the record to keep not named: the registry's rule chooses it, and the plan records it
        values["keep"] = survivors.keeping_order(session, ids)[0]
    values = _typed(MergeValues, values, tuple(MergeValues.model_fields),
                    ("not_accepted", "只能指定 keep、groups、archive_open_stays", "only keep, groups, archive_open_stays"))
    keeper = _keepers(values, ids)
    # duplicates often each have an open stay: archive the merged records' ones instead of refusing
    archive_open = values.get("archive_open_stays", False)
    now = t.utcnow()
    stays_of: dict[int, list[int]] = defaultdict(list)
    for part in in_chunks(ids):
        for sid, pid in session.execute(select(t.Stay.id, t.Stay.person_id).where(t.Stay.person_id.in_(part))).all():
            stays_of[pid].append(sid)
    kept = sorted(set(keeper.values()))
    open_kept: set[int] = set()
    for part in in_chunks(kept):
        open_kept.update(session.execute(select(t.Stay.person_id).where(t.Stay.person_id.in_(part),
                                                                        t.Stay.status == "open")).scalars())
    # each side's registration of the open stays (co-management): a merged record's registration of the same
    # flow carries over to the kept record's open stay, so a pair merged into one record is both-sided
    sides_cols = (t.Stay.id, t.Stay.person_id, t.Stay.household_code, t.Stay.residence_code,
                  *(getattr(t.Stay, c) for c in SIDES.values()))
    open_sides: dict[int, Any] = {}
    for part in in_chunks(sorted(set(ids) | set(kept))):
        for row in session.execute(select(*sides_cols).where(t.Stay.person_id.in_(part), t.Stay.status == "open")):
            open_sides[row.person_id] = row

    def plan(person: dict[str, Any], stay: dict[str, Any] | None) -> tuple[dict, dict] | dict[str, str]:
        keep = keeper.get(person["id"])
        if keep is None or person["id"] == keep:
            return {}, {}
        moved = stays_of.get(person["id"], [])
        before: dict[str, Any] = {"person": {"status": person["status"], "note": person["note"]}}
        after: dict[str, Any] = {"person": {"status": "archived", "note": f"merged into {keep}"}, "merged_into": keep}
        if keep in open_kept and stay is not None and stay["status"] == "open":
            if not archive_open:
                return _fail("two_open_stays", "两条记录都有未结束的流动记录，请先结束其一",
                             "both records have an open stay; close one first")
            # archived and moved in one update (one version step, so a revert is not refused as stale)
            moved = [sid for sid in moved if sid != stay["id"]]
            after["stay"] = {"status": "archived", "end_reason": f"merged into {keep}", "ended_at": now,
                             "person_id": keep}
            before["stay"] = {"status": stay["status"], "end_reason": stay["end_reason"], "ended_at": stay["ended_at"],
                              "person_id": person["id"]}
            gone, kept_stay = open_sides.get(person["id"]), open_sides.get(keep)
            if gone is not None and kept_stay is not None and (gone.household_code[:6], gone.residence_code[:6]) == (
                    kept_stay.household_code[:6], kept_stay.residence_code[:6]):
                carried = {c: _json(getattr(gone, c)) for c in SIDES.values()
                           if getattr(gone, c) is not None and getattr(kept_stay, c) is None}
                if carried:
                    after["kept_stay"] = {"id": kept_stay.id, **carried}
                    before["kept_stay"] = {"id": kept_stay.id, **dict.fromkeys(carried)}
        before["stays_moved"] = after["stays_moved"] = moved
        return before, after

    return plan


def plan(reg: Registry, session: Session, actor: Actor, data: ChangesetCreate) -> ChangesetPreview:
    actor.require("bulk")
    ids = _selected_ids(reg, session, actor, data)
    op = data.operation
    refusals = _Refusals()
    if op == "set":
        planner = _plan_set(reg, actor, data.values, refusals)
    elif op in ("deregister", "archive", "restore"):
        planner = _plan_status(session, actor, op, data.values, data.reason)
    elif op == "move":
        planner = _plan_move(reg, session, actor, data.values, refusals)
    elif op == "upgrade_id15":
        planner = _plan_upgrade(session, actor)
    else:
        planner = _plan_merge(session, data.values, ids)
    cs_id = uuid.uuid4().hex
    items: list[dict[str, Any]] = []
    samples: list[ChangeSample] = []
    failures: list[ChangeFailure] = []
    failing = 0
    for person, stay in _rows(session, ids):
        outcome = planner(person, stay)
        if len(refusals) >= FAILURES_SHOWN:
            break
        item = {"changeset_id": cs_id, "person_id": person["id"], "county": person["county"], "stay_id": stay["id"] if stay else None,
                "person_version": person["version"], "stay_version": stay["version"] if stay else None,
                "before": {}, "after": {}, "error": None, "state": "pending"}
        if isinstance(outcome, dict):
            failing += 1
            item.update(state="failed", error=outcome)
            if len(failures) < FAILURES_SHOWN:
                failures.append(ChangeFailure(person_id=person["id"], name=person["name"],
                                              id_number=idnumber.mask(person["id_number"]) or "", **outcome))
        else:
            before, after = outcome
            if not after or before == after:
                item["state"] = "unchanged"
            else:
                item["before"], item["after"] = _json(before), _json(after)
                if len(samples) < SAMPLES:
                    samples.append(ChangeSample(person_id=person["id"], name=person["name"],
                                                id_number=idnumber.mask(person["id_number"]) or "",
                                                before=_shown(item["before"]), after=_shown(item["after"])))
        items.append(item)
    if refusals:
        raise refusals.error()
    if op == "move" and not data.values.get("over_capacity_ok"):
        _check_capacity(session, items)
    row = t.Changeset(id=cs_id, operation=op, params=_json(data.values), selection=data.selection.model_dump(mode="json"),
                      reason=data.reason, status="planned", total=len(items), failing=failing, applied=0,
                      chunk_size=chunk_size(data.chunk_size, len(items)), scope_code=actor.jurisdiction_code,
                      created_by=actor.username)
    session.add(row)
    session.flush()
    if items:
        session.execute(t.ChangesetItem.__table__.insert(), items)
    return ChangesetPreview(**_present(row).model_dump(), samples=samples, failures=failures)


def chunk_size(asked: int | None, total: int) -> int | None:
    """How a change is applied: in one transaction, or in resumable chunks when it is large (the registry's
    choice; a plan may name its own size)."""
    if asked is not None:
        return asked
    return CHUNK_SIZE if total > CHUNK_OVER else None


def _shown(values: dict[str, Any]) -> dict[str, Any]:
    """A sample as a previewer may see it: ID numbers masked, birth dates (their years instead) and internal keys
    left out."""
    out: dict[str, Any] = {}
    for part, fields in values.items():
        if isinstance(fields, dict):
            if "birth_date" in fields:
                fields = {**fields, "birth_date": None, "birth_year": history.birth_year(fields["birth_date"])}
            fields = {k: (idnumber.mask(v) if k == "id_number" and isinstance(v, str) else v)
                      for k, v in fields.items() if k != "id_rev"}
        out[part] = fields
    return out


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return history.jsonable(value)


def _present(row: t.Changeset) -> Changeset:
    return Changeset(id=row.id, operation=row.operation, reason=row.reason, status=row.status, total=row.total,
                     failing=row.failing, applied=row.applied, chunk_size=row.chunk_size, params=row.params or {},
                     created_at=row.created_at, created_by=row.created_by, applied_at=row.applied_at,
                     reverted_at=row.reverted_at)


# ------------------------------------------------------------------------------------------ applying


def _load(session: Session, actor: Actor, cs_id: str) -> t.Changeset:
    row = session.get(t.Changeset, cs_id)
    if row is None or (actor.prefix and not (row.scope_code or "").startswith(actor.prefix)):
        raise NotFound("changeset", cs_id)
    return row


def _date_values(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in values.items():
        if k in DATES and isinstance(v, str):
            v = dt.date.fromisoformat(v)
        elif k in ("ended_at", *SIDES.values()) and isinstance(v, str):
            v = dt.datetime.fromisoformat(v)
        out[k] = v
    return out


def _stale(session: Session, items: list[Item], *, after_apply: bool) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Records changed since they were planned (apply) or applied (revert), and the county each item's person is in
    now (read in the same pass, for the history rows ``_write`` adds)."""
    bump = 1 if after_apply else 0
    persons_expected = {i.person_id: i.person_version + (bump if i.after.get("person") else 0)
                        for i in items if i.after.get("person")}
    stays_expected = {i.stay_id: (i.stay_version or 0) + (bump if i.after.get("stay") else 0)
                      for i in items if i.after.get("stay") and i.stay_id}
    stale: list[dict[str, Any]] = []
    counties: dict[int, str] = {}
    for part in in_chunks(sorted({i.person_id for i in items})):
        for pid, version, county in session.execute(select(t.Person.id, t.Person.version, t.Person.county)
                                                    .where(t.Person.id.in_(part))).all():
            counties[pid] = county
            if pid in persons_expected and version != persons_expected[pid]:
                stale.append({"person_id": pid, "expected_version": persons_expected[pid], "version": version})
    for part in in_chunks(list(stays_expected)):
        for sid, version in session.execute(select(t.Stay.id, t.Stay.version).where(t.Stay.id.in_(part))).all():
            if version != stays_expected[sid]:
                stale.append({"stay_id": sid, "expected_version": stays_expected[sid], "version": version})
    return stale, counties


def _write(session: Session, actor: Actor, cs: t.Changeset, items: list[Item], counties: dict[int, str], *,
           revert: bool) -> None:
    """Set-based writes: one executemany per (table, columns) shape, plus one history row per record (in the
    county of its person, ``counties``: from ``_stale``)."""
    now = t.utcnow()
    person_groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    stay_groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    handed: dict[int, int] = {}
    moved: list[dict[str, Any]] = []
    hist: list[dict[str, Any]] = []
    renumbered: list[tuple[int, str, str, str]] = []
    for item in items:
        src = item.before if revert else item.after
        other = item.after if revert else item.before
        if src.get("person"):
            values = _date_values(src["person"])
            person_groups[tuple(sorted(values))].append({"b_id": item.person_id, **values})
            if "id_number" in values:  # the 15→18-digit upgrade, or its revert: the ID-number index follows
                renumbered.append((item.person_id, other["person"]["id_number"], values["id_number"],
                                   counties[item.person_id]))
        if src.get("stay") and item.stay_id:
            values = _date_values(src["stay"])
            if "person_id" in values:  # a merge's archived stay changes person too: handed over below
                handed[item.stay_id] = values.pop("person_id")
            stay_groups[tuple(sorted(values))].append({"b_id": item.stay_id, **values})
        if src.get("kept_stay"):  # a merge: the merged record's side registrations carried to the kept stay
            values = _date_values({k: v for k, v in src["kept_stay"].items() if k != "id"})
            stay_groups[tuple(sorted(values))].append({"b_id": src["kept_stay"]["id"], **values})
        for sid in item.after.get("stays_moved", []):
            moved.append({"b_id": sid, "person_id": item.person_id if revert else item.after["merged_into"]})
        changes = {}
        for part in ("person", "stay", "kept_stay"):
            for k, v in (src.get(part) or {}).items():
                changes[k if part == "person" else f"{part}.{k}"] = [(other.get(part) or {}).get(k), v]
        hist.append(history.entry(actor, entity="person", entity_id=item.person_id, person_id=item.person_id,
                                  action=("revert:" if revert else "bulk:") + cs.operation, changes=changes,
                                  reason=cs.reason, changeset_id=cs.id, at=now, county=counties[item.person_id]))
    for cols, rows in person_groups.items():
        _update_rows(session, t.Person.__table__, cols, rows, now)
    id_numbers.renumber_many(session, renumbered)
    for cols, rows in stay_groups.items():
        _update_rows(session, t.Stay.__table__, cols, rows, now)
    # the stays change person: deleted and inserted again with their new person, in that person's county
    moves.hand_over(session, {m["b_id"]: m["person_id"] for m in moved}, now)
    moves.hand_over(session, handed, now, step=0)  # their version stepped with the update above
    for entries in in_chunks(hist, 5000):
        bulk_insert.insert_rows(session.connection(), t.HistoryEntry.__table__, entries)
    if cs.operation == "merge":
        _repoint_merged(session, items, revert=revert)
    # a residence, stays or (for a person without a stay) the household changed: people may move county. Of a
    # set, only a household's change can; other fields leave everyone where they are (no look at 100k persons)
    if cs.operation in ("move", "merge"):
        affected = {i.person_id for i in items} | {i.after["merged_into"] for i in items if i.after.get("merged_into")}
        moves.settle(session, affected)
    elif cs.operation == "set":
        moves.settle(session, {i.person_id for i in items
                               if "household_code" in ((i.before if revert else i.after).get("person") or {})})


def _announce(reg: Registry, session: Session, actor: Actor, cs: t.Changeset, items: list[Item]) -> None:
    """A bulk deregistration (or archiving) ends stays as one record's would: each across counties tells the other
    side (通报, as persons.change_status does) and a 查无此人 about an ended stay closes with it."""
    if cs.operation not in ("deregister", "archive"):
        return
    ended = [i.stay_id for i in items if i.stay_id and (i.after.get("stay") or {}).get("status") in ("deregistered", "archived")]
    messages.close_with_subject(session, actor, ended, cs.reason)
    if cs.operation == "deregister":
        messages.on_stays(reg, session, actor, ended, "deregistered")


def _update_rows(session: Session, table: Any, cols: tuple[str, ...], rows: list[dict[str, Any]],
                 now: dt.datetime) -> None:
    """Each row's new values, a version step and the time. Rows sharing their values (a bulk "set", or
    its revert back to a few old values) go as one UPDATE per value and 5000 ids; the rest row by row."""
    by_values: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    try:
        for row in rows:
            by_values[tuple(row[c] for c in cols)].append(row["b_id"])
    except TypeError:  # a value that cannot be a key (a list or a mapping): row by row
        by_values.clear()
    step = {"version": table.c.version + 1, "updated_at": now}
    if by_values and len(by_values) * 20 <= len(rows):
        dialect = session.get_bind().dialect.name
        for values, ids in by_values.items():
            for part in in_chunks(ids, 5000):
                session.execute(update(table).where(one_of(dialect, table.c.id, part))
                                .values({**dict(zip(cols, values, strict=True)), **step}))
        return
    stmt = update(table).where(table.c.id == bindparam("b_id")).values({**{c: bindparam(c) for c in cols}, **step})
    for batch in in_chunks(rows, 5000):
        session.execute(stmt, batch)


def _repoint_merged(session: Session, items: list[Item], *, revert: bool) -> None:
    """After a merge the kept record's current stay is its newest open (or latest) stay; a revert restores each."""
    affected = {i.after["merged_into"] for i in items if i.after.get("merged_into")}
    if revert:
        affected |= {i.person_id for i in items}
    for pid in affected:
        stay = session.execute(select(t.Stay).where(t.Stay.person_id == pid)
                               .order_by((t.Stay.status == "open").desc(), t.Stay.arrived_on.desc(), t.Stay.id.desc())
                               .limit(1)).scalar_one_or_none()
        session.execute(update(t.Person).where(t.Person.id == pid).values(
            current_stay_id=stay.id if stay else None, residence_code=stay.residence_code if stay else None,
            arrived_on=stay.arrived_on if stay else None).execution_options(synchronize_session=False))


def _items(session: Session, cs_id: str, state: str, limit: int | None = None) -> list[Item]:
    """Plain rows, not ORM objects: a changeset of 100k records would spend seconds building them."""
    table = t.ChangesetItem.__table__
    stmt = select(table).where(table.c.changeset_id == cs_id, table.c.state == state).order_by(table.c.id)
    if limit:
        stmt = stmt.limit(limit)
    return list(session.execute(stmt).all())


def _pending(session: Session, cs_id: str, limit: int | None) -> list[Item]:
    return _items(session, cs_id, "pending", limit)


def _mark_all(session: Session, cs_id: str, state: str, to: str, upto: int | None = None) -> None:
    """Every item of the changeset in ``state`` (with an id up to ``upto``: a chunk's) to state ``to``, through
    the (changeset, state, id) index."""
    where = [t.ChangesetItem.changeset_id == cs_id, t.ChangesetItem.state == state]
    if upto is not None:
        where.append(t.ChangesetItem.id <= upto)
    session.execute(update(t.ChangesetItem).where(*where).values(state=to).execution_options(synchronize_session=False))


def _mark(session: Session, items: Iterable[Item], state: str) -> None:
    for county, part in by_county((i.county, i.id) for i in items):
        session.execute(update(t.ChangesetItem).where(t.ChangesetItem.county == county, t.ChangesetItem.id.in_(part))
                        .values(state=state).execution_options(synchronize_session=False))


def apply(reg: Registry, actor: Actor, cs_id: str, options: ApplyOptions) -> Changeset:
    """All-or-nothing by default; with a chunk size, each chunk is one transaction and a rerun resumes."""
    actor.require("bulk")
    with reg.writing() as session:
        cs = _load(session, actor, cs_id)
        if cs.status not in ("planned", "applying"):
            raise Conflict("changeset_not_pending", f"批量变更状态为“{cs.status}”，不能执行", f"changeset is {cs.status}")
        if cs.failing and not options.skip_failing:
            raise Conflict("changeset_has_failures", f"有 {cs.failing} 条记录无法修改；确认跳过请加 skip_failing",
                           f"{cs.failing} records would fail; pass skip_failing to apply the rest")
        chunk = cs.chunk_size
        if not chunk:
            items = _pending(session, cs_id, None)
            stale, counties = _stale(session, items, after_apply=False)
            if stale:
                raise ApiError("changed_since_preview", f"{len(stale)} 条记录在预览后被修改，未做任何更改；请重新预览",
                               f"{len(stale)} records changed since the preview; nothing was applied — preview again",
                               status=409, records=stale[:200])
            _write(session, actor, cs, items, counties, revert=False)
            _announce(reg, session, actor, cs, items)
            _mark_all(session, cs_id, "pending", "applied")  # the items just written: every pending one
            cs.applied, cs.status, cs.applied_at = len(items), "applied", t.utcnow()
            return _present(cs)
        cs.status = "applying"
    done_chunks = 0
    while True:
        with reg.writing() as session:
            cs = _load(session, actor, cs_id)
            items = _pending(session, cs_id, chunk)
            if not items:
                cs.status, cs.applied_at = "applied", t.utcnow()
                return _present(cs)
            stale, counties = _stale(session, items, after_apply=False)
            changed = {s.get("person_id") for s in stale} | {s.get("stay_id") for s in stale if "stay_id" in s}
            good = [i for i in items if i.person_id not in changed and (i.stay_id not in changed or not i.after.get("stay"))]
            kept = {i.id for i in good}
            bad = [i for i in items if i.id not in kept]
            _write(session, actor, cs, good, counties, revert=False)
            _announce(reg, session, actor, cs, good)
            if bad:  # few: by their keys; then the chunk's other pending items, the ones just written
                _mark(session, bad, "failed")
                cs.failing += len(bad)
            _mark_all(session, cs_id, "pending", "applied", upto=items[-1].id)
            cs.applied += len(good)
        done_chunks += 1
        if options.max_chunks and done_chunks >= options.max_chunks:
            with reg.reading() as session:
                return _present(_load(session, actor, cs_id))


def revert(reg: Registry, actor: Actor, cs_id: str) -> Changeset:
    actor.require("bulk")
    with reg.writing() as session:
        cs = _load(session, actor, cs_id)
        if cs.status not in ("applied", "applying"):
            raise Conflict("changeset_not_applied", f"批量变更状态为“{cs.status}”，不能撤销", f"changeset is {cs.status}")
        items = _items(session, cs_id, "applied")
        stale, counties = _stale(session, items, after_apply=True)
        if stale:
            raise ApiError("changed_since_apply", f"{len(stale)} 条记录在批量变更后又被修改，撤销会覆盖这些修改，已拒绝",
                           f"{len(stale)} records changed after this changeset; reverting would overwrite them — refused",
                           status=409, records=stale[:200])
        _write(session, actor, cs, items, counties, revert=True)
        _mark_all(session, cs_id, "applied", "reverted")  # the items just written: every applied one
        cs.status, cs.reverted_at = "reverted", t.utcnow()
        return _present(cs)


def _item_person() -> Any:
    return and_(t.Person.id == t.ChangesetItem.person_id, same_county(t.Person, t.ChangesetItem))


def get(reg: Registry, session: Session, actor: Actor, cs_id: str) -> ChangesetPreview:
    actor.require("bulk")
    cs = _load(session, actor, cs_id)
    sample_rows = session.execute(select(t.ChangesetItem, t.Person.name, t.Person.id_number)
                                  .join(t.Person, _item_person())
                                  .where(t.ChangesetItem.changeset_id == cs_id, t.ChangesetItem.state != "failed",
                                         t.ChangesetItem.state != "unchanged")
                                  .order_by(t.ChangesetItem.id).limit(SAMPLES)).all()
    fail_rows = session.execute(select(t.ChangesetItem, t.Person.name, t.Person.id_number)
                                .join(t.Person, _item_person())
                                .where(t.ChangesetItem.changeset_id == cs_id, t.ChangesetItem.state == "failed")
                                .order_by(t.ChangesetItem.id).limit(FAILURES_SHOWN)).all()
    return ChangesetPreview(
        **_present(cs).model_dump(),
        samples=[ChangeSample(person_id=i.person_id, name=n, id_number=idnumber.mask(num) or "", before=_shown(i.before),
                              after=_shown(i.after))
                 for i, n, num in sample_rows],
        failures=[ChangeFailure(person_id=i.person_id, name=n, id_number=idnumber.mask(num) or "",
                                **(i.error or _fail("version_conflict", "记录已被修改", "record changed")))
                  for i, n, num in fail_rows],
    )


def list_changesets(reg: Registry, session: Session, actor: Actor, limit: int = 100) -> list[Changeset]:
    actor.require("bulk")
    stmt = select(t.Changeset).order_by(t.Changeset.created_at.desc()).limit(limit)
    if actor.prefix:
        stmt = stmt.where(and_(t.Changeset.scope_code.is_not(None), code_range(t.Changeset.scope_code, actor.prefix)))
    return [_present(r) for r in session.execute(stmt).scalars()]


def count_items(session: Session, cs_id: str) -> dict[str, int]:
    rows = session.execute(select(t.ChangesetItem.state, func.count()).where(t.ChangesetItem.changeset_id == cs_id)
                           .group_by(t.ChangesetItem.state)).all()
    return {state: n for state, n in rows}
