"""Helper processes that check a large import's rows while the importing process writes.

Each helper is a fresh interpreter (``python -m flowpop.registry.files.import_workers``) talking pickle: in over
its standard input, out over a pipe of its own (not its standard output, where anything printed would break the
stream): a context once, then chunks of raw rows (with the stored records of their
ID numbers) in, checked chunks out, in order.
A helper takes about a second to start (its imports); until one says it is ready, the importing process
checks the first chunks itself, so that a file of known rows is not left waiting on the start-up.
Not multiprocessing: its spawn would run the caller's main script again in every helper, and fork is
unsafe in a process with threads (the embedded server's event loop, the database pool)."""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import select
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import flowpop
from flowpop.registry.files.import_rows import Checked, Context, Stored, check_chunk
from flowpop.registry.store.bulk_insert import no_gc

Chunk = tuple[list[tuple[int, list[Any]]], Stored]  # raw rows (line, cells), and what is stored for them
AHEAD = 2  # chunks handed to each helper before its first answer is awaited
HERE_AT_MOST = 4  # chunks checked in the importing process while the helpers start
READY = "ready"
ANSWERS_FD = "FLOWPOP_IMPORT_ANSWERS_FD"  # the helper's end of its answers' pipe


class _Helper:
    def __init__(self, ctx: Context) -> None:
        package_root = str(Path(flowpop.__file__).resolve().parents[1])  # the folder holding flowpop/
        env_path = os.pathsep.join(p for p in (package_root, *sys.path) if p)
        # answers come on a pipe of their own, not the helper's standard output: anything printed there (a
        # library's warning, a profiler's or site's start-up text) would break the pickle stream
        read, write = os.pipe()
        try:
            self.proc = subprocess.Popen([sys.executable, "-m", "flowpop.registry.files.import_workers"],
                                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, pass_fds=(write,),
                                         env={**os.environ, "PYTHONPATH": env_path, ANSWERS_FD: str(write)})
        except BaseException:
            os.close(read)
            raise
        finally:
            os.close(write)
        self.answers = os.fdopen(read, "rb")
        self.inbox: queue.Queue[Chunk | None] = queue.Queue()
        self.feeder = threading.Thread(target=self._feed, args=(ctx,), daemon=True, name="import-feeder")
        self.feeder.start()
        self.started = False

    def _feed(self, ctx: Context) -> None:
        """Writes on a thread of its own, so that a helper blocked on a full pipe never blocks the reader."""
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            pickle.dump(ctx, stdin, pickle.HIGHEST_PROTOCOL)
            while (chunk := self.inbox.get()) is not None:
                pickle.dump(chunk, stdin, pickle.HIGHEST_PROTOCOL)
                stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the helper died: the reader finds out
        finally:
            with contextlib.suppress(OSError):
                stdin.close()

    def ready(self) -> bool:
        """Whether the helper has started: its marker is waiting (never blocks)."""
        if not self.started and select.select([self.answers], [], [], 0)[0]:
            self._started()
        return self.started

    def _started(self) -> None:
        self.started = True
        with contextlib.suppress(EOFError):  # a helper that died: answer() says so
            pickle.load(self.answers)

    def answer(self) -> list[Checked]:
        if not self.started:
            self._started()
        try:
            return pickle.load(self.answers)
        except EOFError as exc:
            raise RuntimeError(f"an import helper process ended early (exit code {self.proc.poll()})") from exc

    def stop(self) -> None:
        """No more chunks: the helper ends once it has answered those it has."""
        self.inbox.put(None)

    def close(self) -> None:
        self.feeder.join(timeout=5)
        if self.proc.poll() is None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc.wait()
        self.answers.close()


def checked_in_helpers(ctx: Context, chunks: Iterable[Chunk], helpers: int) -> Iterator[list[Checked]]:
    """Checked chunks in file order; chunk k goes to helper k mod n."""
    started = [_Helper(ctx) for _ in range(helpers)]
    try:
        chunks = iter(chunks)
        for _ in range(HERE_AT_MOST):
            if any(helper.ready() for helper in started) or (chunk := next(chunks, None)) is None:
                break
            yield check_chunk(ctx, *chunk)
        waiting: deque[_Helper] = deque()
        for k, chunk in enumerate(chunks):
            helper = started[k % helpers]
            helper.inbox.put(chunk)
            waiting.append(helper)
            if len(waiting) > AHEAD * helpers:
                yield waiting.popleft().answer()
        while waiting:
            yield waiting.popleft().answer()
    finally:
        for helper in started:
            if helper.proc.poll() is None:
                helper.answers.close()  # an early stop: the helper sees a broken pipe and ends
            helper.stop()
        for helper in started:  # all told first, so that they end side by side
            helper.close()


def serve(stdin: IO[bytes], answers: IO[bytes]) -> None:
    pickle.dump(READY, answers, pickle.HIGHEST_PROTOCOL)
    answers.flush()
    ctx: Context = pickle.load(stdin)
    # as in the importing process: each chunk's tens of thousands of short-lived objects set the cyclic
    # collector off again and again (a fifth of a helper's time), and checking makes no cycles to collect
    with no_gc():
        while True:
            try:
                chunk: Chunk = pickle.load(stdin)
            except EOFError:
                return
            pickle.dump(check_chunk(ctx, *chunk), answers, pickle.HIGHEST_PROTOCOL)
            answers.flush()


if __name__ == "__main__":
    answers = os.fdopen(int(os.environ[ANSWERS_FD]), "wb")
    with contextlib.suppress(BrokenPipeError):
        serve(sys.stdin.buffer, answers)
        answers.flush()
    os._exit(0)  # nothing left to clean up: tearing down the checked rows' objects would keep the importer waiting
