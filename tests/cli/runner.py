"""Plain helpers for running `flowpop` in-process with click's CliRunner, shared by the tests in this folder."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from click.testing import CliRunner, Result

from flowpop_cli.main import cli

Run = Callable[..., Result]

# What a developer's shell may hold that would point the command elsewhere or change its language or day.
ENV_NAMES = ("FLOWPOP_URL", "FLOWPOP_TOKEN", "FLOWPOP_PROFILE", "FLOWPOP_LANG", "FLOWPOP_DB", "FLOWPOP_TODAY")


def invoke(args: list[str], *, code: int = 0, input: str | bytes | None = None,
           env: dict[str, str] | None = None) -> Result:
    """`flowpop args…`, which must end with exit code ``code`` and no traceback."""
    result = CliRunner().invoke(cli, args, input=input, env=env, prog_name="flowpop")
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    return result


def jsonout(result: Result) -> Any:
    """The command's standard output, read as JSON."""
    return json.loads(result.stdout)
