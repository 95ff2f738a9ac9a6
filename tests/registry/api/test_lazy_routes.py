"""The embedded app builds a route module when a request first needs it (issue #16 item 4: a one-row query in a
fresh process): the table that says which module serves which paths is held to the routes themselves, the routes
end up the same and in the same order as a server's, and a request through the lazily built routes meets the
same caller, rights and validation as anywhere."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

import pytest
from fastapi.routing import APIRoute

import flowpop
from flowpop._embedded import EmbeddedTransport
from flowpop.registry.api import create_app
from flowpop.registry.api.app import ROUTERS, claims, routers_for
from tests import tree


def module_routes(name: str) -> list[APIRoute]:
    router = import_module(f"flowpop.registry.api.{name}").router
    return [r for r in router.routes if isinstance(r, APIRoute)]


def test_every_route_lies_on_a_path_its_module_claims() -> None:
    for name, patterns in ROUTERS.items():
        routes = module_routes(name)
        assert routes, name
        for route in routes:
            segments = route.path.split("/")[1:]
            assert segments[0] == "v1", route.path
            # a pattern's literal segment must be the template's literal, not a parameter: then every concrete
            # path the route matches is claimed too
            literal = [s if not s.startswith("{") else "\0param" for s in segments[1:]]
            assert any(claims(p, literal) for p in patterns), f"{name} serves {route.path}: add it to ROUTERS"


def test_a_path_reaches_exactly_the_modules_whose_routes_match_it() -> None:
    assert routers_for("/v1/persons") == ["routes_persons"]
    assert routers_for("/v1/persons/42/services") == ["routes_persons", "routes_inbox"]
    assert routers_for("/v1/persons/42/certificates") == ["routes_persons", "routes_inspect"]
    assert routers_for("/v1/me") == ["routes_admin"]
    for path in ("/openapi.json", "/docs", "/v1/nowhere", "/v1", "/elsewhere/persons"):
        assert routers_for(path) == list(ROUTERS), path


def shape(app: Any) -> list[tuple[str, Any]]:
    return [
        (type(r).__name__, getattr(r, "original_router", None) or getattr(r, "path", None))
        for r in app.router.routes
    ]


def test_lazily_included_routes_end_as_a_servers_in_the_same_order(db_url: str) -> None:
    server = create_app(db_url)
    lazy = create_app(db_url, embedded=True)
    try:
        assert len(lazy.router.routes) < len(server.router.routes)
        # in an order no request would take all at once: last module first
        for name in reversed(ROUTERS):
            lazy.include_routes([name])  # type: ignore[attr-defined]
        assert shape(lazy) == shape(server)
        assert lazy.openapi() == server.openapi()
    finally:
        lazy.state.registry.close()
        server.state.registry.close()


def test_a_route_added_to_the_app_stays_behind_the_modules_routes(db_url: str) -> None:
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    server, lazy = create_app(db_url), create_app(db_url, embedded=True)
    try:
        for app in (server, lazy):
            app.add_api_route("/v1/ping", ping)
        lazy.include_routes(["routes_admin"])  # type: ignore[attr-defined]
        lazy.include_routes()  # type: ignore[attr-defined]
        assert shape(lazy) == shape(server)
        assert shape(lazy)[-1] == ("APIRoute", "/v1/ping")
    finally:
        lazy.state.registry.close()
        server.state.registry.close()
    fresh = create_app(db_url, embedded=True)
    fresh.add_api_route("/v1/ping", ping)
    with flowpop.Client(url="http://flowpop.test", transport=EmbeddedTransport(fresh), max_retries=0) as client:
        assert client.request("GET", "/v1/ping").json() == {"pong": "yes"}  # a path no module claims: all built
        assert client.request("GET", "/v1/ping").json() == {"pong": "yes"}


def test_openapi_lists_every_operation_whichever_were_reached(db_url: str) -> None:
    with flowpop.Client(db=db_url, max_retries=0) as client:
        client.me()
        document = client.request("GET", "/openapi.json").json()
    server = create_app(db_url)
    try:
        assert document["paths"] == server.openapi()["paths"]
    finally:
        server.state.registry.close()


def included(client: flowpop.Client) -> list[str]:
    transport = client._http._transport  # the embedded transport's app
    app = transport._inner.app  # type: ignore[attr-defined]
    return [name for name in ROUTERS if name not in app._pending]


def test_a_query_builds_only_its_modules_and_each_later_area_on_first_use(
    db_url: str, make_person: Any
) -> None:
    person = make_person()
    with flowpop.Client(db=db_url, max_retries=0) as fresh:
        assert included(fresh) == []
        assert [p.id for p in fresh.persons.list(limit=5)] == [person.id]
        assert included(fresh) == ["routes_persons"]
        assert fresh.persons.services(person.id) == []
        assert included(fresh) == ["routes_persons", "routes_inbox"]
        assert fresh.me().username
        assert included(fresh) == ["routes_persons", "routes_admin", "routes_inbox"]
        missing = fresh.request("GET", "/v1/nowhere")
        assert missing.status_code == 404
        assert included(fresh) == list(ROUTERS)


def test_rights_and_validation_hold_on_a_first_request(
    db_url: str, as_user: Callable[[str, str | None], Any], make_person: Any
) -> None:
    outside = make_person(
        stay={"residence_code": tree.VILLAGE_D1, "reason": "work", "arrived_on": "2026-03-01"}
    )
    assistant = as_user("village_assistant", tree.VILLAGE_A1)  # a fresh embedded app: nothing built yet
    assert included(assistant) == []
    with pytest.raises(flowpop.NotFoundError):  # outside the jurisdiction: as if it did not exist
        assistant.persons.get(outside.id)
    with pytest.raises(flowpop.PermissionDeniedError):  # no right to manage users
        assistant.users.create(username="x_user", role="admin", jurisdiction_code=None)
    unknown = assistant.request("GET", "/v1/houses", params={"divsion": "350404"})  # a typo: refused, named
    assert unknown.status_code == 422 and "divsion" in unknown.text
    stranger = flowpop.Client(db=db_url, token="fp_not_a_token", max_retries=0)
    try:
        with pytest.raises(flowpop.AuthenticationError):
            stranger.persons.list(limit=1).first_page()
    finally:
        stranger.close()
