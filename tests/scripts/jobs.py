"""Plain helpers for running the clean-up jobs in scripts/ through their main() and for leaving legacy mess in
a registry, shared by the tests in this folder."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from flowpop.registry.store.db import normalize_url

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def script(name: str) -> ModuleType:
    """The job ``scripts/<name>.py``, imported as a module."""
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    return importlib.import_module(name)


def run(capsys: pytest.CaptureFixture[str], name: str, db_url: str, *args: str) -> tuple[int, str]:
    """The job's exit code and standard output, run against the registry at ``db_url``."""
    capsys.readouterr()
    code = script(name).main([*args, "--db", db_url])
    return code, capsys.readouterr().out


def run_json(capsys: pytest.CaptureFixture[str], name: str, db_url: str, *args: str) -> dict[str, Any]:
    """The job's --json report; it must succeed."""
    code, out = run(capsys, name, db_url, *args, "--json")
    assert code == 0, out
    return json.loads(out)


def sql(db_url: str, statement: str, **params: Any) -> None:
    """One statement straight into the store, past every rule (how legacy systems wrote)."""
    engine = create_engine(normalize_url(db_url))
    with engine.begin() as conn:
        conn.execute(text(statement), params)
    engine.dispose()


def set_id_number(db_url: str, person_id: int, number: str) -> None:
    """As legacy systems left it: no check, no duplicate guard."""
    sql(db_url, "UPDATE persons SET id_number = :n, id_rev = :r WHERE id = :id", n=number, r=number[::-1], id=person_id)
    # the ID-number index says the same, as migration 0015 fills it from such data
    sql(db_url, "DELETE FROM id_numbers WHERE person_id = :id", id=person_id)
    sql(db_url, "INSERT INTO id_numbers (id_number, county, person_id) SELECT id_number, county, id FROM persons "
                "WHERE id = :id", id=person_id)
