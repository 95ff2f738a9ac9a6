"""Working days (工作日) with Chinese public holidays and adjusted working weekends (调休).

The calendar comes from the maintained ``chinesecalendar`` package; years it does not cover yet
are read from the State Council's notice loaded into the registry (``flowpop calendar load FILE``,
read_notice below) or the settings file (``[calendar.YEAR] holidays = [...], workdays = [...]``), and
failing that fall back to Monday–Friday, reported so that a deadline can be marked provisional.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


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

    def covers(self, year: int) -> bool:
        """Whether the year's holidays are known (a notice or the package), not guessed as Monday–Friday."""
        if year in self.extra:
            return True
        import chinese_calendar

        try:
            chinese_calendar.is_workday(dt.date(year, 1, 1))
        except NotImplementedError:
            return False
        return True

    def provisional(self, start: dt.date, end: dt.date) -> bool:
        """Whether a count of working days from ``start`` to ``end`` crosses a year the calendar does not cover."""
        return any(not self.covers(year) for year in range(start.year, end.year + 1))

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


def read_notice(text: str) -> dict[str, Any]:
    """A holiday notice file (TOML) as {year, holidays, workdays, source}; ValueError says what is wrong.

    year = 2027
    source = "国务院办公厅关于2027年部分节假日安排的通知"
    holidays = [2027-01-01, "2027-02-05/2027-02-11"]   # days off: dates, or first/last ranges
    workdays = [2027-02-14]                            # weekend days worked instead (调休上班)
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"TOML: {exc}") from None
    unknown = sorted(set(data) - {"year", "source", "holidays", "workdays"})
    if unknown:
        raise ValueError(f"unknown keys: {', '.join(unknown)}")
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        raise ValueError("year: a number such as 2027")
    out: dict[str, Any] = {"year": year, "source": str(data.get("source", "")), "holidays": [], "workdays": []}
    for key in ("holidays", "workdays"):
        values = data.get(key, [])
        if not isinstance(values, list):
            raise ValueError(f"{key}: a list of dates")
        days: set[dt.date] = set()
        for value in values:
            days.update(_days_of(key, value))
        outside = sorted(d for d in days if d.year != year)
        if outside:
            raise ValueError(f"{key}: {outside[0]} is not in {year}")
        out[key] = sorted(days)
    both = sorted(set(out["holidays"]) & set(out["workdays"]))
    if both:
        raise ValueError(f"{both[0]} is both a holiday and a working day")
    return out


def _days_of(key: str, value: object) -> list[dt.date]:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return [value]
    if isinstance(value, str):
        try:
            first, _, last = value.partition("/")
            start = dt.date.fromisoformat(first.strip())
            end = dt.date.fromisoformat(last.strip()) if last else start
        except ValueError:
            raise ValueError(f"{key}: {value!r} is not a date (2027-01-01) or range (2027-02-05/2027-02-11)") from None
        if end < start or (end - start).days > 31:
            raise ValueError(f"{key}: {value!r} is not a range of at most a month")
        return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    raise ValueError(f"{key}: {value!r} is not a date")
