"""Typed exceptions: one class per kind of failure, carrying the registry's problem document."""

from __future__ import annotations

from typing import Any

import httpx

from flowpop.types import FieldError

REQUEST_ID = "X-Request-Id"


class FlowpopError(Exception):
    """Base of every error the SDK raises. ``request_id``: the registry's id for the request (its
    ``X-Request-Id``), to quote to an administrator, who finds it in the server's log; None when no answer came."""

    request_id: str | None = None


class APIConnectionError(FlowpopError):
    """No answer came. Like the registry's errors it carries ``message`` (Chinese) and ``message_en``."""

    def __init__(self, message: str = "无法连接登记系统", message_en: str = "could not reach the registry") -> None:
        super().__init__(message_en)
        self.message, self.message_en = message, message_en

    def localized(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" else self.message


class APITimeoutError(APIConnectionError):
    def __init__(self) -> None:
        super().__init__("请求超时", "request timed out")


class APIStatusError(FlowpopError):
    """The registry answered with an error status (application/problem+json)."""

    status_code: int = 0

    def __init__(self, response: httpx.Response, body: dict[str, Any]) -> None:
        self.response = response
        self.body = body
        self.status_code = response.status_code
        self.request_id = response.headers.get(REQUEST_ID)
        self.code: str = body.get("code", "error")
        self.message: str = body.get("message") or body.get("title") or response.reason_phrase
        self.message_en: str = body.get("message_en") or self.message
        self.errors = [FieldError(**e) for e in body.get("errors", []) if isinstance(e, dict)]
        super().__init__(f"{self.status_code} {self.code}: {self.message_en}")

    def localized(self, lang: str = "zh") -> str:
        """The message, with one line per field error, in the user's language."""
        head = self.message_en if lang == "en" else self.message
        lines = [head]
        for e in self.errors:
            lines.append(f"  - {e.field}: {e.message_en if lang == 'en' else e.message}")
        return "\n".join(lines)


class BadRequestError(APIStatusError):
    status_code = 400


class AuthenticationError(APIStatusError):
    status_code = 401


class PermissionDeniedError(APIStatusError):
    status_code = 403


class NotFoundError(APIStatusError):
    status_code = 404


class ConflictError(APIStatusError):
    status_code = 409


class VersionConflictError(ConflictError):
    """Someone else changed the record since you read it: reload and retry."""

    @property
    def current_version(self) -> int | None:
        return self.body.get("current_version")


class ValidationError(APIStatusError):
    status_code = 422


class RateLimitError(APIStatusError):
    status_code = 429


class InternalServerError(APIStatusError):
    status_code = 500


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    412: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}


def from_response(response: httpx.Response) -> APIStatusError:
    try:
        body = response.json()
        if not isinstance(body, dict):
            body = {}
    except ValueError:
        body = {"message": response.text[:200]}
    cls = _BY_STATUS.get(response.status_code, InternalServerError if response.status_code >= 500 else APIStatusError)
    if cls is ConflictError and body.get("code") == "version_conflict":
        cls = VersionConflictError
    return cls(response, body)
