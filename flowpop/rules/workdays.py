"""Working days (工作日) with Chinese public holidays and adjusted working weekends (调休).

The calendar comes from the maintained ``chinesecalendar`` package; years it does not cover yet
are read from the settings file (``[calendar.YEAR] holidays = [...], workdays = [...]``), and
failing that fall back to Monday–Friday, reported so that a deadline can be marked provisional.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class Calendar:
    """Extra years: {year: {"holidays": [dates], "workdays": [dates]}} from settings."""

    extra: Mapping[int, Mapping[str, Sequence[dt.date | str]]] = field(default_factory=dict)
    provisional_years: set[int] = field(default_factory=set)

    def _extra(self, day: dt.date) -> bool | None:
        year = self.extra.get(day.year)
        if year is None:
            return None
        holidays = {_as_date(d) for d in year.get("holidays", ())}
        workdays = {_as_date(d) for d in year.get("workdays", ())}
        if day in workdays:
            return True
        if day in holidays:
            return False
        return day.weekday() < 5

    def is_workday(self, day: dt.date) -> bool:
        cache = self.__dict__.setdefault("_cache", {})
        known = cache.get(day)
        if known is None:
            known = cache[day] = self._is_workday(day)
        return known

    def _is_workday(self, day: dt.date) -> bool:
        configured = self._extra(day)
        if configured is not None:
            return configured
        import chinese_calendar

        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            self.provisional_years.add(day.year)
            return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date ``days`` working days after ``start`` (start itself not counted)."""
        day = start
        left = days
        while left > 0:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                left -= 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if end <= start)."""
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count


def _as_date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
