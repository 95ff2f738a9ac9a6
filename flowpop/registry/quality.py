"""Data quality (信息质量检查): every check in domain.md, counted per county, each count opening the
people behind it. Checks that SQL can express run in SQL; ID-number arithmetic runs in one pass
over the persons in scope."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import String, and_, cast, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from flowpop.registry import tables as t
from flowpop.registry.auth import Actor, code_range
from flowpop.registry.core import Registry, today
from flowpop.registry.errors import Invalid, field_error
from flowpop.registry.scans import unindexed
from flowpop.registry.search import years_before
from flowpop.registry.validation import LANDLINE, MARRIED, MOBILE
from flowpop.rules import idnumber
from flowpop.types import QualityCheck, QualityReport

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
SCAN_BATCH = 20000


def _scan(reg: Registry, session: Session, prefix: str) -> tuple[dict[str, list[tuple[int, str]]], int]:
    """One pass over persons for the checks that need Python: (person id, county) per failing check."""
    found: dict[str, list[tuple[int, str]]] = defaultdict(list)
    nodes = reg.divisions.nodes
    day = today()
    scope = or_(code_range(t.Person.residence_code, prefix), code_range(t.Person.household_code, prefix))
    # the birth date as text (YYYY-MM-DD in both stores): compared with the ID number's digits as it is
    cols = (t.Person.id, t.Person.id_number, t.Person.sex, cast(t.Person.birth_date, String), t.Person.phone,
            t.Person.household_code, t.Person.residence_code, t.Person.marital_status, t.Person.status)
    last = 0
    scanned = 0
    while True:
        rows = session.execute(select(*cols).where(scope, t.Person.id > last).order_by(t.Person.id).limit(SCAN_BATCH)).all()
        if not rows:
            break
        last = rows[-1][0]
        scanned += len(rows)
        for pid, number, sex, born, phone, household, residence, marital, status in rows:
            county = (residence or household or "")[:6]
            if len(number) == 15:
                found["id_15_digits"].append((pid, county))
            elif len(number) != 18 or idnumber.check_char(number[:17]) != number[17:]:
                found["id_checksum"].append((pid, county))
            elif number[6:14] != born.replace("-", "") or (int(number[16]) % 2 == 1) != (sex == "M"):
                found["id_disagrees"].append((pid, county))
            for code in (household, residence):
                node = nodes.get(code) if code else None
                if code and (node is None or node.retired):
                    found["unknown_division"].append((pid, county))
                    break
            if residence and status == "active":
                node = nodes.get(residence)
                if node is not None and node.level != "village":
                    found["residence_not_village"].append((pid, county))
            if marital in MARRIED and born and _age(dt.date.fromisoformat(born), day) < LEGAL_AGE.get(sex, 22):
                found["underage_marriage"].append((pid, county))
            if phone and not (MOBILE.match(phone) or LANDLINE.match(phone)):
                found["bad_phone"].append((pid, county))
    return found, scanned


def _scan_apart(reg: Registry, prefix: str) -> tuple[dict[str, list[tuple[int, str]]], int]:
    with reg.reading() as session:
        return _scan(reg, session, prefix)


def _age(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _county() -> Any:
    return func.substr(func.coalesce(t.Person.residence_code, t.Person.household_code), 1, 6)


def _sql_checks(prefix: str) -> dict[str, Callable[[], Any]]:
    """Each returns a select of (person id, county)."""
    P, S = t.Person, t.Stay
    scope = or_(code_range(P.residence_code, prefix), code_range(P.household_code, prefix))
    day = today()
    oldest, youngest = years_before(day, 50), years_before(day, 15)
    # ID numbers held more than once, whatever the status: read from the ID-number index alone, then the
    # (few) records holding them are looked at
    repeated = select(P.id_number).group_by(P.id_number).having(func.count() > 1)
    dup_active = select(P.id_number).where(P.id_number.in_(repeated), P.status == "active") \
        .group_by(P.id_number).having(func.count() > 1)
    # archived records (退档, and the records a merge retired) are no longer duplicates of anything
    live = P.status != "archived"
    dup_exact = select(P.id_number, P.name).where(P.id_number.in_(repeated), live) \
        .group_by(P.id_number, P.name).having(func.count() > 1).subquery()
    # one pass over the open stays that name a house: codes no house has, and houses over capacity
    code = unindexed(S.house_code)
    occupants = select(code.label("house_code"), func.count().label("n")) \
        .where(unindexed(S.status) == "open", code.is_not(None)).group_by(code).subquery()
    problem_houses = select(occupants.c.house_code).outerjoin(t.House, t.House.code == occupants.c.house_code) \
        .where(or_(t.House.code.is_(None), and_(t.House.capacity.is_not(None), occupants.c.n > t.House.capacity)))
    month_ago = t.utcnow() - dt.timedelta(days=30)
    return {
        "duplicate_active_id": lambda: select(P.id, _county()).where(scope, P.status == "active", P.id_number.in_(dup_active)),
        "duplicate_record": lambda: select(P.id, _county()).join(
            dup_exact, and_(dup_exact.c.id_number == P.id_number, dup_exact.c.name == P.name)).where(scope, live),
        "arrival_impossible": lambda: select(P.id, _county()).join(S, S.person_id == P.id).where(
            scope, or_(S.arrived_on > day, S.arrived_on < P.birth_date)),
        "key_target_no_certificate": lambda: select(P.id, _county()).where(
            scope, P.status == "active", P.category == "married_female", P.birth_date > oldest, P.birth_date <= youngest,
            P.residence_code.is_not(None), func.substr(P.residence_code, 1, 6) != func.substr(P.household_code, 1, 6),
            not_(exists().where(t.Certificate.person_id == P.id))),
        "house_problem": lambda: select(P.id, _county()).join(S, S.person_id == P.id).where(
            scope, S.status == "open", S.house_code.in_(problem_houses)),
        "deregistered_before_arrival": lambda: select(P.id, _county()).join(S, S.person_id == P.id).where(
            scope, S.returned_on.is_not(None), S.returned_on < S.arrived_on),
        "unmanaged_outflow": lambda: select(P.id, _county()).join(t.Message, t.Message.sender_person_id == P.id).where(
            scope, t.Message.topic == "stay_registered", t.Message.created_at < month_ago,
            t.Message.status.in_(("new", "read", "forwarded", "escalated")),
            func.substr(t.Message.sender_code, 1, 6) == func.substr(P.household_code, 1, 6)),
    }


def run(reg: Registry, session: Session, actor: Actor) -> QualityReport:
    actor.require("read")
    started = time.perf_counter()
    # the Python pass reads on a session of its own while the SQL checks run here: the store works
    # without the GIL, so the two overlap (on SQLite as on PostgreSQL)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="quality-scan") as pool:
        scan = pool.submit(_scan_apart, reg, actor.prefix)
        sql_found = {key: [(pid, county) for pid, county in session.execute(build().distinct()).all()]
                     for key, build in _sql_checks(actor.prefix).items()}
        found, scanned = scan.result()
    found.update(sql_found)
    checks = []
    for key, (zh, en, fix) in CHECKS.items():
        hits = found.get(key, [])
        by_county = Counter(county.ljust(12, "0") for _, county in hits if county)
        checks.append(QualityCheck(key=key, name=zh, name_en=en, count=len({pid for pid, _ in hits}),
                                   by_division=dict(sorted(by_county.items())), fixable=fix))
    return QualityReport(checks=checks, persons_checked=scanned, seconds=round(time.perf_counter() - started, 3))


def persons_behind(reg: Registry, session: Session, actor: Actor, key: str, division: str | None = None,
                   limit: int = 1000) -> list[int]:
    """The person ids a check counts (optionally within one county), lowest first."""
    actor.require("read")
    if key not in CHECKS:
        raise Invalid([field_error("key", "unknown_check", "未知的检查项", f"unknown check; use {', '.join(CHECKS)}")])
    sql = _sql_checks(actor.prefix)
    if key in sql:
        hits = session.execute(sql[key]().distinct()).all()
    else:
        hits = _scan(reg, session, actor.prefix)[0].get(key, [])
    wanted = division[:6] if division else None
    ids = sorted({pid for pid, county in hits if wanted is None or county == wanted})
    return ids[:limit]


def merge_groups(session: Session, ids: list[int]) -> list[list[int]]:
    """Exact duplicates (same ID number and name) as merge groups, the record to keep first: an active
    one before others, then the oldest."""
    groups: dict[tuple[str, str], list[tuple[bool, int]]] = defaultdict(list)
    for start in range(0, len(ids), 900):
        part = ids[start:start + 900]
        for pid, number, name, status in session.execute(
                select(t.Person.id, t.Person.id_number, t.Person.name, t.Person.status).where(t.Person.id.in_(part))):
            groups[(number, name)].append((status != "active", pid))
    return [[pid for _, pid in sorted(members)] for members in groups.values() if len(members) > 1]
