"""The contract's models are built when first used, not when flowpop.types is imported (issue #16 item 4: a
one-row query in a fresh process pays for the models it uses); the adapters FastAPI makes over a route's inputs are
still built at once, so a first request gives no warning; the SDK parses with the same models."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from importlib import import_module
from typing import Any, get_args, get_type_hints

from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic.warnings import UnsupportedFieldAttributeWarning

import flowpop
from flowpop.registry.api.app import ROUTERS
from tests import tree
from tests.conftest import person_fields


def models_in(annotation: Any) -> list[type[BaseModel]]:
    found = [annotation] if isinstance(annotation, type) and issubclass(annotation, BaseModel) else []
    return found + [model for arg in get_args(annotation) for model in models_in(arg)]


def test_every_routes_input_model_has_eager_adapters() -> None:
    """FastAPI silences pydantic's warning about a parameter's alias only while it makes the parameter's adapter;
    an adapter deferred to its first request would warn there (see flowpop.types._eager_inputs)."""
    inputs: set[type[BaseModel]] = set()
    for name in ROUTERS:
        for route in import_module(f"flowpop.registry.api.{name}").router.routes:
            if isinstance(route, APIRoute):
                hints = get_type_hints(route.endpoint, include_extras=True)
                hints.pop("return", None)
                inputs |= {model for hint in hints.values() for model in models_in(hint)}
    assert {m.__name__ for m in inputs} >= {"PersonListFilters", "PersonCreate", "StatusChange", "HolidayNotice"}
    deferred = sorted(m.__name__ for m in inputs if m.model_config.get("defer_build"))
    assert deferred == []


def test_first_requests_with_bodies_and_filters_give_no_warning(db_url: str) -> None:
    with warnings.catch_warnings(record=True) as caught, flowpop.Client(db=db_url, max_retries=0) as fresh:
        warnings.simplefilter("always")
        person = fresh.persons.create(**person_fields())  # a body
        assert [p.id for p in fresh.persons.list(division=tree.VILLAGE_A1[:6], limit=5)] == [person.id]  # filters
        fresh.persons.deregister(person.id, version=person.version, reason="返乡")  # another body
        assert list(fresh.houses.list(division=tree.VILLAGE_A1)) == []  # another area's filters
    assert [str(w.message) for w in caught if issubclass(w.category, UnsupportedFieldAttributeWarning)] == []


# in a fresh interpreter: which contract models a one-row query built
ONE_ROW = """
import json, sys
import flowpop
from flowpop import types
with flowpop.Client(db=sys.argv[1], max_retries=0) as client:
    rows = [p.name for p in client.persons.list(limit=1)]
names = ["Person", "PersonListFilters", "Message", "MessageDetail", "House", "Employer", "QualityReport", "Campaign"]
print(json.dumps({"rows": rows, "built": {n: getattr(types, n).__pydantic_complete__ for n in names}}))
"""


def test_a_one_row_query_builds_the_models_it_uses_only(db_url: str, make_person: Any) -> None:
    person = make_person()
    out = subprocess.run([sys.executable, "-W", "error::UserWarning", "-c", ONE_ROW, db_url],
                         capture_output=True, text=True, check=True)
    answer = json.loads(out.stdout)
    assert answer["rows"] == [person.name]
    assert answer["built"] == {"Person": True, "PersonListFilters": True, "Message": False, "MessageDetail": False,
                               "House": False, "Employer": False, "QualityReport": False, "Campaign": False}
