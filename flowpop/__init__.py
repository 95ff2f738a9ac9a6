"""flowpop: floating-population service management (流动人口服务管理) — the SDK.

``flowpop.Client`` / ``flowpop.AsyncClient`` wrap the registry API; with no server
configured they open a local registry file and serve the same API in-process.
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any  # noqa: E402

if TYPE_CHECKING:
    from flowpop.client import AsyncClient, Client
    from flowpop.errors import (
        APIConnectionError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ConflictError,
        FlowpopError,
        InternalServerError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        ValidationError,
        VersionConflictError,
    )


def __getattr__(name: str) -> Any:
    """Loads the client and the errors on first use (PEP 562): `import flowpop.labels` or `flowpop --help`
    does not pay for httpx, pydantic and SQLAlchemy (issue #16: a CLI that starts fast)."""
    if name in ("Client", "AsyncClient"):
        from flowpop import client

        return getattr(client, name)
    if name in __all__ and name != "__version__":
        from flowpop import errors

        return getattr(errors, name)
    if not name.startswith("__"):  # flowpop.types, flowpop.labels, …: code that imported only `flowpop` reads them
        import importlib

        try:
            return importlib.import_module(f"flowpop.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"flowpop.{name}":
                raise
    raise AttributeError(f"module 'flowpop' has no attribute {name!r}")


__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "FlowpopError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ValidationError",
    "VersionConflictError",
    "__version__",
]
