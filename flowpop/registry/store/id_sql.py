"""ID-number rules as SQL expressions, so that a quality check over a million persons runs in the store
and returns only the records that fail. tests/rules/test_rules.py holds them to python-stdnum and our own
`rules.idnumber` on generated numbers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, case, cast, func, literal

# ISO 7064 MOD 11-2 as GB 11643 uses it: the weight of each of the first 17 digits, and the check
# character for each remainder
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


def _digit(number: Any, position: int, dialect: str) -> Any:
    """The digit at a 1-based position, or -1 for any other character (never a cast that could fail)."""
    find = func.instr if dialect == "sqlite" else func.strpos
    return find(literal("0123456789"), func.substr(number, position, 1)) - 1


def check_char(number: Any, dialect: str) -> Any:
    """The check character the first 17 characters call for."""
    total = sum(_digit(number, i + 1, dialect) * w for i, w in enumerate(WEIGHTS))
    return func.substr(literal(CHECK_CHARS), (total % 11 + 11) % 11 + 1, 1)


def checksum_ok(number: Any, dialect: str) -> Any:
    return func.substr(number, 18, 1) == check_char(number, dialect)


def birth_digits(birth_date: Any) -> Any:
    """A stored birth date as the ID number writes it (YYYYMMDD)."""
    return func.replace(cast(birth_date, String), "-", "")


def sex_of(number: Any, dialect: str) -> Any:
    """'M' for an odd order digit (the 17th), 'F' for an even one."""
    return case((_digit(number, 17, dialect) % 2 == 1, "M"), else_="F")
