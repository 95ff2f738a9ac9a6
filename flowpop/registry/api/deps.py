"""What every route needs: the registry and the caller."""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from flowpop.registry.kernel.auth import Actor, actor_for_token, local_admin, touch_token
from flowpop.registry.kernel.errors import Unauthorized
from flowpop.registry.kernel.registry import Registry

ENVELOPES = "/v1/exchange/envelopes"

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
    if request.url.path == ENVELOPES:  # another registry: the route checks the envelope's signature instead
        return Actor(None, "exchange", "city_viewer", None)
    if request.app.state.embedded:
        return local_admin()
    raise Unauthorized()


def _query_names(dependant: Dependant) -> frozenset[str]:
    """The query parameters a route declares: its plain ones, each filter model's fields, its dependencies' own."""
    names: set[str] = set()
    for field in dependant.query_params:
        model = field.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            names |= {f.alias or name for name, f in model.model_fields.items()}
        else:
            names.add(field.alias)
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return frozenset(names)


_DECLARED: dict[int, frozenset[str]] = {}


async def known_query(request: Request, _caller: Annotated[Actor, Depends(actor)]) -> None:
    """A query parameter the route does not declare is refused (422 unknown_parameter, naming it), never ignored:
    a list's filter model refuses its own typos, this holds the routes whose parameters are plain too. The caller
    is known first (the same cached dependency the route uses), so a stranger gets 401 and learns no parameter."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    declared = _DECLARED.get(id(route))
    if declared is None:
        declared = _DECLARED[id(route)] = _query_names(route.dependant)
    unknown = [k for k in dict.fromkeys(request.query_params) if k not in declared]
    if unknown:
        raise RequestValidationError([{"type": "extra_forbidden", "loc": ("query", k), "msg": "Extra inputs are not "
                                       "permitted", "input": request.query_params[k]} for k in unknown])


Reg = Annotated[Registry, Depends(registry)]
Caller = Annotated[Actor, Depends(actor)]
