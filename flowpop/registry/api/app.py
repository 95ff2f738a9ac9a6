"""The ASGI app factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from flowpop import __version__
from flowpop.registry.api import (
    problems,
    routes_admin,
    routes_bulk,
    routes_files,
    routes_inbox,
    routes_inspect,
    routes_persons,
    routes_places,
)
from flowpop.registry.core import Registry
from flowpop.registry.errors import Invalid, field_error
from flowpop.types import Problem

# Every operation may answer with these; the OpenAPI document says so (schemathesis checks it).
ERRORS: dict[int | str, dict[str, object]] = {
    status: {"model": Problem, "description": text, "content": {"application/problem+json": {}}}
    for status, text in ((400, "Bad request"), (401, "No valid token"), (403, "Not allowed for this role"),
                         (404, "Not found, or outside the caller's jurisdiction"), (409, "Conflict (e.g. a stale version)"),
                         (413, "Body too large"), (422, "Invalid input, field by field"))
}
MAX_BODY = 20 * 1024 * 1024
MAX_FILE = 512 * 1024 * 1024  # imports carry whole files


def create_app(db: str | Path | Registry, *, embedded: bool = False) -> FastAPI:
    """``embedded``: requests without a token act as the local administrator (in-process use only)."""
    app = FastAPI(
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

    @app.middleware("http")
    async def _limit_body(request: Request, call_next):  # type: ignore[no-untyped-def]
        length = request.headers.get("content-length")
        limit = MAX_FILE if request.url.path.startswith(("/v1/imports", "/v1/exchange")) else MAX_BODY
        if length and length.isdigit() and int(length) > limit:
            p = Problem(title="Content Too Large", status=413, code="body_too_large",
                        message="请求体过大（最多20MB）", message_en="request body too large (20 MB at most)")
            return JSONResponse(p.model_dump(exclude_none=True), status_code=413, media_type=problems.PROBLEM)
        return await call_next(request)

    @app.middleware("http")
    async def _no_nul(request: Request, call_next):  # type: ignore[no-untyped-def]
        # bodies are checked by the contract (types.Model); paths and query strings here
        bad = [k for k, v in request.query_params.multi_items() if "\x00" in k + v]
        bad += ["path"] if "\x00" in request.url.path else []
        if bad:
            errors = [field_error(k, "nul_character", "不能包含空字符（NUL）", "must not contain NUL characters") for k in bad]
            return problems.respond(Invalid(errors).problem())
        return await call_next(request)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    for module in (routes_persons, routes_admin, routes_inbox, routes_places, routes_bulk, routes_files, routes_inspect):
        app.include_router(module.router, responses=ERRORS)
    return app
