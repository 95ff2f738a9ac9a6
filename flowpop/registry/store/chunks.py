"""Lists cut into pieces that fit one statement: ``IN (...)`` with at most 900 bound values stays well
under SQLite's limit on parameters (999 in older builds), and larger pieces bound executemany batches."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

IN_LIMIT = 900  # bound values per IN (...)


def in_chunks(values: Sequence[T], size: int = IN_LIMIT) -> Iterator[list[T]]:
    """``values`` in consecutive pieces of at most ``size``, in order."""
    for start in range(0, len(values), size):
        yield list(values[start:start + size])
