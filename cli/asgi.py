"""App factory for `flowpop serve --workers N`: each worker process builds its own app.

    uvicorn flowpop_cli.asgi:create --factory --workers 4    # registry from FLOWPOP_DB
"""

from __future__ import annotations

from typing import Any

from flowpop.config import resolve


def create() -> Any:
    from flowpop.registry.api import create_app, logs
    from flowpop.registry.inbox import delivery

    logs.install()  # uvicorn has set up its logging by now; its lines leave redacted
    app = create_app(resolve().db or "")
    delivery.attach(app)  # each worker delivers the outbox too (a doubled delivery is received once)
    return app
