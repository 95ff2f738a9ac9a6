"""The trend's report of a quarter (the dashboard's rates panel) is the rates report's total, without the rows by
division it does not carry (county.rates.trend counts as the report by county does, and builds no rows)."""

from __future__ import annotations

import datetime as dt

import flowpop
from flowpop.demo.build import build


def test_trend_total_is_the_rates_total(db_url: str) -> None:
    build(db_url, 300, seed=3, replace=True)
    day = dt.date.today()
    quarter = f"{day.year}Q{(day.month - 1) // 3 + 1}"
    with flowpop.Client(db=db_url, max_retries=0) as client:
        (trend,) = client.reports.trend([quarter])
        full = client.reports.rates(period=quarter, level="county")
    assert trend.rows == [] and full.rows
    assert trend.total == full.total
    assert any(r.denominator for r in trend.total.rates)  # the demo's quarter has figures to compare
