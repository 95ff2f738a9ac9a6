"""Duties the seeds set with a deadline or an interval (docs/rules.md), counted as rates beside the others
(county.rates adds them to every report) and each with the list of the people behind its gap:

- 协查 for a key target submitted within 5 working days of registering her (seed 000);
- 通报 of a service within 5 working days of providing it (seed 000), charged to the employer's place
  (从业地) when she works for a registered employer (seed 000: "凡从业企业……没有及时通报的,主要责任在从业地");
- 婚育证明 shown within 10 days of arrival (seed 001 第十二条; 30 in some places, seed 000);
- 孕环情检查 every 6 months (seed 001 第十八条), due and overdue;
- the household side's 办证率 and 函查率 (seeds 001, 003).

Working-day deadlines are worked out in Python with the holiday calendar (rules.workdays) over the
period's rows (key targets registered or served in one period), not in SQL; the rest are queries."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from flowpop.registry.kernel import settings as settings_mod
from flowpop.registry.kernel.auth import code_range
from flowpop.registry.kernel.counties import person_stays, same_county
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.kernel.validation import years_before
from flowpop.registry.messaging import deadlines
from flowpop.registry.people import stays
from flowpop.registry.store import tables as t
from flowpop.registry.store.chunks import in_chunks
from flowpop.registry.store.scans import unindexed
from flowpop.rules import beijing

Counts = dict[str, list[int]]  # division prefix → [numerator, denominator] (as county.rates)

RATES: dict[str, tuple[str, str, str, bool]] = {
    # key: (中文, English, target key, higher is better)
    "key_requests_on_time": (
        "重点对象协查及时率",
        "key-target requests sent in time",
        "key_requests_on_time",
        True,
    ),
    "service_notices_on_time": (
        "服务通报及时率",
        "service notifications sent in time",
        "service_notices_on_time",
        True,
    ),
    "certificate_on_time": ("婚育证明按时交验率", "certificate shown in time", "certificate_on_time", True),
    "checkups": ("孕环情检查率", "checkups up to date", "checkups", True),
    "certificate_issued": ("婚育证明办证率", "certificates issued (outflow)", "certificate_issued", True),
    "outflow_inquiries": ("流出人口函查率", "outflow persons inquired (函查)", "outflow_inquiries", True),
}
# lists that are no rate's gap: the key targets whose checkup falls due within DUE_SOON_DAYS
LISTS = frozenset({*RATES, "checkups_due"})
DUE_SOON_DAYS = 30


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier (the month's last day when it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _key_target(born: Any, day: dt.date) -> ColumnElement[bool]:
    """Married women of 15–49 on ``day`` (重点服务管理对象), as county.rates counts them."""
    return and_(
        t.Person.category == "married_female", born > years_before(day, 50), born <= years_before(day, 15)
    )


def _cross() -> ColumnElement[bool]:
    return func.substr(t.Stay.household_code, 1, 6) != func.substr(t.Stay.residence_code, 1, 6)


def _row(code: str, width: int) -> str:
    """The row a code counts in: its first ``width`` characters, or "" (the total only) when the code is not as
    deep as the rows (a household registered to a county counts in no township's row)."""
    cut = code[:width]
    return "" if width > 6 and cut.endswith("000") else cut


def _add(counts: Counts, code: str, width: int, hit: bool, whole: int = 1) -> None:
    cell = counts.setdefault(_row(code, width), [0, 0])
    cell[0] += int(hit)
    cell[1] += whole


# --------------------------------------------------------------------- 协查 for key targets, 5 working days


def key_requests(
    reg: Registry, session: Session, prefix: str, start_at: dt.datetime, end_at: dt.datetime, end_day: dt.date
) -> list[tuple[int, str, dt.date, dt.date | None, dt.date]]:
    """Each side's registration in [start_at, end_at) of a key target's cross-county stay — the residence side's
    inflow (inflow_registered_at), the household side's outflow (outflow_registered_at): (person id, that side's
    code, the day it registered her, the day that side (its county) first sent a 协查 about her since then or
    None, the day it is due)."""
    S, P, M = t.Stay, t.Person, t.Message

    def within(at: Any) -> ColumnElement[bool]:
        return and_(at >= start_at, at < end_at)

    rows = session.execute(
        select(
            S.person_id, S.residence_code, S.inflow_registered_at, S.household_code, S.outflow_registered_at
        )
        .join(P, person_stays())
        .where(
            or_(within(S.inflow_registered_at), within(S.outflow_registered_at)),
            S.status.in_(tuple(stays.LIVED)),
            _cross(),
            _key_target(P.birth_date, end_day),
            or_(code_range(S.residence_code, prefix), code_range(S.household_code, prefix)),
        )
    ).all()
    sent: dict[int | None, list[tuple[str, dt.datetime]]] = {}
    for ids in in_chunks(sorted({r[0] for r in rows})):
        for pid, sender, at in session.execute(
            select(M.sender_person_id, M.sender_code, M.created_at).where(
                M.kind == "assist_request", M.sender_person_id.in_(ids)
            )
        ).all():
            sent.setdefault(pid, []).append((sender, at))
    days = settings_mod.load().deadline("assist_request_send")
    cal = deadlines.calendar(reg)  # with the holiday notices loaded into the registry
    out = []
    for pid, residence, inflow_at, household, outflow_at in rows:
        for side, registered_at in ((residence, inflow_at), (household, outflow_at)):
            if registered_at is None or not start_at <= registered_at < end_at or not side.startswith(prefix):
                continue
            first = min(
                (at for sender, at in sent.get(pid, []) if sender[:6] == side[:6] and at >= registered_at),
                default=None,
            )
            registered = beijing.day_of(registered_at)
            out.append(
                (
                    pid,
                    side,
                    registered,
                    beijing.day_of(first) if first else None,
                    cal.add_working_days(registered, days),
                )
            )
    return out


# --------------------------------------------------------------------- 通报 of a service, 5 working days


def service_notices(
    reg: Registry, session: Session, prefix: str, start_at: dt.datetime, end_at: dt.datetime
) -> list[tuple[int | None, str, bool]]:
    """Service notifications sent in [start_at, end_at): (person id, the place that answers for it, sent in
    time). The place is the sender (the residence township), or the employer's division (从业地) when the
    stay it was about names an employer registered here."""
    M, S, E = t.Message, t.Stay, t.Employer
    rows = session.execute(
        select(M.sender_person_id, M.sender_code, M.event_on, M.created_at, M.stay_id)
        .where(
            M.kind == "notification",
            M.topic == "service_provided",
            M.created_at >= start_at,
            M.created_at < end_at,
            M.imported.is_(False),
        )
    ).all()
    # then the stays they were about (a message lives in its addressee's county, a stay in its person's)
    employer_place: dict[int, str | None] = {}
    for ids in in_chunks(sorted({r.stay_id for r in rows if r.stay_id is not None})):
        employer_place.update({sid: place for sid, place in session.execute(
            select(S.id, E.division_code).outerjoin(E, E.uscc == S.employer_code).where(S.id.in_(ids)))})
    cal = deadlines.calendar(reg)
    out = []
    for pid, sender, event_on, created, stay_id in rows:
        place = employer_place.get(stay_id) if stay_id is not None else None
        place = place or sender
        if place.startswith(prefix) and event_on is not None:
            out.append((pid, place, not deadlines.sent_late_by(created, event_on, "notification_send", cal)))
    return out


# --------------------------------------------------------------------- 婚育证明 shown within N days of arrival


def _days_between(later: Any, earlier: Any, dialect: str) -> Any:
    if dialect == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return cast(later, Date) - cast(earlier, Date)


def _certificate_where(
    prefix: str, start_day: dt.date, end_day: dt.date, dialect: str
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """(shown in time, counted): key targets arriving in the period from another county; counted once the
    deadline has passed or the certificate was shown."""
    S, P, C = t.Stay, t.Person, t.Certificate
    days = settings_mod.load().deadline("certificate_show_days")
    shown = exists().where(
        C.person_id == P.id,
        same_county(C, P),
        C.verified_on.is_not(None),
        C.verified_on >= S.arrived_on,
        _days_between(C.verified_on, S.arrived_on, dialect) <= days,
    )
    counted = and_(
        S.arrived_on >= start_day,
        S.arrived_on <= end_day,
        S.status.in_(tuple(stays.LIVED)),
        _cross(),
        code_range(S.residence_code, prefix),
        _key_target(P.birth_date, end_day),
        or_(S.arrived_on < today() - dt.timedelta(days=days), shown),
    )
    return shown, counted


# --------------------------------------------------------------------- 孕环情检查 every N months


def _checkup_where(prefix: str, end_day: dt.date) -> tuple[ColumnElement[bool], ColumnElement[bool], Any]:
    """(checked within the interval, counted, the last checkup) for key targets living here from another county
    on the period's last day (or today, if earlier): counted once a checkup has fallen due, i.e. she arrived an
    interval ago or has had one."""
    S, P, V = t.Stay, t.Person, t.ServiceRecord
    asof = min(end_day, today())
    since = months_before(asof, settings_mod.load().deadline("checkup_interval_months"))
    last = (
        select(func.max(V.provided_on))
        .where(V.person_id == P.id, same_county(V, P), V.kind == "checkup", V.provided_on <= asof)
        .scalar_subquery()
    )
    living = and_(
        unindexed(S.arrived_on) <= asof,
        or_(S.returned_on.is_(None), S.returned_on >= asof),
        unindexed(S.status).in_(tuple(stays.LIVED)),
        _cross(),
        code_range(S.residence_code, prefix),
        _key_target(P.birth_date, asof),
    )
    checked = func.coalesce(last, dt.date(1900, 1, 1)) > since  # never checked: not up to date
    return checked, and_(living, or_(S.arrived_on <= since, checked)), last


def checkups_due(session: Session, prefix: str, limit: int) -> list[int]:
    """Key targets living here whose next checkup (an interval after the later of her last checkup and her
    arrival) falls due within DUE_SOON_DAYS and is not yet overdue."""
    S, P = t.Stay, t.Person
    day = today()
    interval = settings_mod.load().deadline("checkup_interval_months")
    _checked, _counted, last = _checkup_where(prefix, day)
    basis = case((and_(last.is_not(None), last > S.arrived_on), last), else_=S.arrived_on)
    living = and_(
        unindexed(S.arrived_on) <= day,
        or_(S.returned_on.is_(None), S.returned_on >= day),
        S.status == "open",
        _cross(),
        code_range(S.residence_code, prefix),
        _key_target(P.birth_date, day),
    )
    soon = and_(
        basis > months_before(day, interval),
        basis <= months_before(day + dt.timedelta(days=DUE_SOON_DAYS), interval),
    )
    stmt = select(S.person_id).join(P, person_stays()).where(living, soon)
    return list(session.execute(stmt.distinct().order_by(S.person_id).limit(limit)).scalars())


# --------------------------------------------------------------------- household side: 办证率, 函查率


def _outflow(prefix: str, end_day: dt.date) -> ColumnElement[bool]:
    S, P = t.Stay, t.Person
    return and_(
        unindexed(S.arrived_on) <= end_day,
        or_(S.returned_on.is_(None), S.returned_on >= end_day),
        unindexed(S.status).in_(tuple(stays.LIVED)),
        _cross(),
        code_range(S.household_code, prefix),
        _key_target(P.birth_date, end_day),
    )


def _issued() -> ColumnElement[bool]:
    C = t.Certificate
    return exists().where(C.person_id == t.Person.id, same_county(C, t.Person),
                          or_(C.issued_on.is_not(None), C.number.is_not(None)))


def inquiries(
    session: Session, prefix: str, end_at: dt.datetime, end_day: dt.date
) -> list[tuple[int, str, bool]]:
    """Outflow key targets (household here, living in another county on the period's last day): (person id,
    household code, whether the household side sent a 协查 about her — by letter: 函查 — since the stay was
    registered and before the period's end)."""
    S, P, M = t.Stay, t.Person, t.Message
    rows = session.execute(
        select(S.person_id, S.household_code, S.created_at)
        .join(P, person_stays())
        .where(_outflow(prefix, end_day))
    ).all()
    sent: dict[int | None, list[tuple[str, dt.datetime]]] = {}
    for ids in in_chunks(sorted({r[0] for r in rows})):
        for pid, sender, at in session.execute(
            select(M.sender_person_id, M.sender_code, M.created_at).where(
                M.kind == "assist_request", M.sender_person_id.in_(ids), M.created_at < end_at
            )
        ).all():
            sent.setdefault(pid, []).append((sender, at))
    return [
        (
            pid,
            household,
            any(sender[:6] == household[:6] and at >= created for sender, at in sent.get(pid, [])),
        )
        for pid, household, created in rows
    ]


def _last_inquiry(end_at: dt.datetime) -> Any:
    """Each sender county's last 协查 about a person before ``end_at``: (person_id, county, at)."""
    M = t.Message
    county = func.substr(M.sender_code, 1, 6)
    return (
        select(M.sender_person_id.label("person_id"), county.label("county"), func.max(M.created_at).label("at"))
        .where(M.kind == "assist_request", M.sender_person_id.is_not(None), M.created_at < end_at)
        .group_by(M.sender_person_id, county)
        .subquery()
    )


# the bits of a key target's stay in key_target_counts: each condition worked out once per stay
SHOWN_COUNTED, SHOWN = 1, 2  # 婚育证明按时交验率
CHECKUP_DUE, CHECKED = 4, 8  # 孕环情检查率
OUTFLOW, ISSUED, ASKED = 16, 32, 64  # 婚育证明办证率, 流出人口函查率


def key_target_counts(
    session: Session, prefix: str, width: int, end_at: dt.datetime, start_day: dt.date, end_day: dt.date
) -> dict[str, Counts]:
    """certificate_on_time, checkups, certificate_issued and outflow_inquiries in one pass over the key targets'
    cross-county stays (they were four, each joining the stays to the persons): each stay's conditions are worked
    out once, as bits, and the flagged stays are counted twice — by residence code for the first two, by household
    code for the others — distinct persons per code as each rate counts them (函查率: stays). A 协查 counts for
    函查率 when its sender's last 协查 about her before the period's end came on or after the stay's registration."""
    S, P = t.Stay, t.Person
    dialect = session.get_bind().dialect.name
    shown, shown_counted = _certificate_where(prefix, start_day, end_day, dialect)
    checked, checkup_due, _last = _checkup_where(prefix, end_day)
    outflow = _outflow(prefix, end_day)
    last = _last_inquiry(end_at)
    asked = and_(last.c.at.is_not(None), last.c.at >= S.created_at)

    def bits(counted: Any, whole: int, *parts: tuple[Any, int]) -> Any:
        """``whole`` when the stay is counted, with the bit of each part it meets (only then worked out)."""
        return case((counted, sum((case((cond, bit), else_=0) for cond, bit in parts), start=literal(whole))), else_=0)

    flags = (
        bits(shown_counted, SHOWN_COUNTED, (shown, SHOWN))
        + bits(checkup_due, CHECKUP_DUE, (checked, CHECKED))
        + bits(outflow, OUTFLOW, (_issued(), ISSUED), (asked, ASKED))
    ).label("flags")
    asof = min(end_day, today())
    # every stay one of the rates may count (each condition above holds its own): a key target on one of the two
    # days (checkups: the earlier), living across counties, one side in the caller's area
    born = and_(P.category == "married_female", P.birth_date > years_before(asof, 50),
                P.birth_date <= years_before(end_day, 15))
    stays_ = (
        select(
            S.county.label("county"),
            S.person_id.label("person_id"),
            func.substr(S.residence_code, 1, width).label("residence"),
            func.substr(S.household_code, 1, width).label("household"),
            flags,
        )
        .select_from(
            S.__table__.join(P.__table__, person_stays()).outerjoin(
                last, and_(last.c.person_id == S.person_id, last.c.county == func.substr(S.household_code, 1, 6))
            )
        )
        .where(
            born,
            S.status.in_(tuple(stays.LIVED)),
            _cross(),
            or_(code_range(S.residence_code, prefix), code_range(S.household_code, prefix)),
        )
        .cte("key_target_stays")
    )
    k = stays_.c

    def persons(bit: int) -> Any:
        return func.count(func.distinct(case((k.flags.op("&")(bit) != 0, k.person_id))))

    def rows(bit: int) -> Any:
        return func.sum(case((k.flags.op("&")(bit) != 0, 1), else_=0))

    # each county's shard counts its own persons (a person's stays are all in her county, so the counties'
    # distinct counts add up to the code's)
    by_residence = (
        select(literal("residence"), k.residence, persons(SHOWN), persons(SHOWN_COUNTED), persons(CHECKED),
               persons(CHECKUP_DUE))
        .where(k.flags.op("&")(SHOWN_COUNTED | CHECKUP_DUE) != 0)
        .group_by(k.county, k.residence)
    )
    by_household = (
        select(literal("household"), k.household, persons(ISSUED), persons(OUTFLOW), rows(ASKED), rows(OUTFLOW))
        .where(k.flags.op("&")(OUTFLOW) != 0)
        .group_by(k.county, k.household)
    )
    out: dict[str, Counts] = {key: {} for key in ("certificate_on_time", "checkups", "certificate_issued",
                                                  "outflow_inquiries")}
    for side, code, n1, d1, n2, d2 in session.execute(union_all(by_residence, by_household)).all():
        first, second = ("certificate_on_time", "checkups") if side == "residence" else (
            "certificate_issued", "outflow_inquiries")
        for key, num, den in ((first, n1, d1), (second, n2, d2)):
            if den:
                _add(out[key], code, width, False, int(den))
                out[key][_row(code, width)][0] += int(num or 0)
    return out


# --------------------------------------------------------------------- the rates and the lists behind them


def counts(
    reg: Registry,
    session: Session,
    prefix: str,
    width: int,
    start_at: dt.datetime,
    end_at: dt.datetime,
    start_day: dt.date,
    end_day: dt.date,
) -> dict[str, Counts]:
    """Numerator and denominator of each of RATES by division code cut to ``width``."""
    out: dict[str, Counts] = {key: {} for key in RATES}
    day = today()
    for _pid, side, _registered, sent, due in key_requests(reg, session, prefix, start_at, end_at, end_day):
        if sent is not None or due < day:
            _add(out["key_requests_on_time"], side, width, sent is not None and sent <= due)
    for _, place, in_time in service_notices(reg, session, prefix, start_at, end_at):
        _add(out["service_notices_on_time"], place, width, in_time)
    return out | key_target_counts(session, prefix, width, end_at, start_day, end_day)


def behind(
    reg: Registry,
    session: Session,
    key: str,
    prefix: str,
    start_at: dt.datetime,
    end_at: dt.datetime,
    start_day: dt.date,
    end_day: dt.date,
    limit: int,
) -> list[int]:
    """Person ids behind the gap of one of RATES (or the list ``checkups_due``), lowest first."""
    S, P = t.Stay, t.Person
    day = today()
    if key == "key_requests_on_time":
        late = {
            pid
            for pid, _side, _reg, sent, due in key_requests(reg, session, prefix, start_at, end_at, end_day)
            if (sent is None and due < day) or (sent is not None and sent > due)
        }
        return sorted(late)[:limit]
    if key == "service_notices_on_time":
        return sorted(
            {
                pid
                for pid, _place, in_time in service_notices(reg, session, prefix, start_at, end_at)
                if not in_time and pid is not None
            }
        )[:limit]
    if key == "outflow_inquiries":
        return sorted(
            {pid for pid, _household, asked in inquiries(session, prefix, end_at, end_day) if not asked}
        )[:limit]
    if key == "checkups_due":
        return checkups_due(session, prefix, limit)
    if key == "certificate_on_time":
        shown, counted = _certificate_where(prefix, start_day, end_day, session.get_bind().dialect.name)
        where = and_(counted, not_(shown))
    elif key == "checkups":
        checked, counted, _last = _checkup_where(prefix, end_day)
        where = and_(counted, not_(checked))
    else:  # certificate_issued
        where = and_(_outflow(prefix, end_day), not_(_issued()))
    stmt = select(S.person_id).join(P, person_stays()).where(where)
    return list(session.execute(stmt.distinct().order_by(S.person_id).limit(limit)).scalars())
