"""Which of a person's duplicate records survives a merge: one rule for the quality fix's groups and for
a bulk merge planned without naming the record to keep."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flowpop.registry.kernel.counties import same_county
from flowpop.registry.store import tables as t
from flowpop.registry.store.chunks import in_chunks


def keeping_order(session: Session, ids: list[int]) -> list[int]:
    """Records of one person, the one to keep first. The one rule for every merge (the quality fix's groups,
    and a merge planned without naming the record to keep, as scripts/dedupe_persons.py plans them): an
    active record before others, then the most recently updated, then the one with the most stays, then
    the oldest (lowest id)."""
    ranks = _keeping_ranks(session, ids)
    return sorted(ranks, key=lambda pid: ranks[pid][0])


def merge_groups(session: Session, ids: list[int]) -> list[list[int]]:
    """Exact duplicates (same ID number and name) as merge groups, the record to keep first (keeping_order)."""
    ranks = _keeping_ranks(session, ids)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pid, (_, number, name) in ranks.items():
        groups[(number, name)].append(pid)
    return [sorted(members, key=lambda pid: ranks[pid][0]) for members in groups.values() if len(members) > 1]


def _keeping_ranks(session: Session, ids: list[int]) -> dict[int, tuple[tuple[Any, ...], str, str]]:
    """Record → (its sort key for keeping, ID number, name)."""
    P = t.Person
    stays = select(func.count()).where(t.Stay.person_id == P.id, same_county(t.Stay, P)).correlate(P).scalar_subquery()
    epoch = dt.datetime(1970, 1, 1)
    out: dict[int, tuple[tuple[Any, ...], str, str]] = {}
    for part in in_chunks(ids):
        for pid, number, name, status, updated, n in session.execute(
                select(P.id, P.id_number, P.name, P.status, P.updated_at, stays).where(P.id.in_(part))):
            newest_first = -(updated.replace(tzinfo=None) - epoch).total_seconds() if updated else float("inf")
            out[pid] = ((status != "active", newest_first, -n, pid), number, name)
    return out
