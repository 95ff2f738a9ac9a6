"""SQL for counting over most of a table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func


def unindexed(column: Any) -> Any:
    """The column as an expression no index serves, for conditions that keep most of a table's rows.

    SQLite has no statistics on value ranges: given `arrived_on <= ?` or `house_code IS NOT NULL` it walks
    that column's index over nearly the whole table and fetches each row by itself, 3-6x slower than
    reading the table straight through. PostgreSQL plans by its statistics and reads the same either way."""
    return func.coalesce(column, column)
