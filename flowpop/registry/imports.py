"""Importing legacy person lists (CSV in UTF-8 or GB18030, XLSX): normalise, validate every row
with the registry's own rules, report each bad row (line, column, value, reason), then insert or
update by ID number in one transaction — nothing is imported partially unless asked to skip bad rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from flowpop.labels import code_for
from flowpop.registry import bulk_insert
from flowpop.registry import tables as t
from flowpop.registry.auth import Actor
from flowpop.registry.core import Registry, today
from flowpop.registry.validation import LANDLINE, MOBILE, category
from flowpop.rules import idnumber, legacy
from flowpop.rules.divisions_source import pad12
from flowpop.rules.names import clean_name, name_keys
from flowpop.types import ImportProblem, ImportResult

PERSON_FIELDS = ("name", "ethnicity", "education", "hukou_type", "marital_status", "phone", "household_code",
                 "household_address", "note")
STAY_FIELDS = ("residence_code", "residence_address", "grid_code", "house_code", "room", "reason", "left_home_on",
               "arrived_on", "expected_return_on", "occupation", "employer")
ENUMS = {"education": "education", "hukou_type": "hukou_type", "marital_status": "marital_status", "reason": "reason"}
LIMITS = {"name": 64, "ethnicity": 20, "household_address": 200, "residence_address": 200, "occupation": 50,
          "employer": 100, "room": 20, "note": 1000, "house_code": 32}
BATCH = 2000
Progress = Callable[[str, int, int], None]


@dataclass
class Options:
    dry_run: bool = False
    skip_bad: bool = False
    mapping: dict[str, str] = field(default_factory=dict)
    filename: str = ""


class _Row:
    __slots__ = ("line", "person", "stay", "number", "warnings")

    def __init__(self, line: int) -> None:
        self.line = line
        self.person: dict[str, Any] = {}
        self.stay: dict[str, Any] = {}
        self.number = ""
        self.warnings: list[dict[str, str]] = []


class _Places:
    """Division codes or full names (江西省南昌市东湖区) to codes."""

    def __init__(self, reg: Registry) -> None:
        self.nodes = reg.divisions.nodes
        self.by_name = {n.full_name: n.code for n in self.nodes.values()}

    def resolve(self, text: str) -> str | None:
        compact = text.replace(" ", "")
        if compact.isascii() and compact.isdigit():
            code = pad12(compact) if len(compact) == 6 else compact
            return code if code in self.nodes else None
        return self.by_name.get(compact)


def _problem(line: int, column: str, value: object, reason: str) -> ImportProblem:
    zh, _, en = reason.partition("|")
    return ImportProblem(line=line, column=column, value=str(value)[:100], reason=zh, reason_en=en or zh)


def _check_row(reg: Registry, actor: Actor, places: _Places, line: int, values: dict[str, str],
               day: dt.date) -> tuple[_Row | None, list[ImportProblem]]:
    row = _Row(line)
    problems: list[ImportProblem] = []

    def bad(column: str, reason: str) -> None:
        problems.append(_problem(line, column, values.get(column, ""), reason))

    raw_id = values.get("id_number", "")
    if not raw_id:
        bad("id_number", "身份证号为空|ID number is empty")
    else:
        check = idnumber.check(raw_id, today=day)
        if not check.ok:
            bad("id_number", f"{check.errors[0][1]}|{check.errors[0][2]}")
        else:
            row.number = check.number
            row.person.update(id_number=check.number, id_rev=check.number[::-1], sex=check.sex, birth_date=check.birth_date)
            row.warnings = [{"code": c, "message": zh, "message_en": en, "field": "id_number"} for c, zh, en in check.warnings]
            sex = values.get("sex")
            if sex and {"男": "M", "女": "F", "M": "M", "F": "F"}.get(sex.upper() if sex.isascii() else sex) != check.sex:
                bad("sex", "性别与身份证号码不符|sex disagrees with the ID number")
            if values.get("birth_date"):
                try:
                    if legacy.parse_date(values["birth_date"]) != check.birth_date:
                        bad("birth_date", "出生日期与身份证号码不符|birth date disagrees with the ID number")
                except ValueError as exc:
                    bad("birth_date", str(exc))
    name = clean_name(values.get("name", ""))
    if not name:
        bad("name", "姓名为空|name is empty")
    row.person["name"] = name
    for key, limit in LIMITS.items():
        if len(values.get(key, "")) > limit:
            bad(key, f"过长（最多 {limit} 个字符）|too long (at most {limit} characters)")
    for key, kind in ENUMS.items():
        if values.get(key):
            code = code_for(kind, values[key])
            if code is None:
                bad(key, f"无法识别的取值：{values[key]}|unrecognised value: {values[key]}")
            target = row.stay if key == "reason" else row.person
            target[key] = code
    for key in ("ethnicity", "household_address", "note"):
        if values.get(key):
            row.person[key] = values[key]
    phone = values.get("phone", "").replace(" ", "")
    if phone:
        if not (MOBILE.match(phone) or LANDLINE.match(phone)):
            bad("phone", "电话号码格式不正确|malformed phone number")
        row.person["phone"] = phone
    household = values.get("household_code", "")
    if not household:
        bad("household_code", "户籍地为空|household place is empty")
    else:
        code = places.resolve(household)
        if code is None:
            bad("household_code", f"未知的行政区划：{household}|unknown division: {household}")
        row.person["household_code"] = code
    has_stay = any(values.get(k) for k in STAY_FIELDS)
    if has_stay:
        residence = values.get("residence_code", "")
        code = places.resolve(residence) if residence else None
        node = places.nodes.get(code or "")
        if not residence:
            bad("residence_code", "有流动信息但现居住地为空|stay details without a residence")
        elif node is None:
            bad("residence_code", f"未知的行政区划：{residence}|unknown division: {residence}")
        elif node.level != "village":
            bad("residence_code", "现居住地须到村/居|residence must be a village or community")
        row.stay["residence_code"] = code
        for key in ("left_home_on", "arrived_on", "expected_return_on"):
            if values.get(key):
                try:
                    row.stay[key] = legacy.parse_date(values[key])
                except ValueError as exc:
                    bad(key, str(exc))
        arrived = row.stay.get("arrived_on")
        if not values.get("arrived_on"):
            bad("arrived_on", "流入日期为空|arrival date is empty")
        elif arrived and arrived > day:
            bad("arrived_on", "流入日期晚于今天|arrival date is in the future")
        elif arrived and row.person.get("birth_date") and arrived < row.person["birth_date"]:
            bad("arrived_on", "流入日期早于出生日期|arrival is before birth")
        for key in ("residence_address", "grid_code", "house_code", "room", "occupation", "employer"):
            if values.get(key):
                row.stay[key] = values[key]
        row.stay["household_code"] = row.person.get("household_code")
    if not problems and actor.prefix:
        places_here = [row.person.get("household_code"), row.stay.get("residence_code")]
        if not any(p and actor.covers(p) for p in places_here):
            bad("residence_code" if has_stay else "household_code",
                "现居住地和户籍地都不在您的管辖范围内|neither residence nor household place is in your jurisdiction")
    return (None if problems else row), problems


def _rows(data: bytes, options: Options) -> Iterable[tuple[int, dict[str, str]]]:
    table = legacy.read_table(data, options.filename)
    header = next(table, None)
    if header is None:
        return
    columns = legacy.header_map([str(h or "") for h in header], options.mapping)
    for line, raw in enumerate(table, start=2):
        if not any(str(v or "").strip() for v in raw):
            continue
        values = {}
        for i, key in columns.items():
            if i < len(raw):
                v = raw[i]
                values[key] = v.isoformat() if isinstance(v, dt.date | dt.datetime) else legacy.clean(v)
        yield line, values


def import_persons(reg: Registry, actor: Actor, data: bytes, options: Options, progress: Progress | None = None) -> ImportResult:
    actor.require("write")
    actor.require("bulk")
    places = _Places(reg)
    day = today()
    good: list[_Row] = []
    problems: list[ImportProblem] = []
    seen: dict[str, tuple[int, tuple]] = {}
    duplicates = total = 0
    header_missing: list[str] = []
    for line, values in _rows(data, options):
        total += 1
        if total == 1:
            header_missing = [k for k in ("id_number", "name", "household_code") if k not in values]
            if header_missing:
                return ImportResult(total=0, inserted=0, updated=0, unchanged=0, duplicates=0, rejected=1,
                                    problems=[_problem(1, k, "", "缺少必需的列|a required column is missing")
                                              for k in header_missing], dry_run=options.dry_run, applied=False)
        row, row_problems = _check_row(reg, actor, places, line, values, day)
        if row is not None:
            fingerprint = tuple(values.items())
            if row.number in seen:
                if seen[row.number][1] == fingerprint:
                    duplicates += 1
                    continue
                row_problems = [_problem(line, "id_number", row.number,
                                         f"与第 {seen[row.number][0]} 行身份证号相同但内容不同|same ID number as line "
                                         f"{seen[row.number][0]} with different details")]
                row = None
            else:
                seen[row.number] = (line, fingerprint)
        if row is None:
            problems += row_problems
        else:
            good.append(row)
        if progress and total % 20000 == 0:
            progress("check", total, 0)
    rejected_lines = len({p.line for p in problems})
    result = ImportResult(total=total, inserted=0, updated=0, unchanged=0, duplicates=duplicates,
                          rejected=rejected_lines, problems=problems, dry_run=options.dry_run, applied=False)
    if options.dry_run or (problems and not options.skip_bad) or not good:
        if not options.dry_run:
            _plan_counts(reg, good, result)
        return result
    with reg.writing() as session:
        _write(session, actor, good, result, progress)
    result.applied = True
    return result


def _plan_counts(reg: Registry, rows: list[_Row], result: ImportResult) -> None:
    """What would have happened (for a refused import's report)."""
    with reg.reading() as session:
        existing = _existing(session, [r.number for r in rows])
    result.inserted = sum(1 for r in rows if r.number not in existing)


def _existing(session: Session, numbers: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    cols = [t.Person.id, t.Person.id_number, t.Person.version, t.Person.status, t.Person.current_stay_id,
            *[getattr(t.Person, f) for f in PERSON_FIELDS if f != "name"], t.Person.name]
    for start in range(0, len(numbers), 900):
        part = numbers[start:start + 900]
        for row in session.execute(select(*cols).where(t.Person.id_number.in_(part)).order_by(t.Person.id)).mappings():
            current = found.get(row["id_number"])
            if current is None or (current["status"] != "active" and row["status"] == "active"):
                found[row["id_number"]] = dict(row)
    return found


def _write(session: Session, actor: Actor, rows: list[_Row], result: ImportResult, progress: Progress | None) -> None:
    now = t.utcnow()
    existing = _existing(session, [r.number for r in rows])
    new_rows = [r for r in rows if r.number not in existing]
    old_rows = [r for r in rows if r.number in existing]
    history_rows: list[dict[str, Any]] = []
    total = len(rows)
    for start in range(0, len(new_rows), BATCH):
        batch = new_rows[start:start + BATCH]
        person_values = []
        for r in batch:
            p = r.person
            pinyin, initials = name_keys(p["name"])
            person_values.append({
                "id_number": p["id_number"], "id_rev": p["id_rev"], "name": p["name"], "name_pinyin": pinyin,
                "name_initials": initials, "sex": p["sex"], "birth_date": p["birth_date"],
                "ethnicity": p.get("ethnicity"), "education": p.get("education"), "hukou_type": p.get("hukou_type"),
                "marital_status": p.get("marital_status"), "category": category(p["sex"], p.get("marital_status")),
                "phone": p.get("phone"), "household_code": p["household_code"],
                "household_address": p.get("household_address"), "note": p.get("note"), "status": "active",
                "warnings": r.warnings, "version": 1, "created_at": now, "updated_at": now, "created_by": actor.username,
            })
        ids = allocate_ids(session, t.Person, len(person_values))
        for pid, values in zip(ids, person_values, strict=True):
            values["id"] = pid
        _insert(session, t.Person, person_values)
        stay_values, owners = [], []
        for pid, r in zip(ids, batch, strict=True):
            history_rows.append({"at": now, "entity": "person", "entity_id": pid, "person_id": pid, "action": "import",
                                 "user_id": actor.user_id, "username": actor.username, "reason": "legacy import",
                                 "changes": {"line": [None, r.line]}, "changeset_id": None,
                                 "scope_code": r.person["household_code"]})
            if r.stay:
                stay_values.append({**_stay_defaults(), **r.stay, "reason": r.stay.get("reason") or "other",
                                    "person_id": pid, "status": "open", "version": 1,
                                    "created_at": now, "updated_at": now, "created_by": actor.username})
                owners.append(pid)
        if stay_values:
            stay_ids = allocate_ids(session, t.Stay, len(stay_values))
            for sid, values in zip(stay_ids, stay_values, strict=True):
                values["id"] = sid
            pointers = [{"pid": pid, "sid": sid, "res": sv["residence_code"], "arr": sv["arrived_on"]}
                        for pid, sid, sv in zip(owners, stay_ids, stay_values, strict=True)]
            _insert(session, t.Stay, stay_values)  # (encodes the rows in place on SQLite)
            session.execute(update(t.Person.__table__).where(t.Person.__table__.c.id == _b("pid")).values(
                current_stay_id=_b("sid"), residence_code=_b("res"), arrived_on=_b("arr")), pointers)
        result.inserted += len(batch)
        if progress:
            progress("write", start + len(batch), total)
    for r in old_rows:
        _update_existing(session, actor, r, existing[r.number], now, result, history_rows)
    for start in range(0, len(history_rows), 5000):
        _insert(session, t.HistoryEntry, history_rows[start:start + 5000])


def _insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """SQLite: straight to the driver's executemany (SQLAlchemy's per-row work costs more than SQLite's)."""
    if session.get_bind().dialect.name == "sqlite":
        bulk_insert.insert_sqlite(session.connection(), table.__table__, rows)
    else:
        session.execute(insert(table), rows)


def allocate_ids(session: Session, table: Any, n: int) -> list[int]:
    """Ids for a bulk insert without RETURNING (which SQLite would run row by row).

    SQLite: the write lock is held (BEGIN IMMEDIATE), so max(id)+1… is ours. PostgreSQL: taken from the
    table's sequence, so concurrent writers never collide."""
    if n == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        name = table.__tablename__
        return list(session.execute(text(f"SELECT nextval(pg_get_serial_sequence('{name}', 'id')) "
                                         "FROM generate_series(1, :n)"), {"n": n}).scalars())
    start = int(session.execute(select(func.coalesce(func.max(table.id), 0))).scalar_one()) + 1
    return list(range(start, start + n))


def _b(name: str) -> Any:
    from sqlalchemy import bindparam

    return bindparam(name)


def _stay_defaults() -> dict[str, Any]:
    return {k: None for k in (*STAY_FIELDS, "household_address", "returned_on", "end_reason", "declare_due_on",
                              "employer_code")}


def _update_existing(session: Session, actor: Actor, r: _Row, current: dict[str, Any], now: dt.datetime,
                     result: ImportResult, history_rows: list[dict[str, Any]]) -> None:
    changes = {k: v for k, v in r.person.items() if k in PERSON_FIELDS and v not in (None, "") and current.get(k) != v}
    stay_changed = False
    if r.stay:
        open_stay = session.execute(select(t.Stay).where(t.Stay.person_id == current["id"], t.Stay.status == "open")).scalar_one_or_none()
        if open_stay is None:
            stay = t.Stay(**{**_stay_defaults(), **r.stay, "reason": r.stay.get("reason") or "other"},
                          person_id=current["id"], status="open", version=1,
                          created_by=actor.username)
            session.add(stay)
            session.flush()
            session.execute(update(t.Person).where(t.Person.id == current["id"]).values(
                current_stay_id=stay.id, residence_code=stay.residence_code, arrived_on=stay.arrived_on))
            stay_changed = True
        else:
            delta = {k: v for k, v in r.stay.items() if k in STAY_FIELDS and v is not None and getattr(open_stay, k) != v}
            if delta:
                session.execute(update(t.Stay).where(t.Stay.id == open_stay.id).values(
                    **delta, version=open_stay.version + 1, updated_at=now))
                if "residence_code" in delta or "arrived_on" in delta:
                    session.execute(update(t.Person).where(t.Person.id == current["id"]).values(
                        residence_code=r.stay.get("residence_code", open_stay.residence_code),
                        arrived_on=r.stay.get("arrived_on", open_stay.arrived_on)))
                changes.update({f"stay.{k}": v for k, v in delta.items()})
                stay_changed = True
    person_changes = {k: v for k, v in changes.items() if not k.startswith("stay.")}
    if "name" in person_changes:
        person_changes["name_pinyin"], person_changes["name_initials"] = name_keys(person_changes["name"])
    if "marital_status" in person_changes:
        person_changes["category"] = category(r.person["sex"], person_changes["marital_status"])
    if person_changes:
        session.execute(update(t.Person).where(t.Person.id == current["id"]).values(
            **person_changes, version=current["version"] + 1, updated_at=now))
    if not changes and not stay_changed:
        result.unchanged += 1
        return
    result.updated += 1
    history_rows.append({"at": now, "entity": "person", "entity_id": current["id"], "person_id": current["id"],
                         "action": "import", "user_id": actor.user_id, "username": actor.username,
                         "reason": f"legacy import, line {r.line}",
                         "changes": {k: [None if k.startswith("stay.") else _json(current.get(k)), _json(v)]
                                     for k, v in changes.items()},
                         "changeset_id": None, "scope_code": r.person.get("household_code")})


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
