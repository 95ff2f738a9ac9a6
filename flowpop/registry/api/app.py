"""The ASGI app factory."""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from importlib import import_module
from pathlib import Path
from typing import Any, get_args, get_type_hints

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flowpop import __version__
from flowpop._startup import first_import
from flowpop.registry.api import deps, problems
from flowpop.registry.kernel import settings as settings_mod
from flowpop.registry.kernel.errors import Invalid, field_error
from flowpop.registry.kernel.registry import Registry
from flowpop.types import TEXT_FAULTS, Model, Problem, build_all

# Every operation may answer with these; the OpenAPI document says so (schemathesis checks it).
ERRORS: dict[int | str, dict[str, object]] = {
    status: {"model": Problem, "description": text, "content": {"application/problem+json": {}}}
    for status, text in ((400, "Bad request"), (401, "No valid token"), (403, "Not allowed for this role"),
                         (404, "Not found, or outside the caller's jurisdiction"), (409, "Conflict (e.g. a stale version)"),
                         (413, "Body too large"), (422, "Invalid input, field by field"),
                         (503, "Store busy with another writer: nothing written, retry after Retry-After seconds"))
}
MAX_BODY = 20 * 1024 * 1024
MAX_FILE = 512 * 1024 * 1024  # imports carry whole files
# an exchange batch is an outbox rendered in memory at the sender, about 400 bytes a message: 64 MB carries
# well over 100,000 messages, and the largest valid line (8 M characters) several times
MAX_BATCH = 64 * 1024 * 1024
LIMITS = (("/v1/imports", MAX_FILE), ("/v1/exchange", MAX_BATCH))


class BodyTooLarge(HTTPException):
    # an HTTPException, so that FastAPI passes it on from reading a body instead of making it a 400
    def __init__(self, limit: int) -> None:
        super().__init__(413, "Content Too Large")
        self.limit = limit


def _too_large(limit: int) -> JSONResponse:
    mb = limit // (1024 * 1024)
    response = problems.respond(Problem(title="Content Too Large", status=413, code="body_too_large",
                                        message=f"请求体过大（最多{mb}MB）", message_en=f"request body too large ({mb} MB at most)"))
    response.headers["Connection"] = "close"  # the rest of the body is not wanted: neither read nor sent
    return response


class BodyLimit:
    """Counts a body's bytes as they are read, so that a chunked body gets no further than one whose
    Content-Length says it is too large: refused as soon as it passes the limit, never read whole."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = next((size for prefix, size in LIMITS if scope["path"].startswith(prefix)), MAX_BODY)
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > limit:
            return await _too_large(limit)(scope, receive, send)
        received, started = 0, False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(limit)(scope, receive, send)


REQUEST_ID = "X-Request-Id"
# a caller's own id is kept when it is one token of these characters (it goes into log lines and headers)
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
request_id: ContextVar[str | None] = ContextVar("flowpop_request_id", default=None)


class RequestId:
    """Every answer carries ``X-Request-Id``: the caller's own when it sent a sane one, else a new one. Log
    records made while the request runs carry it too (see :func:`tag_log_records`), so the id a user quotes
    finds the server's lines about that request. Outermost, so that a crash's 500 carries it as well."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        given = Headers(scope=scope).get(REQUEST_ID, "")
        rid = given if SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID] = rid
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        finally:
            request_id.reset(token)


def tag_log_records() -> None:
    """Every log record gets ``request_id`` (the current request's, or "-"); flowpop's own lines also end with
    it, so it shows whatever the log format is. Installed once per process."""
    base = logging.getLogRecordFactory()
    if getattr(base, "flowpop_request_id", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        rid = request_id.get()
        record.request_id = rid or "-"
        if rid and record.name.startswith("flowpop") and isinstance(record.msg, str):
            record.msg = f"{record.msg} [request_id={rid}]"
        return record

    factory.flowpop_request_id = True  # type: ignore[attr-defined]  # a mark on the function: installed already
    logging.setLogRecordFactory(factory)


# The route modules in the order the app includes them, each with the paths under /v1 its routes lie on: a
# pattern claims every path whose first segments it matches, a * matching any one segment ("persons/*/services":
# /v1/persons/42/services and below). tests/registry/api/test_lazy_routes.py holds this table to the routes.
ROUTERS: dict[str, tuple[str, ...]] = {
    "routes_persons": ("persons", "stays"),
    "routes_admin": ("access-log", "calendar", "divisions", "me", "tokens", "users"),
    "routes_inbox": ("exchange", "inbox", "persons/*/services", "stays/*/transfer"),
    "routes_places": ("declarations", "employers", "houses"),
    "routes_bulk": ("changesets",),
    "routes_files": ("exports", "imports"),
    "routes_inspect": ("campaigns", "comanagement", "quality", "rates", "persons/*/certificates"),
    "routes_exchange": ("exchange/envelopes", "exchange/key", "exchange/peers", "exchange/sync"),
}


def claims(pattern: str, segments: list[str]) -> bool:
    wanted = pattern.split("/")
    return len(segments) >= len(wanted) and all(w in ("*", s) for w, s in zip(wanted, segments, strict=False))


def routers_for(path: str) -> list[str]:
    """The route modules a request for ``path`` may reach (ROUTERS); every one for a path outside /v1 or one that
    none claims (/openapi.json, /docs, a path no route has: its 404 is then the whole app's)."""
    segments = path.split("/")[1:]
    if len(segments) > 1 and segments[0] == "v1":
        names = [name for name, patterns in ROUTERS.items() if any(claims(p, segments[1:]) for p in patterns)]
        if names:
            return names
    return list(ROUTERS)


class RegistryApp(FastAPI):
    """With ``lazy_routes``, a route module is imported and included when the first request that may reach it
    arrives (a one-command process, the embedded CLI, builds the routes of one area instead of all of them).
    The routes are the same objects with the same dependencies (caller, rights, validation, the query check) and
    the same relative order as when all are included at once; only when they are built differs."""

    _routers: dict[str, BaseRoute]
    _pending: list[str]
    _base_routes: int

    def build_middleware_stack(self) -> ASGIApp:
        return RequestId(super().build_middleware_stack())

    def include_routes(self, names: list[str] | None = None) -> None:
        """Include the named route modules (default: every one not yet included), keeping ROUTERS' order."""
        wanted = [name for name in (self._pending if names is None else names) if name in self._pending]
        if not wanted:
            return
        with _INCLUDING, first_import(*(f"flowpop.registry.api.{name}" for name in wanted)):
            for name in wanted:
                if name not in self._pending:
                    continue
                module = import_module(f"flowpop.registry.api.{name}")
                build_inputs(module.router)
                before = len(self.router.routes)
                self.include_router(module.router, responses=ERRORS, dependencies=[Depends(deps.known_query)])
                (self._routers[name],) = self.router.routes[before:]  # one entry per included router
                self._pending.remove(name)
            # the modules' entries right after the app's own routes, in ROUTERS' order; a route added to the app
            # after it was made (add_api_route) stays after them, where it would be had all been included at once
            included = [route for name in ROUTERS if (route := self._routers.get(name)) is not None]
            ours = {id(route) for route in included}
            later = [route for route in self.router.routes[self._base_routes:] if id(route) not in ours]
            self.router.routes[self._base_routes:] = included + later
            changed = getattr(self.router, "_mark_routes_changed", None)
            if callable(changed):
                changed()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._pending and scope["type"] in ("http", "websocket"):
            self.include_routes(routers_for(scope["path"]))
        await super().__call__(scope, receive, send)

    def openapi(self) -> dict[str, Any]:
        self.include_routes()  # the document lists every operation, whichever were reached so far
        if self.openapi_schema is None:
            build_all()  # the document reads every model (flowpop.types: built on first use)
        return super().openapi()


_INCLUDING = threading.RLock()


def _inputs_in(annotation: Any, found: dict[type[Model], None]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, Model):
        found[annotation] = None
    for arg in get_args(annotation):
        _inputs_in(arg, found)


def build_inputs(router: APIRouter) -> None:
    """Builds the input models (bodies, filters) the router's routes take, before FastAPI makes its adapters over
    them: the contract's models are built on first use (flowpop.types), and an adapter made over a model not built
    yet would work out the model's schema again for itself, once per route and parameter."""
    found: dict[type[Model], None] = {}
    for route in router.routes:
        if isinstance(route, APIRoute):
            for hint in get_type_hints(route.endpoint, include_extras=True).values():
                _inputs_in(hint, found)
    for model in found:
        model.model_rebuild()


def create_app(db: str | Path | Registry, *, embedded: bool = False, lazy_routes: bool | None = None) -> FastAPI:
    """``embedded``: requests without a token act as the local administrator (in-process use only).
    ``lazy_routes`` (default: ``embedded``): each route module is built when a request first needs it
    (:class:`RegistryApp`); a server builds them all at its start."""
    tag_log_records()
    settings_mod.load()  # a settings file with an unknown key or a bad value stops the start (ConfigError)
    app = RegistryApp(
        title="flowpop registry",
        version=__version__,
        description="流动人口服务管理 registry API. Errors are application/problem+json.",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.registry = db if isinstance(db, Registry) else Registry(db)
    app.state.embedded = embedded
    problems.install(app)

    @app.exception_handler(BodyTooLarge)
    async def _body_too_large(_request: Request, exc: BodyTooLarge) -> JSONResponse:
        return _too_large(exc.limit)

    # added first, so it runs inside _no_nul: an error raised from a receive that a BaseHTTPMiddleware wraps
    # reaches the route as an ExceptionGroup, which FastAPI turns into a 400
    app.add_middleware(BodyLimit)

    @app.middleware("http")
    async def _no_nul(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # bodies are checked by the contract (types.Model); paths and query strings here
        bad = [k for k, v in request.query_params.multi_items() if "\x00" in k + v]
        bad += ["path"] if "\x00" in request.url.path else []
        if bad:
            errors = [field_error(k, "nul_character", *TEXT_FAULTS["nul_character"]) for k in bad]
            return problems.respond(Invalid(errors).problem())
        return await call_next(request)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app._routers, app._pending, app._base_routes = {}, list(ROUTERS), len(app.router.routes)
    if not (embedded if lazy_routes is None else lazy_routes):
        app.include_routes()
    return app
