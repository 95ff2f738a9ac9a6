"""`flowpop import -`: the file from standard input, any kind the registry reads (told by its bytes)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import flowpop
from tests import tree
from tests.cli.runner import Run
from tests.conftest import new_id_number
from tests.registry.files.test_office_files import HEADER, _xls


def test_import_reads_a_csv_from_standard_input(run: Run, client: flowpop.Client, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    good, number = new_id_number(), new_id_number()
    bad = number[:-1] + ("1" if number[-1] == "0" else "0")  # a wrong check character (one number in 11 ends in 0)
    text = "\n".join([",".join(HEADER),
                      f"王秀英,{good},360102,{tree.VILLAGE_A1},2026年3月1日,",
                      f"李强,{bad},360102,{tree.VILLAGE_A1},2026-03-01,"]) + "\n"
    done = run("--lang", "en", "import", "-", "--skip-bad", "--format", "json", input=text.encode("gb18030"))
    result = json.loads(done.stdout)
    assert result["inserted"] == 1 and result["rejected"] == 1
    assert str(next(iter(client.persons.list(q=good))).arrived_on) == "2026-03-01"
    report = (tmp_path / "stdin.errors.csv").read_text(encoding="utf-8-sig")
    assert report.startswith("line,") and "\n3," in report  # the error report of a piped file lands in the working folder


def test_import_reads_an_xls_from_standard_input(run: Run, client: flowpop.Client) -> None:
    number = new_id_number()
    data = _xls([["赵敏", number, "360102", tree.VILLAGE_A1, dt.date(2024, 5, 6), ""]])
    done = run("import", "-", "--format", "json", input=data)
    assert json.loads(done.stdout)["inserted"] == 1
    assert str(next(iter(client.persons.list(q=number))).arrived_on) == "2024-05-06"


def test_an_empty_standard_input_is_refused_plainly(run: Run) -> None:
    refused = run("--lang", "en", "import", "-", code=4, input=b"")
    assert "the file is empty" in refused.stderr
