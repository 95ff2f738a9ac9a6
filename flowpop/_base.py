"""What the sync and async clients share: settings, request building, retries, decoding."""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, ParamSpec, TypeAlias, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter
from tenacity import RetryCallState, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from flowpop import __version__
from flowpop.config import Settings
from flowpop.errors import REQUEST_ID, APIConnectionError, APIStatusError, APITimeoutError, from_response

T = TypeVar("T")
P = ParamSpec("P")
# a resource's method, as the raw-response accessor re-types it (unasync makes the async name the sync one)
BoundMethod: TypeAlias = Callable[P, T]
AsyncBoundMethod: TypeAlias = Callable[P, Awaitable[T]]
# a Retry-After longer than this is not waited out: the usual backoff applies instead
MAX_RETRY_AFTER = 60.0

SAFE = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}
RETRY_STATUS = {408, 429, 502, 503, 504}


@dataclass
class Call:
    """One API call: everything both clients need to make it and decode the answer."""

    method: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    model: Any = None  # a pydantic model or type for TypeAdapter; str keeps the text; None keeps JSON
    content: bytes | None = None  # a raw body instead of JSON
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def retryable(self) -> bool:
        return self.method in SAFE or "Idempotency-Key" in self.headers


def creating(call: Call, idempotency_key: str | None) -> Call:
    """Creates carry an Idempotency-Key, so that a retried create cannot register twice."""
    call.headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
    return call


def clean_params(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in params.items():
        if v is None:
            continue
        out[k] = ("true" if v else "false") if isinstance(v, bool) else str(v) if not isinstance(v, str) else v
    return out


def jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_unset=True)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def body(values: dict[str, Any] | BaseModel, *, drop_none: bool = True) -> dict[str, Any]:
    """JSON for a request. The registry validates it (one set of rules, bilingual errors)."""
    if isinstance(values, BaseModel):
        return values.model_dump(mode="json", exclude_unset=True)
    return {k: jsonable(v) for k, v in values.items() if not (drop_none and v is None)}


def headers(settings: Settings) -> dict[str, str]:
    h = {"User-Agent": f"flowpop-python/{__version__}", "Accept": "application/json"}
    if settings.token:
        h["Authorization"] = f"Bearer {settings.token}"
    return h


# one adapter per answer's type, kept: the contract's models are built on first use (flowpop.types), and a new
# adapter over one would work out its schema again for every answer
_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def adapter(model: Any) -> TypeAdapter[Any]:
    """The adapter that parses answers into ``model`` (a contract model, or a type over them: ``list[Message]``)."""
    try:
        return _ADAPTERS[model]
    except KeyError:
        made = _ADAPTERS[model] = TypeAdapter(model)
        return made


def decode(call: Call, response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise from_response(response)
    if call.model is None:
        return response.json() if response.content else None
    if call.model is str:
        return response.text
    if call.model is bytes:
        return response.content
    return adapter(call.model).validate_python(response.json())


def finish(call: Call, response: httpx.Response, *, raw: bool = False) -> Any:
    """The decoded answer, or with ``raw`` the response itself (errors raise either way)."""
    if raw:
        if response.status_code >= 400:
            raise from_response(response)
        return APIResponse(response, call)
    return decode(call, response)


class APIResponse(Generic[T]):
    """What ``client.with_raw_response.…`` answers: the HTTP response (status, headers, ``request_id``) and
    :meth:`parse` for the value the plain method returns."""

    def __init__(self, response: httpx.Response, call: Call) -> None:
        self.http_response = response
        self._call = call

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def request_id(self) -> str | None:
        return self.http_response.headers.get(REQUEST_ID)

    @property
    def content(self) -> bytes:
        return self.http_response.content

    def parse(self) -> T:
        return decode(self._call, self.http_response)

    def __repr__(self) -> str:
        return f"<APIResponse {self._call.method} {self._call.path} {self.status_code} request_id={self.request_id}>"


def retry_after(exc: BaseException | None) -> float | None:
    """Seconds the registry asked to wait (Retry-After: seconds or an HTTP date), when it asked."""
    if not isinstance(exc, APIStatusError):
        return None
    value = exc.response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (ValueError, TypeError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = when.timestamp() - time.time()
    if not math.isfinite(seconds) or seconds < 0 or seconds > MAX_RETRY_AFTER:
        return None
    return seconds


class WaitRetryAfter:
    """The wait the registry asked for with Retry-After; otherwise (or when it asks for too long) ``fallback``."""

    def __init__(self, fallback: Any) -> None:
        self.fallback = fallback

    def __call__(self, state: RetryCallState) -> float:
        asked = retry_after(state.outcome.exception() if state.outcome else None)
        return asked if asked is not None else float(self.fallback(state))


def should_retry(call: Call) -> Any:
    def check(exc: BaseException) -> bool:
        if isinstance(exc, APIStatusError) and exc.status_code == 503 and exc.code == "store_busy":
            return True  # the store was busy and nothing was written: any call may be sent again
        if not call.retryable:
            return False
        if isinstance(exc, APIConnectionError):
            return True
        return isinstance(exc, APIStatusError) and exc.status_code in RETRY_STATUS

    return retry_if_exception(check)


def retry_kwargs(settings: Settings, call: Call) -> dict[str, Any]:
    return {
        "retry": should_retry(call),
        "stop": stop_after_attempt(settings.max_retries + 1),
        "wait": WaitRetryAfter(wait_exponential_jitter(multiplier=0.25, max=8)),
        "reraise": True,
        "before_sleep": _note_retry,
    }


def _note_retry(state: RetryCallState) -> None:  # kept for debugging hooks; retries are silent
    return None


def transport_error(exc: httpx.TransportError) -> APIConnectionError:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError()
    return APIConnectionError(f"无法连接登记系统：{exc}", f"could not reach the registry: {exc}")
