"""Issue 12, item 4: a bulk change's selection and values, and division rows, are the contract's (Selection,
PersonFilters, each operation's values, DivisionIn): a misspelt key is refused before the request, naming it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_type_hints

import pytest
from pydantic import BaseModel

import flowpop
from flowpop import _params, types
from tests import tree


def _keys(params: type) -> set[str]:
    return set(get_type_hints(params))


@pytest.mark.parametrize(("params", "model"), [
    (_params.PersonFilterParams, types.PersonFilters),
    (_params.SelectionParams, types.Selection),
    (_params.MergeParams, types.MergeValues),
    (_params.DivisionParams, types.DivisionIn),
], ids=lambda x: x.__name__)
def test_the_shapes_are_the_contract_models(params: type, model: type[BaseModel]) -> None:
    assert _keys(params) == set(model.model_fields)
    assert set(params.__required_keys__) == {n for n, f in model.model_fields.items() if f.is_required()}  # type: ignore[attr-defined]


def test_set_takes_the_bulk_settable_fields() -> None:
    assert _keys(_params.SetValues) == set(types.BULK_SETTABLE)
    assert _keys(_params.StatusValues) == {"date"}
    assert _keys(_params.ChangesetValues) == {k for shape in _params.OPERATION_VALUES.values() for k in _keys(shape)}


REFUSED = {"not_settable", "not_movable", "not_accepted"}  # the registry's codes for a key it does not take


@pytest.mark.parametrize("operation", sorted(_params.OPERATION_VALUES))
def test_the_registry_takes_each_key_the_sdk_lets_through(operation: str, client: flowpop.Client,
                                                           make_person: Callable[..., types.PersonDetail]) -> None:
    """Sent around the SDK's check (client.request): no key of the operation's shape is refused as unknown,
    and a key outside it is."""
    person = make_person()
    keys = sorted(_keys(_params.OPERATION_VALUES[operation]))
    body = {"operation": operation, "selection": {"ids": [person.id]}, "reason": "核对",
            "values": {**dict.fromkeys(keys, None), "nonsense": 1}}
    answer = client.request("POST", "/v1/changesets", json=body)
    assert answer.status_code == 422, answer.text
    refused = {e["field"] for e in answer.json()["errors"] if e["code"] in REFUSED}
    assert refused == {"values.nonsense"}, answer.json()


def _nothing_planned(client: flowpop.Client) -> None:
    assert client.changesets.list() == []


def test_a_misspelt_selection_filter_is_refused_naming_it(client: flowpop.Client) -> None:
    with pytest.raises(TypeError, match=r"changesets\.plan\(\) got an unexpected key 'divsion' in selection\['filters'\]"):
        client.changesets.plan(operation="set", selection={"filters": {"divsion": tree.TOWNSHIP_A}},  # type: ignore[typeddict-unknown-key]
                               values={"note": "x"}, reason="核对")
    with pytest.raises(TypeError, match="'idz' in selection"):
        client.changesets.plan(operation="set", selection={"idz": [1]}, values={"note": "x"}, reason="核对")  # type: ignore[typeddict-unknown-key]
    _nothing_planned(client)


@pytest.mark.parametrize(("operation", "values", "key"), [
    ("set", {"nots": "x"}, "nots"),
    ("set", {"id_number": "x"}, "id_number"),  # a person field, but not one a bulk change sets
    ("deregister", {"dat": "2026-01-01"}, "dat"),
    ("move", {"residence_cod": tree.VILLAGE_A2}, "residence_cod"),
    ("merge", {"kepp": 1}, "kepp"),
    ("upgrade_id15", {"keep": 1}, "keep"),
])
def test_a_misspelt_value_is_refused_naming_it(operation: str, values: dict[str, Any], key: str,
                                               client: flowpop.Client) -> None:
    with pytest.raises(TypeError, match=f"unexpected key '{key}' in the values of '{operation}'"):
        client.changesets.plan(operation=operation, selection={"ids": [1]}, values=values, reason="核对")  # type: ignore[arg-type]
    _nothing_planned(client)


def test_the_right_spelling_plans(client: flowpop.Client, make_person: Callable[..., types.PersonDetail]) -> None:
    a, b = make_person(), make_person()
    filtered = client.changesets.plan(operation="set", selection={"filters": {"division": tree.VILLAGE_A1, "q": a.name}},
                                      values={"note": "核对"}, reason="核对")
    assert filtered.total >= 1
    merged = client.changesets.plan(operation="merge", selection=types.Selection(ids=[a.id, b.id]),
                                    values=types.MergeValues(keep=a.id, archive_open_stays=True), reason="重复")
    assert (merged.total, merged.params["keep"]) == (2, a.id)


async def test_the_async_client_refuses_the_same(db_url: str) -> None:
    async with flowpop.AsyncClient(db=db_url, max_retries=0) as aio:
        with pytest.raises(TypeError, match="'divsion'"):
            await aio.changesets.plan(operation="set", selection={"filters": {"divsion": "x"}},  # type: ignore[typeddict-unknown-key]
                                      values={"note": "x"}, reason="核对")
        with pytest.raises(TypeError, match="'parnet_code' in row 1"):
            await aio.divisions.import_rows([{"code": "350404000000", "name": "甲"},
                                             {"code": "350404100000", "name": "乙", "parnet_code": "350404000000"}])  # type: ignore[typeddict-unknown-key]


def test_a_misspelt_division_field_is_refused_naming_it(client: flowpop.Client) -> None:
    code = tree.VILLAGE_A1 + "977"
    with pytest.raises(TypeError, match=r"divisions\.import_rows\(\) got an unexpected key 'parnet_code' in row 0"):
        client.divisions.import_rows([{"code": code, "name": "网格", "level": "grid", "parnet_code": tree.VILLAGE_A1}])  # type: ignore[typeddict-unknown-key]
    with pytest.raises(flowpop.NotFoundError):
        client.divisions.get(code)
    # the model and its fields both work
    client.divisions.import_rows([types.DivisionIn(code=code, name="网格", level="grid", parent_code=tree.VILLAGE_A1)])
    assert client.divisions.get(code).parent_code == tree.VILLAGE_A1
