"""`flowpop import`: progress in rows on stderr for work over a second (issues #16 item 3), and identity
conflicts reported in the errors file unless --accept-identity-changes (#14 item 6)."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

import pytest

import flowpop
from flowpop.registry.files import imports
from flowpop_cli import cmd_files
from flowpop_cli.progress import Progress
from tests import tree
from tests.cli.runner import Run
from tests.conftest import new_id_number

HEADER = ["姓名", "身份证号", "户籍地", "现居住地", "流入日期", "流动原因"]


def _file(path: Path, rows: list[list[str]]) -> Path:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(HEADER)
    w.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_a_long_import_shows_its_progress_in_rows(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "CHUNK", 100)
    real = imports._Writer._write_chunk
    looked: list[int] = []

    def slow_chunk(self: Any, rows: list[Any]) -> None:  # a slow store: the import takes a few seconds
        real(self, rows)
        looked.append(self.result.total)
        time.sleep(0.4)

    monkeypatch.setattr(imports._Writer, "_write_chunk", slow_chunk)
    shown: list[tuple[str, int, int | None]] = []
    update = Progress.update

    def seen(self: Progress, stage: str, done: int, total: int | None = None) -> None:  # what the bar is told
        shown.append((stage, done, total))
        update(self, stage, done, total)

    monkeypatch.setattr(Progress, "update", seen)
    source = _file(tmp_path / "big.csv", [[f"进度{i}", new_id_number(), "360102", tree.VILLAGE_A1, "2021-05-01", "务工"]
                                          for i in range(450)])
    done = run("import", str(source), "--skip-bad")
    assert len(looked) == 5
    assert "写入（行）: 450/450" in done.stderr
    # the bar moved while the import ran: the registry's count of rows, polled over HTTP
    assert any(stage == "写入（行）" and 0 < n < 450 and total == 450 for stage, n, total in shown), shown
    assert "450" in done.stdout


def test_a_quick_import_shows_no_progress(run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # "quick" made generous: on a loaded host one row can take over the default second to write
    monkeypatch.setattr(cmd_files, "QUIET", 60.0)
    source = _file(tmp_path / "small.csv", [["快", new_id_number(), "360102", tree.VILLAGE_A1, "2021-05-01", "务工"]])
    done = run("import", str(source))
    assert "（行）" not in done.stderr


def test_a_rename_is_a_conflict_in_the_errors_file_unless_accepted(run: Run, client: flowpop.Client,
                                                                   make_person: Any, tmp_path: Path) -> None:
    p = make_person(name="王秀英")
    number = client.persons.get(p.id, reveal=True).id_number
    source = _file(tmp_path / "old.csv", [["李四", number, "360102", tree.VILLAGE_A1, "2026-03-01", "务工"]])
    refused = run("import", str(source), code=4)
    assert "王秀英" in refused.stderr
    errors = (tmp_path / "old.csv.errors.csv").read_text(encoding="utf-8-sig")
    assert "2" in errors and "李四" in errors and "--accept-identity-changes" in errors
    assert client.persons.get(p.id).name == "王秀英"

    run("import", str(source), "--accept-identity-changes")
    assert client.persons.get(p.id).name == "李四"
