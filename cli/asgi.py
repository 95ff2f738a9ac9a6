"""App factory for `flowpop serve --workers N`: each worker process builds its own app.

    uvicorn flowpop_cli.asgi:create --factory --workers 4    # registry from FLOWPOP_DB
"""

from __future__ import annotations

from typing import Any

from flowpop.config import resolve


def create() -> Any:
    from flowpop.registry.api import create_app, logs

    logs.install()  # uvicorn has set up its logging by now; its lines leave redacted
    return create_app(resolve().db or "")
