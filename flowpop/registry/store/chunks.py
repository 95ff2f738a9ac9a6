"""Lists cut into pieces that fit one statement: ``IN (...)`` with at most 900 bound values stays well
under SQLite's limit on parameters (999 in older builds), and larger pieces bound executemany batches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ARRAY, BigInteger, ColumnElement, Integer, String, any_, bindparam
from sqlalchemy.orm import QueryableAttribute

T = TypeVar("T")

IN_LIMIT = 900  # bound values per IN (...)
ARRAY_LIMIT = 5000  # values per PostgreSQL array parameter (``one_of``): one statement for a whole import chunk


def in_chunks(values: Sequence[T], size: int = IN_LIMIT) -> Iterator[list[T]]:
    """``values`` in consecutive pieces of at most ``size``, in order."""
    for start in range(0, len(values), size):
        yield list(values[start:start + size])


def by_county(keys: Iterable[tuple[str, int]]) -> Iterator[tuple[str, list[int]]]:
    """(county, ids) pieces of rows given by their key (county, id), for statements that name both: by id alone
    PostgreSQL cannot know one id is one row (the key is (county, id)) and, with no statistics yet for rows just
    written, scans the whole table; on Citus the county routes each statement to its shard."""
    grouped: dict[str, list[int]] = {}
    for county, row_id in keys:
        grouped.setdefault(county, []).append(row_id)
    for county, ids in sorted(grouped.items()):
        for part in in_chunks(ids):
            yield county, part


def piece(dialect: str) -> int:
    """How many values one ``one_of`` condition takes on this store."""
    return ARRAY_LIMIT if dialect == "postgresql" else IN_LIMIT


def one_of(dialect: str, column: ColumnElement[Any] | QueryableAttribute[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``column = ANY(:array)``, one parameter: the driver parses a
    statement's placeholders one by one, which for thousands of them cost more than the look-up itself."""
    if dialect == "postgresql":
        item = BigInteger() if isinstance(column.type, Integer) else String()
        return column == any_(bindparam(None, list(values), type_=ARRAY(item)))
    return column.in_(values)
