"""`flowpop bulk preview --filter` with a misspelt filter: a usage error naming it, before anything is planned."""

from __future__ import annotations

import flowpop
from tests import tree
from tests.cli.runner import Run


def test_a_misspelt_bulk_filter_is_a_usage_error_naming_it(run: Run, client: flowpop.Client) -> None:
    shown = run("bulk", "preview", "set", "--filter", f"divsion={tree.TOWNSHIP_A}", "--set", "note=核对",
                "--reason", "核对", code=2)
    assert "没有这个条件：divsion" in shown.stderr and "--filter" in shown.stderr
    shown = run("--lang", "en", "bulk", "preview", "set", "--filter", f"divsion={tree.TOWNSHIP_A}", "--set", "note=x",
                "--reason", "x", code=2)
    assert "no such filter: divsion" in shown.stderr
    assert client.changesets.list() == []
