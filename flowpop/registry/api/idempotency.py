"""Idempotency-Key on creates: the same key and body replays the first answer, once created."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.errors import ApiError
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.store import tables as t

# The header a client repeats to make a create safe to retry (the same key and body answer the first result).
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key")]

M = TypeVar("M", bound=BaseModel)


def _user_key(actor: Actor) -> str:
    return str(actor.user_id) if actor.user_id is not None else actor.username


def _hash(path: str, body: BaseModel) -> str:
    return hashlib.sha256((path + json.dumps(body.model_dump(mode="json"), sort_keys=True)).encode()).hexdigest()


def _stored(session: Session, actor: Actor, key: str, digest: str) -> JSONResponse | None:
    row = session.execute(
        select(t.IdempotencyKey).where(t.IdempotencyKey.user_key == _user_key(actor), t.IdempotencyKey.key == key)
    ).scalar_one_or_none()
    if row is None:
        return None
    if row.request_hash != digest:
        raise ApiError("idempotency_key_reused", "该幂等键已用于另一个请求", "this Idempotency-Key was used for a different request",
                       status=422)
    return JSONResponse(row.body, status_code=row.status_code, headers={"Idempotent-Replayed": "true"})


def run(
    reg: Registry, actor: Actor, key: str | None, path: str, body: BaseModel, create: Callable[[Session], M]
) -> M | JSONResponse:
    if not key:
        with reg.writing() as session:
            return create(session)
    if len(key) > 200:
        raise ApiError("bad_idempotency_key", "幂等键过长（最多200个字符）", "Idempotency-Key is too long (200 at most)")
    digest = _hash(path, body)
    try:
        with reg.writing() as session:
            replay = _stored(session, actor, key, digest)
            if replay is not None:
                return replay
            result = create(session)
            session.add(t.IdempotencyKey(user_key=_user_key(actor), key=key, request_hash=digest, status_code=201,
                                         body=result.model_dump(mode="json")))
            return result
    except IntegrityError:
        # a concurrent request with the same key won the race: answer as it did
        with reg.reading() as session:
            replay = _stored(session, actor, key, digest)
        if replay is None:
            raise
        return replay
