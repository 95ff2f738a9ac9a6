"""The command line's list filters come from the contract's filter models (flowpop.types.*Filters): each list
offers exactly its model's fields as options (but paging and QUERY), a typo'd option is refused naming it, and
`flowpop export --division` narrows."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import click
import pytest
from pydantic import BaseModel

from flowpop import types
from flowpop_cli.main import cli
from tests import tree
from tests.cli.runner import Run, jsonout

# (command path, its model, the fields it does not offer as options and why they need none)
LISTS: list[tuple[tuple[str, ...], type[BaseModel], set[str]]] = [
    (("persons", "list"), types.PersonListFilters, {"q", "limit", "cursor", "with_total"}),  # QUERY; --limit/--all print
    (("export",), types.PersonExportFilters, {"q", "format"}),  # QUERY; --format
    (("houses", "list"), types.HouseFilters, {"q", "limit", "after"}),
    (("houses", "late"), types.LateDeclarationFilters, {"limit"}),
    (("employers", "list"), types.EmployerFilters, {"q"}),
    (("quality",), types.QualityPersonFilters, set()),  # --persons KEY --division --limit
    (("report", "rates"), types.RateRecordFilters, {"period", "limit"}),  # period from --quarter/--month
]


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        found = command.commands.get(name)
        assert found is not None, path
        command = found
    return command


@pytest.mark.parametrize(("path", "model", "left_out"), LISTS, ids=[" ".join(p) for p, _, _ in LISTS])
def test_the_options_cover_the_model(path: tuple[str, ...], model: type[BaseModel], left_out: set[str]) -> None:
    offered = {p.name for p in _command(path).params if isinstance(p, click.Option)}
    wanted = set(model.model_fields) - left_out
    assert wanted <= offered, wanted - offered
    assert left_out <= set(model.model_fields)


@pytest.mark.parametrize(("args", "typo"), [
    (("persons", "list", "--divsion", "350404"), "--divsion"),
    (("export", "--divsion", "350404"), "--divsion"),
    (("houses", "list", "--vacnt"), "--vacnt"),
    (("employers", "list", "--needs-agreemnt"), "--needs-agreemnt"),
])
def test_a_typo_is_refused_naming_it(run: Run, args: tuple[str, ...], typo: str) -> None:
    refused = run(*args, code=2)
    assert f"没有这个选项：'{typo}'" in refused.stderr, refused.stderr


def test_export_division_narrows(run: Run, make_person: Any, tmp_path: Path) -> None:
    make_person(name="三元人")
    make_person(name="沙县人", stay={"residence_code": tree.VILLAGE_C1, "reason": "work", "arrived_on": "2026-03-01"})

    def exported(*args: str) -> set[str]:
        out = tmp_path / "people.csv"
        run("export", *args, "-o", str(out))
        return {row["姓名"] for row in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))}

    assert exported() == {"三元人", "沙县人"}
    assert exported("--division", "350404") == {"三元人"}
    assert exported("--division", tree.COUNTY_SHAXIAN, "--status", "在册") == {"沙县人"}


def test_generated_options_reach_the_registry(run: Run, make_person: Any) -> None:
    make_person(name="三元人")
    make_person(name="沙县人", stay={"residence_code": tree.VILLAGE_C1, "reason": "work", "arrived_on": "2026-02-01"})
    listed = jsonout(run("persons", "list", "--division", tree.COUNTY_SHAXIAN, "--json"))
    assert [p["name"] for p in listed] == ["沙县人"]
    listed = jsonout(run("persons", "list", "--arrived-from", "2026-03-01", "--sort", "name", "--json"))
    assert [p["name"] for p in listed] == ["三元人"]
    refused = run("persons", "list", "--arrived-from", "last spring", code=4)
    assert "arrived_from" in refused.stderr + refused.stdout
