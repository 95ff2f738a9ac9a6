"""An import's batch: its progress and counts, for the caller (GET /v1/imports/batches/{id}) and for whoever
finds an import cut short.

While it runs, the batch lives in the importing process (``LIVE``), brought up to date after each chunk.
Its row in ``import_batches`` is written only inside the transactions that write the import's rows
(``note``: created with the first chunk written, then brought up to date with each), so the row never says
more or less than the store holds (``last_line``: the last file line whose good rows are all stored), and
an import that writes nothing (a dry run, an unchanged re-import) takes no write lock at all. At the end the
row gets its status. A row still ``running`` that has not moved for ``STALE`` seconds, and that no process
here is running, belongs to a process that ended (killed, crashed): it reads as ``interrupted``, and
importing the same file again resumes it. (Several ``serve`` workers: a poll answered by another worker
sees the row, i.e. the progress as of the last chunk written.)"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import OrderedDict
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.errors import Conflict, NotFound
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.store import tables as t
from flowpop.types import ImportBatchStatus, ImportResult

STALE = 60.0  # seconds without progress after which a running import no process here runs is interrupted
KEPT = 64  # finished batches remembered in memory, for a last look at their progress
LIVE: OrderedDict[str, Batch] = OrderedDict()
_LOCK = threading.Lock()


class Batch:
    def __init__(self, reg: Registry, actor: Actor, batch_id: str, kind: str, filename: str, expected: int,
                 options: dict[str, Any]) -> None:
        self.reg, self.id = reg, batch_id
        now = t.utcnow()
        self.state: dict[str, Any] = {
            "id": batch_id, "kind": kind, "filename": filename[:200], "status": "running",
            "stage": "import" if options.get("skip_bad") and not options.get("dry_run") else "check",
            "total": expected, "done": 0, "last_line": 1, "inserted": 0, "updated": 0, "unchanged": 0, "rejected": 0,
            "options": options, "created_by": actor.username, "started_at": now, "updated_at": now,
            "finished_at": None}
        self.stored = False  # whether the row exists in import_batches
        self._seen = 0  # problems already counted into ``_lines``
        self._lines: set[int] = set()

    @classmethod
    def start(cls, reg: Registry, actor: Actor, batch_id: str | None, kind: str, filename: str, expected: int,
              options: dict[str, Any]) -> Batch:
        batch = cls(reg, actor, batch_id or uuid.uuid4().hex, kind, filename, expected, options)
        with _LOCK:
            taken = batch.id in LIVE
            if not taken and batch_id:
                with reg.reading() as session:
                    taken = session.get(t.ImportBatch, batch.id) is not None
            if taken:
                raise Conflict("import_batch_exists", "该导入批次编号已被使用", "this import batch id is taken")
            LIVE[batch.id] = batch
            while len(LIVE) > KEPT:
                oldest = next(iter(LIVE.values()))
                if oldest.state["status"] == "running":
                    break
                LIVE.popitem(last=False)
        return batch

    def _count(self, stage: str, result: ImportResult, line: int | None, plus: ImportResult | None) -> dict[str, Any]:
        for p in result.problems[self._seen:]:
            self._lines.add(p.line)
        self._seen = len(result.problems)
        extra = {p.line for p in plus.problems} - self._lines if plus is not None else set()
        values: dict[str, Any] = {
            "stage": stage, "done": result.total, "updated_at": t.utcnow(),
            "inserted": result.inserted + (plus.inserted if plus else 0),
            "updated": result.updated + (plus.updated if plus else 0),
            "unchanged": result.unchanged + (plus.unchanged if plus else 0),
            "rejected": len(self._lines) + len(extra),
        }
        if line is not None:
            values["last_line"] = line
        return values

    def note(self, session: Session, stage: str, result: ImportResult, line: int,
             plus: ImportResult | None = None) -> None:
        """In the transaction writing a chunk: the counts with that chunk (``plus``), stored with it."""
        values = self._count(stage, result, line, plus)
        self.state.update(values)
        if self.stored:
            session.execute(update(t.ImportBatch).where(t.ImportBatch.id == self.id).values(**values))
        else:
            session.execute(insert(t.ImportBatch).values(**self.state))

    def committed(self) -> None:
        """The transaction that wrote ``note`` has committed: the row exists from now on."""
        self.stored = True

    def tick(self, stage: str, result: ImportResult, line: int | None = None) -> None:
        """Progress between written chunks: here only (no write)."""
        self.state.update(self._count(stage, result, line, None))

    def finish(self, status: str, result: ImportResult) -> None:
        values = self._count(self.state["stage"], result, None, None)
        values.update(status=status, finished_at=t.utcnow())
        if status == "done" and not result.dry_run:
            values.update(stage="import", last_line=result.total + 1)
        self.state.update(values)
        if not self.stored:
            return
        try:
            with self.reg.writing() as session:
                session.execute(update(t.ImportBatch).where(t.ImportBatch.id == self.id).values(**values))
        except Exception:
            if status != "failed":  # a failed import's own error matters more than its row
                raise


def status(reg: Registry, actor: Actor, batch_id: str) -> ImportBatchStatus:
    """An import's progress: the caller's own imports, or anyone's for a caller without a jurisdiction limit."""
    actor.require("bulk")
    if len(batch_id) > 40:  # longer than any batch id: none such
        raise NotFound("import_batch", batch_id[:40])
    live = LIVE.get(batch_id)
    if live is not None:
        state = dict(live.state)
    else:
        with reg.reading() as session:
            row = session.execute(select(t.ImportBatch).where(t.ImportBatch.id == batch_id)).scalar_one_or_none()
            state = {c.key: getattr(row, c.key) for c in t.ImportBatch.__table__.columns} if row else {}
        if state.get("status") == "running" and t.utcnow() - state["updated_at"] > dt.timedelta(seconds=STALE):
            state["status"] = "interrupted"
    if not state or (actor.prefix and state["created_by"] != actor.username):
        raise NotFound("import_batch", batch_id)
    state.pop("options", None)
    state.pop("created_by", None)
    return ImportBatchStatus(**state)
