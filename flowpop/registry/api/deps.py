"""What every route needs: the registry and the caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from flowpop.registry.auth import Actor, actor_for_token, local_admin
from flowpop.registry.core import Registry
from flowpop.registry.errors import Unauthorized


def registry(request: Request) -> Registry:
    return request.app.state.registry  # type: ignore[no-any-return]


def actor(request: Request) -> Actor:
    header = request.headers.get("authorization", "")
    reg: Registry = request.app.state.registry
    if header.lower().startswith("bearer "):
        with reg.reading() as session:
            return actor_for_token(session, header[7:].strip())
    if header:
        raise Unauthorized()
    if request.app.state.embedded:
        return local_admin()
    raise Unauthorized()


Reg = Annotated[Registry, Depends(registry)]
Caller = Annotated[Actor, Depends(actor)]
