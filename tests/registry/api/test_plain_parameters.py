"""A typo in the query of a route whose parameters are plain (not a filter model) is refused too, naming it, not
ignored: `GET /v1/rates?levl=county` used to answer the township table as if nothing had been asked."""

from __future__ import annotations

import pytest

import flowpop
from tests.registry.api.problems import assert_problem, fields_of

# (path, the params that are right, a misspelt one)
PLAIN: list[tuple[str, dict[str, str], str]] = [
    ("/v1/rates", {"period": "2026Q1"}, "levl"),
    ("/v1/rates/trend", {"quarters": "2026Q1"}, "divsion"),
    ("/v1/inbox/figures", {}, "levl"),
    ("/v1/inbox/summary", {}, "overdeu"),
    ("/v1/exchange/outbox", {}, "include_snt"),
    ("/v1/quality", {}, "divsion"),
    ("/v1/me", {}, "x"),
]


@pytest.mark.parametrize(("path", "given", "typo"), PLAIN, ids=[p for p, _, _ in PLAIN])
def test_a_typo_beside_plain_parameters_is_refused(client: flowpop.Client, path: str, given: dict[str, str],
                                                   typo: str) -> None:
    assert client.request("GET", path, params=given).status_code == 200
    problem = assert_problem(client.request("GET", path, params={**given, typo: "x"}), 422, "validation_failed")
    assert fields_of(problem) == {(typo, "unknown_parameter")}, problem


def test_declared_parameters_still_pass(client: flowpop.Client) -> None:
    r = client.request("GET", "/v1/rates", params={"period": "2026Q1", "level": "county"})
    assert r.status_code == 200 and r.json()["level"] == "county"
