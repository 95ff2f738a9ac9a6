"""Legacy data as it really arrives: CSV from Excel in GB18030/GBK or UTF-8, XLSX, Excel 97 XLS, ODS; dates as
``2012-03-05``, ``2012.3.5``, ``2012年3月5日``, ``20120305`` or Excel serial numbers; full-width
digits, stray spaces, lowercase ``x``; Chinese column headers."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

# Chinese (and English) headers → field names; a mapping file can add more
HEADERS: dict[str, tuple[str, ...]] = {
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "证件号码", "身份证"),
    "name": ("姓名", "名字"),
    "sex": ("性别",),
    "birth_date": ("出生日期", "出生年月"),
    "ethnicity": ("民族",),
    "education": ("文化程度", "学历"),
    "hukou_type": ("户口性质", "户籍性质", "户口类别"),
    "marital_status": ("婚姻状况", "婚姻状态"),
    "phone": ("联系电话", "电话", "手机", "手机号码"),
    "household_code": ("户籍地", "户籍地代码", "户籍地区划", "户籍地区划代码"),
    "household_address": ("户籍地址", "户籍详址"),
    "residence_code": ("现居住地", "现居住地代码", "现居住地区划", "现居住地区划代码", "居住地"),
    "residence_address": ("现居住地址", "居住地址", "现住址"),
    "grid_code": ("网格", "网格代码"),
    "house_code": ("房屋编码",),
    "room": ("房间", "房间号"),
    "reason": ("流动原因", "外出原因", "流入原因"),
    "left_home_on": ("流出日期", "离开户籍地日期"),
    "arrived_on": ("流入日期", "到达日期", "来本地日期"),
    "expected_return_on": ("预计返回日期", "返回日期"),
    "occupation": ("职业", "从事职业"),
    "employer": ("工作单位", "用人单位"),
    "note": ("备注",),
}
EXCEL_EPOCH = dt.date(1899, 12, 30)
# how Excel shows a long number in a General cell (3.60102E+17): an ID number it stored as a number
EXCEL_NUMBER = re.compile(r"\d(\.\d+)?E\+?\d+", re.IGNORECASE)
STORED_AS_NUMBER = ("该列在 Excel 中存成了数字，身份证号已失真：请将该列设为文本格式后重新导出",
                    "this column was stored as a number in Excel, which garbles ID numbers; "
                    "format it as text and export again")
_SPACES = re.compile(r"\s+")
_WIDE = re.compile("[\u3000\uff01-\uff5e\u2000-\u200b\u00a0]")
# a date, then a time of day: "2026-03-01 08:30", "2026/3/1 8:30:00", "2026-03-01T08:30:00.000", "2026年3月1日 08:30"
_DATE_TIME = re.compile(r"^(?P<date>.+?[\d日])(?:\s*|T)(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?$")
_SERIAL = re.compile(r"(\d{4,5})(\.\d+)?")  # an Excel serial number; a fraction is a time of day
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-./](\d{1,2})[-./](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def clean(value: object) -> str:
    """NFKC (full-width digits and letters to ASCII), trimmed, inner runs of spaces folded."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, dt.datetime):  # an Excel date cell: a date at midnight is that date
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    elif isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if text.isascii():
        text = text.strip()
        return _SPACES.sub(" ", text) if "  " in text or "\t" in text or "\n" in text else text
    if _WIDE.search(text):  # full-width forms and the ideographic space
        text = unicodedata.normalize("NFKC", text).replace("\u3000", " ")
    return _SPACES.sub(" ", text.strip())


class DateError(ValueError):
    """A cell that holds no date; why, in Chinese (``zh``) and English (``en``)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


def parse_date(value: object) -> dt.date:
    """Any of the formats legacy files use; raises DateError (a ValueError) with the reason as a pair. A date
    with a time of day (an Excel date-time cell, ``2026-03-01 08:30:00`` as text, a serial number with a
    fraction) is its date: see :func:`date_and_time`, which also says what time was dropped."""
    return date_and_time(value)[0]


def date_and_time(value: object) -> tuple[dt.date, dt.time | None]:
    """The date a cell holds, and the time of day it also held when that is not midnight (else None).

    What an office expects: a date column is read as dates whatever else the cell carries. Old systems export
    their date fields as date-times (``2026-03-01 08:30:00``, midnight when no time was ever entered) and Excel
    date-time cells read back the same way, so a time never makes a row bad. A time other than midnight is
    returned, for the import to say in a row warning (:func:`time_dropped`) that only the date was kept: a
    column of real times in a date field may be the wrong column."""
    if isinstance(value, dt.datetime):
        return value.date(), (value.time() if value.time() != dt.time() else None)
    if isinstance(value, dt.date):
        return value, None
    text = clean(value)
    if not text:
        raise DateError("日期为空", "date is empty")
    timed = _DATE_TIME.match(text)
    moment: dt.time | None = None
    if timed:
        text, moment = timed["date"].strip(), _time_of(timed)
    text = text.replace(" ", "")
    serial = _SERIAL.fullmatch(text)
    if serial and 1 <= int(serial[1]) <= 80000:
        # a date-time serial number: the fraction of a day is the time (to the second)
        seconds = round(float("0" + (serial[2] or ".0")) * 86400)
        if 0 < seconds < 86400:
            moment = (dt.datetime.min + dt.timedelta(seconds=seconds)).time()
        return EXCEL_EPOCH + dt.timedelta(days=int(serial[1])), moment
    return _date_text(text), moment


def time_dropped(moment: dt.time) -> tuple[str, str]:
    """The row warning for a date cell that also held a time of day: (zh, en)."""
    shown = moment.strftime("%H:%M:%S" if moment.second else "%H:%M")
    return (f"该日期单元格还带有时刻 {shown}，只取了日期；若此列本是时间，请检查列是否对应正确",
            f"the date cell also held the time {shown}; only the date was kept (if the column holds times, check "
            "that it is the right column)")


def _time_of(m: re.Match[str]) -> dt.time | None:
    hour, minute, second = int(m["h"]), int(m["m"]), int(m["s"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise DateError(f"时刻不存在：{m[0]}", f"no such time of day: {m[0]}")
    moment = dt.time(hour, minute, second)
    return None if moment == dt.time() else moment


def _date_text(text: str) -> dt.date:
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return dt.date(y, mo, d)
            except ValueError as exc:
                raise DateError(f"日期不存在：{text}", f"no such date: {text}") from exc
    raise DateError(f"无法识别的日期：{text}", f"unrecognised date: {text}")


@lru_cache(maxsize=16384)
def parse_date_text(text: str) -> dt.date:
    """parse_date for text cells, remembered: a file holds a few thousand distinct dates at most."""
    return parse_date(text)


def header_map(headers: list[str], extra: dict[str, str] | None = None) -> dict[int, str]:
    """Column index → field name, from the recognised headers and a user's mapping (header → field)."""
    lookup = {alias: field for field, aliases in HEADERS.items() for alias in aliases}
    lookup.update({field: field for field in HEADERS})
    lookup.update(extra or {})
    out: dict[int, str] = {}
    for i, h in enumerate(headers):
        key = clean(h).replace(" ", "")
        if key in lookup:
            out[i] = lookup[key]
    return out


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) if it decodes, else GB18030 (a superset of GBK and GB2312)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _decodes(path: Path, encoding: str) -> None:
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            decoder.decode(block)
    decoder.decode(b"", final=True)


def _file_encoding(path: Path) -> str:
    """What decode would choose for the file's bytes, found by reading it in blocks (and failing as it would)."""
    try:
        _decodes(path, "utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError:
        _decodes(path, "gb18030")
        return "gb18030"


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97 (BIFF8) workbooks, and other OLE2 compound files
ODS_MIMETYPE = b"mimetype" + b"application/vnd.oasis.opendocument.spreadsheet"
WORKBOOK_NAMES = (".xlsx", ".xlsm", ".xls", ".ods")


def _head(data: bytes | Path, size: int = 128) -> bytes:
    if isinstance(data, bytes):
        return data[:size]
    with data.open("rb") as f:
        return f.read(size)


def file_kind(data: bytes | Path, filename: str = "") -> str:
    """``xlsx``, ``xls``, ``ods`` or ``csv``, decided by the bytes: an OLE2 compound file is an Excel 97
    workbook, a zip whose first entry is an OpenDocument spreadsheet's ``mimetype`` is ODS, any other zip
    is XLSX (a damaged one fails as XLSX), the rest is text. The name decides only for a file too damaged
    to show its kind: an ``.xlsx`` that is no zip is refused as a damaged workbook; an ``.xls`` or ``.ods``
    holding binary bytes is refused as one, while text named ``.xls`` (what some systems export) is read as text."""
    head = _head(data)
    if head.startswith(OLE2):
        return "xls"
    if head.startswith(b"PK"):
        # the OpenDocument rule: "mimetype" is the first entry, stored uncompressed, at offset 30
        return "ods" if head[30:30 + len(ODS_MIMETYPE)] == ODS_MIMETYPE else "xlsx"
    name = filename.lower()
    if name.endswith((".xls", ".ods")) and _has_nul(data):
        return name.rsplit(".", 1)[1]
    if name.endswith((".xlsx", ".xlsm")):
        return "xlsx"  # no zip can be no workbook: refused as a damaged one, not read as text with the wrong columns
    return "csv"


class UnreadableFile(ValueError):
    """The file as a whole is no table: not an XLSX workbook, or not text in UTF-8 or GB18030."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh}|{en}")
        self.zh, self.en = zh, en


NOT_XLSX = ("文件不是有效的 XLSX 工作簿（或已损坏），请另存为 XLSX 或 CSV 后重试",
            "the file is not a readable XLSX workbook (or it is damaged); save it as XLSX or CSV and try again")
NOT_XLS = ("文件不是可读的 Excel 97-2003（.xls）工作簿（可能已损坏或设有密码），请另存为 XLSX 或 CSV 后重试",
           "the file is not a readable Excel 97-2003 (.xls) workbook (it may be damaged or password-protected); "
           "save it as XLSX or CSV and try again")
NOT_ODS = ("文件不是可读的 ODS 工作簿（或已损坏），请另存为 XLSX 或 CSV 后重试",
           "the file is not a readable ODS workbook (or it is damaged); save it as XLSX or CSV and try again")
NOT_TEXT = ("文件既不是 CSV 文本（UTF-8 或 GB18030 编码），也不是 XLSX、XLS 或 ODS 工作簿",
            "the file is neither CSV text (UTF-8 or GB18030) nor an XLSX, XLS or ODS workbook")
NOT_READABLE = {"xlsx": NOT_XLSX, "xls": NOT_XLS, "ods": NOT_ODS}


def read_table(data: bytes | Path, filename: str = "") -> Iterator[list[object]]:
    """Rows of a CSV, XLSX, XLS or ODS file (told apart by file_kind), header row first. A file that is no
    table raises UnreadableFile (when the first row is asked for), never a parser's own error."""
    kind = file_kind(data, filename)
    if kind == "csv" and _has_nul(data):  # text has none: a binary file, even one that happens to decode
        raise UnreadableFile(*NOT_TEXT)
    try:
        yield from _table(data, kind)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(*NOT_TEXT) from exc
    except Exception as exc:  # whatever a damaged or foreign workbook makes openpyxl or calamine raise
        if kind == "csv":
            raise
        raise UnreadableFile(*NOT_READABLE[kind]) from exc


def _has_nul(data: bytes | Path) -> bool:
    if isinstance(data, bytes):
        return b"\x00" in data
    with data.open("rb") as f:
        return any(b"\x00" in block for block in iter(lambda: f.read(1 << 20), b""))


def _table(data: bytes | Path, kind: str) -> Iterator[list[object]]:
    """Rows of a file of that kind, header row first; a CSV or XLSX file on disk (a large upload) is read as
    it goes, an XLS or ODS workbook (python-calamine) whole."""
    if kind in ("xls", "ods"):
        from python_calamine import CalamineWorkbook

        calamine = (CalamineWorkbook.from_filelike(io.BytesIO(data)) if isinstance(data, bytes)
                    else CalamineWorkbook.from_path(str(data)))
        try:
            for cells in calamine.get_sheet_by_index(0).to_python(skip_empty_area=False):
                yield list(cells)
        finally:
            calamine.close()
        return
    if kind == "xlsx":
        from openpyxl import load_workbook

        with io.BytesIO(data) if isinstance(data, bytes) else data.open("rb") as source:
            book = load_workbook(source, read_only=True, data_only=True)
            try:
                sheet = book.worksheets[0]
                for row in sheet.iter_rows(values_only=True):
                    yield list(row)
            finally:
                book.close()
        return
    if isinstance(data, bytes):
        yield from csv.reader(io.StringIO(decode(data)))
        return
    with data.open(encoding=_file_encoding(data), newline="") as f:
        yield from csv.reader(f)


def count_rows(data: bytes | Path, filename: str = "") -> int:
    """About how many data rows a file holds (for progress and for choosing how to write): CSV lines; 0 for a workbook."""
    if file_kind(data, filename) != "csv":
        return 0
    if isinstance(data, bytes):
        return max(0, data.count(b"\n") - 1)
    with data.open("rb") as f:
        return max(0, sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b"")) - 1)


def read_path(path: Path) -> Iterator[list[object]]:
    return read_table(path.read_bytes(), path.name)
