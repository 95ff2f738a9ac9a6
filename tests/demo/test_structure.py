"""The demo generator, moved out of the registry, keeps its rule: no module imports flowpop inside a function
(nothing imports the demo back, so a late import there could only be a leftover or a hidden cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "flowpop" / "demo"


def test_no_function_local_imports_in_the_demo() -> None:
    local = []
    for path in DEMO.rglob("*.py"):
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(fn):
                    if (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("flowpop")
                            or isinstance(node, ast.Import) and any(a.name.startswith("flowpop") for a in node.names)):
                        local.append(f"{path.relative_to(DEMO)}:{node.lineno} {ast.unparse(node)}")
    assert local == []
