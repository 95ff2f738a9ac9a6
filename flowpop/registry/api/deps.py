"""What every route needs: the registry and the caller."""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from flowpop.registry.kernel.auth import Actor, actor_for_token, local_admin, touch_token
from flowpop.registry.kernel.errors import Unauthorized
from flowpop.registry.kernel.registry import Registry

# Dependencies are async so that FastAPI does not hop to a worker thread for each of them;
# only a token lookup, which touches the database, runs in the thread pool.


async def registry(request: Request) -> Registry:
    return request.app.state.registry


def _token_actor(reg: Registry, secret: str) -> Actor:
    with reg.reading() as session:
        who, touch = actor_for_token(session, secret)
    if touch is not None:
        with contextlib.suppress(OperationalError), reg.writing() as session:
            touch_token(session, touch)
    return who


async def actor(request: Request) -> Actor:
    header = request.headers.get("authorization", "")
    reg: Registry = request.app.state.registry
    if header.lower().startswith("bearer "):
        return await run_in_threadpool(_token_actor, reg, header[7:].strip())
    if header:
        raise Unauthorized()
    if request.app.state.embedded:
        return local_admin()
    raise Unauthorized()


Reg = Annotated[Registry, Depends(registry)]
Caller = Annotated[Actor, Depends(actor)]
