"""One long registry operation through the embedded SDK, in a process of its own for tests/test_faults.py to kill.

    python tests/fault_worker.py OP DB MARKERS ARG [--pause-at K]

OP is apply (ARG: a changeset id), import (ARG: a CSV file for client.persons.import_file) or batch
(ARG: a JSON Lines file for client.exchange.import_batch). The worker writes MARKERS/started just before
the call and MARKERS/done (the result as JSON) after it. With --pause-at K it also watches the SQL the
registry sends: just before the K-th INSERT, UPDATE or DELETE of the operation it writes MARKERS/paused
and waits there, inside the operation's transaction, for the kill. Nothing of the registry is replaced:
the worker only observes, and holds still at one moment. With --count it prints how many writes the
operation sent (to choose K).
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

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import flowpop  # noqa: E402

WRITES = ("INSERT", "UPDATE", "DELETE")


class Watch:
    def __init__(self, markers: Path, pause_at: int | None) -> None:
        self.markers = markers
        self.pause_at = pause_at
        self.armed = False
        self.writes = 0

    def __call__(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if not self.armed or not statement.lstrip().upper().startswith(WRITES):
            return
        self.writes += 1
        if self.writes == self.pause_at:
            (self.markers / "paused").write_text(" ".join(statement.split()[:3]))
            time.sleep(120)  # the test kills us here; if it does not, carry on


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
    event.listen(Engine, "before_cursor_execute", watch)
    with flowpop.Client(db=args.db, max_retries=0, timeout=600) as client:
        client.me()  # the registry is open and its division tree loaded before the operation starts
        (args.markers / "started").write_text("")
        watch.armed = True
        result = run(client, args.op, args.arg)
        watch.armed = False
        (args.markers / "done").write_text(json.dumps(result, ensure_ascii=False))
    if args.count:
        print(watch.writes)


if __name__ == "__main__":
    main()
