"""The registry's shape: packages depend on each other in one direction only, no module imports
another inside a function (the way a cycle is dodged), and no two modules import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REGISTRY = Path(__file__).resolve().parents[2] / "flowpop" / "registry"
# Lower layers first: a package may import only from packages before it (and from its own).
LAYERS = ["store", "kernel", "messaging", "places", "people", "inbox", "county", "bulk", "files", "api"]


def modules() -> dict[str, ast.Module]:
    found = {}
    for path in REGISTRY.rglob("*.py"):
        rel = path.relative_to(REGISTRY)
        if "migrations" in rel.parts:
            continue
        name = ".".join(("flowpop", "registry", *rel.with_suffix("").parts)).removesuffix(".__init__")
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
    return found


def imported(tree: ast.AST, package: str) -> set[str]:
    """Registry modules named by the import statements of ``tree`` (``from pkg import mod`` counts as pkg.mod)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("flowpop.registry"):
            for alias in node.names:
                names.add(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in package else node.module)
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("flowpop.registry")}
    return names


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = "\n".join(mods)
    return {name: {m for m in imported(tree, known) if m in mods and m != name} for name, tree in mods.items()}


def package_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 3 or (len(parts) == 3 and parts[2] in LAYERS) else None


def test_every_registry_package_has_a_layer() -> None:
    packages = {p.name for p in REGISTRY.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(LAYERS)
    assert not [p.name for p in REGISTRY.glob("*.py") if p.name != "__init__.py"], "modules belong in a package"


def test_packages_depend_downwards_only() -> None:
    wrong = []
    for module, targets in graph().items():
        source = package_of(module)
        for target in targets:
            dest = package_of(target)
            if source and dest and LAYERS.index(dest) > LAYERS.index(source):
                wrong.append(f"{module} → {target}")
    assert wrong == []


def test_no_import_cycle_among_modules() -> None:
    edges = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt):], nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


@pytest.mark.parametrize("root", [REGISTRY, REGISTRY.parent / "demo"], ids=["registry", "demo"])
def test_no_function_local_imports(root: Path) -> None:
    """The SDK's embedded mode and the CLI may import the registry late (to start fast without it);
    inside the registry, and in the demo generator nothing imports back, a late import of flowpop
    could only be hiding a cycle or be a leftover."""
    local = []
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(fn):
                    if (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("flowpop")
                            or isinstance(node, ast.Import) and any(a.name.startswith("flowpop") for a in node.names)):
                        local.append(f"{path.relative_to(root)}:{node.lineno} {ast.unparse(node)}")
    assert local == []
