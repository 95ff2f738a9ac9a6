"""Citizen ID numbers (公民身份号码, GB 11643).

Check character and birth date come from python-stdnum; the region part is only
looked up, never required to be current: it is the place of *birth registration*
and may be a retired code, so an unknown region is a warning, not an error.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

from stdnum.iso7064 import mod_11_2

MASK = "********"


def normalize(raw: str) -> str:
    """Full-width digits and letters to ASCII, spaces removed, `x` upper-cased."""
    text = raw or ""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return "".join(text.split()).replace("-", "").upper()


def check_char(first17: str) -> str:
    return mod_11_2.calc_check_digit(first17)


def upgrade15(number15: str) -> str:
    """Upgrade a legacy 15-digit number (born 19xx) to 18 digits."""
    body = number15[:6] + "19" + number15[6:15]
    return body + check_char(body)


@dataclass
class IdCheck:
    number: str
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (code, zh, en)
    warnings: list[tuple[str, str, str]] = field(default_factory=list)
    upgraded_from_15: bool = False
    birth_date: dt.date | None = None
    sex: str | None = None  # "M" | "F"

    @property
    def ok(self) -> bool:
        return not self.errors


def _ascii_digits(text: str) -> bool:
    # str.isdigit() accepts full-width and other Unicode digits: be strict.
    return text.isascii() and text.isdigit()


def check(raw: str, *, today: dt.date | None = None, upgrade: bool = True) -> IdCheck:
    """Validate an ID number; returns the normalised number and what is wrong with it."""
    today = today or dt.date.today()
    number = normalize(raw)
    result = IdCheck(number=number)
    if len(number) == 15 and _ascii_digits(number):
        if not upgrade:
            result.errors.append(("id_15_digits", "15位旧号码，需升级为18位", "legacy 15-digit number, upgrade to 18"))
            return result
        number = upgrade15(number)
        result.number = number
        result.upgraded_from_15 = True
        result.warnings.append(("id_upgraded_15", "15位旧号码已升级为18位", "legacy 15-digit number upgraded to 18"))
    if len(number) != 18:
        result.errors.append(("id_length", "身份证号码应为18位", "ID number must have 18 characters"))
        return result
    if not _ascii_digits(number[:17]) or not (_ascii_digits(number[17]) or number[17] == "X"):
        result.errors.append(
            ("id_characters", "身份证号码只能包含数字，末位可为X", "ID number may hold only digits, last one may be X")
        )
        return result
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    if born is None or born.year < 1880 or born > today:
        result.errors.append(("id_birth_date", "身份证号码中的出生日期无效", "birth date in the ID number is impossible"))
    else:
        result.birth_date = born
    if check_char(number[:17]) != number[17]:
        result.errors.append(("id_checksum", "身份证号码校验位错误", "ID number check character is wrong"))
    result.sex = "M" if int(number[16]) % 2 == 1 else "F"
    if region_name(number[:6]) is None:
        result.warnings.append(
            ("id_region_unknown", "出生登记地代码不在区划表中", "region of birth registration is not a known code")
        )
    return result


def forms(number: str) -> list[str]:
    """The forms one ID number may be stored in: an 18-digit number of someone born in the 1900s may be held as
    the legacy 15-digit number it upgrades (when the check character agrees), and a 15-digit one as its upgrade."""
    if len(number) == 15 and number.isascii() and number.isdigit():
        return [number, upgrade15(number)]
    if len(number) == 18 and number[6:8] == "19" and upgrade15(old := number[:6] + number[8:17]) == number:
        return [number, old]
    return [number]


def mask(number: str | None) -> str | None:
    """Region (6) and last character only: the birth date and sequence stay hidden, so what a masked
    number shows, with sex and birth year beside it, leaves some 16,600 candidates per person."""
    if not number:
        return number
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 7) + number[-1]


_REGIONS: dict[str, str] | None = None


def region_name(code6: str) -> str | None:
    """Name of a county-level code in the national list shipped with python-stdnum (incl. retired)."""
    global _REGIONS
    if _REGIONS is None:
        from flowpop.rules.divisions_source import national_counties

        _REGIONS = {d.code[:6]: d.name for d in national_counties()}
    return _REGIONS.get(code6)


def make(region6: str, born: dt.date, order: int) -> str:
    """Build a valid number (used by the demo and tests): order is 0..999, odd for men."""
    body = f"{region6}{born:%Y%m%d}{order:03d}"
    return body + check_char(body)
