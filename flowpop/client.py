"""flowpop.Client and flowpop.AsyncClient: the same surface, sync and async.

Both come from one source: ``flowpop/_async/client.py`` is written once, asynchronously, and
``flowpop/_sync/client.py`` is generated from it (``scripts/unasync_client.py``), so they cannot drift.

    client = flowpop.Client()                    # embedded: a local registry file
    client = flowpop.Client(url=..., token=...)  # a `flowpop serve` server
    for p in client.persons.list("zhangs", direction="inflow"):
        print(p.name, p.id_number)              # masked unless reveal=True
"""

from __future__ import annotations

from flowpop._async.client import (
    EMBEDDED_BASE,
    AsyncAudit,
    AsyncChangesets,
    AsyncClient,
    AsyncDivisions,
    AsyncEmployers,
    AsyncExchange,
    AsyncHouses,
    AsyncInbox,
    AsyncInspections,
    AsyncPersons,
    AsyncRawResponses,
    AsyncReports,
    AsyncStays,
    AsyncTokens,
    AsyncUsers,
)
from flowpop._base import APIResponse
from flowpop._sync.client import (
    Audit,
    Changesets,
    Client,
    Divisions,
    Employers,
    Exchange,
    Houses,
    Inbox,
    Inspections,
    Persons,
    RawResponses,
    Reports,
    Stays,
    Tokens,
    Users,
)

__all__ = [
    "EMBEDDED_BASE",
    "APIResponse",
    "AsyncAudit",
    "AsyncChangesets",
    "AsyncClient",
    "AsyncDivisions",
    "AsyncEmployers",
    "AsyncExchange",
    "AsyncHouses",
    "AsyncInbox",
    "AsyncInspections",
    "AsyncPersons",
    "AsyncRawResponses",
    "AsyncReports",
    "AsyncStays",
    "AsyncTokens",
    "AsyncUsers",
    "Audit",
    "Changesets",
    "Client",
    "Divisions",
    "Employers",
    "Exchange",
    "Houses",
    "Inbox",
    "Inspections",
    "Persons",
    "RawResponses",
    "Reports",
    "Stays",
    "Tokens",
    "Users",
]
