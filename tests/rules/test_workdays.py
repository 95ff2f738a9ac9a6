from __future__ import annotations

import datetime as dt

from flowpop.rules.workdays import Calendar


def test_national_day_2026_is_skipped() -> None:
    cal = Calendar()
    # Wednesday 30 September + 1 working day: 1–7 October are National Day holidays
    assert not any(cal.is_workday(dt.date(2026, 10, d)) for d in range(1, 8))
    assert cal.add_working_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)
    # Sunday 20 September 2026 was worked in exchange
    assert cal.is_workday(dt.date(2026, 9, 20))


def test_adjusted_working_saturday_counts() -> None:
    cal = Calendar()
    # Friday 9 October 2026 + 1: Saturday 10 October is an adjusted working day (调休)
    assert cal.is_workday(dt.date(2026, 10, 10))
    assert cal.add_working_days(dt.date(2026, 10, 9), 1) == dt.date(2026, 10, 10)


def test_five_working_days_span_a_weekend() -> None:
    cal = Calendar()
    assert cal.add_working_days(dt.date(2026, 11, 20), 5) == dt.date(2026, 11, 27)
    assert cal.working_days_between(dt.date(2026, 11, 20), dt.date(2026, 11, 27)) == 5


def test_uncovered_year_uses_settings_then_weekdays() -> None:
    cal = Calendar(extra={2027: {"holidays": ["2027-01-01"], "workdays": ["2027-01-02"]}})
    assert not cal.is_workday(dt.date(2027, 1, 1))
    assert cal.is_workday(dt.date(2027, 1, 2))  # a Saturday made a working day
    bare = Calendar()
    assert bare.is_workday(dt.date(2028, 1, 3)) and not bare.is_workday(dt.date(2028, 1, 1))
    assert 2028 in bare.provisional_years
