"""The embedded default: the registry API served in-process over the ASGI interface."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx

from flowpop._startup import first_import


def open_app(db: str) -> Any:
    """Migrate the local registry (creating it on first use) and build its app."""
    with first_import("flowpop.registry.api"):  # the first open imports the registry (flowpop._startup)
        from flowpop.registry.api import create_app
        from flowpop.registry.store.db import migrate

        migrate(db)
        return create_app(db, embedded=True)


class AsyncEmbeddedTransport(httpx.ASGITransport):
    """In-process transport; a crash inside the app answers 500 (problem+json) as a server would,
    instead of raising the app's own exception into the caller. Closing it closes the registry.

    The registry's app runs on an event loop of its own, in its own thread (started on the first request), never
    on the caller's: the app's own work (building a route module on its first request, resolving dependencies,
    writing and reading the JSON) would otherwise hold the caller's loop — the console's, whose keys then wait.
    The caller's loop only awaits the finished response."""

    def __init__(self, app: Any) -> None:
        super().__init__(app=app, raise_app_exceptions=False)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    def _app_loop(self) -> asyncio.AbstractEventLoop:
        with self._starting:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name="flowpop-embedded", daemon=True)
                self._thread.start()
            return self._loop

    async def _send(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        content = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=content, request=request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._send(request), self._app_loop()))

    async def aclose(self) -> None:
        close_app(self.app)
        await asyncio.to_thread(self.stop_loop)

    def stop_loop(self) -> None:
        """Stop the app's loop and its thread (a later request starts them again)."""
        with self._starting:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        if loop.is_running():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
        if not loop.is_running():
            loop.close()


def async_transport(app: Any) -> AsyncEmbeddedTransport:
    return AsyncEmbeddedTransport(app)


def close_app(app: Any) -> None:
    """Release the embedded registry's database connections."""
    registry = getattr(getattr(app, "state", None), "registry", None)
    if registry is not None:
        registry.close()


class EmbeddedTransport(httpx.BaseTransport):
    """Sync httpx transport into an ASGI app, run on the app's own event loop thread (as the async transport
    runs it). Closing it closes the registry."""

    def __init__(self, app: Any) -> None:
        self._inner = AsyncEmbeddedTransport(app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return asyncio.run_coroutine_threadsafe(self._inner._send(request), self._inner._app_loop()).result()

    def close(self) -> None:
        close_app(self._inner.app)
        self._inner.stop_loop()
