"""Date cells that also carry a time of day (issue #16 item 4): an Excel date-time cell, a CSV text
"2026-03-01 08:30:00", a date-time serial number. The date is taken; a time other than midnight is reported
alongside (legacy.date_and_time) for the import's row warning, never a refused row."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from flowpop.rules import legacy

MARCH_1 = dt.date(2026, 3, 1)


@pytest.mark.parametrize(
    ("cell", "time"),
    [
        ("2026-03-01 00:00:00", None),
        ("2026-03-01 00:00", None),
        ("2026-03-01T00:00:00.000", None),
        ("2026-03-01 08:30:00", dt.time(8, 30)),
        ("2026-03-01 08:30", dt.time(8, 30)),
        ("2026/3/1 8:30:15", dt.time(8, 30, 15)),
        ("2026-03-01T08:30:00.000", dt.time(8, 30)),
        ("2026年3月1日 08:30", dt.time(8, 30)),
        ("２０２６－０３－０１\u3000０８：３０", dt.time(8, 30)),  # full-width, as some systems export
        (
            "46082.3541666667",
            dt.time(8, 30),
        ),  # Excel's serial number of a date-time, as a CSV of a General cell shows it
        ("46082.0", None),
        (dt.datetime(2026, 3, 1, 8, 30), dt.time(8, 30)),
        (dt.datetime(2026, 3, 1), None),
    ],
)
def test_a_date_with_a_time_is_its_date(cell: object, time: dt.time | None) -> None:
    assert legacy.date_and_time(cell) == (MARCH_1, time)
    assert legacy.parse_date(cell) == MARCH_1
    if isinstance(cell, str):
        assert legacy.parse_date_text(cell) == MARCH_1


@pytest.mark.parametrize(
    ("cell", "zh"),
    [
        ("2026-03-01 25:00", "时刻不存在"),
        ("2026-02-30 08:30", "日期不存在"),
        ("yesterday 08:30", "无法识别的日期"),
    ],
)
def test_a_bad_date_or_time_is_still_a_clear_problem(cell: str, zh: str) -> None:
    with pytest.raises(legacy.DateError) as refused:
        legacy.parse_date(cell)
    assert zh in refused.value.zh


def test_the_dropped_time_is_said_in_both_languages() -> None:
    zh, en = legacy.time_dropped(dt.time(8, 30))
    assert "08:30" in zh and "只取了日期" in zh
    assert "08:30" in en and "only the date was kept" in en


def test_xlsx_date_time_cells_as_excel_writes_them() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "出生日期", "来本地日期"])
    sheet.append(["王秀英", dt.datetime(1990, 5, 6), dt.datetime(2026, 3, 1, 8, 30)])
    sheet["B2"].number_format = "yyyy-mm-dd"
    sheet["C2"].number_format = "yyyy-mm-dd hh:mm"
    buffer = io.BytesIO()
    book.save(buffer)
    header, row = list(legacy.read_table(buffer.getvalue(), "people.xlsx"))
    assert header == ["姓名", "出生日期", "来本地日期"]
    assert legacy.date_and_time(row[1]) == (dt.date(1990, 5, 6), None)
    assert legacy.date_and_time(row[2]) == (MARCH_1, dt.time(8, 30))
    # the text the reader makes of such a cell (legacy.clean, for a text field) reads back as the same date
    assert legacy.date_and_time(legacy.clean(row[2])) == (MARCH_1, dt.time(8, 30))


def test_csv_date_time_text() -> None:
    data = "姓名,来本地日期\r\n王秀英,2026-03-01 08:30:00\r\n李娜,2026-03-01 00:00:00\r\n".encode("gb18030")
    _header, first, second = list(legacy.read_table(data, "people.csv"))
    assert legacy.date_and_time(first[1]) == (MARCH_1, dt.time(8, 30))
    assert legacy.date_and_time(second[1]) == (MARCH_1, None)
