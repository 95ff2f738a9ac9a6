"""Field rules that need more than a type: ID numbers, dates, phones, categories."""

from __future__ import annotations

import datetime as dt
import re

from flowpop.registry.kernel.errors import field_error
from flowpop.rules import idnumber
from flowpop.types import FieldError, Notice

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
MARRIED = {"first_marriage", "remarried", "divorced", "widowed"}


def check_id(raw: str, field: str = "id_number") -> tuple[idnumber.IdCheck, list[FieldError], list[Notice]]:
    result = idnumber.check(raw)
    errors = [field_error(field, code, zh, en) for code, zh, en in result.errors]
    notices = [Notice(code=code, message=zh, message_en=en, field=field) for code, zh, en in result.warnings]
    return result, errors, notices


def check_phone(phone: str | None, field: str = "phone") -> list[FieldError]:
    if not phone:
        return []
    compact = phone.replace(" ", "")
    if MOBILE.match(compact) or LANDLINE.match(compact):
        return []
    return [field_error(field, "phone_format", "电话号码格式不正确（手机11位或区号-号码）", "phone must be an 11-digit mobile or an area code and number")]


def check_stay_dates(
    *,
    born: dt.date | None,
    left_home_on: dt.date | None,
    arrived_on: dt.date | None,
    expected_return_on: dt.date | None,
    today: dt.date,
    prefix: str = "",
) -> list[FieldError]:
    errors: list[FieldError] = []
    if arrived_on and arrived_on > today:
        errors.append(field_error(prefix + "arrived_on", "date_in_future", "流入日期不能晚于今天", "arrival date is in the future"))
    if arrived_on and born and arrived_on < born:
        errors.append(field_error(prefix + "arrived_on", "before_birth", "流入日期早于出生日期", "arrival date is before birth"))
    if left_home_on and left_home_on > today:
        errors.append(field_error(prefix + "left_home_on", "date_in_future", "流出日期不能晚于今天", "departure date is in the future"))
    if left_home_on and born and left_home_on < born:
        errors.append(field_error(prefix + "left_home_on", "before_birth", "流出日期早于出生日期", "departure date is before birth"))
    if left_home_on and arrived_on and left_home_on > arrived_on:
        errors.append(
            field_error(prefix + "left_home_on", "after_arrival", "流出日期不能晚于流入日期", "left home after arriving")
        )
    if expected_return_on and arrived_on and expected_return_on < arrived_on:
        errors.append(
            field_error(prefix + "expected_return_on", "before_arrival", "预计返回日期早于流入日期", "expected return is before arrival")
        )
    return errors


def category(sex: str, marital_status: str | None) -> str:
    married = marital_status in MARRIED
    return f"{'married' if married else 'unmarried'}_{'male' if sex == 'M' else 'female'}"


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (28 February for a 29th): born on or before it, one is ``years`` old."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def birth_as_seen(born: dt.date, can_reveal: bool, day: dt.date) -> dt.date:
    """The birth date a date check compares with. Without the reveal right only the birth year is visible, so
    the latest date it allows: 31 December of that year, or today for someone born this year. A refusal is then
    decided by the year alone (refusing at the hidden date would tell it, a request at a time), and no date
    accepted lies before birth (the quality check's "arrival before birth" list would tell it otherwise)."""
    if can_reveal:
        return born
    return min(dt.date(born.year, 12, 31), day)


def is_key_target(category_code: str, born: dt.date, day: dt.date) -> bool:
    return category_code == "married_female" and 15 <= age_on(born, day) <= 49
