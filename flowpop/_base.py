"""What the sync and async clients share: settings, request building, retries, decoding."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import BaseModel, TypeAdapter
from tenacity import RetryCallState, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from flowpop import __version__
from flowpop.config import Settings
from flowpop.errors import APIConnectionError, APIStatusError, APITimeoutError, from_response

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


def decode(call: Call, response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise from_response(response)
    if call.model is None:
        return response.json() if response.content else None
    if call.model is str:
        return response.text
    if call.model is bytes:
        return response.content
    return TypeAdapter(call.model).validate_python(response.json())


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
        "wait": wait_exponential_jitter(multiplier=0.25, max=8),
        "reraise": True,
        "before_sleep": _note_retry,
    }


def _note_retry(state: RetryCallState) -> None:  # kept for debugging hooks; retries are silent
    return None


def transport_error(exc: httpx.TransportError) -> APIConnectionError:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError()
    return APIConnectionError(f"无法连接登记系统 / could not reach the registry: {exc}")
