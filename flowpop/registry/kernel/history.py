"""The append-only history of every change: who, when, what, why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, NotRequired, TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from flowpop.registry.kernel.auth import Actor, code_range
from flowpop.registry.store import tables as t
from flowpop.registry.store.chunks import in_chunks
from flowpop.registry.store.distribution import shard_county
from flowpop.rules.idnumber import mask


def jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [jsonable(before.get(k)), jsonable(v)] for k, v in after.items() if before.get(k) != v}


class Fields(TypedDict):
    """What a history row says besides who and when: ``record``'s keywords, ``entry``'s parameters."""

    entity: str
    entity_id: int
    person_id: int | None
    action: str
    changes: dict[str, Any]
    reason: NotRequired[str | None]
    scope_code: NotRequired[str | None]
    changeset_id: NotRequired[str | None]
    county: NotRequired[str | None]


def entry(actor: Actor, *, entity: str, entity_id: int, person_id: int | None, action: str, changes: dict[str, Any],
          reason: str | None = None, scope_code: str | None = None, changeset_id: str | None = None,
          at: dt.datetime | None = None, county: str | None = None) -> dict[str, Any]:
    """One history row, every column named: ``record`` adds one; bulk paths (the inbox's acknowledgement and
    exchange, changesets, imports) build many with one ``at`` and insert them in one statement. (Named
    parameters rather than ``**Fields``: an import builds a row per record, and unpacking costs 5x.)

    ``county`` (issue #17): a row about a person takes the person's county, which the caller gives (the insert
    fails without it); a row about no person, its scope's (``distribution.shard_county``)."""
    if county is None and person_id is None:
        county = shard_county(scope_code)
    return {"at": at or t.utcnow(), "entity": entity, "entity_id": entity_id, "person_id": person_id, "action": action,
            "user_id": actor.user_id, "username": actor.username, "reason": reason, "changes": changes,
            "scope_code": scope_code, "changeset_id": changeset_id, "county": county}


def record(session: Session, actor: Actor, **fields: Unpack[Fields]) -> None:
    """One history row; about a person, in the person's county (the person is in the session's identity map on
    every path that records one, else read)."""
    person_id = fields["person_id"]
    if fields.get("county") is None and person_id is not None:
        person = session.get(t.Person, person_id)
        fields["county"] = person.county if person is not None else None
    session.add(t.HistoryEntry(**entry(actor, **fields)))


def person_counties(session: Session, person_ids: Iterable[int | None]) -> dict[int | None, str | None]:
    """The county of each person (for ``entry(..., county=...)`` of history rows about them); None: no person."""
    ids = sorted({pid for pid in person_ids if pid is not None})
    found: dict[int | None, str | None] = {None: None}
    for part in in_chunks(ids):
        found.update((pid, county) for pid, county in
                     session.execute(select(t.Person.id, t.Person.county).where(t.Person.id.in_(part))))
    return found


SENSITIVE = ("id_number", "id_rev", "landlord_id_number")


def masked(changes: dict[str, Any]) -> dict[str, Any]:
    """History as shown to someone who did not ask to reveal: ID numbers masked, birth dates left out and
    their years shown instead, like everywhere else."""

    out = {}
    for key, pair in changes.items():
        if key == "birth_date":
            out["birth_year"] = [birth_year(v) for v in pair] if isinstance(pair, list) else birth_year(pair)
            pair = [None, None] if isinstance(pair, list) else None
        elif key in SENSITIVE and isinstance(pair, list):
            pair = [mask(v) if isinstance(v, str) and key != "id_rev" else ("*" * len(v) if isinstance(v, str) else v)
                    for v in pair]
        out[key] = pair
    return out


def birth_year(value: Any) -> int | None:
    """The year of a birth date as stored in history, changesets and messages (ISO text or a date)."""
    if isinstance(value, dt.date):
        return value.year
    return int(value[:4]) if isinstance(value, str) and value[:4].isdigit() else None


def for_person(session: Session, person_id: int, limit: int = 1000) -> list[t.HistoryEntry]:
    return list(
        session.execute(
            select(t.HistoryEntry)
            .where(t.HistoryEntry.person_id == person_id, t.HistoryEntry.entity.in_(("person", "stay", "service")))
            .order_by(t.HistoryEntry.id.desc())
            .limit(limit)
        ).scalars()
    )


def log_access(session: Session, actor: Actor, action: str, entity: str, ids: list[int], detail: str | None = None) -> None:
    session.add(
        t.AccessLog(user_id=actor.user_id, username=actor.username, action=action, entity=entity, entity_ids=ids, detail=detail)
    )


def access_entries(session: Session, actor: Actor, *, limit: int = 100, action: str | None = None,
                   username: str | None = None, before: int | None = None) -> list[t.AccessLog]:
    """The access log, newest first: an auditor sees what the users of their own jurisdiction revealed, exported and
    looked up; ``action``/``username`` narrow it (a run of guesses must not bury the rest), ``before`` pages back."""
    actor.require("audit")
    stmt = select(t.AccessLog)
    if actor.prefix:
        stmt = stmt.join(t.User, t.User.id == t.AccessLog.user_id).where(code_range(t.User.jurisdiction_code, actor.prefix))
    if action:
        stmt = stmt.where(t.AccessLog.action == action)
    if username:
        stmt = stmt.where(t.AccessLog.username == username)
    if before:
        stmt = stmt.where(t.AccessLog.id < before)
    return list(session.execute(stmt.order_by(t.AccessLog.id.desc()).limit(limit)).scalars())
