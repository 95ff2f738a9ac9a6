"""Reading administrative division lists (行政区划) from files.

Two sources:
* the national county-level list with history that python-stdnum ships
  (``stdnum/cn/loc.dat``, from the Wikipedia code tables), retired codes included;
* a CSV of our own: ``code,name,level,parent_code,valid_from,valid_to,successor_code,is_demo``.

Codes are stored as 12-digit statistical codes (grids add 3 more digits); a
county-level code 350404 becomes 350404000000.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

LEVELS = ("province", "city", "county", "township", "village", "grid")
PREFIX_LEN = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12, "grid": 15}


@dataclass(frozen=True)
class DivisionRow:
    code: str
    name: str
    level: str
    parent_code: str | None
    valid_from: int | None = None
    valid_to: int | None = None
    successor_code: str | None = None
    is_demo: bool = False


def pad12(code: str) -> str:
    return code if len(code) >= 12 else code.ljust(12, "0")


def level_of(code: str) -> str:
    """Level of a full code from its trailing zeros."""
    if len(code) > 12:
        return "grid"
    if code[2:] == "0" * 10:
        return "province"
    if code[4:] == "0" * 8:
        return "city"
    if code[6:] == "0" * 6:
        return "county"
    if code[9:] == "000":
        return "township"
    return "village"


def prefix_of(code: str, level: str | None = None) -> str:
    """The prefix every code in this division's subtree starts with."""
    return code[: PREFIX_LEN[level or level_of(code)]]


def parent_of(code: str, level: str) -> str | None:
    if level == "province":
        return None
    if level == "grid":
        return code[:12]
    order = LEVELS.index(level)
    return pad12(code[: PREFIX_LEN[LEVELS[order - 1]]])


_ENTRY = re.compile(r'^(\s*)(\d+)\s+(\w+)="(.*)"$')
_SPAN = re.compile(r"^\[(\d*)-(\d*)\](.*)$")


def _stdnum_path() -> Path:
    import stdnum

    return Path(stdnum.__file__).parent / "cn" / "loc.dat"


_NATIONAL: list[DivisionRow] | None = None


def national_counties(path: Path | None = None) -> list[DivisionRow]:
    """Provinces, cities and counties of the national list, each code once.

    A code that was used for several names over time keeps its latest name;
    ``valid_to`` is set when the code is no longer in use.
    """
    global _NATIONAL
    if _NATIONAL is not None and path is None:
        return _NATIONAL
    text = (path or _stdnum_path()).read_text(encoding="utf-8")
    rows: list[DivisionRow] = []
    province = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = _ENTRY.match(line)
        if not m:
            continue
        indent, digits, _key, value = m.groups()
        if not indent:
            province = digits
            rows.append(DivisionRow(pad12(province), value, "province", None))
            continue
        code6 = province + digits
        # "[1983-1994]郊区,[1995-]晋安区": keep the last name and its span
        name, start, end = value, None, None
        for part in value.split(","):
            span = _SPAN.match(part)
            if span:
                start = int(span.group(1)) if span.group(1) else None
                end = int(span.group(2)) if span.group(2) else None
                name = span.group(3)
            else:
                start, end, name = None, None, part
        if digits.endswith("0000"):
            continue  # the province itself again
        level = "city" if digits.endswith("00") else "county"
        code = pad12(code6)
        rows.append(DivisionRow(code, name, level, parent_of(code, level), start, end))
    if path is None:
        _NATIONAL = rows
    return rows


def read_csv(data: bytes | str) -> Iterator[DivisionRow]:
    text = data if isinstance(data, str) else _decode(data)
    for rec in csv.DictReader(io.StringIO(text)):
        code = pad12(rec["code"].strip())
        level = (rec.get("level") or "").strip() or level_of(code)
        parent = (rec.get("parent_code") or "").strip() or parent_of(code, level)
        yield DivisionRow(
            code=code,
            name=rec["name"].strip(),
            level=level,
            parent_code=pad12(parent) if parent else None,
            valid_from=int(rec["valid_from"]) if rec.get("valid_from") else None,
            valid_to=int(rec["valid_to"]) if rec.get("valid_to") else None,
            successor_code=pad12(rec["successor_code"].strip()) if rec.get("successor_code") else None,
            is_demo=(rec.get("is_demo") or "").strip().lower() in ("1", "true", "yes"),
        )


def write_csv(rows: Iterable[DivisionRow]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["code", "name", "level", "parent_code", "valid_from", "valid_to", "successor_code", "is_demo"])
    for r in rows:
        w.writerow([r.code, r.name, r.level, r.parent_code or "", r.valid_from or "", r.valid_to or "",
                    r.successor_code or "", "1" if r.is_demo else ""])
    return out.getvalue()


def _decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ValueError("division file is neither UTF-8 nor GB18030")
