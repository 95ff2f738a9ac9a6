"""docs/rules.md cannot rot: every row's seed quote is in the seed it names (whitespace ignored), every
setting it names is a setting, every code symbol imports, every test it cites exists — and each row says
how flowpop follows the seed (exact / configured / deliberately different)."""

from __future__ import annotations

import ast
import importlib
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

from flowpop.registry.kernel import settings

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "rules.md"
SEEDS = (
    ROOT / "docs" / "seeds"
)  # the seeds as given (../shared/seeds), kept beside the table that quotes them
SHARED = ROOT.parent / "shared" / "seeds"
STATUSES = {"exact", "configured", "deliberately different"}
COLUMNS = ["#", "rule", "seed's words", "setting", "code", "test", "status"]
SEED_FILE = re.compile(r"\d{3}_[0-9a-f]{16}\.txt")
TOKEN = re.compile(rf"({SEED_FILE.pattern})|「([^」]*)」")
TICKED = re.compile(r"`([^`]+)`")
WHITESPACE = re.compile(r"\s+")


@dataclass
class Row:
    number: str
    rule: str
    quotes: list[tuple[str, str]] = field(default_factory=list)  # (seed file, quote)
    settings: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    status: str = ""
    line: int = 0

    def __str__(self) -> str:
        return f"docs/rules.md:{self.line} row {self.number} ({self.rule[:40]})"


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def rows() -> list[Row]:
    out: list[Row] = []
    header: list[str] | None = None
    for n, line in enumerate(DOC.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.startswith("|"):
            header = None
            continue
        cells = _cells(line)
        if header is None:
            header = [c.lower() for c in cells]
            continue
        if header != COLUMNS or set(line) <= set("|-: "):
            continue
        number, rule, seed, setting, code, test, status = cells
        row = Row(number=number, rule=rule, status=status, line=n)
        current: str | None = None
        for file, quote in TOKEN.findall(seed):
            if file:
                current = file
            else:
                assert current, f"{row}: a quote with no seed file before it"
                row.quotes.append((current, quote))
        row.settings = TICKED.findall(setting)
        row.code = TICKED.findall(code)
        row.tests = TICKED.findall(test)
        out.append(row)
    return out


ROWS = rows()


def _ids(items: list[Row]) -> list[str]:
    return [f"{r.number}" for r in items]


@cache
def seed_text(name: str) -> str:
    return WHITESPACE.sub("", (SEEDS / name).read_text(encoding="utf-8"))


@cache
def defined_tests(path: str) -> frozenset[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return frozenset(
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    )


def test_the_table_is_there_and_numbered_once() -> None:
    assert len(ROWS) >= 40
    numbers = [r.number for r in ROWS]
    assert len(set(numbers)) == len(numbers), "row numbers repeat"


def test_the_seeds_beside_the_table_are_the_seeds_given() -> None:
    assert sorted(p.name for p in SEEDS.glob("*.txt")) == sorted(
        p.name for p in SEEDS.glob("*.txt") if SEED_FILE.fullmatch(p.name)
    )
    if SHARED.is_dir():  # where the originals are at hand, the copies are identical
        for original in SHARED.glob("*.txt"):
            assert (SEEDS / original.name).read_bytes() == original.read_bytes(), original.name


@pytest.mark.parametrize("row", ROWS, ids=_ids(ROWS))
def test_each_row_says_how_it_follows_the_seed(row: Row) -> None:
    assert row.status in STATUSES, f"{row}: status {row.status!r}"
    if row.status == "exact":
        assert row.quotes, f"{row}: 'exact' needs the seed's words"
    assert row.tests, f"{row}: no test cited"


@pytest.mark.parametrize("row", [r for r in ROWS if r.quotes], ids=_ids([r for r in ROWS if r.quotes]))
def test_each_quote_is_in_its_seed(row: Row) -> None:
    for file, quote in row.quotes:
        assert (SEEDS / file).is_file(), f"{row}: no seed {file}"
        text = seed_text(file)
        # "……" in a quote leaves out words: each part in the seed, in order
        at = 0
        for part in (WHITESPACE.sub("", p) for p in quote.split("……")):
            found = text.find(part, at)
            assert part and found >= 0, f"{row}: {file} does not say 「{part}」"
            at = found + len(part)


@pytest.mark.parametrize("row", [r for r in ROWS if r.settings], ids=_ids([r for r in ROWS if r.settings]))
def test_each_setting_is_a_setting(row: Row) -> None:
    for name in row.settings:
        section, _, key = name.partition(".")
        key = key.split("=")[0].strip()
        assert section in settings.DEFAULTS and key in settings.DEFAULTS[section], f"{row}: no setting {name}"


@pytest.mark.parametrize("row", ROWS, ids=_ids(ROWS))
def test_each_code_symbol_imports(row: Row) -> None:
    assert row.code, f"{row}: no code cited"
    for symbol in row.code:
        module, _, attr = symbol.partition(":")
        found: object = importlib.import_module(module)
        for part in filter(None, attr.split(".")):
            assert hasattr(found, part), f"{row}: {symbol} has no {part}"
            found = getattr(found, part)


@pytest.mark.parametrize("row", ROWS, ids=_ids(ROWS))
def test_each_cited_test_exists(row: Row) -> None:
    for node in row.tests:
        path, _, name = node.partition("::")
        name = name.split("[")[0]
        assert path.startswith("tests/") and (ROOT / path).is_file(), f"{row}: no file {path}"
        assert name in defined_tests(path), f"{row}: {path} has no {name}"
