"""Errors the registry raises, and how they leave it: application/problem+json."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flowpop.types import FieldError, Problem

_TITLES = {422: "Unprocessable Content"}  # as Invalid says it (RFC 9110's name)


class ApiError(Exception):
    status = 400
    title = "Bad Request"

    def __init__(
        self,
        code: str,
        message: str,
        message_en: str,
        *,
        errors: list[FieldError] | None = None,
        status: int | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message_en)
        self.code = code
        self.message = message
        self.message_en = message_en
        self.errors = errors or []
        if status is not None and status != self.status:
            self.status = status
            self.title = _TITLES.get(status) or HTTPStatus(status).phrase  # the title names the status given
        self.extra = extra

    def problem(self) -> Problem:
        return Problem(
            title=self.title,
            status=self.status,
            code=self.code,
            message=self.message,
            message_en=self.message_en,
            errors=self.errors,
            **self.extra,
        )


class Invalid(ApiError):
    status = 422
    title = "Unprocessable Content"

    def __init__(self, errors: list[FieldError]) -> None:
        first = errors[0]
        super().__init__(
            "validation_failed",
            f"输入有误：{first.field} {first.message}" + (f" 等{len(errors)}项" if len(errors) > 1 else ""),
            f"invalid input: {first.field}: {first.message_en}" + (f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""),
            errors=errors,
        )


def field_error(field: str, code: str, zh: str, en: str) -> FieldError:
    return FieldError(field=field, code=code, message=zh, message_en=en)


class NotFound(ApiError):
    status = 404
    title = "Not Found"

    def __init__(self, what: str, key: object) -> None:
        names = {"person": "人员", "stay": "流动记录", "division": "行政区划", "user": "用户", "token": "令牌",
                 "message": "消息", "house": "房屋", "employer": "用人单位", "changeset": "批量变更"}
        super().__init__(
            f"{what}_not_found",
            f"找不到{names.get(what, what)} {key}（或不在您的管辖范围内）",
            f"{what} {key} not found (or outside your jurisdiction)",
        )


class Conflict(ApiError):
    status = 409
    title = "Conflict"


class VersionConflict(Conflict):
    def __init__(self, what: str, current: int, given: int) -> None:
        super().__init__(
            "version_conflict",
            f"记录已被他人修改（当前版本 {current}，您提交的是 {given}），请刷新后重试",
            f"{what} was changed by someone else (now version {current}, you sent {given}); reload and retry",
            current_version=current,
        )


class Unauthorized(ApiError):
    status = 401
    title = "Unauthorized"

    def __init__(self) -> None:
        super().__init__("unauthorized", "令牌无效、已撤销或已过期", "token missing, invalid, revoked or expired")


class Forbidden(ApiError):
    status = 403
    title = "Forbidden"

    def __init__(self, permission: str) -> None:
        super().__init__(
            "forbidden",
            f"您的角色无此权限：{permission}",
            f"your role does not allow: {permission}",
        )
