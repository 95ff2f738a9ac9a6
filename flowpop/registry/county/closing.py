"""A closed month's figures, frozen and reproducible.

Seed 000 (三明, 规划统计工作要求): "11日内乡镇一定要做好本月报表,12日半夜三点后修改的数据就是下个月的数据了"
and "12日形成最终的报表,县乡只能查询". A month closes at its cut-off, the 12th at 03:00 Beijing time
(rates.period_bounds). Its figures are frozen once, the first time anyone asks for them after the cut-off
(lazily, in ``ensure``) or when an administrator closes it (``flowpop report close --month 2026-11``,
``close``): the numerator and denominator of every rate for every village of the registry (rates.counts at
the finest level) and, per rate, the records behind its gap as they stood (rates.shortfall, with each
person's residence code at the close) are written to ``period_closes``. From then on every query for that
month (any level, any division, any user) reads and regroups those frozen counts: re-querying gives the same
figures whatever was changed since. A change entered after the cut-off is the next month's: the rates count
entries by their (Beijing) time of entry, so a deregistration entered on 20 November counts in December.

Quarters (2026Q4) are not frozen: the quarterly inspection's figures stay live until the campaign closes.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flowpop.registry.county import rates
from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.errors import Conflict, Invalid, field_error
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.store import tables as t
from flowpop.types import RatesReport

MONTH = re.compile(r"\d{4}-\d{2}")
BASIS_LIMIT = 10_000_000  # every record behind a gap
_CHUNK = 5000


def is_month(period: str) -> bool:
    return MONTH.fullmatch(period) is not None


def is_closed(period: str, now: dt.datetime | None = None) -> bool:
    """Whether ``period`` is a month past its cut-off (now: naive UTC)."""
    if not is_month(period):
        return False
    return (now or t.utcnow()) >= rates.period_utc(period)[1]


def frozen(session: Session, period: str) -> t.PeriodClose | None:
    return session.get(t.PeriodClose, period) if is_month(period) else None


def _closed_row(session: Session, period: str, *columns: Any) -> Any:
    """Some columns of a closed month's row (the basis is large: a report reads the figures only)."""
    if not is_month(period):
        return None
    return session.execute(select(*columns).where(t.PeriodClose.period == period)).first()


def ensure(reg: Registry, actor: Actor, period: str) -> None:
    """Freeze a closed month on its first query (call before opening the reading session)."""
    if not is_closed(period):
        return
    with reg.reading() as session:
        if _closed_row(session, period, t.PeriodClose.period) is not None:
            return
    freeze(reg, period, f"{actor.username} (自动：截止后首次查询)")


def close(reg: Registry, actor: Actor, period: str) -> dt.datetime:
    """An administrator closes a month after its cut-off (it would close on its first query anyway)."""
    actor.require("bulk")
    if not is_month(period):
        raise Invalid([field_error("month", "bad_period", "月份格式为 2026-11", "a month is 2026-11")])
    rates.period_bounds(period)
    if not is_closed(period):
        cut = rates.period_bounds(period)[1]
        raise Conflict(
            "period_open",
            f"{period} 尚未截止（{cut:%Y-%m-%d %H:%M} 北京时间截止）",
            f"{period} is not closed yet (cut-off {cut:%Y-%m-%d %H:%M} Beijing time)",
        )
    with reg.reading() as session:
        done = frozen(session, period)
        if done is not None:
            return done.closed_at
    return freeze(reg, period, actor.username).closed_at


def freeze(reg: Registry, period: str, by: str) -> t.PeriodClose:
    """Compute and store a closed month's figures and basis; the first writer wins."""
    system = Actor(user_id=None, username="system", role="admin", jurisdiction_code=None)
    start_at, end_at = rates.period_utc(period)
    try:
        with reg.writing() as session:
            done = frozen(session, period)
            if done is not None:
                return done
            figures = rates.counts(reg, session, period, "", rates.WIDTH["village"])
            basis: dict[str, list[list[Any]]] = {}
            for key in rates.RATES:
                ids = rates.shortfall(reg, session, system, key, period, None, BASIS_LIMIT)
                basis[key] = [[pid, code] for pid, code in _codes(session, ids)]
            row = t.PeriodClose(
                period=period,
                starts_at=start_at,
                ends_at=end_at,
                closed_at=t.utcnow(),
                closed_by=by[:64],
                figures=figures,
                basis=basis,
            )
            session.add(row)
            session.flush()
            return row
    except IntegrityError:  # someone froze it at the same moment: theirs stands
        with reg.reading() as session:
            done = frozen(session, period)
            if done is None:
                raise
            return done


def _codes(session: Session, ids: list[int]) -> list[tuple[int, str]]:
    """Each person's residence code at the close (to scope the frozen records to a caller's jurisdiction)."""
    out: dict[int, str] = {}
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        stmt = select(t.Person.id, t.Person.residence_code, t.Person.household_code).where(
            t.Person.id.in_(chunk)
        )
        for pid, residence, household in session.execute(stmt).all():
            out[pid] = residence or household or ""
    return [(pid, out.get(pid, "")) for pid in ids]


def regroup(figures: dict[str, dict[str, list[int]]], prefix: str, width: int) -> dict[str, rates.Counts]:
    """The frozen village counts summed to ``width`` digits, inside ``prefix``."""
    out: dict[str, rates.Counts] = {key: {} for key in rates.RATES}
    for key, by_code in figures.items():
        if key not in out:
            continue
        for code, (num, den) in by_code.items():
            if code is None or not code.startswith(prefix):
                continue
            cell = out[key].setdefault(code[:width], [0, 0])
            cell[0] += int(num)
            cell[1] += int(den)
    return out


def report(
    reg: Registry,
    session: Session,
    actor: Actor,
    period: str,
    level: str = "township",
    division: str | None = None,
) -> RatesReport:
    """The rates of ``period``: a closed month's frozen figures (ensure() froze them), else the live ones."""
    actor.require("read")
    prefix, width = rates.scope(reg, actor, level, division)
    close_row = _closed_row(session, period, t.PeriodClose.figures, t.PeriodClose.closed_at)
    if close_row is None:
        return rates.report(reg, period, level, prefix, rates.counts(reg, session, period, prefix, width))
    out = rates.report(reg, period, level, prefix, regroup(close_row.figures, prefix, width))
    return out.model_copy(update={"frozen_at": close_row.closed_at.replace(tzinfo=dt.UTC)})  # UTC, said so


def shortfall(
    reg: Registry,
    session: Session,
    actor: Actor,
    key: str,
    period: str,
    division: str | None = None,
    limit: int = 500,
) -> list[int]:
    """The records behind a rate's gap; for a closed month, those frozen at its close."""
    actor.require("read")
    close_row = _closed_row(session, period, t.PeriodClose.basis)
    if close_row is None or key not in close_row.basis:
        return rates.shortfall(reg, session, actor, key, period, division, limit)
    prefix, _ = rates.scope(reg, actor, "village", division)
    return [int(pid) for pid, code in close_row.basis[key] if str(code).startswith(prefix)][:limit]
