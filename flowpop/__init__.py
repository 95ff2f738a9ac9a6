"""flowpop: floating-population service management (流动人口服务管理) — the SDK.

``flowpop.Client`` / ``flowpop.AsyncClient`` wrap the registry API; with no server
configured they open a local registry file and serve the same API in-process.
"""

__version__ = "0.1.0"

from flowpop.client import AsyncClient, Client  # noqa: E402
from flowpop.errors import (  # noqa: E402
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
