"""The rates of a county and of every county, and a month's freeze (issue 14, "Figures"), through the SDK and
as plain SQL, with the ratio.

    python scripts/bench_rates.py --size 100000 [--db rates.db --reuse] [--pg URL] [--runs 3]

Builds a demo registry (``flowpop.demo.build``, --size persons; SQLite file, or PostgreSQL with --pg, whose
database is dropped and made anew unless --reuse), then times:

- ``client.reports.rates(quarter, division=三元区)`` (the county by township) and
  ``client.reports.rates(quarter, level="county")`` (every county): every rate of the report;
- ``client.reports.close_month(month)`` (``flowpop report close``): every rate by village, and the records
  behind each gap, written to period_closes. Each run closes a month not closed before (the latest ones
  past their cut-off), so the registry is changed: run it on a copy;
- plain SQL on a bare driver connection (no HTTP, no models, no rights) for the main rates only —
  登记率 (the quarter's inspection), 7日未注销率 and 共管率 — grouped the same way (for the freeze: by
  village, for the month, as entered by its cut-off).

The registry's numerators and denominators of those three rates must equal the plain SQL's, row by row
(checked; for the freeze, the frozen month's report against the plain SQL). The plain side computes three
rates where ours computes all of them (and, for the freeze, the gap lists too and writes them): the ratio
says what the whole report costs against its three main rates bare. Prints median and max milliseconds of
--runs runs each (after one warm-up run) and the ratio ours / plain. On demand only; not part of the suite.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _bench import compare_main, log, timed  # noqa: E402

import flowpop  # noqa: E402
from flowpop.registry.county import rates as rates_mod  # noqa: E402
from flowpop.registry.kernel import settings as settings_mod  # noqa: E402
from flowpop.registry.people.stays import LIVED  # noqa: E402
from flowpop.registry.store.db import normalize_url  # noqa: E402
from flowpop.types import RatesReport  # noqa: E402

COUNTY = "350404000000"  # 三元区
QUARTER = "2026Q4"
KEYS = ("registration", "stale_departures", "co_management")

REGISTRATION = """
SELECT substr(ci.village_code, 1, :w) AS k,
       sum(CASE WHEN ci.kind = 'stay' AND ci.outcome IN ('present', 'corrected', 'certificate_missing', 'left')
                THEN 1 ELSE 0 END) AS num,
       sum(CASE WHEN ci.kind = 'stay'
                 AND ci.outcome IN ('present', 'corrected', 'certificate_missing', 'left', 'new_found')
                THEN 1 ELSE 0 END) AS den
FROM campaign_items ci JOIN campaigns c ON c.id = ci.campaign_id
WHERE c.quarter = :quarter AND ci.village_code >= :lo AND ci.village_code < :hi
GROUP BY substr(ci.village_code, 1, :w)
"""

# {late}: the Beijing day the departure was entered is more than :days days after the day the person left
STAYS = """
SELECT k,
       sum(CASE WHEN departed = 1 AND late = 1 THEN 1 ELSE 0 END) AS stale_num,
       sum(departed) AS stale_den,
       sum(CASE WHEN living = 1 AND managed = 1 AND both_reg = 1 THEN 1 ELSE 0 END) AS co_num,
       sum(CASE WHEN living = 1 AND managed = 1 AND any_reg = 1 THEN 1 ELSE 0 END) AS co_den
FROM (
  SELECT substr(s.residence_code, 1, :w) AS k,
         CASE WHEN s.ended_at >= :start_at AND s.ended_at < :end_at AND s.returned_on IS NOT NULL
              THEN 1 ELSE 0 END AS departed,
         CASE WHEN {late} THEN 1 ELSE 0 END AS late,
         CASE WHEN s.arrived_on <= :end_day AND (s.returned_on IS NULL OR s.returned_on >= :end_day)
                   AND s.status IN ({lived}) AND s.created_at < :cut
                   AND substr(s.household_code, 1, 6) <> substr(s.residence_code, 1, 6)
              THEN 1 ELSE 0 END AS living,
         CASE WHEN (s.status = 'open' OR s.ended_at >= :cut)
                   AND substr(s.household_code, 1, 6) IN (SELECT substr(code, 1, 6) FROM divisions WHERE level = 'township')
                   AND substr(s.residence_code, 1, 6) IN (SELECT substr(code, 1, 6) FROM divisions WHERE level = 'township')
              THEN 1 ELSE 0 END AS managed,
         CASE WHEN s.inflow_registered_at < :cut AND s.outflow_registered_at < :cut THEN 1 ELSE 0 END AS both_reg,
         CASE WHEN s.inflow_registered_at < :cut OR s.outflow_registered_at < :cut THEN 1 ELSE 0 END AS any_reg
  FROM stays s
  WHERE s.residence_code >= :lo AND s.residence_code < :hi
) x
GROUP BY k
"""

LATE = {
    "sqlite": "julianday(date(s.ended_at, '+8 hours')) - julianday(s.returned_on) > :days",
    "postgresql": "CAST(s.ended_at + interval '8 hours' AS date) - s.returned_on > :days",
}

Figures = dict[str, dict[str, tuple[int, int]]]  # rate → 12-digit code → (numerator, denominator)


def plain(conn: Connection, period: str, prefix: str, width: int) -> Figures:
    """The three main rates of ``period`` by division code cut to ``width``, inside ``prefix``."""
    dialect = conn.dialect.name
    start, end, quarter = rates_mod.period_bounds(period)
    start_at, end_at = rates_mod.period_utc(period)
    end_day = (end - dt.timedelta(seconds=1)).date()
    cut = rates_mod.entered_by(period, end_at)
    lo, hi = (prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)) if prefix else ("", "~")

    def value(v: dt.date) -> Any:  # SQLite stores text; bind it as the store writes it
        if dialect != "sqlite":
            return v
        return v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, dt.datetime) else v.isoformat()

    out: Figures = {key: {} for key in KEYS}
    for k, num, den in conn.execute(text(REGISTRATION), {"w": width, "quarter": quarter, "lo": lo, "hi": hi}):
        out["registration"][k.ljust(12, "0")] = (int(num or 0), int(den or 0))
    lived = ", ".join(f"'{s}'" for s in sorted(LIVED))
    params = {
        "w": width,
        "lo": lo,
        "hi": hi,
        "start_at": value(start_at),
        "end_at": value(end_at),
        "end_day": value(end_day),
        "cut": value(cut),
        "days": settings_mod.load().deadline("stale_departure_days"),
    }
    for k, stale_num, stale_den, co_num, co_den in conn.execute(
        text(STAYS.format(late=LATE[dialect], lived=lived)), params
    ):
        out["stale_departures"][k.ljust(12, "0")] = (int(stale_num or 0), int(stale_den or 0))
        out["co_management"][k.ljust(12, "0")] = (int(co_num or 0), int(co_den or 0))
    return out


def ours(report: RatesReport) -> Figures:
    out: Figures = {key: {} for key in KEYS}
    for row in report.rows:
        for rate in row.rates:
            if rate.key in out:
                out[rate.key][row.division_code] = (rate.numerator, rate.denominator)
    return out


def same(a: Figures, b: Figures, what: str) -> None:
    for key in KEYS:
        left = {k: v for k, v in a[key].items() if v != (0, 0)}
        right = {k: v for k, v in b[key].items() if v != (0, 0)}
        assert left == right, (what, key, sorted(set(left.items()) ^ set(right.items()))[:6])


def totals(figures: Figures) -> str:
    parts = []
    for key in KEYS:
        num, den = (sum(v[i] for v in figures[key].values()) for i in (0, 1))
        parts.append(f"{rates_mod.RATES[key][0]} {num}/{den}")
    return ", ".join(parts)


def open_months(conn: Connection, count: int) -> list[str]:
    """The latest ``count`` months past their cut-off and not closed yet, newest first."""
    done = set(conn.execute(text("SELECT period FROM period_closes")).scalars())
    month = dt.date.today().replace(day=1)
    out: list[str] = []
    for _ in range(120):
        period = f"{month:%Y-%m}"
        if (
            rates_mod.period_utc(period)[1] <= dt.datetime.now(dt.UTC).replace(tzinfo=None)
            and period not in done
        ):
            out.append(period)
            if len(out) == count:
                return out
        month = (month - dt.timedelta(days=1)).replace(day=1)
    raise SystemExit(f"fewer than {count} months left to close: rebuild the registry (no --reuse)")


def measure(db: str, runs: int) -> list[list[Any]]:
    rows: list[list[Any]] = []
    engine = create_engine(normalize_url(db) if "://" in db else f"sqlite:///{db}")
    with flowpop.Client(db=db) as client, engine.connect() as conn:
        persons = conn.execute(text("SELECT count(*) FROM persons")).scalar_one()
        stays = conn.execute(text("SELECT count(*) FROM stays")).scalar_one()
        cases: list[tuple[str, Callable[[], RatesReport], str, int]] = [
            (
                f"rates {QUARTER} (三元区 by township)",
                lambda: client.reports.rates(QUARTER, division=COUNTY),
                COUNTY[:6],
                9,
            ),
            (
                f"rates {QUARTER} --level county (all)",
                lambda: client.reports.rates(QUARTER, level="county"),
                "",
                6,
            ),
        ]
        for name, call, prefix, width in cases:
            times, report = timed(call, runs)

            def bare(prefix: str = prefix, width: int = width) -> Figures:
                return plain(conn, QUARTER, prefix, width)

            plain_times, figures = timed(bare, runs)
            same(ours(report), figures, name)
            log(f"{name}: {totals(figures)}")
            rows.append(
                [
                    name,
                    persons,
                    stays,
                    statistics.median(times),
                    max(times),
                    statistics.median(plain_times),
                    statistics.median(times) / statistics.median(plain_times),
                ]
            )

        months = open_months(conn, runs + 1)
        queue = list(months)
        conn.commit()  # the plain reads' transaction ends: the freezes write
        times, _ = timed(lambda: client.reports.close_month(queue.pop(0)), runs)
        last = months[-1]

        def bare_month() -> Figures:
            return plain(conn, last, "", 12)

        plain_times, figures = timed(bare_month, runs)
        frozen = client.reports.rates(last, level="village")
        assert frozen.frozen_at is not None, last
        same(ours(frozen), figures, f"freeze {last}")
        log(f"freeze {last}: {totals(figures)}")
        rows.append(
            [
                f"report close --month ({', '.join(months[1:])})",
                persons,
                stays,
                statistics.median(times),
                max(times),
                statistics.median(plain_times),
                statistics.median(times) / statistics.median(plain_times),
            ]
        )
    engine.dispose()
    return rows


def main(argv: list[str] | None = None) -> int:
    return compare_main(argv, __doc__ or "", db="bench_rates.db", size=100_000, runs=3, measure=measure)


if __name__ == "__main__":
    raise SystemExit(main())
