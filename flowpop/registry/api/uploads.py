"""Request bodies that are files (imports, exchange batches): spooled to disk as they arrive."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import BinaryIO

from fastapi import Request
from starlette.concurrency import run_in_threadpool


@contextlib.contextmanager
def _spooled() -> Iterator[tuple[BinaryIO, Path]]:
    """A temporary file for an upload, and a path that opens it anew (each reader keeps its own position).
    On Linux the file has no name: not even a killed server leaves a copy of the upload behind."""
    with tempfile.TemporaryFile(prefix="flowpop-import-") as f:
        path = Path(f"/proc/self/fd/{f.fileno()}")
        if path.exists():
            yield f, path
            return
    with tempfile.TemporaryDirectory(prefix="flowpop-import-") as folder:
        path = Path(folder) / "upload"
        with path.open("w+b") as f:
            yield f, path


@contextlib.asynccontextmanager
async def spooled_body(request: Request) -> AsyncIterator[Path]:
    """The request body written to disk as it arrives (the body limit counts it as it is read), and a path
    that opens it: an upload is read from there, never held whole in memory."""
    with _spooled() as (f, path):
        async for chunk in request.stream():
            await run_in_threadpool(f.write, chunk)
        f.flush()
        yield path
