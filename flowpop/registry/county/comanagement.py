"""Co-management (共管) as registration: a cross-county stay is co-managed when both sides hold a registration
of it — the residence side's inflow registration and the household side's outflow registration of the same
record (matched by ID number: a second side's registration joins the existing stay, people/stays.join). A
stay registered by one side only is 漏管. Seed 000 measures it between the counties of one city: inflows
registered 53,943, outflows registered 62,690, a gap of 8,747 to bring under 500.

Counted over the open stays between two counties this registry serves, now. When the other side is another
registry, its registration is known here by its notice through the exchange (people.other_side records it on the
stay), so both registries count the same stay alike. Acknowledging a notice is receipt, not registration:
nothing here reads messages."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from flowpop.registry.kernel import settings as settings_mod
from flowpop.registry.kernel.auth import Actor, code_range
from flowpop.registry.kernel.errors import Invalid, field_error
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.people import other_side
from flowpop.registry.store import tables as t
from flowpop.registry.store.scans import unindexed
from flowpop.rules.divisions_source import prefix_of
from flowpop.types import ComanagementReport, ComanagementRow

S = t.Stay
INFLOW = S.inflow_registered_at.is_not(None)
OUTFLOW = S.outflow_registered_at.is_not(None)
hh_county, res_county = func.substr(S.household_code, 1, 6), func.substr(S.residence_code, 1, 6)
FIGURES = ("inflows", "outflows", "both", "missing_inflow", "missing_outflow")


def _area(reg: Registry, actor: Actor, division: str | None) -> str | None:
    """The division's prefix (both sides of every stay counted lie in it), checked against the caller's area."""
    if not division:
        return None
    node = reg.divisions.get(division)
    if node is None or not (prefix_of(node.code, node.level).startswith(actor.prefix)
                            or actor.prefix.startswith(prefix_of(node.code, node.level))):
        raise Invalid([field_error("division", "outside_jurisdiction", "区划不存在或不在管辖范围内",
                                   "unknown division or outside your jurisdiction")])
    return prefix_of(node.code, node.level)


def scope(reg: Registry, session: Session, actor: Actor, area: str | None) -> Any:
    """The stays counted: open, between two different counties whose sides are known here (served here, or by a
    peer registry: people.other_side.counted), both inside ``area`` when given, at least one side in the
    caller's jurisdiction, registered by at least one side."""
    where = [unindexed(S.status) == "open", hh_county != res_county,
             other_side.counted(reg, session, S.household_code, S.residence_code), or_(INFLOW, OUTFLOW)]
    if area:  # a city holds most of a city registry's stays: read the table straight through (scans.unindexed)
        where += [code_range(unindexed(S.residence_code), area), code_range(unindexed(S.household_code), area)]
    if actor.prefix:
        where.append(or_(code_range(S.residence_code, actor.prefix), code_range(S.household_code, actor.prefix)))
    return and_(*where)


def pair_counts(reg: Registry, session: Session, actor: Actor, area: str | None) -> dict[tuple[str, str], dict[str, int]]:
    """(household county, residence county) → each figure, in one pass over the stays."""
    conds = {"inflows": INFLOW, "outflows": OUTFLOW, "both": and_(INFLOW, OUTFLOW),
             "missing_inflow": and_(OUTFLOW, S.inflow_registered_at.is_(None)),
             "missing_outflow": and_(INFLOW, S.outflow_registered_at.is_(None))}
    sums = [func.sum(case((conds[k], 1), else_=0)) for k in FIGURES]
    stmt = select(hh_county, res_county, *sums).where(scope(reg, session, actor, area)).group_by(hh_county, res_county)
    return {(hh, res): dict(zip(FIGURES, (int(v or 0) for v in values), strict=True))
            for hh, res, *values in session.execute(stmt).all()}


def _row(key: str, name: str | None, inflows: int, outflows: int, both: int, missing_inflow: int,
         missing_outflow: int, one_sided: int, **codes: str | None) -> ComanagementRow:
    total = both + one_sided
    return ComanagementRow(key=key, name=name, inflows_registered=inflows, outflows_registered=outflows,
                           gap=outflows - inflows, both=both, missing_inflow=missing_inflow,
                           missing_outflow=missing_outflow, unmanaged=missing_inflow + missing_outflow,
                           co_management=round(both / total, 4) if total else None, **codes)


def report(reg: Registry, session: Session, actor: Actor, by: str = "county", division: str | None = None
           ) -> ComanagementReport:
    """Per county (each county's inflows and outflows registered, and its own 漏管: the inflows it has not
    registered of stays living there, the outflows it has not registered of its household people), or per
    pair of counties (household → residence); the total is the city's figure when ``division`` is a city."""
    actor.require("read")
    if by not in ("county", "pair"):
        raise Invalid([field_error("by", "bad_by", "按县或县对统计", "by is county or pair")])
    area = _area(reg, actor, division)
    pairs = pair_counts(reg, session, actor, area)
    name = reg.divisions.name
    rows: list[ComanagementRow] = []
    if by == "pair":
        for (hh, res), c in sorted(pairs.items()):
            rows.append(_row(f"{hh}-{res}", f"{name(hh.ljust(12, '0')) or hh} → {name(res.ljust(12, '0')) or res}",
                             c["inflows"], c["outflows"], c["both"], c["missing_inflow"], c["missing_outflow"],
                             c["missing_inflow"] + c["missing_outflow"],
                             household_code=hh.ljust(12, "0"), residence_code=res.ljust(12, "0")))
    else:
        county: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(
            ("inflows", "outflows", "both", "missing_inflow", "missing_outflow", "one_sided"), 0))
        for (hh, res), c in pairs.items():
            one_sided = c["missing_inflow"] + c["missing_outflow"]
            for code in (hh, res):
                county[code]["both"] += c["both"]
                county[code]["one_sided"] += one_sided
            county[res]["inflows"] += c["inflows"]
            county[res]["missing_inflow"] += c["missing_inflow"]
            county[hh]["outflows"] += c["outflows"]
            county[hh]["missing_outflow"] += c["missing_outflow"]
        for code, c in sorted(county.items()):
            if actor.prefix and not (code.startswith(actor.prefix) or actor.prefix.startswith(code)):
                continue  # the other side of the caller's stays: its figures are not the caller's to see
            rows.append(_row(code, name(code.ljust(12, "0")), c["inflows"], c["outflows"], c["both"],
                             c["missing_inflow"], c["missing_outflow"], c["one_sided"],
                             county_code=code.ljust(12, "0")))
    sums = {k: sum(c[k] for c in pairs.values()) for k in FIGURES}
    scope_code = area.ljust(12, "0") if area else (actor.prefix.ljust(12, "0") if actor.prefix else None)
    total = _row("total", name(scope_code) if scope_code else "全部", sums["inflows"], sums["outflows"], sums["both"],
                 sums["missing_inflow"], sums["missing_outflow"], sums["missing_inflow"] + sums["missing_outflow"])
    target = int(settings_mod.load().targets["unmanaged_max"])
    return ComanagementReport(by=by, division_code=scope_code, division_name=name(scope_code) if scope_code else None,
                              as_of=today(), rows=rows, total=total, unmanaged_target=target,
                              meets_target=total.unmanaged <= target)


def _county(reg: Registry, code: str | None, field: str) -> str | None:
    if not code:
        return None
    node = reg.divisions.get(code)
    if node is None or node.level != "county":
        raise Invalid([field_error(field, "not_a_county", "须为县级区划代码", "a county code is needed")])
    return code[:6]


def records(reg: Registry, session: Session, actor: Actor, kind: str, *, county: str | None = None,
            household: str | None = None, residence: str | None = None, division: str | None = None,
            limit: int = 500) -> list[int]:
    """Person ids behind a number, in stay order: both, inflow, outflow, missing_inflow, missing_outflow or
    unmanaged, for a county (its side of it) and/or a pair (household → residence county)."""
    actor.require("read")
    area = _area(reg, actor, division)
    c, hh, res = _county(reg, county, "county"), _county(reg, household, "household"), _county(reg, residence, "residence")
    missing_in = and_(OUTFLOW, S.inflow_registered_at.is_(None))
    missing_out = and_(INFLOW, S.outflow_registered_at.is_(None))
    at_res = res_county == c if c else true()
    at_hh = hh_county == c if c else true()
    kinds: dict[str, Any] = {
        "both": and_(INFLOW, OUTFLOW, or_(at_res, at_hh)),
        "inflow": and_(INFLOW, at_res),
        "outflow": and_(OUTFLOW, at_hh),
        "missing_inflow": and_(missing_in, at_res),
        "missing_outflow": and_(missing_out, at_hh),
        "unmanaged": or_(and_(missing_in, at_res), and_(missing_out, at_hh)),
    }
    if kind not in kinds:
        raise Invalid([field_error("kind", "unknown_list", "未知的清单", f"unknown list; use {', '.join(kinds)}")])
    where = [scope(reg, session, actor, area), kinds[kind]]
    if hh:
        where.append(hh_county == hh)
    if res:
        where.append(res_county == res)
    stmt = select(S.person_id).where(*where).order_by(S.id).limit(limit)
    return list(session.execute(stmt).scalars())
