"""Data quality (信息质量检查): every check in domain.md, counted per county, each count opening the
people behind it. Every check is a query (the ID-number arithmetic too, `id_sql`): a million persons
are read where they are stored and only the failing records come back."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import and_, case, exists, func, not_, or_, select, tuple_
from sqlalchemy.orm import Session

from flowpop.registry.kernel import area, id_numbers
from flowpop.registry.kernel.auth import Actor, code_range
from flowpop.registry.kernel.counties import person_stays, same_county
from flowpop.registry.kernel.divisions import county_of
from flowpop.registry.kernel.errors import Invalid, field_error
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.kernel.validation import LANDLINE, MARRIED, MOBILE
from flowpop.registry.messaging import kinds
from flowpop.registry.people import other_side
from flowpop.registry.people.search import years_before
from flowpop.registry.store import id_sql
from flowpop.registry.store import tables as t
from flowpop.registry.store.scans import unindexed
from flowpop.types import QualityCheck, QualityReport, QualityShare

CHECKS: dict[str, tuple[str, str, str | None]] = {
    # key: (中文, English, changeset operation that fixes it)
    "id_checksum": ("身份证号校验位错误", "ID number check character wrong", None),
    "id_15_digits": ("15位旧身份证号", "legacy 15-digit ID number", "upgrade_id15"),
    "id_disagrees": ("出生日期或性别与身份证号不符", "birth date or sex disagrees with the ID number", None),
    # different names under one number: a person must judge which record is right
    "duplicate_active_id": ("在册人员身份证号重复", "duplicate active ID number", None),
    "duplicate_record": ("姓名与身份证号完全重复", "exact duplicate records (name + ID number)", "merge"),
    "unknown_division": ("区划代码未知或已撤销", "unknown or retired division code", None),
    "arrival_impossible": ("流入日期在未来或早于出生", "arrival in the future or before birth", None),
    "underage_marriage": ("未达法定婚龄却已婚", "married below the legal age", None),
    "key_target_no_certificate": ("重点对象无婚育证明", "key target without certificate", None),
    "residence_not_village": ("现居住地未到村/居", "residence not down to village", None),
    "house_problem": ("房屋编码未知或超员", "house code unknown or house over capacity", None),
    "deregistered_before_arrival": ("注销日期早于流入日期", "deregistered before arrival", None),
    "unmanaged_outflow": ("流出30日无对应流入（漏管）", "outflow with no matching inflow after 30 days", None),
    "bad_phone": ("电话号码格式错误", "malformed phone number", None),
}
LEGAL_AGE = {"F": 20, "M": 22}


def _county() -> Any:
    return func.substr(func.coalesce(t.Person.residence_code, t.Person.household_code), 1, 6)


def _person_conditions(dialect: str) -> dict[str, Any]:
    """The checks on a person's own fields, as conditions that one pass over the persons tests together.
    Cheap tests come first in each: the store stops at the first that fails."""
    P = t.Person
    day = today()
    length = func.length(P.id_number)
    underage = or_(*[and_(P.sex == sex, P.birth_date > years_before(day, age)) for sex, age in LEGAL_AGE.items()],
                   and_(P.sex.not_in(list(LEGAL_AGE)), P.birth_date > years_before(day, max(LEGAL_AGE.values()))))
    phone_ok = or_(P.phone.regexp_match(MOBILE.pattern), P.phone.regexp_match(LANDLINE.pattern))
    if dialect == "sqlite":  # its regexp calls back into Python: let the common mobile number through first
        phone_ok = or_(P.phone.op("GLOB")("1[3-9]" + "[0-9]" * 9), phone_ok)
    return {
        "id_15_digits": length == 15,
        # the store keeps the failing records in a partial index (migration 0018): read, not worked out per record
        "id_checksum": P.id.in_(id_sql.checksum_failed_ids(dialect)),
        "id_disagrees": and_(length == 18, or_(func.substr(P.id_number, 7, 8) != id_sql.birth_digits(P.birth_date),
                                               id_sql.sex_of(P.id_number, dialect) != P.sex),
                             id_sql.checksum_ok(P.id_number, dialect)),
        "underage_marriage": and_(P.marital_status.in_(sorted(MARRIED)), underage),
        "bad_phone": and_(P.phone.is_not(None), P.phone != "", not_(phone_ok)),
    }


def _person_pass(reg: Registry, prefix: str, dialect: str) -> dict[str, list[Any]]:
    """All the per-person checks in one pass over the persons (on a session of its own, so that it runs
    beside the other checks): only those failing one come back."""
    P = t.Person
    scope = or_(code_range(P.residence_code, prefix), code_range(P.household_code, prefix))
    conditions = _person_conditions(dialect)
    # the failing ID numbers are read from their partial index in a statement of their own: Citus refuses the
    # subquery in a select list ("complex joins are only supported when all distributed tables are co-located
    # ..."), and worked out per row, in the pass, the check cost PostgreSQL minutes on 2M records
    checksum = conditions.pop("id_checksum")
    flags = [case((cond, 1), else_=0) for cond in conditions.values()]
    found: dict[str, list[Any]] = {key: [] for key in conditions}
    with reg.reading() as session:
        rows = session.execute(select(P.id, _county(), *flags).where(scope, or_(*conditions.values()))).all()
        found["id_checksum"] = [(pid, county) for pid, county in
                                session.execute(select(P.id, _county()).where(scope, checksum)).all()]
    for pid, county, *hit in rows:
        for key, flag in zip(conditions, hit, strict=True):
            if flag:
                found[key].append((pid, county))
    return found


def _division_codes(reg: Registry, session: Session, prefix: str) -> tuple[list[str], list[str]]:
    """The codes persons point at that are unknown or retired, and the residence codes inside the own area above
    village level, by the rule records are checked with (``area.place_fault``: outside the own area a county
    is enough, and a finer code of a known county is kept as given): the distinct codes come from the
    indexes, the division tree is in memory."""
    P = t.Person
    household = session.execute(select(P.household_code).where(code_range(P.household_code, prefix))
                                .distinct()).scalars().all()
    residence = session.execute(select(P.residence_code).where(code_range(P.residence_code, prefix),
                                                               P.residence_code.is_not(None)).distinct()).scalars().all()
    nodes = reg.divisions.nodes
    own = area.own_area(reg)

    def level_of(code: str) -> str | None:
        node = nodes.get(code)
        return node.level if node is not None else None

    def retired(code: str) -> bool:
        node = nodes.get(code) or nodes.get(county_of(code))  # a finer code outside: its county's
        return node is not None and node.retired

    bad = sorted({c for c in (*household, *residence)
                  if c and (area.place_fault(own, level_of, c, village=False) == "unknown" or retired(c))})
    above_village = sorted({c for c in residence if c and area.place_fault(own, level_of, c) == "no_village"})
    return bad, above_village


def _sql_checks(reg: Registry, session: Session, prefix: str, dialect: str) -> dict[str, Callable[[], Any]]:
    """Each returns a select of (person id, county). Every check runs in the store: only the records
    that fail it come back."""
    P, S = t.Person, t.Stay
    bad_codes, above_village = _division_codes(reg, session, prefix)
    scope = or_(code_range(P.residence_code, prefix), code_range(P.household_code, prefix))
    day = today()
    oldest, youngest = years_before(day, 50), years_before(day, 15)
    # ID numbers held more than once, whatever the status: read from the ID-number index alone, then the
    # (few) records holding them are looked at. Groups are made of records inside the caller's area only: one
    # with a record elsewhere would confirm its name (type it into a record here, see it listed) or its status
    repeated = id_numbers.repeated()  # grouped on the index's shards (distributed by the number), not persons'
    dup_active = select(P.id_number).where(P.id_number.in_(repeated), P.status == "active", scope) \
        .group_by(P.id_number).having(func.count() > 1)
    # archived records (退档, and the records a merge retired) are no longer duplicates of anything
    live = P.status != "archived"
    dup_exact = select(P.id_number, P.name).where(P.id_number.in_(repeated), live, scope) \
        .group_by(P.id_number, P.name).having(func.count() > 1).subquery()
    # one pass over the open stays that name a house: codes no house has, and houses over capacity
    code = unindexed(S.house_code)
    occupants = select(code.label("house_code"), func.count().label("n")) \
        .where(unindexed(S.status) == "open", code.is_not(None)).group_by(code).subquery()
    problem_houses = select(occupants.c.house_code).outerjoin(t.House, t.House.code == occupants.c.house_code) \
        .where(or_(t.House.code.is_(None), and_(t.House.capacity.is_not(None), occupants.c.n > t.House.capacity)))
    month_ago = t.utcnow() - dt.timedelta(days=30)
    return {
        **{key: (lambda cond=cond: select(P.id, _county()).where(scope, cond))  # type: ignore[misc]  # mypy cannot type a lambda binding cond by default
           for key, cond in _person_conditions(dialect).items()},
        "unknown_division": lambda: select(P.id, _county()).where(
            scope, or_(P.household_code.in_(bad_codes), P.residence_code.in_(bad_codes))),
        "residence_not_village": lambda: select(P.id, _county()).where(
            scope, P.status == "active", P.residence_code.in_(above_village)),
        "duplicate_active_id": lambda: select(P.id, _county()).where(scope, P.status == "active", P.id_number.in_(dup_active)),
        "duplicate_record": lambda: select(P.id, _county()).join(
            dup_exact, and_(dup_exact.c.id_number == P.id_number, dup_exact.c.name == P.name)).where(scope, live),
        "arrival_impossible": lambda: select(P.id, _county()).join(S, person_stays()).where(
            scope, or_(S.arrived_on > day, S.arrived_on < P.birth_date)),
        "key_target_no_certificate": lambda: select(P.id, _county()).where(
            scope, P.status == "active", P.category == "married_female", P.birth_date > oldest, P.birth_date <= youngest,
            P.residence_code.is_not(None), func.substr(P.residence_code, 1, 6) != func.substr(P.household_code, 1, 6),
            not_(exists().where(t.Certificate.person_id == P.id, same_county(t.Certificate, P)))),
        # the stays first (a pass over them), then only their persons: joining every person to her stays cost
        # an index probe per person
        "house_problem": lambda: select(P.id, _county()).where(scope, P.id.in_(
            select(S.person_id).where(S.status == "open", S.house_code.in_(problem_houses)))),
        "deregistered_before_arrival": lambda: select(P.id, _county()).where(scope, P.id.in_(
            select(S.person_id).where(S.returned_on.is_not(None), S.returned_on < S.arrived_on))),
        # the notices first (a message lives in its addressee's county, a person in hers: no join), then their senders
        "unmanaged_outflow": lambda: select(P.id, _county()).where(
            scope, tuple_(P.id, func.substr(P.household_code, 1, 6)).in_(
                select(t.Message.sender_person_id, func.substr(t.Message.sender_code, 1, 6)).where(
                    t.Message.topic == "stay_registered", t.Message.created_at < month_ago,
                    t.Message.status.in_(tuple(kinds.UNMATCHED)))),
            # only where the residence side can answer (served here or by a peer): a notice waiting for a place
            # this registry has no exchange with is unknown, not 漏管 (as co-management counts, B13)
            other_side.counted(reg, session, P.household_code, P.residence_code)),
    }


def run(reg: Registry, session: Session, actor: Actor) -> QualityReport:
    actor.require("read")
    started = time.perf_counter()
    dialect = session.get_bind().dialect.name
    scope = or_(code_range(t.Person.residence_code, actor.prefix), code_range(t.Person.household_code, actor.prefix))
    # records per county (the error share's denominator), in the same pass as the total
    county = _county()
    records = {code: int(n) for code, n in session.execute(
        select(county, func.count()).select_from(t.Person).where(scope).group_by(county)).all()}
    checked = sum(records.values())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="quality-persons") as pool:
        person_pass = pool.submit(_person_pass, reg, actor.prefix, dialect)
        in_pass = set(_person_conditions(dialect))
        others = _sql_checks(reg, session, actor.prefix, dialect)
        found = {key: session.execute(build().distinct()).all() for key, build in others.items() if key not in in_pass}
        found |= person_pass.result()
    checks = []
    for key, (zh, en, fix) in CHECKS.items():
        hits = found.get(key, [])
        by_county = Counter(county.ljust(12, "0") for _, county in hits if county)
        checks.append(QualityCheck(key=key, name=zh, name_en=en, count=len({pid for pid, _ in hits}),
                                   by_division=dict(sorted(by_county.items())), fixable=fix))
    failing = {pid: county for hits in found.values() for pid, county in hits}
    return QualityReport(checks=checks, persons_checked=checked, seconds=round(time.perf_counter() - started, 3),
                         records_with_errors=len(failing), error_share=round(len(failing) / checked, 4) if checked else None,
                         by_county=_shares(reg, records, Counter(failing.values())))


def _shares(reg: Registry, records: dict[str, int], errors: Counter[str]) -> list[QualityShare]:
    """Errors ÷ records per county (seed 000: "全市共有差错32万条,占11%,清流18%、梅列16%"): a record counts once
    however many checks it fails, in the county the checks count it in."""
    return [QualityShare(division_code=county.ljust(12, "0"), division_name=reg.divisions.name(county.ljust(12, "0")),
                         records=n, errors=errors.get(county, 0), share=round(errors.get(county, 0) / n, 4))
            for county, n in sorted(records.items()) if county and n]


def persons_behind(reg: Registry, session: Session, actor: Actor, key: str, division: str | None = None,
                   limit: int = 1000) -> list[int]:
    """The person ids a check counts (optionally within one county), lowest first."""
    actor.require("read")
    if key not in CHECKS:
        raise Invalid([field_error("key", "unknown_check", "未知的检查项", f"unknown check; use {', '.join(CHECKS)}")])
    checks = _sql_checks(reg, session, actor.prefix, session.get_bind().dialect.name)
    hits = session.execute(checks[key]().distinct()).all()
    wanted = division[:6] if division else None
    ids = sorted({pid for pid, county in hits if wanted is None or county == wanted})
    return ids[:limit]
