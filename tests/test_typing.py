"""The type checker is part of ``./run test``, and every ignore it is told to accept says why."""

from __future__ import annotations

import re
import tokenize
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("flowpop", "cli", "tui", "scripts")
# "# type: ignore[code]  # why", with at least a few characters of why
IGNORE = re.compile(r"#\s*type:\s*ignore\b(?P<codes>\[[^\]]*\])?(?P<rest>.*)$")
REASON = re.compile(r"^\s+#\s*\S.{3,}")


def _comments(path: Path) -> list[tuple[int, str]]:
    with path.open("rb") as f:
        return [(tok.start[0], tok.string) for tok in tokenize.tokenize(f.readline) if tok.type == tokenize.COMMENT]


def _ignores_without_reason() -> list[str]:
    bad = []
    for folder in CHECKED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for line, comment in _comments(path):
                found = IGNORE.search(comment)
                if found is None:
                    continue
                if not found["codes"] or not REASON.match(found["rest"]):
                    bad.append(f"{path.relative_to(ROOT)}:{line}: {comment}")
    return bad


def test_every_type_ignore_names_its_code_and_reason() -> None:
    bad = _ignores_without_reason()
    assert not bad, (
        "each '# type: ignore[code]' needs its reason on the same line, "
        "e.g. '# type: ignore[attr-defined]  # Result.rowcount is untyped in SQLAlchemy 2':\n" + "\n".join(bad)
    )


@pytest.mark.parametrize(
    ("comment", "ok"),
    [
        ("# type: ignore[attr-defined]  # Result.rowcount is untyped in SQLAlchemy 2", True),
        ("# type: ignore[attr-defined]", False),
        ("# type: ignore  # no code given", False),
        ("# type: ignore[arg-type] #", False),
    ],
)
def test_reason_rule(comment: str, ok: bool) -> None:
    found = IGNORE.search(comment)
    assert found is not None
    assert bool(found["codes"] and REASON.match(found["rest"])) is ok


def _test_case(script: str) -> list[str]:
    case = re.search(r"^\s*test\)\n(?P<body>.*?)^\s*;;", script, re.S | re.M)
    assert case, "./run has no 'test)' case"
    return [line.strip() for line in case["body"].splitlines() if line.strip() and not line.strip().startswith("#")]


def test_run_test_type_checks_after_ruff_and_before_pytest() -> None:
    script = (ROOT / "run").read_text(encoding="utf-8")
    assert re.search(r"^set -[a-z]*e", script, re.M), "./run must stop at the first failing step"
    steps = _test_case(script)
    ruff = next(i for i, s in enumerate(steps) if "ruff" in s and "check" in s)
    check = steps.index("typecheck")
    pytest_ = next(i for i, s in enumerate(steps) if "run_pytest" in s)
    assert ruff < check < pytest_
    body = re.search(r"^typecheck\(\) \{\n(?P<body>.*?)^\}", script, re.S | re.M)
    assert body, "./run defines no typecheck function"
    mypy = [line for line in body["body"].splitlines() if "/bin/mypy" in line]
    assert mypy, "typecheck does not run mypy"
    # its failure must fail the run: nothing may swallow the exit status
    assert all("||" not in line and "; true" not in line for line in mypy)
    assert 'ln -sfn "$PWD/cli" "$links/flowpop_cli"' in body["body"]
    assert 'ln -sfn "$PWD/tui" "$links/flowpop_tui"' in body["body"]


def test_checker_config_covers_the_four_folders() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert any(dep.startswith("mypy") for dep in project["project"]["optional-dependencies"]["test"])
    mypy = project["tool"]["mypy"]
    assert set(mypy["files"]) == {
        "flowpop",
        ".venv/typecheck/flowpop_cli",
        ".venv/typecheck/flowpop_tui",
        "scripts",
    }
    assert mypy["warn_unused_ignores"] is True
    assert mypy["warn_redundant_casts"] is True
    assert mypy["check_untyped_defs"] is True
    assert mypy["disallow_untyped_defs"] is True
    assert not [o for o in mypy["overrides"] if o.get("disallow_untyped_defs") is False]
