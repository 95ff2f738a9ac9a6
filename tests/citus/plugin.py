"""Every distinct statement the suite sends to PostgreSQL, checked against the Citus rules (tests/citus/statements.py),
with the tests and the code that sent it.

Enforced whenever the suite runs on PostgreSQL (FLOWPOP_TEST_DATABASE_URL): a statement sent by the registry's code
(a sender in ``flowpop``, not a test's own SQL) that breaks a rule — a join or correlation between distributed tables
without county equality, an INSERT into one without ``county``, an UPDATE of ``county`` — fails the run at its end,
listed (issue #17 item 4). ``pytest --citus-report=FILE`` writes every statement as JSON too, on any run.

With pytest-xdist each worker hands its part to the controller, which merges them. With a report file each process
also keeps its part in ``FILE.<process>.part`` (rewritten at most every 30 s), so a run stopped midway still leaves
what it saw: ``merge_parts(FILE)`` writes the report from them.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from flowpop.registry.store import distribution
from flowpop.registry.store.tables import Base
from tests.citus.statements import CHECKED, check, normalize

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = str(ROOT / "flowpop")
STORE = str(ROOT / "flowpop" / "registry" / "store")
MIGRATIONS = str(ROOT / "flowpop" / "registry" / "store" / "migrations")
# the migrations up to the Citus step (0017_citus_distribute) run before any table is distributed: not checked
BEFORE_CITUS = re.compile(r"^flowpop\.registry\.store\.migrations\.versions\.(00(0\d|1[0-7]))_")
TESTS = str(ROOT / "tests")
KEPT_TESTS = 5
FLUSH_SECONDS = 30
ENFORCED_WHEN = "FLOWPOP_TEST_DATABASE_URL"  # the suite on PostgreSQL
SHOWN = 40  # offending statements listed at the end of a failed run

COLUMNS = {
    name: {c.name for c in table.columns} | ({distribution.COUNTY} if name in distribution.distributed() else set())
    for name, table in Base.metadata.tables.items()
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--citus-report", metavar="FILE", default=None,
                     help="check every statement sent to PostgreSQL against the Citus rules (issue #17); "
                          "write the violations as JSON to FILE")


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("citus_report")
    enforced = bool(os.environ.get(ENFORCED_WHEN))
    if path or enforced:
        config.pluginmanager.register(Recorder(Path(path) if path else None, config, enforced=enforced), "citus-report")


def _module(filename: str) -> str:
    path = Path(filename).resolve()
    rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else Path(path.name)
    return ".".join(rel.with_suffix("").parts)


LIBRARIES = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix, str(ROOT / ".venv")})


def sender() -> str:
    """Who sent the statement: a migration, else the innermost function of flowpop outside the store's helpers, else
    the innermost of flowpop, else the innermost of the tests (a fixture or a test's own SQL), else of any code but
    libraries."""
    frame: FrameType | None = sys._getframe(2)
    package = tests = other = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(PACKAGE):
            if filename.startswith(MIGRATIONS):
                return f"{_module(filename)}:{frame.f_code.co_name}"
            if not filename.startswith(STORE):
                return f"{_module(filename)}:{frame.f_code.co_name}"
            package = package or f"{_module(filename)}:{frame.f_code.co_name}"
        elif filename.startswith(TESTS):
            tests = tests or f"{_module(filename)}:{frame.f_code.co_name}"
        elif not filename.startswith(LIBRARIES) and not filename.startswith("<"):
            other = other or f"{_module(filename)}:{frame.f_code.co_name}"
        frame = frame.f_back
    return package or tests or other or "?"


def registry_code(sender: str) -> bool:
    """Is ``sender`` the registry's code, held to the rules: flowpop, but not a migration that runs before the tables
    are distributed."""
    return sender.startswith("flowpop.") and not BEFORE_CITUS.match(sender)


def offending(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's violating statements that the registry's code sent (``registry_code``)."""
    return [s for s in report["statements"] if s["violations"] and any(registry_code(x) for x in s["senders"])]


class Recorder:
    def __init__(self, path: Path | None, config: pytest.Config, *, enforced: bool = False) -> None:
        self.path = path
        self.config = config
        self.enforced = enforced
        self.offending: list[dict[str, Any]] = []
        self.current = "(no test)"
        self.flushed = time.monotonic()
        worker = getattr(config, "workerinput", {}).get("workerid", "main")
        self.part_path = path.with_name(f"{path.name}.{worker}-{os.getpid()}.part") if path else None
        self.parts: list[dict[str, Any]] = []  # from the xdist workers
        # normalized statement → its violations, executions, senders and tests
        self.seen: dict[str, dict[str, Any]] = {}
        event.listen(Engine, "before_cursor_execute", self.on_execute)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Iterator[None]:
        self.current = item.nodeid
        try:
            return (yield)
        finally:
            self.current = "(between tests)"
            if time.monotonic() - self.flushed > FLUSH_SECONDS:
                self.flush()

    def flush(self) -> None:
        if self.part_path is None:
            return
        temporary = self.part_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.part(), ensure_ascii=False), encoding="utf-8")
        temporary.replace(self.part_path)
        self.flushed = time.monotonic()

    def on_execute(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                   executemany: bool) -> None:
        if conn.dialect.name != "postgresql" or not CHECKED.match(statement):
            return
        key = normalize(statement)
        entry = self.seen.get(key)
        if entry is None:
            violations = [{"kind": v.kind, "tables": list(v.tables), "detail": v.detail}
                          for v in check(key, columns=COLUMNS)]
            entry = self.seen[key] = {"violations": violations, "executions": 0, "senders": Counter(),
                                      "test_ids": set()}
        entry["executions"] += 1
        entry["senders"][sender()] += 1
        entry["test_ids"].add(self.current)

    def part(self) -> dict[str, Any]:
        return {sql: {**e, "senders": dict(e["senders"]), "test_ids": sorted(e["test_ids"])}
                for sql, e in self.seen.items()}

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """xdist, on the controller: a worker's part."""
        part = getattr(node, "workeroutput", {}).get("citus_report")
        if part:
            self.parts.append(json.loads(part))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        event.remove(Engine, "before_cursor_execute", self.on_execute)
        if hasattr(self.config, "workerinput"):
            self.config.workeroutput["citus_report"] = json.dumps(self.part(), ensure_ascii=False)  # type: ignore[attr-defined]
            if self.part_path is not None:
                self.part_path.unlink(missing_ok=True)
            return
        report = merge([self.part(), *self.parts])
        if self.path is not None and self.part_path is not None:
            self.path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
            self.part_path.unlink(missing_ok=True)
        if self.enforced:
            self.offending = offending(report)
            if self.offending and session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.offending:
            return
        write = terminalreporter.write_line
        terminalreporter.section("Citus statement check (issue #17)", red=True)
        write(f"{len(self.offending)} statements sent by flowpop break the Citus rules (tests/citus/statements.py); "
              "the run fails:")
        for s in self.offending[:SHOWN]:
            kinds = "; ".join(f"{v['kind']}: {v['detail']}" for v in s["violations"])
            senders = ", ".join(sender for sender in s["senders"] if registry_code(sender))
            write(f"- {kinds}\n    sent by {senders}\n    {s['sql'][:300]}")
        if len(self.offending) > SHOWN:
            write(f"… and {len(self.offending) - SHOWN} more (pytest --citus-report=FILE lists them all)")


def merge_parts(path: Path) -> dict[str, Any]:
    """The report from the parts a stopped run left next to ``path`` (written to ``path``; the parts removed)."""
    files = sorted(path.parent.glob(f"{path.name}.*.part"))
    report = merge([json.loads(f.read_text(encoding="utf-8")) for f in files])
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    for f in files:
        f.unlink()
    return report


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One report from the parts of several processes: every distinct statement checked, violating ones first."""
    statements: dict[str, dict[str, Any]] = {}
    for part in parts:
        for sql, e in part.items():
            into = statements.setdefault(sql, {"violations": e["violations"], "executions": 0, "test_ids": set(),
                                               "senders": Counter()})
            into["executions"] += e["executions"]
            into["test_ids"] |= set(e["test_ids"])
            into["senders"].update(e["senders"])
    kinds: Counter[str] = Counter()
    for e in statements.values():
        kinds.update({v["kind"] for v in e["violations"]})
    return {
        "note": "issue #17: the statements the tests sent to PostgreSQL, checked against the Citus rules "
                "(tests/citus/statements.py); a violating one sent by flowpop fails a PostgreSQL run",
        "checked_statements": len(statements),
        "violating_statements": sum(1 for e in statements.values() if e["violations"]),
        "statements_by_kind": dict(sorted(kinds.items())),
        "statements": [
            {"sql": sql, "violations": e["violations"], "executions": e["executions"],
             "senders": dict(e["senders"].most_common()), "test_count": len(e["test_ids"]),
             "tests": sorted(e["test_ids"])[:KEPT_TESTS]}
            for sql, e in sorted(statements.items(),
                                 key=lambda kv: (not kv[1]["violations"], min(kv[1]["senders"]), kv[0]))
        ],
    }
