"""Dependencies by need: the server, PostgreSQL and the demo are extras (./run installs .[test], which
holds all three); without one, the command that needs it names the extra to install, never a traceback."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXTRAS = {"uvicorn": "server", "psycopg": "postgresql", "faker": "demo"}


def project() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)["project"]  # type: ignore[no-any-return]


def test_the_extras_hold_what_only_some_uses_need() -> None:
    proj = project()
    core = " ".join(proj["dependencies"])  # type: ignore[arg-type]
    extras: dict[str, list[str]] = proj["optional-dependencies"]  # type: ignore[assignment]
    for module, extra in EXTRAS.items():
        assert module not in core
        assert any(req.startswith(module) for req in extras[extra])
    assert "flowpop[server,postgresql,demo]" in extras["test"]  # ./run's install keeps everything
    assert any(req.startswith("textual>=8.2.8,<8.3") for req in proj["dependencies"])  # type: ignore[attr-defined]


def test_only_the_demo_package_imports_an_extra_at_module_level() -> None:
    for folder in ("flowpop", "cli", "tui"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts or path.is_relative_to(ROOT / "flowpop" / "demo"):
                continue
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                assert not any(n.split(".")[0] in EXTRAS for n in names), f"{path}: {names}"


@pytest.mark.parametrize(("module", "args"), [
    ("faker", ["--db", "{tmp}/demo.db", "demo", "--size", "10"]),
    ("uvicorn", ["--db", "{tmp}/serve.db", "serve", "--port", "0"]),
    ("psycopg", ["--db", "postgresql://nobody@127.0.0.1:1/none", "me"]),
])
def test_a_missing_extra_is_named(tmp_path: Path, module: str, args: list[str]) -> None:
    code = (f"import sys; sys.modules[{module!r}] = None\n"  # as if not installed
            "from flowpop_cli.main import main; main()")
    argv = [a.format(tmp=tmp_path) for a in args]
    done = subprocess.run([sys.executable, "-c", code, "--lang", "en", *argv], capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert f'pip install "flowpop[{EXTRAS[module]}]"' in done.stderr
    assert "Traceback" not in done.stderr
