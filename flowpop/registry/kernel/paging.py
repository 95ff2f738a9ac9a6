"""Keyset page cursors: the (sort value, last id) a page ended at, as opaque URL-safe text. Lists that page
this way (persons, messages) cost on a deep page what they cost on the first."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from flowpop.registry.kernel.errors import ApiError
from flowpop.registry.kernel.history import jsonable


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=jsonable).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: type[str] | type[dt.date] | None = None) -> tuple[Any, int]:
    """(sort value, last id) of a keyset page cursor (persons, messages). ``kind`` is the sort value's type:
    str, dt.date or dt.datetime (sent as ISO text), None or the value unchecked (the id is the whole key).
    A cursor anyone forged answers 400 bad_cursor, never a crash."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != 2 or type(values[1]) is not int or not 0 < values[1] < 2**63:
            raise ValueError
        value, last_id = values
        if kind is not None and value is not None:
            if not isinstance(value, str):
                raise ValueError
            if kind is not str:
                value = kind.fromisoformat(value)  # type: ignore[union-attr]  # kind is str, date or datetime; str was handled above
        return value, last_id
    except ValueError as exc:
        raise bad_cursor() from exc


def bad_cursor() -> ApiError:
    return ApiError("bad_cursor", "分页游标无效", "invalid page cursor")
