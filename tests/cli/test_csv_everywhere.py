"""Every CSV the command line writes is the export's CSV (flowpop.rules.cells.CsvOut): a BOM, CRLF line ends,
headers in the user's language, codes kept text; an empty list is its header row, not an empty file."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import flowpop
from flowpop.labels import title
from flowpop.types import Person
from tests import tree
from tests.cli.runner import Run

BOM = "\ufeff".encode()


def _rows(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_an_empty_person_list_is_its_header_row(run: Run) -> None:
    raw = run("persons", "list", "--format", "csv").stdout_bytes
    assert raw.startswith(BOM) and raw.endswith(b"\r\n")
    assert _rows(raw) == [[title(k, "zh") for k in Person.model_fields]]


def test_an_empty_list_has_the_same_header_as_a_full_one(run: Run, make_person: Callable[..., Any]) -> None:
    empty = _rows(run("persons", "list", "--format", "csv").stdout_bytes)
    make_person()
    full = _rows(run("persons", "list", "--format", "csv").stdout_bytes)
    assert len(full) == 2 and full[0] == empty[0] and "姓名" in full[0]


def test_the_rates_csv_is_the_export_csv(run: Run, client: flowpop.Client, make_person: Callable[..., Any],
                                         tmp_path: Path) -> None:
    make_person()
    out = tmp_path / "rates.csv"
    run("report", "rates", "--division", tree.COUNTY_SANYUAN, "--format", "csv", "-o", str(out))
    for raw in (out.read_bytes(), run("report", "rates", "--division", tree.COUNTY_SANYUAN, "--format", "csv").stdout_bytes):
        assert raw.startswith(BOM) and not raw[len(BOM):].startswith(BOM)
        assert raw.count(b"\r\n") == raw.count(b"\n") > 2  # CRLF, every line
        rows = _rows(raw)
        assert rows[0][:2] == ["区划代码", "区划"] and any(h.endswith("分子") for h in rows[0])
        assert rows[1][1] == "目标" and rows[-1][1] == "合计"
        assert all(r[0].startswith("\t") for r in rows[2:-1] if r[0])  # 12-digit codes kept text, as in export


def test_the_trend_csv_is_the_export_csv(run: Run, make_person: Callable[..., Any]) -> None:
    make_person()
    raw = run("report", "trend", "--format", "csv").stdout_bytes
    assert raw.startswith(BOM) and raw.count(b"\r\n") == raw.count(b"\n") > 1
    rows = _rows(raw)
    assert rows[0][:3] == ["季度", "比率代码", "比率"] and len(rows) > 1
