"""What every route needs: the registry and the caller."""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import OperationalError

from flowpop.registry.auth import Actor, actor_for_token, local_admin, touch_token
from flowpop.registry.core import Registry
from flowpop.registry.errors import Unauthorized


def registry(request: Request) -> Registry:
    return request.app.state.registry  # type: ignore[no-any-return]


def actor(request: Request) -> Actor:
    header = request.headers.get("authorization", "")
    reg: Registry = request.app.state.registry
    if header.lower().startswith("bearer "):
        with reg.reading() as session:
            who, touch = actor_for_token(session, header[7:].strip())
        if touch is not None:
            with contextlib.suppress(OperationalError), reg.writing() as session:
                touch_token(session, touch)
        return who
    if header:
        raise Unauthorized()
    if request.app.state.embedded:
        return local_admin()
    raise Unauthorized()


Reg = Annotated[Registry, Depends(registry)]
Caller = Annotated[Actor, Depends(actor)]
