"""Cells of the files people open in Excel or WPS (CSV, XLSX): text is kept as text, never run as a formula.

A spreadsheet takes text that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (a leading tab or line
break can hide one), so a name such as ``=HYPERLINK("http://evil.example/","点我")`` would become a live link.
In CSV such text gets a leading apostrophe, as one types it in Excel to keep it text; in XLSX it is written as a string
cell marked quote-prefixed, so the value stays exact and editing it in Excel keeps it text. Numbers,
dates and empty cells pass as they are: a negative amount in a numeric column stays a number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# the full-width signs too, a precaution: a Chinese input method types them, and it costs only an apostrophe
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


# what ends a cell or a line in tab-separated text: a tab, and every line break str.splitlines knows
SEPARATORS = re.compile("[\t\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def starts_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_cell(value: Any) -> Any:
    """One CSV cell: None is empty, text that would start a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if starts_formula(value):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    # csv_cell inlined: an export writes millions of cells
    return ["" if v is None else "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v for v in values]


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """A row for ``sheet.append`` (openpyxl, write-only or not) where no text is a formula or an error value:
    openpyxl makes a formula of any text that starts with ``=``, and an error cell of ``#N/A``."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

    out: list[Any] = []
    for value in values:
        if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
            # control characters a name or title may hold (inputs accept them) that XLSX cannot: openpyxl
            # would raise mid-file, a 500 or a download cut short for everyone; each shows as U+FFFD
            value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        if isinstance(value, str) and (starts_formula(value) or value in ERROR_CODES):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            cell.quotePrefix = starts_formula(value)
            out.append(cell)
        else:
            out.append(value)  # other text is a string cell already; numbers and dates stay what they are
    return out


def text_cell(value: Any) -> str:
    """One cell of tab-separated text (a checklist pasted or opened in a spreadsheet): tabs and line breaks
    inside it become spaces, so no value adds a column or a row, and text that would start a formula (after
    leading spaces too) gets a leading apostrophe, as in CSV."""
    text = "" if value is None else SEPARATORS.sub(" ", str(value))
    return "'" + text if text.lstrip(" ").startswith(FORMULA_START) else text


def text_row(values: Iterable[Any]) -> str:
    return "\t".join(text_cell(v) for v in values)
