"""The registry's HTTP API (ASGI, FastAPI): one app, served in-process or by `flowpop serve`."""

from flowpop.registry.api.app import create_app

__all__ = ["create_app"]
