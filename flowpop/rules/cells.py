"""Cells of the files people open in Excel or WPS (CSV, XLSX): text is kept as text, never run as a formula.

A spreadsheet takes text that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (a leading tab or line
break can hide one), so a name such as ``=HYPERLINK("http://evil.example/","点我")`` would become a live link.
In CSV such text gets a leading apostrophe, as one types it in Excel to keep it text; in XLSX it is written as a string
cell marked quote-prefixed, so the value stays exact and editing it in Excel keeps it text. Numbers,
dates and empty cells pass as they are: a negative amount in a numeric column stays a number.

A CSV has no cell types, and Excel or WPS opening one by double-click makes a number of every string of digits:
an ID number or a 12-digit division code becomes ``3.60602E+17`` (15 significant digits, the rest lost on save),
a phone number loses its leading 0. So in CSV such a string (all digits, 12 or more of them, or starting with 0)
gets a leading tab: the cell is no longer a number to either program, it stays text, every digit shown;
flowpop's importer (and any reader that trims cells) reads the digits back. Every CSV flowpop writes goes
through ``CsvOut``: UTF-8 with a BOM (so Excel picks the encoding), CRLF line ends, these cells.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

# the full-width signs too, a precaution: a Chinese input method types them, and it costs only an apostrophe
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


# what ends a cell or a line in tab-separated text: a tab, and every line break str.splitlines knows
SEPARATORS = re.compile("[\t\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


# what keeps a string of digits text in a CSV opened by Excel or WPS (see above)
TEXT_MARK = "\t"
BOM = "\ufeff"
LONG_DIGITS = 12  # Excel shows 12 digits or more in E notation and keeps only 15


def starts_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def is_number_code(value: object) -> bool:
    """Digits a spreadsheet would turn into a number and mangle: 12 or more of them, or a leading 0."""
    return (isinstance(value, str) and value.isascii() and value.isdigit()
            and (len(value) >= LONG_DIGITS or (len(value) > 1 and value[0] == "0")))


def csv_cell(value: Any) -> Any:
    """One CSV cell: None is empty, text that would start a formula gets a leading apostrophe, a number code
    (ID number, division code, phone number with its 0) a leading tab."""
    if value is None:
        return ""
    if isinstance(value, str):
        if value.startswith(FORMULA_START):
            return "'" + value
        if is_number_code(value):
            return TEXT_MARK + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


class CsvOut:
    """The one CSV writer: a BOM first (UTF-8 only: Excel then reads it as UTF-8), CRLF, every cell by csv_cell."""

    def __init__(self, out: IO[str], *, bom: bool = True) -> None:
        if bom:
            out.write(BOM)
        self._writer = csv.writer(out, lineterminator="\r\n")

    def row(self, values: Iterable[Any]) -> None:
        self._writer.writerow(csv_row(values))


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
