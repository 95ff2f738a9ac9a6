"""One long registry operation through the embedded SDK, in a process of its own for tests/test_faults.py to kill.

    python tests/fault_worker.py OP DB MARKERS ARG [--pause-at K] [--count]

OP is apply (ARG: a changeset id), import (ARG: a CSV file for client.persons.import_file) or batch
(ARG: a JSON Lines file for client.exchange.import_batch). The worker writes MARKERS/started just before
the call and MARKERS/done (the result as JSON) after it.

With --pause-at K it watches what the registry sends the store — each INSERT, UPDATE or DELETE statement
and each COMMIT is one step — and just before the operation's K-th step writes MARKERS/paused and holds
still there for the test to kill it: after some writes and before the commit that would keep them, or
with every write sent and the commit not yet. Nothing of the registry is replaced: the worker only
observes, and holds still at one moment. --count prints how many steps the operation took.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import flowpop  # noqa: E402

WRITES = ("INSERT", "UPDATE", "DELETE")


def mark(path: Path, content: str) -> None:
    """Write a marker whole: the test may look at any moment."""
    part = path.with_suffix(".part")
    part.write_text(content, encoding="utf-8")
    part.replace(path)


class Watch:
    def __init__(self, markers: Path, pause_at: int | None) -> None:
        self.markers = markers
        self.pause_at = pause_at
        self.armed = False
        self.steps = 0

    def statement(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if self.armed and statement.lstrip().upper().startswith(WRITES):
            self.step("before " + " ".join(statement.split()[:3]))

    def commit(self, conn: Any) -> None:
        if self.armed:
            self.step("before COMMIT")

    def step(self, what: str) -> None:
        self.steps += 1
        if self.steps == self.pause_at:
            self.armed = False
            mark(self.markers / "paused", f"step {self.steps}, {what}")
            time.sleep(120)  # the test kills us here


def run(client: flowpop.Client, op: str, arg: str) -> Any:
    if op == "apply":
        return client.changesets.apply(arg).model_dump(mode="json")
    if op == "import":
        return client.persons.import_file(Path(arg).read_bytes(), filename=Path(arg).name).model_dump(mode="json")
    if op == "batch":
        return client.exchange.import_batch(Path(arg).read_text(encoding="utf-8")).model_dump(mode="json")
    raise SystemExit(f"unknown operation {op}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("op", choices=["apply", "import", "batch"])
    parser.add_argument("db")
    parser.add_argument("markers", type=Path)
    parser.add_argument("arg")
    parser.add_argument("--pause-at", type=int)
    parser.add_argument("--count", action="store_true")
    args = parser.parse_args()
    watch = Watch(args.markers, args.pause_at)
    event.listen(Engine, "before_cursor_execute", watch.statement)
    event.listen(Engine, "commit", watch.commit)
    with flowpop.Client(db=args.db, max_retries=0, timeout=600) as client:
        client.me()  # the registry is open before the operation starts
        mark(args.markers / "started", "")
        watch.armed = True
        result = run(client, args.op, args.arg)
        watch.armed = False
        mark(args.markers / "done", json.dumps(result, ensure_ascii=False))
    if args.count:
        print(watch.steps)


if __name__ == "__main__":
    main()
