"""Issue 12, item 4: one SDK source (the sync client generated from the async one), typed parameters checked
against the contract models, a misspelt filter or field refused naming it."""

from __future__ import annotations

import inspect
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_type_hints

import pytest
from pydantic import BaseModel

import flowpop
from flowpop import _params, types
from tests import tree
from tests.conftest import person_fields

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ("persons", "stays", "divisions", "users", "tokens", "audit", "inbox", "exchange", "houses", "employers",
             "changesets", "inspections", "reports")


def test_the_sync_client_is_generated_from_the_async_one_and_current() -> None:
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "unasync_client.py"), "--check"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert (ROOT / "flowpop" / "_sync" / "client.py").read_text("utf-8").startswith("# Generated from flowpop/_async")


def test_a_stale_sync_client_is_caught(tmp_path: Path) -> None:
    """The check compares against what unasync makes now: an edit to the generated file alone fails it."""
    spec = ROOT / "scripts" / "unasync_client.py"
    code = (f"import runpy, pathlib; ns = runpy.run_path({str(spec)!r}); "
            f"ns['main'].__globals__['TARGET'] = pathlib.Path({str(tmp_path)!r}); "
            "import sys; sys.exit(ns['main'](['--check']))")
    (tmp_path / "client.py").write_text((ROOT / "flowpop/_sync/client.py").read_text("utf-8") + "# drift\n", "utf-8")
    (tmp_path / "__init__.py").write_text((ROOT / "flowpop/_sync/__init__.py").read_text("utf-8"), "utf-8")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 1 and "client.py is stale" in run.stderr, run.stderr


def _surface(cls: type) -> dict[str, Any]:
    return {name: getattr(cls, name) for name in dir(cls) if not name.startswith("_")}


def _shape(fn: Callable[..., Any]) -> list[tuple[str, Any, Any, str]]:
    sig = inspect.signature(fn)
    return [(p.name, p.kind, p.default, str(p.annotation).replace("AsyncPager", "SyncPager"))
            for p in sig.parameters.values()]


@pytest.mark.parametrize("resource", RESOURCES)
def test_sync_and_async_resources_have_the_same_surface(resource: str, client: flowpop.Client) -> None:
    sync_cls = type(getattr(client, resource))
    async_cls = getattr(flowpop.client, "Async" + sync_cls.__name__)
    sync, aio = _surface(sync_cls), _surface(async_cls)
    assert sorted(sync) == sorted(aio)
    for name, fn in sync.items():
        assert _shape(fn) == _shape(aio[name]), f"{resource}.{name}"
        returns = inspect.signature(fn).return_annotation
        assert returns == inspect.signature(aio[name]).return_annotation.replace("AsyncPager", "SyncPager")
        # the async method is a coroutine unless it answers a pager (iterated with async for)
        assert inspect.iscoroutinefunction(aio[name]) == ("Pager" not in returns), f"{resource}.{name}"
        assert not inspect.iscoroutinefunction(fn)


def test_the_clients_have_the_same_surface() -> None:
    sync, aio = _surface(flowpop.Client), _surface(flowpop.AsyncClient)
    assert sorted(sync) == sorted(aio)
    for name in ("me", "request", "with_options", "close"):
        assert _shape(sync[name]) == _shape(aio[name]), name


def _methods() -> list[tuple[str, Callable[..., Any]]]:
    out = []
    for resource in RESOURCES:
        cls = getattr(flowpop.client, resource.capitalize())
        for name, fn in _surface(cls).items():
            out.append((f"{resource}.{name}", fn))
    return out


def test_no_method_takes_untyped_keyword_fields() -> None:
    """A ``**kwargs`` is always ``Unpack[<TypedDict>]``: nothing is ``**fields: Any``."""
    for where, fn in _methods():
        for p in inspect.signature(fn).parameters.values():
            if p.kind is inspect.Parameter.VAR_KEYWORD:
                assert str(p.annotation).startswith("Unpack["), (where, p.annotation)


# TypedDict, contract model, the model's fields the method takes as its own arguments
PARAMS: list[tuple[type, type[BaseModel], set[str]]] = [
    (_params.PersonListParams, types.PersonListFilters, {"q", "cursor"}),
    (_params.PersonWhere, types.PersonExportFilters, {"q", "format", "reveal"}),
    (_params.PersonWhere, types.PersonFilters, {"q"}),
    (_params.MessageListParams, types.MessageFilters, {"cursor"}),
    (_params.HouseListParams, types.HouseFilters, set()),
    (_params.LateDeclarationParams, types.LateDeclarationFilters, set()),
    (_params.EmployerListParams, types.EmployerFilters, set()),
    (_params.CampaignItemParams, types.CampaignItemFilters, set()),
    (_params.DivisionListParams, types.DivisionFilters, set()),
    (_params.PersonCreateParams, types.PersonCreate, set()),
    (_params.PersonUpdateParams, types.PersonUpdate, {"version"}),
    (_params.StayParams, types.StayFields, set()),
    (_params.StayCreateParams, types.StayCreate, set()),
    (_params.StayUpdateParams, types.StayUpdate, {"version"}),
    (_params.UserCreateParams, types.UserCreate, set()),
    (_params.TokenCreateParams, types.TokenCreate, set()),
    (_params.SubjectParams, types.Subject, set()),
    (_params.MessageCreateParams, types.MessageCreate, set()),
    (_params.ServiceParams, types.ServiceCreate, set()),
    (_params.CertificateParams, types.CertificateCreate, set()),
    (_params.HouseCreateParams, types.HouseCreate, set()),
    (_params.HouseUpdateParams, types.HouseUpdate, {"version"}),
    (_params.DeclarationParams, types.DeclarationCreate, set()),
    (_params.EmployerCreateParams, types.EmployerCreate, set()),
    (_params.EmployerUpdateParams, types.EmployerUpdate, {"version"}),
    (_params.CampaignCreateParams, types.CampaignCreate, set()),
    (_params.OutcomeParams, types.OutcomeRecord, {"version", "outcome"}),
]


@pytest.mark.parametrize(("params", "model", "own"), PARAMS, ids=[f"{p.__name__}-{m.__name__}" for p, m, _ in PARAMS])
def test_keyword_parameters_are_the_contract_models_fields(params: type, model: type[BaseModel], own: set[str]) -> None:
    """Each TypedDict names exactly its model's fields, and requires exactly what the model requires."""
    keys = set(get_type_hints(params))
    assert keys == set(model.model_fields) - own
    required = {name for name, f in model.model_fields.items() if f.is_required()} - own
    assert set(params.__required_keys__) == required  # type: ignore[attr-defined]


def test_inbox_actions_take_the_action_models_fields() -> None:
    models = (types.MatchAction, types.ForwardAction, types.ReplyAction, types.RegisterFromMessage, types.NotFoundAnswer)
    assert set(get_type_hints(_params.MessageActionParams)) == {f for m in models for f in m.model_fields} - {"version"}


def test_a_misspelt_filter_is_refused_naming_it(client: flowpop.Client) -> None:
    """The issue's two: an export that would have held everyone, an inbox list that showed everything."""
    with pytest.raises(TypeError, match=r"persons\.export\(\) got an unexpected keyword argument 'divsion'"):
        client.persons.export("jsonl", divsion="350404")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"inbox\.list\(\) got an unexpected keyword argument 'overdeu'"):
        client.inbox.list(overdeu=True)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="'divisoin'"):
        client.persons.list(divisoin=tree.TOWNSHIP_A)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="'use_'"):
        client.houses.list(use_="rented")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="'villag'"):
        client.inspections.items(1, villag=tree.VILLAGE_A1)  # type: ignore[call-arg]
    # nothing was exported: the refusal came before any request
    assert not [e for e in client.audit.access_log(action="export")]


def test_a_misspelt_field_is_refused_naming_it(client: flowpop.Client) -> None:
    fields = person_fields()
    fields["nmae"] = fields.pop("name")
    with pytest.raises(TypeError, match=r"persons\.create\(\) got an unexpected keyword argument 'nmae'"):
        client.persons.create(**fields)
    with pytest.raises(TypeError, match="'phnoe'"):
        client.persons.update(1, version=1, phnoe="13800000000")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="'to_cod'"):
        client.inbox.act(1, "forward", version=1, to_cod=tree.TOWNSHIP_B)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="either a contract model or keyword fields"):
        client.persons.create(types.PersonCreate(**person_fields()), name="x")


def test_the_right_spelling_filters(client: flowpop.Client, make_person: Callable[..., types.PersonDetail]) -> None:
    inside = make_person(name="林一")
    outside = make_person(name="林二", stay={"residence_code": tree.VILLAGE_B1, "reason": "work",
                                             "arrived_on": "2026-03-01"})
    exported = client.persons.export("jsonl", division=tree.VILLAGE_A1).decode("utf-8")
    assert "林一" in exported and "林二" not in exported
    ids = {p.id for p in client.persons.list(division=tree.VILLAGE_A1)}
    assert inside.id in ids and outside.id not in ids


async def test_the_async_client_refuses_the_same_typos(db_url: str) -> None:
    async with flowpop.AsyncClient(db=db_url, max_retries=0) as aio:
        with pytest.raises(TypeError, match="'divsion'"):
            await aio.persons.export("jsonl", divsion="350404")  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="'overdeu'"):
            aio.inbox.list(overdeu=True)  # type: ignore[call-arg]
        created = await aio.persons.create(types.PersonCreate(**person_fields()))  # a contract model works too
        assert (await aio.persons.get(created.id)).name == created.name


def test_the_package_says_it_is_typed() -> None:
    assert (ROOT / "flowpop" / "py.typed").exists()
    assert '"py.typed"' in (ROOT / "pyproject.toml").read_text("utf-8")
