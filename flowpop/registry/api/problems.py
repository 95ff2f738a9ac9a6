"""Every error leaves as application/problem+json with a stable code and Chinese/English text."""

from __future__ import annotations

import contextlib
import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from flowpop.registry.kernel.errors import ApiError, Invalid, field_error
from flowpop.registry.store.db import PG_BUSY, PG_NUMERIC_VALUE_OUT_OF_RANGE, lock_wait, sqlstate
from flowpop.types import TEXT_FAULTS, FieldError, Problem

log = logging.getLogger("flowpop.registry")
PROBLEM = "application/problem+json"

# pydantic error types → (Chinese, English) templates
_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("必填", "is required"),
    "string_too_long": ("过长（最多 {max_length} 个字符）", "is too long (at most {max_length} characters)"),
    "string_too_short": ("过短（至少 {min_length} 个字符）", "is too short (at least {min_length} characters)"),
    "string_pattern_mismatch": ("格式不正确", "has the wrong format"),
    "string_type": ("应为文本", "must be text"),
    "int_parsing": ("应为整数", "must be a whole number"),
    "int_type": ("应为整数", "must be a whole number"),
    "bool_parsing": ("应为是/否", "must be true or false"),
    "bool_type": ("应为是/否", "must be true or false"),
    "date_from_datetime_parsing": ("日期格式应为 YYYY-MM-DD", "must be a date as YYYY-MM-DD"),
    "date_parsing": ("日期格式应为 YYYY-MM-DD", "must be a date as YYYY-MM-DD"),
    "date_type": ("日期格式应为 YYYY-MM-DD", "must be a date as YYYY-MM-DD"),
    "literal_error": ("取值不在允许范围内：{expected}", "must be one of {expected}"),
    "extra_forbidden": ("不是可接受的字段", "is not an accepted field"),
    "unknown_parameter": ("不是可接受的查询参数", "is not an accepted query parameter"),
    "greater_than_equal": ("不能小于 {ge}", "must be at least {ge}"),
    "less_than_equal": ("不能大于 {le}", "must be at most {le}"),
    "too_long": ("条目过多（最多 {max_length} 条）", "has too many items (at most {max_length})"),
    "model_attributes_type": ("应为对象", "must be an object"),
    "dict_type": ("应为对象", "must be an object"),
    "list_type": ("应为列表", "must be a list"),
    "json_invalid": ("JSON 格式错误", "is not valid JSON"),
    **TEXT_FAULTS,
    "free_json": ("{problem_zh}", "{problem}"),
    "date_format": ("日期格式应为 YYYY-MM-DD", "must be a date as YYYY-MM-DD"),
    "notice_outside_year": ("{day} 不在 {year} 年内", "{day} is not in {year}"),
    "notice_day_twice": ("{day} 既是放假日又是调休上班日", "{day} is both a holiday and a working day"),
}


# SQLite's SQLITE_BUSY and SQLITE_LOCKED (primary codes); PostgreSQL's lock_timeout, serialization failure
# and deadlock: another writer holds what this request needs, and a retry soon will most likely pass.
_SQLITE_BUSY = {5, 6}


def busy(exc: BaseException) -> bool:
    """Whether a store error only means another writer was in the way."""
    orig = getattr(exc, "orig", None)
    if sqlstate(orig) in PG_BUSY:
        return True
    code = getattr(orig, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in _SQLITE_BUSY


def store_busy() -> JSONResponse:
    response = respond(Problem(title="Service Unavailable", status=503, code="store_busy",
                               message="登记系统正忙（另一项写入尚未完成），请稍后重试，本次未写入任何内容",
                               message_en="the registry is busy with another write; nothing was written, retry shortly"))
    response.headers["Retry-After"] = str(max(1, math.ceil(lock_wait())))
    return response


def _field(loc: tuple[object, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def from_validation(exc: RequestValidationError) -> ApiError:
    errors: list[FieldError] = []
    for err in exc.errors():
        kind = err.get("type", "value_error")
        if kind == "json_invalid":
            return ApiError("malformed_json", "请求体不是有效的 JSON", "request body is not valid JSON", status=400)
        ctx = {k: v for k, v in (err.get("ctx") or {}).items()}
        if kind == "extra_forbidden" and tuple(err.get("loc", ()))[:1] == ("query",):
            kind = "unknown_parameter"  # a list's filters are one model: a misspelt one is refused, not ignored
        zh, en = _MESSAGES.get(kind, ("无效：" + str(err.get("msg", "")), str(err.get("msg", "invalid"))))
        with contextlib.suppress(KeyError, IndexError):
            zh, en = zh.format(**ctx), en.format(**ctx)
        where = _field(tuple(err.get("loc", ())))
        if ctx.get("path"):  # free-form JSON names the entry inside the field
            where += "." + str(ctx["path"])
        errors.append(field_error(where, kind, zh, en))
    return Invalid(errors or [field_error("body", "invalid", "请求无效", "invalid request")])


def respond(problem: Problem) -> JSONResponse:
    return JSONResponse(problem.model_dump(exclude_none=True), status_code=problem.status, media_type=PROBLEM)


def _allowed(request: Request) -> list[str]:
    """Every method some route offers for this path (Starlette names only the first route's)."""
    from starlette.routing import Match

    methods: set[str] = set()
    scope = dict(request.scope)
    for route in request.app.routes:
        for method in getattr(route, "methods", None) or ():
            match, _ = route.matches({**scope, "method": method})
            if match == Match.FULL:
                methods.add(method)
    return sorted(methods)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return respond(exc.problem())

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return respond(from_validation(exc).problem())

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: ("not_found", "找不到该资源", "no such resource"), 405: ("method_not_allowed", "不支持该方法", "method not allowed")}
        code, zh, en = codes.get(exc.status_code, ("http_error", str(exc.detail), str(exc.detail)))
        response = respond(Problem(title=str(exc.detail), status=exc.status_code, code=code, message=zh, message_en=en))
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(_allowed(request))
        return response

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return respond(Problem(title="Internal Server Error", status=500, code="internal_error",
                               message="服务器内部错误，已记录", message_en="internal error; it has been logged"))

    # A number beyond what the store holds (an id of 20 digits): SQLite raises OverflowError, PostgreSQL
    # NumericValueOutOfRange. One place for every route, instead of a bound on each id parameter.
    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> JSONResponse:
        return _out_of_range(request)

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError) -> JSONResponse:
        if sqlstate(exc.orig) == PG_NUMERIC_VALUE_OUT_OF_RANGE:
            return _out_of_range(request)
        return await _crash(request, exc)

    # A store busy with another writer (a long import holds SQLite's write lock) past the lock wait
    # (db.lock_wait), or no free connection in that time: 503 and Retry-After, which clients retry.
    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> JSONResponse:
        if busy(exc):
            log.warning("store busy (%s): answered 503", type(exc.orig).__name__)
            return store_busy()
        return await _crash(request, exc)

    @app.exception_handler(PoolTimeout)
    async def _no_connection(_request: Request, _exc: PoolTimeout) -> JSONResponse:
        log.warning("no free store connection: answered 503")
        return store_busy()


def _out_of_range(request: Request) -> JSONResponse:
    given = [*request.path_params.items(), *request.query_params.items()]
    fields = [k for k, v in given if str(v).lstrip("-").isdigit() and abs(int(v)) >= 2**63]
    errors = [field_error(f, "out_of_range", "数值超出范围", "number out of range") for f in fields or ["body"]]
    return respond(Invalid(errors).problem())
