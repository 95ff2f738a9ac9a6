"""ID-number rules as SQL expressions, so that a quality check over a million persons runs in the store
and returns only the records that fail. tests/rules/test_rules.py holds them to python-stdnum and our own
`rules.idnumber` on generated numbers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, TextualSelect, case, cast, column, func, literal, text

# ISO 7064 MOD 11-2 as GB 11643 uses it: the weight of each of the first 17 digits, and the check
# character for each remainder
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
CHECK_FAILED_INDEX = "ix_persons_id_check_failed"  # the persons whose number fails (migration 0018)


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


def checksum_failed_sql(dialect: str) -> str:
    """SQL text over the column ``id_number`` (unqualified): neither 15 digits nor 18 characters ending in the check
    character the first 17 call for. The condition of the partial index ix_persons_id_check_failed (migration 0018),
    written out with literal values: a query uses that index only when it states the same condition (a bound
    parameter never matches an index's literal)."""
    find = "instr" if dialect == "sqlite" else "strpos"
    total = " + ".join(f"({find}('0123456789', substr(id_number, {i + 1}, 1)) - 1) * {w}"
                       for i, w in enumerate(WEIGHTS))
    check = f"substr('{CHECK_CHARS}', (({total}) % 11 + 11) % 11 + 1, 1)"
    return f"length(id_number) != 15 AND (length(id_number) != 18 OR substr(id_number, 18, 1) != {check})"


def checksum_failed_ids(dialect: str) -> TextualSelect:
    """The ids of the persons whose ID number fails its check (``checksum_failed_sql``), read from the partial index
    that holds them instead of working out the check character of every record."""
    # SQLite's planner would rather scan the (covering) index of the numbers, working the condition out per row
    indexed = f" INDEXED BY {CHECK_FAILED_INDEX}" if dialect == "sqlite" else ""
    return text(f"SELECT id FROM persons{indexed} WHERE {checksum_failed_sql(dialect)}").columns(column("id", Integer))
