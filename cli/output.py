"""Rendering for every command: a table for people, JSON/JSON lines/CSV for scripts.

JSON is the API's own JSON (``model_dump(mode="json")``) so scripts see the contract, not our labels.
Tables measure Chinese characters (two columns each; wcwidth beyond ASCII and CJK) and fit the terminal's width: shortened
place names keep their end, other cells wrap (``table``, ``fit_widths``).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from typing import IO, Any

import click
from pydantic import BaseModel

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


# Printable ASCII (one column), CJK unified ideographs and the fullwidth forms (two): what tables mostly hold, each
# as wcwidth measures it (tests/cli/test_table_width.py), told without importing it (~15 ms a process, issue #16)
_NARROW_OR_WIDE = re.compile(r"[\x20-\x7e\u4e00-\u9fff\uff01-\uff60]*")
_WIDE = re.compile(r"[\u4e00-\u9fff\uff01-\uff60]")


def width_of(text: str) -> int:
    if _NARROW_OR_WIDE.fullmatch(text):
        return len(text) + len(_WIDE.findall(text))
    from wcwidth import wcswidth

    return max(wcswidth(text), len(text))  # wcswidth is -1 for unprintable characters


def terminal_width(out: IO[str]) -> int | None:
    """The width a table is fitted to: ``COLUMNS`` when set (as ls, tput and Click read it), else the terminal's
    when writing to one; none for a pipe or a file, which get every cell whole."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return shutil.get_terminal_size().columns if out.isatty() else None
    except (AttributeError, ValueError):  # a closed or unusual stream
        return None


def _char_width(ch: str) -> int:
    if _NARROW_OR_WIDE.fullmatch(ch):
        return 2 if _WIDE.match(ch) else 1
    from wcwidth import wcwidth

    return max(wcwidth(ch), 0)


def cut(text: str, width: int, *, keep: str = "start") -> str:
    """At most ``width`` display columns, with an ellipsis where shortened.

    ``keep="end"`` keeps the tail: a place's own name is at the end of its full name."""
    if width_of(text) <= width:
        return text
    out: list[str] = []
    used = 0
    for ch in reversed(text) if keep == "end" else text:
        w = _char_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "…" + "".join(reversed(out)) if keep == "end" else "".join(out) + "…"


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` display columns: broken at spaces where there are some (English), else between
    characters (Chinese has no spaces; a wide character is never split)."""
    if width_of(text) <= width or width < 2:
        return [text]
    lines: list[str] = []
    line, used = "", 0
    for word in re.findall(r"\S+\s*|\s+", text):
        w = width_of(word.rstrip())
        if line and used + w > width:  # the word starts the next line
            lines.append(line.rstrip())
            line, used = "", 0
        if used + w <= width:
            line, used = line + word, used + width_of(word)
            continue
        for ch in word.rstrip():  # a word wider than the line: broken between characters
            cw = _char_width(ch)
            if used + cw > width:
                lines.append(line)
                line, used = "", 0
            line, used = line + ch, used + cw
        line, used = line + " ", used + 1
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def fitted(text: str, width: int | None) -> list[str]:
    """A paragraph's lines, wrapped to ``width`` when there is one."""
    return wrap(text, width) if width else [text]


FLEX_FLOOR = 15  # a shortened place keeps its last 7 characters: …三元区城关街道
GAP = 2
INDENT = 2  # a row's continuation lines


def _span(widths: Sequence[int]) -> int:
    return sum(widths) + GAP * (len(widths) - 1)


def shorten_widths(widths: list[int], flexible: Sequence[bool], max_width: int) -> list[int]:
    """The shortenable columns narrowed, the widest first (evenly), each down to FLEX_FLOOR, until the row fits."""
    widths = list(widths)
    while _span(widths) > max_width:
        i = max(range(len(widths)), key=lambda j: widths[j] - FLEX_FLOOR if flexible[j] else -1)
        if not flexible[i] or widths[i] <= FLEX_FLOOR:
            break
        widths[i] -= 1  # one column at a time: the widest give way evenly
    return widths


def fit_widths(columns: list[list[str]], flexible: Sequence[bool], max_width: int) -> list[int]:
    """Widths for columns (each a list of its cells, header first) that must share one line of ``max_width``:
    the shortenable ones give way first (:func:`shorten_widths`); then a column is narrowed where that adds the
    fewest wrapped lines (a header such as 出生年份 breaks before an ID number does), down to 4 columns (two Chinese
    characters); last, the shortenable ones go below their floor."""
    natural = [max(width_of(c) for c in col) for col in columns]
    widths = shorten_widths(natural, flexible, max_width)
    lines: dict[tuple[int, int], int] = {}

    def lines_at(i: int, w: int) -> int:
        if (i, w) not in lines:
            lines[(i, w)] = sum(len(wrap(c, w)) for c in columns[i])
        return lines[(i, w)]

    n = len(columns)
    while _span(widths) > max_width:
        candidates = [i for i in range(n) if not flexible[i] and widths[i] > min(4, natural[i])]
        if not candidates:
            break
        i = min(candidates, key=lambda j: (lines_at(j, widths[j] - 1) - lines_at(j, widths[j]), -widths[j]))
        widths[i] -= 1
    while _span(widths) > max_width:
        i = max(range(n), key=lambda j: widths[j] if flexible[j] else -1)
        if not flexible[i] or widths[i] <= 4:
            break
        widths[i] -= 1
    return widths


def layout(columns: list[list[str]], flexible: Sequence[bool], max_width: int | None) -> list[tuple[list[int], list[int]]]:
    """Which columns go on which line of a row, and their widths: all on one line when they fit, shortened places
    included; else each row continues on further lines (indented), as many columns on each as fit (a place
    shortened no further than FLEX_FLOOR); a column too wide for a line alone is shortened or wrapped there."""
    natural = [max(width_of(c) for c in col) for col in columns]
    everything = list(range(len(columns)))
    if not max_width or _span(natural) <= max_width:
        return [(everything, natural)]
    shortened = shorten_widths(natural, flexible, max_width)
    if _span(shortened) <= max_width:
        return [(everything, shortened)]
    # a shortenable column counts as its floor when deciding whether it still goes on a line
    least = [min(natural[i], FLEX_FLOOR) if flexible[i] else natural[i] for i in everything]
    groups: list[list[int]] = [[]]
    for i in everything:
        room = max_width - (INDENT if len(groups) > 1 else 0)
        if groups[-1] and _span([least[j] for j in groups[-1]] + [least[i]]) > room:
            groups.append([])
        groups[-1].append(i)
    out = []
    for k, group in enumerate(groups):
        room = max_width - (INDENT if k else 0)
        out.append((group, fit_widths([columns[i] for i in group], [flexible[i] for i in group], room)))
    return out


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str] = (), *, max_width: int | None = None,
          flex: Sequence[str | None] | None = None) -> str:
    """Columns aligned by display width (a Chinese character takes two columns), every line padded to the same
    width. With ``max_width`` (a terminal's) no line is wider: see :func:`layout`; ``flex`` columns ("start" or
    "end": the part kept) are the ones that may be shortened with an ellipsis, others wrap."""
    cells = [["".join(ch if ch >= " " else " " for ch in str(c)) for c in r] for r in rows]
    n = len(headers) or (len(cells[0]) if cells else 0)
    if not n:
        return ""
    keep = [(flex[i] if flex else None) for i in range(n)]
    columns = [[*([headers[i]] if headers else []), *(r[i] for r in cells)] for i in range(n)]
    lines_of_row = layout(columns, [bool(k) for k in keep], max_width)

    def lines_of(row: Sequence[str], heading: bool = False) -> list[str]:
        out: list[str] = []
        for k, (group, widths) in enumerate(lines_of_row):
            parts = [[cut(row[i], w, keep=keep[i] or "start")] if keep[i] and not heading else wrap(row[i], w)
                     for i, w in zip(group, widths, strict=True)]
            for h in range(max(len(p) for p in parts)):
                out.append(" " * (INDENT if k else 0) + (" " * GAP).join(
                    (p[h] if h < len(p) else "") + " " * (w - width_of(p[h] if h < len(p) else ""))
                    for p, w in zip(parts, widths, strict=True)))
        return out

    text: list[str] = []
    if headers:
        text += lines_of(list(headers), heading=True)
        text.append((" " * GAP).join("-" * w for w in lines_of_row[0][1]))
    for r in cells:
        text += lines_of(r)
    width = max(width_of(line) for line in text)
    return "\n".join(line + " " * (width - width_of(line)) for line in text)


def card(pairs: Sequence[tuple[str, str]], *, max_width: int | None = None) -> str:
    """One record as label/value lines; on a terminal, long values wrap under themselves."""
    width = max_width if max_width is not None else terminal_width(sys.stdout)
    return "\n".join(line.rstrip() for line in table([[k, v] for k, v in pairs], max_width=width).splitlines())


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
            out.write(table(cells, headers, max_width=terminal_width(out), flex=flex) + "\n")
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
