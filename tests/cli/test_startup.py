"""A command that starts fast (issue #16, item 4): `flowpop --help` loads no command module and none of the heavy
libraries, `python -m flowpop` is the command, and a closed pipe ends the command quietly. Times are measured by
scripts/bench_cli.py, not here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

import click

import flowpop
from flowpop_cli.main import GRAFTS, LAZY, PIPE_CLOSED, cli

HEAVY = ("fastapi", "sqlalchemy", "textual", "httpx", "pydantic", "openpyxl", "pypinyin", "faker", "uvicorn",
         "psycopg")

PROBE = """
import json, sys
from flowpop_cli.main import main
sys.argv = ["flowpop", "--help"]
try:
    main()
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(name for name, module in sys.modules.items() if module)}))
"""


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("FLOWPOP_")}


def test_help_imports_no_heavy_library_and_no_command_module() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=clean_env(), check=True)
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["code"] == 0
    modules = set(last["modules"])
    loaded = sorted(name for name in modules if name.split(".")[0] in HEAVY)
    assert loaded == []
    assert sorted(name for name in modules if name.startswith("flowpop_cli.cmd_")) == []
    assert "flowpop.client" not in modules


def test_help_lists_every_command_with_its_own_one_line_help() -> None:
    help_text = subprocess.run([sys.executable, "-m", "flowpop", "--help"], capture_output=True, text=True,
                               env=clean_env(), check=True).stdout
    ctx = click.Context(cli)
    for name, (_target, short) in LAZY.items():
        command = cli.get_command(ctx, name)
        assert command is not None
        own = command.get_short_help_str(limit=1000)
        assert own == click.Command(name, help=short).get_short_help_str(1000), (
            f"`{name}`: its help changed; copy its first sentence into LAZY in cli/main.py")
        line = next(line for line in help_text.splitlines() if line.startswith(f"  {name} "))
        assert short.startswith(line.removeprefix(f"  {name} ").strip().removesuffix("...")), name


def test_grafted_subcommands_are_there_once_their_group_is_loaded() -> None:
    ctx = click.Context(cli)
    for group_name, targets in GRAFTS.items():
        group = cli.get_command(ctx, group_name)
        assert isinstance(group, click.Group)
        for target in targets:
            command_name = target.split(":")[1].replace("_", "-")
            assert any(c.callback is not None and c.callback.__name__ == target.split(":")[1]
                       or name == command_name for name, c in group.commands.items()), (group_name, target)


def test_python_dash_m_flowpop_is_the_command() -> None:
    done = subprocess.run([sys.executable, "-m", "flowpop", "--version"], capture_output=True, text=True,
                          env=clean_env())
    assert done.returncode == 0, done.stderr
    assert flowpop.__version__ in done.stdout


def test_a_closed_pipe_ends_the_command_quietly(db_url: str, make_person: Callable[..., object]) -> None:
    make_person()
    for fmt in ("table", "json"):
        # the reader closes its end before the command writes: `flowpop … | head -0`, without the shell's race
        process = subprocess.Popen([sys.executable, "-m", "flowpop", "--db", db_url, "persons", "list", "--all",
                                    "--format", fmt], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env=clean_env())
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        stderr = process.stderr.read().decode()
        code = process.wait(timeout=120)
        assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
        assert stderr == "" or "只显示了" in stderr, stderr
        assert code == PIPE_CLOSED == 0, (fmt, code, stderr)
