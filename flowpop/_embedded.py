"""The embedded default: the registry API served in-process over the ASGI interface."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx


def open_app(db: str) -> Any:
    """Migrate the local registry (creating it on first use) and build its app."""
    from flowpop.registry.api import create_app
    from flowpop.registry.store.db import migrate

    migrate(db)
    return create_app(db, embedded=True)


class AsyncEmbeddedTransport(httpx.ASGITransport):
    """In-process transport; a crash inside the app answers 500 (problem+json) as a server would,
    instead of raising the app's own exception into the caller. Closing it closes the registry."""

    def __init__(self, app: Any) -> None:
        super().__init__(app=app, raise_app_exceptions=False)

    async def aclose(self) -> None:
        close_app(self.app)


def async_transport(app: Any) -> AsyncEmbeddedTransport:
    return AsyncEmbeddedTransport(app)


def close_app(app: Any) -> None:
    """Release the embedded registry's database connections."""
    registry = getattr(getattr(app, "state", None), "registry", None)
    if registry is not None:
        registry.close()


class EmbeddedTransport(httpx.BaseTransport):
    """Sync httpx transport into an ASGI app, run on a private event loop thread. Closing it closes the registry."""

    def __init__(self, app: Any) -> None:
        self._inner = AsyncEmbeddedTransport(app)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="flowpop-embedded", daemon=True)
        self._thread.start()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            response = await self._inner.handle_async_request(request)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=content, request=request)

        return asyncio.run_coroutine_threadsafe(send(), self._loop).result()

    def close(self) -> None:
        close_app(self._inner.app)
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        if not self._loop.is_running():
            self._loop.close()
