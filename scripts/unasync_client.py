"""Writes the sync client (flowpop/_sync/) from the async one (flowpop/_async/), so the two cannot drift.

unasync (the tool httpcore and elasticsearch-py use for the same job) drops ``async``/``await`` and makes
``AsyncX`` names ``X``; the names it cannot know are listed below. ``--check`` writes nothing and fails when
the committed files differ from what would be generated (tests/sdk/test_typed.py runs it).

    python scripts/unasync_client.py          # regenerate after editing flowpop/_async/
    python scripts/unasync_client.py --check  # exit 1 when flowpop/_sync/ is stale
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

import unasync  # type: ignore[import-untyped]  # unasync ships no type information

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "flowpop" / "_async"
TARGET = ROOT / "flowpop" / "_sync"
HEADER = "# Generated from flowpop/_async/{name} by scripts/unasync_client.py: do not edit; edit the source and rerun.\n"
FIXED = {
    "AsyncPager": "SyncPager",  # flowpop.pagination's names
    "aclose": "close",
    "aread": "read",
    "aiter_bytes": "iter_bytes",
    "_async": "_sync",
}


def replacements(text: str) -> dict[str, str]:
    """Every ``AsyncX`` name used becomes ``X`` (httpx.AsyncClient → httpx.Client, AsyncPersons → Persons);
    unasync's own default would make it ``SyncX``."""
    names = set(re.findall(r"\bAsync[A-Z]\w*", text))
    return {**{name: name.removeprefix("Async") for name in names}, **FIXED}


def generate() -> dict[str, str]:
    """The generated files' text by file name, made in a scratch copy of the source."""
    sources = sorted(SOURCE.glob("*.py"))
    rule = unasync.Rule("/_async/", "/_sync/",
                        additional_replacements=replacements("".join(p.read_text("utf-8") for p in sources)))
    with tempfile.TemporaryDirectory() as scratch:
        copied = Path(scratch) / "_async"
        shutil.copytree(SOURCE, copied)
        unasync.unasync_files([str(copied / p.name) for p in sources], [rule])
        made = Path(scratch) / "_sync"
        return {p.name: HEADER.format(name=p.name) + (made / p.name).read_text("utf-8") for p in sources}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when flowpop/_sync is stale")
    args = parser.parse_args(argv)
    wanted = generate()
    stale = sorted(name for name, text in wanted.items()
                   if not (TARGET / name).exists() or (TARGET / name).read_text("utf-8") != text)
    extra = sorted(p.name for p in TARGET.glob("*.py") if p.name not in wanted) if TARGET.exists() else []
    if args.check:
        for name in stale + extra:
            print(f"flowpop/_sync/{name} is stale: run python scripts/unasync_client.py", file=sys.stderr)
        return 1 if stale or extra else 0
    TARGET.mkdir(exist_ok=True)
    for name in stale:
        (TARGET / name).write_text(wanted[name], "utf-8")
    for name in extra:
        (TARGET / name).unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
