"""What every command shares: the resolved settings, a client opened on first use, the language,
and the mapping from SDK errors to exit codes and messages."""

from __future__ import annotations

import sys
from functools import cached_property
from typing import IO, Any

import click

import flowpop
from flowpop.config import Settings, resolve
from flowpop.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    FlowpopError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)

# t(zh, en): the one way every front end says a phrase in the user's language; commands import it from here
from flowpop.labels import lang, t

OK = 0
FAILURE = 1
USAGE = 2  # click's own
NOT_FOUND = 3
INVALID = 4
CONFLICT = 5
DENIED = 6


def exit_code_for(exc: BaseException) -> int:
    if isinstance(exc, NotFoundError):
        return NOT_FOUND
    if isinstance(exc, ValidationError | BadRequestError):
        return INVALID
    if isinstance(exc, ConflictError):  # VersionConflictError included
        return CONFLICT
    if isinstance(exc, PermissionDeniedError | AuthenticationError):
        return DENIED
    return FAILURE


class CommandFailed(click.ClickException):
    """A failure the user can act on: a localized message on stderr, no traceback, a meaningful exit code."""

    def __init__(self, message: str, exit_code: int = FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class; each failure sets its own
        self.prefix = t("错误：", "Error: ")  # now: shown after the command's context (and --lang) has closed

    @classmethod
    def from_error(cls, exc: FlowpopError) -> CommandFailed:
        localized = getattr(exc, "localized", None)
        message = localized(lang()) if callable(localized) else str(exc)
        if exc.request_id:  # the registry's id for the request: an administrator finds it in the server's log
            message += "\n" + t(f"请求编号 {exc.request_id}（请把它告诉管理员）",
                                 f"request id {exc.request_id} (quote this to your administrator)")
        return cls(message, exit_code_for(exc))

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.prefix + self.format_message(), file=file or sys.stderr)


def bad_input(zh: str, en: str) -> CommandFailed:
    return CommandFailed(t(zh, en), INVALID)


class State:
    """The group's options; the client is built only when a command asks for it."""

    def __init__(self, *, db: str | None, url: str | None, token: str | None, profile: str | None) -> None:
        self._args: dict[str, Any] = {"db": db, "url": url, "token": token, "profile": profile}
        self._client: flowpop.Client | None = None

    @cached_property
    def settings(self) -> Settings:
        try:
            return resolve(**self._args)
        except KeyError as exc:  # an unknown profile (flowpop.config.UnknownProfile, which says it in both languages)
            localized = getattr(exc, "localized", None)
            message = localized(lang()) if callable(localized) else str(exc.args[0])
            raise click.BadParameter(message, param_hint="--profile") from None

    @property
    def client(self) -> flowpop.Client:
        if self._client is None:
            self._client = flowpop.Client(settings=self.settings)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


pass_state = click.make_pass_decorator(State)


def is_tty() -> bool:
    return sys.stdin.isatty()
