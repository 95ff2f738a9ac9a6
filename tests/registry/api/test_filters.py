"""One contract for list filters: every list's query parameters are one model in flowpop/types.py, so a
typo'd parameter is refused (422, naming it) instead of being ignored (it once exported everyone); the
bulk selection and search take the same person model; the OpenAPI document lists exactly its fields."""

from __future__ import annotations

import csv
import io
import typing
from typing import Any

import pytest
from pydantic import BaseModel

import flowpop
from flowpop import types
from flowpop.registry.people import search
from tests import tree
from tests.registry.api.problems import assert_problem, fields_of

# (path, the params that are right, the model behind the list)
LISTS: list[tuple[str, dict[str, str], type[BaseModel]]] = [
    ("/v1/persons", {}, types.PersonListFilters),
    ("/v1/exports/persons", {}, types.PersonExportFilters),
    ("/v1/inbox", {}, types.MessageFilters),
    ("/v1/houses", {}, types.HouseFilters),
    ("/v1/declarations/late", {}, types.LateDeclarationFilters),
    ("/v1/employers", {}, types.EmployerFilters),
    ("/v1/campaigns/1/items", {}, types.CampaignItemFilters),
    ("/v1/access-log", {}, types.AccessLogFilters),
    ("/v1/divisions", {}, types.DivisionFilters),
    ("/v1/quality/id_check_digit/persons", {}, types.QualityPersonFilters),
    ("/v1/rates/registration/records", {"period": "2026Q1"}, types.RateRecordFilters),
    ("/v1/changesets", {}, types.ChangesetFilters),
]
TYPOS = {"/v1/persons": "divsion", "/v1/exports/persons": "divsion", "/v1/inbox": "overdeu"}


def _typo(path: str, model: type[BaseModel]) -> str:
    """A misspelt filter of this list: the first of its fields with its third letter left out."""
    if path in TYPOS:
        return TYPOS[path]
    name = next(f for f in model.model_fields if len(f) > 3)
    return name[:2] + name[3:]


@pytest.mark.parametrize(("path", "given", "model"), LISTS, ids=[p for p, _, _ in LISTS])
def test_a_typo_is_refused_naming_it(client: flowpop.Client, path: str, given: dict[str, str],
                                     model: type[BaseModel]) -> None:
    typo = _typo(path, model)
    assert typo not in model.model_fields
    problem = assert_problem(client.request("GET", path, params={**given, typo: "350404"}), 422, "validation_failed")
    assert fields_of(problem) == {(typo, "unknown_parameter")}, problem
    [error] = problem["errors"]
    assert error["message"] == "不是可接受的查询参数" and error["message_en"] == "is not an accepted query parameter"


@pytest.mark.parametrize(("path", "given", "model"), LISTS, ids=[p for p, _, _ in LISTS])
def test_the_openapi_document_lists_exactly_the_model(client: flowpop.Client, path: str, given: dict[str, str],
                                                      model: type[BaseModel]) -> None:
    document = client.request("GET", "/openapi.json").json()
    route = path.replace("/1/", "/{campaign_id}/").replace("/id_check_digit/", "/{key}/") \
        .replace("/registration/", "/{key}/")
    params = document["paths"][route]["get"].get("parameters", [])
    assert {p["name"] for p in params if p["in"] == "query"} == set(model.model_fields)
    required = {p["name"] for p in params if p["in"] == "query" and p.get("required")}
    assert required == {name for name, f in model.model_fields.items() if f.is_required()} == set(given)


def test_search_selection_and_export_share_the_person_model() -> None:
    assert not hasattr(search, "PersonQuery")
    assert typing.get_args(types.Selection.model_fields["filters"].annotation)[0] is types.PersonFilters
    for model in (types.PersonListFilters, types.PersonExportFilters):
        assert issubclass(model, types.PersonFilters)
    assert issubclass(types.PersonListFilters, types.Paging) and issubclass(types.MessageFilters, types.Paging)
    every = [getattr(types, n) for n in dir(types) if n.endswith("Filters") or n == "Paging"]
    assert all(m.model_config.get("extra") == "forbid" for m in every)


def _exported(client: flowpop.Client, **params: Any) -> set[str]:
    r = client.request("GET", "/v1/exports/persons", params={"format": "csv", **params})
    assert r.status_code == 200, r.text
    return {row["姓名"] for row in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))}


def test_valid_filters_still_narrow(client: flowpop.Client, make_person: Any) -> None:
    make_person(name="三元人")
    make_person(name="沙县人", stay={"residence_code": tree.VILLAGE_C1, "reason": "work", "arrived_on": "2026-03-01"})
    assert _exported(client) == {"三元人", "沙县人"}
    assert _exported(client, division="350404") == {"三元人"}  # a county's 6 digits, as the typo meant
    listed = client.request("GET", "/v1/persons", params={"division": tree.COUNTY_SHAXIAN}).json()["data"]
    assert {p["name"] for p in listed} == {"沙县人"}
    for flag, names in [("true", {"三元人", "沙县人"}), ("false", set())]:  # married women of 15 to 49: both
        r = client.request("GET", "/v1/persons", params={"key_target": flag, "limit": "5", "sort": "name"})
        assert r.status_code == 200 and {p["name"] for p in r.json()["data"]} == names
    villages = client.request("GET", "/v1/divisions", params={"parent": tree.TOWNSHIP_A}).json()
    assert [d["code"] for d in villages] == [tree.VILLAGE_A1, tree.VILLAGE_A2]
    assert_problem(client.request("GET", "/v1/persons", params={"key_target": "perhaps"}), 422, "validation_failed")


def test_a_bulk_selection_by_filters_takes_the_person_model(client: flowpop.Client, make_person: Any) -> None:
    a = make_person()
    make_person(stay={"residence_code": tree.VILLAGE_C1, "reason": "work", "arrived_on": "2026-03-01"})
    body = {"operation": "set", "selection": {"filters": {"division": "350404"}}, "values": {"phone": "13800000000"},
            "reason": "核对"}
    r = client.request("POST", "/v1/changesets", json=body)
    assert r.status_code == 201, r.text
    assert [s["person_id"] for s in r.json()["samples"]] == [a.id]
    body["selection"] = {"filters": {"divsion": "350404"}}
    problem = assert_problem(client.request("POST", "/v1/changesets", json=body), 422, "validation_failed")
    assert fields_of(problem) == {("selection.filters.divsion", "extra_forbidden")}
