"""Packaging: cli/ and tui/ install as flowpop_cli/flowpop_tui, every package folder is listed,
and a build lays out no top-level `cli` or `tui` module."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = CONFIG["tool"]["setuptools"]
PACKAGE_DIR: dict[str, str] = SETUPTOOLS["package-dir"]


def folder_packages() -> set[str]:
    """Installed names of every folder with an __init__.py under the mapped folders."""
    names = set()
    for name, folder in PACKAGE_DIR.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            if "__pycache__" in init.parts:
                continue
            rel = init.parent.relative_to(ROOT / folder)
            names.add(".".join([name, *rel.parts]))
    return names


def test_folders_are_mapped_to_prefixed_names() -> None:
    assert PACKAGE_DIR == {"flowpop": "flowpop", "flowpop_cli": "cli", "flowpop_tui": "tui"}


def test_every_package_folder_is_listed() -> None:
    listed = set(SETUPTOOLS["packages"])
    found = folder_packages()
    assert found - listed == set(), "package folders missing from [tool.setuptools] packages"
    assert listed - found == set(), "listed packages without a folder"
    assert not any(p.split(".")[0] in ("cli", "tui") for p in listed)


def test_console_script_points_at_an_installed_module() -> None:
    target = CONFIG["project"]["scripts"]["flowpop"]
    module, func = target.split(":")
    assert module.split(".")[0] == "flowpop_cli"
    source = (ROOT / PACKAGE_DIR["flowpop_cli"] / (module.split(".", 1)[1].replace(".", "/") + ".py")).read_text(encoding="utf-8")
    assert re.search(rf"^def {func}\(", source, re.M)


def test_cli_and_tui_import_each_other_by_their_installed_names() -> None:
    bare = re.compile(r"^\s*(from|import)\s+(cli|tui)(\.|\s|$)", re.M)
    offenders = [str(p.relative_to(ROOT)) for folder in ("flowpop", "cli", "tui") for p in (ROOT / folder).rglob("*.py")
                 if bare.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_a_build_has_no_top_level_cli_or_tui(tmp_path: Path) -> None:
    """What a wheel holds is what build_py lays out; build a copy so the work tree stays untouched."""
    src = tmp_path / "src"
    src.mkdir()
    for item in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / item, src / item)
    for folder in set(PACKAGE_DIR.values()):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path / "lib"
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", "from setuptools import setup; setup()", "-q", "build_py",
         "--build-lib", str(out)],
        cwd=src, capture_output=True, text=True, timeout=120,
    )
    if result.returncode != 0:
        pytest.fail(result.stderr[-2000:])
    top = {p.name for p in out.iterdir()}
    assert top == {"flowpop", "flowpop_cli", "flowpop_tui"}
    for package in SETUPTOOLS["packages"]:
        assert (out / package.replace(".", "/") / "__init__.py").exists(), package
    # data the code needs at run time
    assert (out / "flowpop/registry/store/migrations/env.py").exists()
    versions = {p.name for p in (out / "flowpop/registry/store/migrations/versions").glob("*.py")}
    assert versions == {p.name for p in (ROOT / "flowpop/registry/store/migrations/versions").glob("*.py")}
    for pattern in SETUPTOOLS.get("package-data", {}).get("flowpop_tui", []):
        for f in (ROOT / "tui").glob(pattern):
            assert (out / "flowpop_tui" / f.name).exists(), f.name
