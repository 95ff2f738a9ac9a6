"""Exports of persons: CSV (UTF-8 with BOM for Excel, or GB18030), XLSX and JSON Lines.
ID numbers are masked, birth dates and ages left out (the birth year instead) unless the caller may reveal and
asks to; every export is logged.

Both spreadsheet formats keep what Excel and WPS would otherwise mangle: in CSV, ID numbers, division codes and
phone numbers are marked as text (flowpop.rules.cells); in XLSX they are string cells, dates are date cells
(yyyy-mm-dd), the header row is bold and frozen, a filter is set and the columns are as wide as their content."""

from __future__ import annotations

import datetime as dt
import io
import json
import unicodedata
from collections.abc import Iterator
from itertools import chain, islice
from typing import Any

from sqlalchemy import and_, func, select

from flowpop.labels import CODED, label, title
from flowpop.registry.kernel import history
from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.kernel.validation import age_on
from flowpop.registry.people.search import person_conditions
from flowpop.registry.store import tables as t
from flowpop.rules import cells
from flowpop.rules.idnumber import mask
from flowpop.types import PersonFilters

# the file's columns; their headers are the vocabulary's field titles (flowpop.labels.FIELDS), in Chinese
FIELD_ORDER = ("id", "name", "id_number", "sex", "birth_date", "age", "ethnicity", "education", "hukou_type",
               "marital_status", "category", "phone", "household_code", "household_name", "household_address",
               "residence_code", "residence_name", "arrived_on", "status")
COLUMNS = tuple((key, title(key, "zh")) for key in FIELD_ORDER)
# masked: the birth year instead of the age, which goes up on the birthday (the birth date column stays empty)
MASKED_COLUMNS = tuple((key, title(key, "zh")) for key in ("birth_year" if k == "age" else k for k in FIELD_ORDER))
LABELLED = {**{key: CODED[key] for key in FIELD_ORDER if key in CODED}, "status": "person_status"}
FORMATS = {"csv": "text/csv; charset=utf-8", "csv-gb18030": "text/csv; charset=gb18030",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "jsonl": "application/x-ndjson"}
LOGGED_IDS = 100_000  # the access log names at most this many persons of one export (the count is always there)


def _records(reg: Registry, where: Any, reveal: bool) -> Iterator[dict[str, Any]]:
    last, day = 0, today()
    while True:
        with reg.reading() as session:
            rows = list(session.execute(select(t.Person).where(where, t.Person.id > last).order_by(t.Person.id)
                                        .limit(5000)).scalars())
        if not rows:
            return
        for p in rows:
            yield {
                "id": p.id, "name": p.name, "id_number": p.id_number if reveal else mask(p.id_number), "sex": p.sex,
                # masked: no birth date, which with region, sex and check character rebuilds the number
                "birth_date": p.birth_date if reveal else None, "birth_year": p.birth_date.year,
                "age": age_on(p.birth_date, day) if reveal else None,
                "ethnicity": p.ethnicity, "education": p.education,
                "hukou_type": p.hukou_type, "marital_status": p.marital_status, "category": p.category, "phone": p.phone,
                "household_code": p.household_code, "household_name": reg.divisions.name(p.household_code),
                "household_address": p.household_address, "residence_code": p.residence_code,
                "residence_name": reg.divisions.name(p.residence_code),
                "arrived_on": p.arrived_on, "status": p.status,
            }
        last = rows[-1].id


def _cells(record: dict[str, Any], columns: tuple[tuple[str, str], ...], *, dates: bool = False) -> list[Any]:
    """The row's values: codes by their Chinese labels; dates as dates (XLSX) or yyyy-mm-dd text (CSV)."""
    out = []
    for key, _ in columns:
        value = record[key]
        if key in LABELLED:
            value = label(LABELLED[key], value, "zh")
        elif isinstance(value, dt.date) and not dates:
            value = value.isoformat()
        out.append("" if value is None else value)
    return out


def _json(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def export(reg: Registry, actor: Actor, query: PersonFilters, fmt: str, reveal: bool) -> Iterator[bytes]:
    """Check rights and the query now (errors before the response starts), log the export, then stream the file.

    The access-log entry is committed before the first byte leaves, so a download cut short is logged too;
    it names the persons selected now, and the stream leaves out anyone added after."""
    actor.require("export")
    if reveal:
        actor.require("reveal")
    where, _ = person_conditions(reg, actor, query)
    with reg.writing() as session:
        count, last = session.execute(select(func.count(), func.max(t.Person.id)).where(where)).one()
        ids = list(session.execute(select(t.Person.id).where(where).order_by(t.Person.id).limit(LOGGED_IDS)).scalars())
        history.log_access(session, actor, "export", "person", ids,
                           detail=f"{fmt}, {count} persons, {'revealed' if reveal else 'masked'}")
    return _stream(reg, and_(where, t.Person.id <= (last or 0)), fmt, reveal)


def _stream(reg: Registry, where: Any, fmt: str, reveal: bool) -> Iterator[bytes]:
    """The export as a stream of bytes; text that a spreadsheet would run as a formula is made inert."""
    records = _records(reg, where, reveal)
    columns = COLUMNS if reveal else MASKED_COLUMNS
    if fmt == "jsonl":
        for r in records:
            yield (json.dumps(r, ensure_ascii=False, default=_json) + "\n").encode()
    elif fmt == "xlsx":
        yield _xlsx(records, columns)
    else:
        encoding = "gb18030" if fmt == "csv-gb18030" else "utf-8"
        buffer = io.StringIO()
        writer = cells.CsvOut(buffer, bom=encoding == "utf-8")
        writer.row([zh for _, zh in columns])
        yield _take(buffer).encode(encoding)
        for i, r in enumerate(records, start=1):
            writer.row(_cells(r, columns))
            if i % 2000 == 0:
                yield _take(buffer).encode(encoding, errors="replace")
        yield _take(buffer).encode(encoding, errors="replace")


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate(0)
    return text


SAMPLED = 2000  # the column widths fit the header and the first rows (the sheet is written as it goes)
MAX_WIDTH = 60
DATE_FORMAT = "yyyy-mm-dd"


def display_width(value: object) -> int:
    """Columns a value takes in a spreadsheet: a Chinese (wide) character counts two."""
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _xlsx(records: Iterator[dict[str, Any]], columns: tuple[tuple[str, str], ...]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet("流动人口")
    headers = [zh for _, zh in columns]
    first = [_cells(r, columns, dates=True) for r in islice(records, SAMPLED)]
    for i, header in enumerate(headers):
        widest = max([display_width(header)] + [display_width(row[i]) for row in first])
        sheet.column_dimensions[get_column_letter(i + 1)].width = min(widest + 2, MAX_WIDTH)
    sheet.freeze_panes = "A2"  # set before the first row: a write-only sheet writes its head then
    bold = Font(bold=True)
    head = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    count = 0
    for row in chain(first, (_cells(r, columns, dates=True) for r in records)):
        out = cells.xlsx_row(sheet, row)
        for i, value in enumerate(out):
            if isinstance(value, dt.date):
                stamp = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
                cell = WriteOnlyCell(sheet, value=stamp)  # a date cell: midnight, shown by the date format
                cell.number_format = DATE_FORMAT
                out[i] = cell
        sheet.append(out)
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    out_file = io.BytesIO()
    book.save(out_file)
    return out_file.getvalue()
