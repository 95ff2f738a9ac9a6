"""Bulk inserts into SQLite through the driver's executemany.

SQLAlchemy's per-row parameter processing costs more than SQLite's own insert work at demo sizes,
so values are encoded here the way SQLAlchemy's SQLite types store them (ISO dates, datetimes with
microseconds, JSON text) and the rows go to ``executemany`` on the same connection and transaction.
Columns the rows leave out get their Python-side defaults, as a Core insert would give them.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache, lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Column, Connection, Date, DateTime, Table, func, select, text
from sqlalchemy.orm import Session

Encoder = Callable[[Any], Any]


@cache  # a few thousand distinct days
def _date(value: dt.date) -> str:
    return value.isoformat()


@lru_cache(maxsize=1 << 16)  # the same moment is stored on a person, its first stay and their history
def _datetime(value: dt.datetime) -> str:
    return value.isoformat(" ", "microseconds")


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_text = json.encoder.encode_basestring  # a JSON string literal (C)


def _json(value: Any) -> str:
    """History's ``{"field": [before, after]}`` maps of strings by hand (3x json's speed), the rest by json."""
    if type(value) is dict:
        try:
            parts = []
            for key, pair in value.items():
                if type(pair) is not list or len(pair) != 2:
                    break
                a, b = pair
                parts.append(f'{_text(key)}:[{"null" if a is None else _text(a)},{"null" if b is None else _text(b)}]')
            else:
                return "{" + ",".join(parts) + "}"
        except TypeError:  # a value that is not a string
            pass
    return _encode(value)


def _encoder(column: Column[Any]) -> Encoder | None:
    if isinstance(column.type, DateTime):
        return _datetime
    if isinstance(column.type, Date):
        return _date
    if isinstance(column.type, JSON):
        return _json
    return None


@cache
def _plan(table: Table, keys: tuple[str, ...], quote: Callable[[str], str]) -> tuple[
        str, tuple[tuple[str, Encoder], ...], tuple[tuple[str, Any, Encoder | None], ...], Callable[[Any], Any]]:
    given = [c for c in table.columns if c.key in keys]
    defaults = tuple((c.key, c.default.arg, _encoder(c)) for c in table.columns  # type: ignore[attr-defined]  # only scalar/callable defaults, kept below, have .arg
                     if c.key not in keys and c.default is not None
                     and (getattr(c.default, "is_scalar", False) or getattr(c.default, "is_callable", False)))
    encoders = tuple((c.key, enc) for c in given if (enc := _encoder(c)) is not None)
    names = [c.name for c in given] + [table.columns[key].name for key, _, _ in defaults]
    params = [c.key for c in given] + [key for key, _, _ in defaults]
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
           f"VALUES ({', '.join('?' for _ in params)})")
    return sql, encoders, defaults, itemgetter(*params) if len(params) > 1 else lambda row: (row[params[0]],)


def _fill_defaults(rows: list[dict[str, Any]], defaults: tuple[tuple[str, Any, Encoder | None], ...], *,
                   encoded: bool) -> None:
    """The Python-side defaults of the columns the rows leave out (as stored text when ``encoded``)."""
    for key, arg, encode in defaults:
        value = arg(None) if callable(arg) else arg  # SQLAlchemy wraps callable defaults to take a context
        if encoded and encode and value is not None:
            value = encode(value)
        for row in rows:
            row[key] = value


def insert_sqlite(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) in one executemany; the dicts are encoded in place."""
    if not rows:
        return
    sql, encoders, defaults, values = _plan(table, tuple(rows[0]), conn.dialect.identifier_preparer.quote)
    for key, encode in encoders:
        for row in rows:
            value = row[key]
            if value is not None:
                row[key] = encode(value)
    _fill_defaults(rows, defaults, encoded=True)
    # positional parameters: the driver binds a named one by building its name as a string, row by row
    conn.exec_driver_sql(sql, list(map(values, rows)))


def copy_postgresql(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: the rows through COPY (psycopg's copy protocol), with the Python-side defaults of the
    columns they leave out; JSON values as their text. The rows are changed in place."""
    if not rows:
        return
    quote = conn.dialect.identifier_preparer.quote
    _, _, defaults, _ = _plan(table, tuple(rows[0]), quote)
    _fill_defaults(rows, defaults, encoded=False)
    for column in table.columns:
        if isinstance(column.type, JSON) and column.key in rows[0]:
            for row in rows:
                if row[column.key] is not None:
                    row[column.key] = _encode(row[column.key])
    names = [c.name for c in table.columns if c.key in rows[0]]
    values = itemgetter(*[c.key for c in table.columns if c.key in rows[0]])
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(  # type: ignore[union-attr]  # an open connection always has its driver's
            f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(values(row))


class Encoding:
    """How a bulk path that builds its rows as tuples (``insert_tuples``) gives dates, datetimes and JSON to the
    store's driver: SQLite's text, as SQLAlchemy's types store it; PostgreSQL's COPY takes the dates as they are."""

    __slots__ = ("date", "datetime", "json")

    def __init__(self, conn: Connection) -> None:
        sqlite = conn.dialect.name == "sqlite"
        self.date: Encoder = _date if sqlite else _same
        self.datetime: Encoder = _datetime if sqlite else _same
        self.json: Encoder = _json


def _same(value: Any) -> Any:
    return value


def insert_tuples(conn: Connection, table: Table, keys: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Rows already encoded (``Encoding``), each a tuple of ``keys``' values in that order, straight to the driver
    (SQLite's executemany, PostgreSQL's COPY), with the Python-side defaults of the columns they leave out: the
    dictionaries ``insert_rows`` takes cost a large import more than the store's own work."""
    if not rows:
        return
    quote = conn.dialect.identifier_preparer.quote
    _, _, defaults, _ = _plan(table, keys, quote)
    sqlite = conn.dialect.name == "sqlite"
    tail = []
    for _key, arg, encode in defaults:
        value = arg(None) if callable(arg) else arg  # SQLAlchemy wraps callable defaults to take a context
        tail.append(encode(value) if sqlite and encode and value is not None else
                    _encode(value) if encode is _json and value is not None else value)
    if tail:
        extra = tuple(tail)
        rows = [row + extra for row in rows]
    names = ", ".join(quote(table.columns[key].name) for key in (*keys, *(key for key, _, _ in defaults)))
    if sqlite:
        conn.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join('?' * len(rows[0]))})",
                             rows)
        return
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:  # type: ignore[union-attr]  # an open connection always has its driver's
        for row in rows:
            copy.write_row(row)


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Rows with the same keys straight to the driver: SQLite's executemany, PostgreSQL's COPY (SQLAlchemy's
    per-row work costs more than the store's). The rows are changed in place."""
    if conn.dialect.name == "sqlite":
        insert_sqlite(conn, table, rows)
    else:
        copy_postgresql(conn, table, rows)


def allocate_ids(session: Session, table: Any, n: int) -> list[int]:
    """Ids for a bulk insert without RETURNING (which SQLite would run row by row).

    SQLite: the write lock is held (BEGIN IMMEDIATE), so max(id)+1… is ours. PostgreSQL: taken from the
    table's sequence, so concurrent writers never collide."""
    if n == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        name = table.__tablename__
        return list(session.execute(text(f"SELECT nextval(pg_get_serial_sequence('{name}', 'id')) "
                                         "FROM generate_series(1, :n)"), {"n": n}).scalars())
    start = int(session.execute(select(func.coalesce(func.max(table.id), 0))).scalar_one()) + 1
    return list(range(start, start + n))


@contextmanager
def no_gc() -> Iterator[None]:
    """Millions of short-lived rows: the cyclic collector would take a third of the time."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@contextmanager
def indexes_deferred(conn: Connection, tables: tuple[str, ...], keep: tuple[str, ...] = (),
                     report: Callable[[int, int], None] | None = None) -> Iterator[None]:
    """SQLite: drop the secondary indexes of ``tables`` for a large insert and build them again at the end.

    Building an index once from sorted rows beats keeping it sorted row by row. The drop is part of the
    caller's transaction: an error (or a killed process) rolls it back with the rows, indexes intact.
    The definitions are read back from the schema, so whatever the migrations made is rebuilt as it was."""
    marks = ",".join("?" * len(tables))
    found = conn.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
        tables).all()
    indexes = [(name, sql) for name, sql in found if name not in keep]
    for name, _ in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for n, (_, sql) in enumerate(indexes, 1):
        conn.exec_driver_sql(sql)
        if report:
            report(n, len(indexes))
