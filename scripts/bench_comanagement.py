"""The co-management gap report of a city (issue 14, "Figures"), through the SDK and as plain SQL, with the ratio.

    python scripts/bench_comanagement.py --size 1000000 [--db comanagement.db --reuse] [--pg URL] [--runs 5]

Builds a demo registry (``flowpop.demo.build``, --size persons; SQLite file, or PostgreSQL with --pg, whose
database is dropped and made anew unless --reuse), then times, as the city's viewer meets them:

- the report per county and per pair of counties of 三明 (``client.reports.comanagement(by=…, division=…)``:
  inflows and outflows registered, the gap, 漏管), and the list behind one county's missing inflows;
- the same figures as one plain SQL statement on a bare driver connection (no HTTP, no models, no rights):
  a GROUP BY over the open stays between the city's counties.

Both must give the same totals (checked). Prints a table: median and max milliseconds of --runs runs each,
and the ratio ours / plain, which is what the registry adds. On demand only; not part of the suite.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _bench import compare_main, log, timed  # noqa: E402

import flowpop  # noqa: E402
from flowpop.registry.store.db import normalize_url  # noqa: E402
from flowpop.types import ComanagementReport  # noqa: E402

CITY = "350400000000"  # 三明市: the demo's counties
COUNTY = "350404000000"  # 三元区

PLAIN = """
SELECT substr(household_code, 1, 6) AS hh, substr(residence_code, 1, 6) AS res,
       sum(CASE WHEN inflow_registered_at IS NOT NULL THEN 1 ELSE 0 END) AS inflows,
       sum(CASE WHEN outflow_registered_at IS NOT NULL THEN 1 ELSE 0 END) AS outflows,
       sum(CASE WHEN inflow_registered_at IS NOT NULL AND outflow_registered_at IS NOT NULL THEN 1 ELSE 0 END) AS both_sides,
       sum(CASE WHEN (inflow_registered_at IS NULL) <> (outflow_registered_at IS NULL) THEN 1 ELSE 0 END) AS one_side
FROM stays
WHERE status = 'open' AND household_code >= '3504' AND household_code < '3505'
  AND residence_code >= '3504' AND residence_code < '3505'
  AND substr(household_code, 1, 6) <> substr(residence_code, 1, 6)
  AND (inflow_registered_at IS NOT NULL OR outflow_registered_at IS NOT NULL)
GROUP BY substr(household_code, 1, 6), substr(residence_code, 1, 6)
"""


def measure(db: str, runs: int) -> list[list[Any]]:
    rows: list[list[Any]] = []
    engine = create_engine(normalize_url(db) if "://" in db else f"sqlite:///{db}")
    with flowpop.Client(db=db) as client, engine.connect() as conn:
        persons = conn.execute(text("SELECT count(*) FROM persons")).scalar_one()
        stays = conn.execute(text("SELECT count(*) FROM stays")).scalar_one()
        # the statement as written (SQLite may walk a code index), and on SQLite also read straight through
        # (`+column` keeps the index out): the faster one is the plain figure
        statements = [PLAIN]
        if engine.dialect.name == "sqlite":
            statements.append(PLAIN.replace("household_code >= '3504' AND household_code < '3505'",
                                            "+household_code >= '3504' AND +household_code < '3505'").replace(
                "residence_code >= '3504' AND residence_code < '3505'",
                "+residence_code >= '3504' AND +residence_code < '3505'"))
        best: tuple[list[float], Any] | None = None
        for statement in statements:
            def plain_rows(statement: str = statement) -> Any:
                return conn.execute(text(statement)).all()

            found = timed(plain_rows, runs)
            if best is None or statistics.median(found[0]) < statistics.median(best[0]):
                best = found
        assert best is not None
        plain_times, plain = best
        total_plain = (sum(r.inflows for r in plain), sum(r.outflows for r in plain), sum(r.one_side for r in plain))
        for by in ("county", "pair"):
            def report_of(by: Literal["county", "pair"] = by) -> ComanagementReport:
                return client.reports.comanagement(by=by, division=CITY)

            times, report = timed(report_of, runs)
            t = report.total
            assert (t.inflows_registered, t.outflows_registered, t.unmanaged) == total_plain, (t, total_plain)
            rows.append([f"comanagement --by {by} (三明)", persons, stays, statistics.median(times), max(times),
                         statistics.median(plain_times), statistics.median(times) / statistics.median(plain_times)])
        list_times, people = timed(lambda: client.reports.comanagement_records("missing_inflow", county=COUNTY), runs)
        rows.append([f"--list missing-inflow (三元区, {len(people)} people)", persons, stays,
                     statistics.median(list_times), max(list_times), None, None])
        log(f"city totals: inflows {total_plain[0]}, outflows {total_plain[1]}, gap {total_plain[1] - total_plain[0]}, "
            f"漏管 {total_plain[2]}")
    engine.dispose()
    return rows


def main(argv: list[str] | None = None) -> int:
    return compare_main(argv, __doc__ or "", db="bench_comanagement.db", size=1_000_000, runs=5, measure=measure)


if __name__ == "__main__":
    raise SystemExit(main())
