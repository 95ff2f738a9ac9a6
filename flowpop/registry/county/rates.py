"""The rates a county is judged by (domain.md, "Rates"), computed in SQL per division, with targets
from the settings file. Periods are quarters (2026Q4) or months (2026-11: monthly figures close on
the 12th at 03:00, so November runs from 12 October 03:00 to 12 November 03:00), every bound in Beijing
time (rules.beijing; timestamps are stored in UTC). A closed month is read from its frozen figures
(county.closing), which ``counts`` computes once at the close."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, not_, or_, select
from sqlalchemy.orm import Session

from flowpop.labels import LABELS
from flowpop.registry.county import duties
from flowpop.registry.kernel import settings as settings_mod
from flowpop.registry.kernel.auth import Actor, code_range
from flowpop.registry.kernel.counties import county, in_counties, person_stays, same_county
from flowpop.registry.kernel.errors import Invalid, field_error
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.messaging import kinds
from flowpop.registry.messaging.deadlines import local_day
from flowpop.registry.people import floating, other_side, stays
from flowpop.registry.people.search import years_before
from flowpop.registry.store import tables as t
from flowpop.registry.store.scans import unindexed
from flowpop.rules import beijing
from flowpop.rules.divisions_source import prefix_of
from flowpop.types import Rate, RateRow, RatesReport

WIDTH = {"county": 6, "township": 9, "village": 12}
COLLECTED = ("present", "corrected", "certificate_missing")  # inspection outcomes: registered and living here
ACCURATE = ("present", "certificate_missing")  # a registered record found as recorded

RATES: dict[str, tuple[str, str, str, bool]] = {
    # key: (中文, English, target key, higher is better)
    "registration": ("登记率", "registration", "registration", True),
    "rented_house_registration": ("出租屋登记率", "rented-house registration", "rented_house_registration", True),
    "person_address_match": ("人户一致率", "person-address match", "person_address_match", True),
    "collection": (*LABELS["rate"]["collection"], "collection", True),
    "accuracy": (*LABELS["rate"]["accuracy"], "accuracy", True),
    "rented_house_accuracy": (*LABELS["rate"]["rented_house_accuracy"], "rented_house_accuracy", True),
    "stale_departures": ("7日未注销率", "not deregistered within 7 days", "stale_departures_max", False),
    "residence_permit": ("居住证办证率", "residence permits", "residence_permit", True),
    "certificate_held": ("持证率", "certificate held", "certificate", True),
    "certificate_verified": ("查验率", "certificate verified", "certificate", True),
    "co_management": ("共管率", "co-management", "co_management", True),
    "requests_answered": ("协查反馈率", "requests answered", "requests_answered", True),
    "requests_on_time": ("反馈及时率", "answered on time", "requests_on_time", True),
    "notifications_received": ("通报接收率", "notifications received", "notifications_received", True),
    **duties.RATES,  # deadlines and intervals the seeds set (county.duties)
}


def period_bounds(period: str) -> tuple[dt.datetime, dt.datetime, str]:
    """[start, end) as naive Beijing wall times, and the quarter whose inspections count.
    Compare timestamps with ``period_utc``'s bounds; their .date() are the Beijing days of the period."""
    m = re.fullmatch(r"(\d{4})Q([1-4])", period)
    if m and not 1900 <= int(m.group(1)) <= 2999:
        m = None
    if m:
        year, q = int(m.group(1)), int(m.group(2))
        start = dt.datetime(year, 3 * q - 2, 1)
        end = dt.datetime(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
        return start, end, period
    m = re.fullmatch(r"(\d{4})-(\d{2})", period)
    if m and not 1900 <= int(m.group(1)) <= 2999:
        m = None
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12:
            end = dt.datetime(year, month, 12, 3)
            start = dt.datetime(year - (month == 1), 12 if month == 1 else month - 1, 12, 3)
            return start, end, f"{year}Q{(month - 1) // 3 + 1}"
    raise Invalid([field_error("period", "bad_period", "期间格式为 2026Q4 或 2026-11", "period is 2026Q4 or 2026-11")])


def period_utc(period: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the period as the naive UTC timestamps the store holds (12 Nov 03:00 Beijing is
    11 Nov 19:00 UTC)."""
    start, end, _ = period_bounds(period)
    return beijing.to_utc(start), beijing.to_utc(end)


def entered_by(period: str, end_at: dt.datetime) -> dt.datetime:
    """The moment a period counts records entered before. A month: its cut-off — whatever is entered later is
    the next month's (seed 000, 12日半夜三点后修改的数据就是下个月的数据了), so a month's figures are the same
    whenever it is first asked for and frozen (county.closing). A quarter stays live (its inspection runs on)."""
    return end_at if re.fullmatch(r"\d{4}-\d{2}", period) else dt.datetime(9999, 12, 31)


def _days(later: Any, earlier: Any, dialect: str) -> Any:
    """Calendar days from the day ``earlier`` to the Beijing day of the timestamp ``later``."""
    if dialect == "sqlite":
        return func.julianday(local_day(later, dialect)) - func.julianday(earlier)
    return local_day(later, dialect) - earlier


Counts = dict[str, list[int]]  # division prefix → [numerator, denominator]


def _group(session: Session, shard: Any, key: Any, num: Any, den: Any, where: Any) -> Counts:
    return _groups(session, shard, key, {"": (num, den)}, where)[""]


def _groups(session: Session, shard: Any, key: Any, rates: dict[str, tuple[Any, Any]], where: Any,
            select_from: Any = None) -> dict[str, Counts]:
    """Several rates over the same rows in one pass: numerator and denominator of each, by division. Grouped by
    the county of ``shard``'s rows too (a distributed table's), so on Citus each county's shard counts its own
    rows and only the sums travel; the counties' sums are added here."""
    sums = [func.sum(case((cond, 1), else_=0)) for num, den in rates.values() for cond in (num, den)]
    shard_county = county(shard)
    stmt = select(key, *sums).where(where).group_by(shard_county, key)
    if select_from is not None:
        stmt = stmt.select_from(select_from)
    out: dict[str, Counts] = {name: {} for name in rates}
    for k, *values in session.execute(stmt).all():
        for i, name in enumerate(rates):
            cell = out[name].setdefault(k, [0, 0])
            cell[0] += int(values[2 * i] or 0)
            cell[1] += int(values[2 * i + 1] or 0)
    return out


def _flagged(session: Session, shard: Any, key: Any, flags: dict[str, Any],
             rates: dict[str, tuple[tuple[str, ...], tuple[str, ...]]], where: Any,
             select_from: Any = None) -> dict[str, Counts]:
    """As ``_groups``, for rates made of shared conditions: each condition of ``flags`` is worked out once a row, as
    a bit, and a rate's numerator and denominator name the conditions they need all of (none: every row). Written
    as conditions of each sum, SQLite works a shared one out again in every sum that holds it. The rows are
    counted by their bits (a few combinations occur), and the rates added up here."""
    bit = {name: 1 << i for i, name in enumerate(flags)}
    mask = sum((case((cond, bit[name]), else_=0) for name, cond in flags.items()), start=literal(0))
    stmt = select(key, mask, func.count()).where(where).group_by(county(shard), key, mask)
    if select_from is not None:
        stmt = stmt.select_from(select_from)
    wanted = {name: tuple(sum(bit[n] for n in names) for names in pair) for name, pair in rates.items()}
    out: dict[str, Counts] = {name: {} for name in rates}
    for k, flagged, n in session.execute(stmt).all():
        for name, (num, den) in wanted.items():
            cell = out[name].setdefault(k, [0, 0])  # a division with rows counts, with zeros (as _groups)
            if flagged & den == den:
                cell[1] += n
                if flagged & num == num:
                    cell[0] += n
    return out


def compute(reg: Registry, session: Session, actor: Actor, period: str, level: str = "township",
            division: str | None = None) -> RatesReport:
    """The live figures (a closed month's frozen ones: county.closing.rates)."""
    actor.require("read")
    prefix, width = scope(reg, actor, level, division)
    return report(reg, period, level, prefix, counts(reg, session, period, prefix, width))


def scope(reg: Registry, actor: Actor, level: str, division: str | None) -> tuple[str, int]:
    """The code prefix a caller's report covers, and the width of its rows' codes."""
    if level not in WIDTH:
        raise Invalid([field_error("level", "bad_level", "按县、乡镇或村统计", "level is county, township or village")])
    prefix = actor.prefix
    if division:
        node = reg.divisions.get(division)
        if node is None or not prefix_of(node.code, node.level).startswith(prefix):
            raise Invalid([field_error("division", "outside_jurisdiction", "区划不存在或不在管辖范围内",
                                       "unknown division or outside your jurisdiction")])
        prefix = prefix_of(node.code, node.level)
    return prefix, WIDTH[level]


def counts(reg: Registry, session: Session, period: str, prefix: str, width: int) -> dict[str, Counts]:
    """Numerator and denominator of every rate, by division code cut to ``width`` (12: by village)."""
    start, end, quarter = period_bounds(period)
    start_at, end_at = period_utc(period)
    dialect = session.get_bind().dialect.name
    end_day = (end - dt.timedelta(seconds=1)).date()
    cut = entered_by(period, end_at)
    S, P, M, CI = t.Stay, t.Person, t.Message, t.CampaignItem
    res_key = func.substr(S.residence_code, 1, width)
    in_scope = code_range(S.residence_code, prefix)
    cross = func.substr(S.household_code, 1, 6) != func.substr(S.residence_code, 1, 6)
    # as entered by a month's cut-off (entered_by)
    open_at_end = and_(unindexed(S.arrived_on) <= end_day, or_(S.returned_on.is_(None), S.returned_on >= end_day),
                       unindexed(S.status).in_(tuple(stays.LIVED)), S.created_at < cut)
    results: dict[str, Counts] = {}

    # inspections of the quarter
    campaigns = select(t.Campaign.id).where(t.Campaign.quarter == quarter)
    ci_key = func.substr(CI.village_code, 1, width)
    ci_where = and_(CI.campaign_id.in_(campaigns), code_range(CI.village_code, prefix), in_counties(reg, CI, prefix))
    registered_found = CI.outcome.in_(("present", "corrected", "certificate_missing", "left"))
    results["registration"] = _group(session, CI, ci_key, and_(CI.kind == "stay", registered_found),
                                     and_(CI.kind == "stay", or_(registered_found, CI.outcome == "new_found")), ci_where)
    new_houses = and_(t.House.use == "rented", t.House.created_at >= start_at, t.House.created_at < end_at,
                      code_range(t.House.division_code, prefix), in_counties(reg, t.House, prefix))
    house_found = _group(session, CI, ci_key, and_(CI.kind == "house", CI.outcome.in_(("present", "corrected"))),
                         and_(CI.kind == "house", CI.outcome.in_(("present", "corrected"))), ci_where)
    house_key = func.substr(t.House.division_code, 1, width)
    for k, n in session.execute(select(house_key, func.count()).where(new_houses)
                                .group_by(t.House.county, house_key)).all():
        house_found.setdefault(k, [0, 0])[1] += int(n)
    results["rented_house_registration"] = house_found
    checked = and_(CI.kind == "stay", CI.outcome.is_not(None), CI.outcome != "new_found")
    results["person_address_match"] = _group(session, CI, ci_key, and_(checked, CI.outcome == "present"), checked, ci_where)
    # seed 000 信息采集率 / 准确率 (docs/rules.md): of the people found living here, those already registered;
    # of the registered records checked, those found as recorded (a missing certificate is no wrong record)
    living_found = CI.outcome.in_(COLLECTED)
    results["collection"] = _group(session, CI, ci_key, and_(CI.kind == "stay", living_found),
                                   and_(CI.kind == "stay", or_(living_found, CI.outcome == "new_found")), ci_where)
    results["accuracy"] = _group(session, CI, ci_key, and_(checked, CI.outcome.in_(ACCURATE)), checked, ci_where)
    house_checked = and_(CI.kind == "house", CI.outcome.is_not(None))
    results["rented_house_accuracy"] = _group(session, CI, ci_key, and_(house_checked, CI.outcome == "present"),
                                              house_checked, ci_where)

    # stays
    stale_days = settings_mod.load().deadline("stale_departure_days")
    # a departure counts in the period it was entered (ended_at), late when entered more than N calendar
    # days after the day the person left (returned_on, given by the user): seed 000, 以7天为一个周期的未注销率
    departed = and_(S.ended_at >= start_at, S.ended_at < end_at, S.returned_on.is_not(None))
    stale = _days(S.ended_at, S.returned_on, dialect) > stale_days
    # the floating population at the period's end (条例 第二条; seed 001: 30 days): residence permits count
    # every age, the family-planning indicators (certificates) adults of childbearing age (docs/rules.md)
    floating_now = floating.stay_counted(reg, end_day)
    oldest, youngest = years_before(end_day, 50), years_before(end_day, 15)
    key_target = and_(P.category == "married_female", P.birth_date > oldest, P.birth_date <= youngest)
    has_cert = exists().where(t.Certificate.person_id == P.id, same_county(t.Certificate, P), t.Certificate.created_at < cut)
    verified = exists().where(t.Certificate.person_id == P.id, same_county(t.Certificate, P), t.Certificate.created_at < cut,
                              t.Certificate.verified_on.is_not(None), t.Certificate.verified_on <= end_day)
    targets_where = and_(open_at_end, floating_now, floating.of_age(P.birth_date, end_day), in_scope, key_target)
    results |= _flagged(session, S, res_key, {"held": has_cert, "verified": verified},
                        {"certificate_held": (("held",), ()), "certificate_verified": (("held", "verified"), ("held",))},
                        targets_where, select_from=S.__table__.join(P.__table__, person_stays()))
    # co-managed: both sides hold a registration of the stay (seed 000; county.comanagement); acknowledging
    # a notice is receipt, not registration. Of the stays registered by at least one side
    registered_both = and_(S.inflow_registered_at < cut, S.outflow_registered_at < cut)
    registered_any = or_(S.inflow_registered_at < cut, S.outflow_registered_at < cut)
    # both sides known here: served here, or by a peer registry whose notices tell its registrations
    both_here = other_side.counted(reg, session, S.household_code, S.residence_code)
    managed_here = and_(or_(unindexed(S.status) == "open", S.ended_at >= cut), both_here)  # open at the cut-off
    living = and_(open_at_end, cross)
    # one pass over the stays for the rates that count them: each rate's own rows are a condition inside
    results |= _flagged(session, S, res_key, {
        "departed": departed, "stale": and_(departed, stale), "open": open_at_end, "cross": cross,
        "floating": and_(open_at_end, floating_now), "permit": S.permit_expires_on >= end_day,
        # the registrations first: they are few, and both_here's code lists are the dearest test
        "one_side": registered_any, "both_sides": registered_both, "managed": and_(registered_any, managed_here),
    }, {
        "stale_departures": (("stale",), ("departed",)),
        "residence_permit": (("floating", "permit"), ("floating",)),
        "co_management": (("open", "cross", "managed", "both_sides"), ("open", "cross", "managed", "one_side")),
    }, and_(in_scope, or_(departed, living)))

    # the inbox, by addressee
    m_key = func.substr(M.addressee_code, 1, width)
    m_where = and_(M.created_at >= start_at, M.created_at < end_at, code_range(M.addressee_code, prefix),
                   in_counties(reg, M, prefix), M.external.is_(False))
    # a 查无此人 closed with its subject (its stay or person ended first) is nobody's answer nor anybody's lateness
    request = and_(M.kind.in_(tuple(kinds.ANSWER_COUNTED)), or_(M.outcome.is_(None), M.outcome != kinds.SUBJECT_ENDED))
    answered = M.status.in_(tuple(kinds.ANSWERED))
    on_time = and_(request, answered, local_day(M.answered_at, dialect) <= M.due_on)
    notice = M.kind.in_(tuple(kinds.ACKNOWLEDGEABLE))
    results |= _groups(session, M, m_key, {"requests_answered": (and_(request, answered), request),
                                        "requests_on_time": (on_time, request),
                                        "notifications_received": (and_(notice, M.status == "closed"), notice)},
                       m_where)
    results |= duties.counts(reg, session, prefix, width, start_at, end_at, start.date(), end_day)
    return results


def report(reg: Registry, period: str, level: str, prefix: str, results: dict[str, Counts],
           rows: bool = True) -> RatesReport:
    """The report of the rates' counts by division (live, or a closed month's frozen ones); with ``rows=False``
    the total only (the trend)."""
    start, end, _ = period_bounds(period)
    end_day = (end - dt.timedelta(seconds=1)).date()
    width = WIDTH[level]
    targets = settings_mod.load().targets
    keys = sorted({k for counts in results.values() for k in counts if k and len(k) >= width}) if rows else []
    by_division = [RateRow(division_code=k.ljust(12, "0"), division_name=reg.divisions.name(k.ljust(12, "0")),
                    rates=[_rate(key, results[key].get(k, [0, 0]), targets) for key in RATES]) for k in keys]
    totals = {key: [sum(v[0] for v in results[key].values()), sum(v[1] for v in results[key].values())] for key in RATES}
    total_code = (prefix or "").ljust(12, "0") if prefix else ""
    total = RateRow(division_code=total_code, division_name=reg.divisions.name(total_code) if prefix else "全部",
                    rates=[_rate(key, totals[key], targets) for key in RATES])
    return RatesReport(period=period, start=start.date(), end=end_day, level=level, rows=by_division, total=total)


def _rate(key: str, counts: list[int], targets: dict[str, float]) -> Rate:
    zh, en, target_key, higher = RATES[key]
    num, den = counts
    value = round(num / den, 4) if den else None
    target = float(targets[target_key])
    meets = None if value is None else (value >= target if higher else value <= target)
    return Rate(key=key, name=zh, name_en=en, numerator=num, denominator=den, value=value, target=target,
                higher_is_better=higher, meets_target=meets)


def trend(reg: Registry, session: Session, actor: Actor, quarters: list[str], division: str | None = None) -> list[RatesReport]:
    """The same rates over several quarters, totals only (the city's trend lines)."""
    actor.require("read")
    prefix, width = scope(reg, actor, "county", division)
    # the same counts as the report by county (the same SQL), but no rows built only to be dropped: on the 100k
    # demo those were ~300 county rows of 20 rates each, most of the call's CPU
    return [report(reg, q, "county", prefix, counts(reg, session, q, prefix, width), rows=False) for q in quarters]


def shortfall(reg: Registry, session: Session, actor: Actor, key: str, period: str,
              division: str | None = None, limit: int = 500) -> list[int]:
    """Person ids behind a rate's gap: the records that keep it from 100% (or above zero, for stale departures)."""
    if key not in RATES and key not in duties.LISTS:
        raise Invalid([field_error("key", "unknown_rate", "未知的比率", f"unknown rate; use {', '.join(RATES)}")])
    start, end, quarter = period_bounds(period)
    start_at, end_at = period_utc(period)
    prefix = actor.prefix
    if division:
        node = reg.divisions.get(division)
        if node is not None and prefix_of(node.code, node.level).startswith(prefix):
            prefix = prefix_of(node.code, node.level)
    end_day = (end - dt.timedelta(seconds=1)).date()
    cut = entered_by(period, end_at)
    if key in duties.LISTS:
        return duties.behind(reg, session, key, prefix, start_at, end_at, start.date(), end_day, limit)
    dialect = session.get_bind().dialect.name
    S, P, CI = t.Stay, t.Person, t.CampaignItem
    in_scope = code_range(S.residence_code, prefix)
    cross = func.substr(S.household_code, 1, 6) != func.substr(S.residence_code, 1, 6)
    open_at_end = and_(S.arrived_on <= end_day, or_(S.returned_on.is_(None), S.returned_on >= end_day),
                       S.created_at < cut)  # as entered by the cut-off (counts)
    cert = and_(t.Certificate.person_id == P.id, same_county(t.Certificate, P), t.Certificate.created_at < cut)
    oldest, youngest = years_before(end_day, 50), years_before(end_day, 15)
    key_target = and_(P.category == "married_female", P.birth_date > oldest, P.birth_date <= youngest)
    floating_now = floating.stay_counted(reg, end_day)
    fp_age = floating.of_age(P.birth_date, end_day)
    builders: dict[str, Callable[[], Any]] = {
        "collection": lambda: select(CI.person_id).where(
            CI.campaign_id.in_(select(t.Campaign.id).where(t.Campaign.quarter == quarter)),
            code_range(CI.village_code, prefix), in_counties(reg, CI, prefix), CI.kind == "stay", CI.outcome == "new_found"),
        "accuracy": lambda: select(CI.person_id).where(
            CI.campaign_id.in_(select(t.Campaign.id).where(t.Campaign.quarter == quarter)),
            code_range(CI.village_code, prefix), in_counties(reg, CI, prefix), CI.kind == "stay", CI.outcome.is_not(None),
            CI.outcome.not_in((*ACCURATE, "new_found"))),
        "stale_departures": lambda: select(S.person_id).where(
            S.ended_at >= start_at, S.ended_at < end_at, in_scope, S.returned_on.is_not(None),
            _days(S.ended_at, S.returned_on, dialect) > settings_mod.load().deadline("stale_departure_days")),
        "residence_permit": lambda: select(S.person_id).where(
            open_at_end, floating_now, in_scope, or_(S.permit_expires_on.is_(None), S.permit_expires_on < end_day)),
        "certificate_held": lambda: select(S.person_id).join(P, person_stays()).where(
            open_at_end, floating_now, fp_age, in_scope, key_target, not_(exists().where(cert))),
        "certificate_verified": lambda: select(S.person_id).join(P, person_stays()).where(
            open_at_end, floating_now, fp_age, in_scope, key_target,
            exists().where(cert),
            not_(exists().where(cert, t.Certificate.verified_on.is_not(None), t.Certificate.verified_on <= end_day))),
        "co_management": lambda: select(S.person_id).where(
            open_at_end, cross, in_scope, or_(S.status == "open", S.ended_at >= cut),
            other_side.counted(reg, session, S.household_code, S.residence_code),
            # registered by one side only (漏管): the other side's registration is missing
            or_(S.inflow_registered_at.is_(None), S.inflow_registered_at >= cut,
                S.outflow_registered_at.is_(None), S.outflow_registered_at >= cut),
            or_(S.inflow_registered_at < cut, S.outflow_registered_at < cut)),
        "person_address_match": lambda: select(CI.person_id).where(
            CI.campaign_id.in_(select(t.Campaign.id).where(t.Campaign.quarter == quarter)),
            code_range(CI.village_code, prefix), in_counties(reg, CI, prefix), CI.kind == "stay", CI.outcome.is_not(None),
            CI.outcome.not_in(("present", "new_found"))),
        "registration": lambda: select(CI.person_id).where(
            CI.campaign_id.in_(select(t.Campaign.id).where(t.Campaign.quarter == quarter)),
            code_range(CI.village_code, prefix), in_counties(reg, CI, prefix), CI.outcome == "new_found"),
    }
    builder = builders.get(key)
    if builder is None:
        return []
    return list(session.execute(builder().distinct().limit(limit)).scalars())

