"""Rendering for every command: a table for people, JSON/JSON lines/CSV for scripts.

JSON is the API's own JSON (``model_dump(mode="json")``) so scripts see the contract, not our labels.
Tables go through tabulate, which measures Chinese characters with wcwidth, then every line is padded
to the same display width.
"""

from __future__ import annotations

import functools
import json
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from typing import IO, Any

import click
from pydantic import BaseModel
from tabulate import tabulate
from wcwidth import wcswidth, wcwidth

from flowpop.labels import CODED, label, title
from flowpop.rules.cells import CsvOut
from flowpop_cli.state import t
from flowpop_cli.views import Column

FORMATS = ("table", "json", "jsonl", "csv")


def format_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--format table|json|jsonl|csv`` and ``--json [FIELDS]`` (= ``--format json``; FIELDS: see ``selected``),
    merged into ``fmt``."""

    @functools.wraps(func)
    def wrapper(*args: Any, fmt: str, as_json: str | None, **kwargs: Any) -> Any:
        if as_json is None:
            return func(*args, fmt=fmt, **kwargs)
        chosen = SELECTED.set(tuple(name.strip() for name in as_json.split(",") if name.strip()) or None)
        try:
            return func(*args, fmt="json", **kwargs)
        finally:
            SELECTED.reset(chosen)

    # `--json` alone is --format json; `--json id,name` keeps only those fields of each record, as gh does
    wrapper = click.option("--json", "as_json", is_flag=False, flag_value="", default=None, metavar="[FIELDS]",
                           help="同 --format json；可列出字段，如 --json id,name / same as --format json; "
                                "FIELDS (id,name) keeps only those")(wrapper)
    wrapper = click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                           help="输出格式 / output format")(wrapper)
    return wrapper


def as_json(item: Any) -> Any:
    if isinstance(item, BaseModel):
        return item.model_dump(mode="json")
    if isinstance(item, dict):
        return {k: as_json(v) for k, v in item.items()}
    if isinstance(item, list | tuple):
        return [as_json(v) for v in item]
    return item


SELECTED: ContextVar[tuple[str, ...] | None] = ContextVar("SELECTED", default=None)  # --json FIELDS


def selected(item: Any) -> Any:
    """A record's JSON with only the fields --json FIELDS named (all without); an unknown name is refused with
    the record's fields listed."""
    data = as_json(item)
    fields = SELECTED.get()
    if fields is None or not isinstance(data, dict):
        return data
    unknown = [name for name in fields if name not in data]
    if unknown:
        raise click.UsageError(t(f"没有这个字段：{', '.join(unknown)}；可用字段：{', '.join(data)}",
                                 f"unknown JSON field: {', '.join(unknown)}; available fields: {', '.join(data)}"))
    return {name: data[name] for name in fields}


def dumps(item: Any, *, indent: int | None = None) -> str:
    return json.dumps(as_json(item), ensure_ascii=False, indent=indent)


def width_of(text: str) -> int:
    return max(wcswidth(text), len(text))  # wcswidth is -1 for unprintable characters


def cut(text: str, width: int, *, keep: str = "start") -> str:
    """At most ``width`` display columns, with an ellipsis where shortened.

    ``keep="end"`` keeps the tail: a place's own name is at the end of its full name."""
    if width_of(text) <= width:
        return text
    out: list[str] = []
    used = 0
    for ch in reversed(text) if keep == "end" else text:
        w = max(wcwidth(ch), 0)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "…" + "".join(reversed(out)) if keep == "end" else "".join(out) + "…"


def fit(cells: list[list[str]], headers: Sequence[str], max_width: int,
        flex: Sequence[str | None] | None = None) -> list[list[str]]:
    """Shorten the widest flexible columns until the table fits ``max_width`` (a terminal's width)."""
    n = len(headers)
    if not cells or not n:
        return cells
    floors = [max(width_of(h) + 2, 8) for h in headers]  # tabulate pads headers by 2
    widths = [max([floors[i]] + [width_of(r[i]) for r in cells]) for i in range(n)]
    if flex is not None:  # fixed columns keep their width
        floors = [f if flex[i] else widths[i] for i, f in enumerate(floors)]
    total = sum(widths) + 2 * (n - 1)
    while total > max_width:
        i = max(range(n), key=lambda j: widths[j] - floors[j])
        if widths[i] <= floors[i]:
            break
        widths[i] -= 1
        total -= 1
    keep = [(flex[i] if flex else None) or "start" for i in range(n)]
    return [[cut(c, widths[i], keep=keep[i]) for i, c in enumerate(r)] for r in cells]


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str] = (), *, max_width: int | None = None,
          flex: Sequence[str | None] | None = None) -> str:
    """Columns aligned by display width (a Chinese character takes two columns)."""
    cells = [["".join(ch if ch >= " " else " " for ch in str(c)) for c in r] for r in rows]
    if max_width:
        cells = fit(cells, headers, max_width, flex)
    text = tabulate(cells, headers=list(headers), tablefmt="simple", disable_numparse=True)
    lines = text.splitlines()
    width = max((width_of(line) for line in lines), default=0)
    return "\n".join(line + " " * (width - width_of(line)) for line in lines)


def card(pairs: Sequence[tuple[str, str]]) -> str:
    """One record as label/value lines."""
    return tabulate([[k, v] for k, v in pairs], tablefmt="plain", disable_numparse=True)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def render(items: Iterable[Any], fmt: str, columns: Sequence[Column] | None = None, *,
           file: IO[str] | None = None, model: type[BaseModel] | None = None) -> int:
    """Write a list of models or dicts; returns how many were written. Streams except for tables. ``model``:
    the items' type, whose fields head a CSV of no rows too (else an empty list is an empty file)."""
    out = file or sys.stdout
    count = 0
    flex: list[str | None] | None = None
    if fmt == "table":
        rows = list(items)
        count = len(rows)
        if columns is None:
            dicts = [as_json(r) for r in rows]
            headers = list(dicts[0]) if dicts else []
            cells = [[_csv_cell(d.get(h)) for h in headers] for d in dicts]
        else:
            headers = [c.header for c in columns]
            cells = [[c.get(r) for c in columns] for r in rows]
            flex = [c.flex for c in columns]
        if rows:
            max_width = shutil.get_terminal_size().columns if out.isatty() else None
            out.write(table(cells, headers, max_width=max_width, flex=flex) + "\n")
        else:
            click.echo(t("（没有记录）", "(no records)"), err=True)
    elif fmt == "json":
        for item in items:  # "[" once the first record is ready: a refused --json field prints nothing
            text = dumps(selected(item))
            out.write(("[\n" if count == 0 else ",\n") + text)
            count += 1
        out.write("\n]\n" if count else "[]\n")
    elif fmt == "jsonl":
        for item in items:
            out.write(dumps(selected(item)) + "\n")
            count += 1
    elif fmt == "csv":
        # the CSV every flowpop file is (flowpop.rules.cells.CsvOut: BOM, number codes kept text), for Excel:
        # the API's fields, titled and with codes labelled in the user's language, as an export is
        writer: CsvOut | None = None
        keys: list[str] = []
        for item in items:
            data = as_json(item)
            if writer is None:
                writer = CsvOut(out)
                keys = list(data)
                writer.row([title(k) for k in keys])
            writer.row([label(CODED[k], v) if k in CODED and isinstance(v, str) else _csv_cell(v)
                        for k, v in ((k, data.get(k)) for k in keys)])
            count += 1
        if writer is None and model is not None:
            CsvOut(out).row([title(k) for k in (*model.model_fields, *model.model_computed_fields)])
    else:
        raise click.BadParameter(fmt, param_hint="--format")
    out.flush()
    return count


def render_one(item: Any, fmt: str, pairs: Callable[[], Sequence[tuple[str, str]]], *,
               file: IO[str] | None = None) -> None:
    """Write one record: a card for people, the API's JSON object for scripts."""
    out = file or sys.stdout
    if fmt == "table":
        out.write(card(pairs()) + "\n")
    elif fmt == "json":
        out.write(dumps(selected(item), indent=2) + "\n")
    else:
        render([item], fmt, file=out)
    out.flush()
