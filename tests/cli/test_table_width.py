"""Tables that fit the terminal (issue #16 item 4): at COLUMNS=80 and 120 no line of `persons list` or `report rates`
is wider than the terminal (in display columns: a Chinese character takes two), the columns stay aligned, and a
place shortened to fit keeps its end (the township and village), never its province. A pipe or a file, with no
COLUMNS, gets every cell whole."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
from wcwidth import wcswidth, wcwidth

import flowpop
from flowpop_cli.output import table, wrap
from tests import tree
from tests.cli.runner import invoke

RESIDENCE = "福建省三明市三元区测试街道甲甲一社区"  # tree.VILLAGE_A1's full name


def slots(line: str) -> list[str]:
    """The line as terminal cells: a wide character fills two (its second is "")."""
    out: list[str] = []
    for ch in line:
        out.append(ch)
        if wcwidth(ch) == 2:
            out.append("")
    return out


def starts(line: str) -> set[int]:
    """Display columns where a cell starts: text after the line's start or after a gap of two spaces."""
    s = slots(line)
    return {
        i
        for i, ch in enumerate(s)
        if ch not in (" ", "") and (i == 0 or (i >= 2 and s[i - 1] == s[i - 2] == " "))
    }


def assert_fits_and_aligned(text: str, width: int) -> None:
    lines = text.splitlines()
    assert lines
    assert max(wcswidth(line) for line in lines) <= width, "\n" + text
    rule = next(i for i, line in enumerate(lines) if set(line.strip()) == {"-"} or set(line) <= {"-", " "})
    heads, rows = lines[:rule], lines[rule + 1 :]
    # a row's first line lines up with the header's first line, its continuation lines (indented) with the header's
    for kind in (False, True):
        head = [h for h in heads if h.startswith(" ") == kind]
        body = [r for r in rows if r.startswith(" ") == kind]
        if not head:
            assert not body
            continue
        columns = set().union(*(starts(h) for h in head))
        for line in body:
            assert starts(line) <= columns, f"misaligned:\n{line}\n{head[0]}"


@pytest.fixture
def people(client: flowpop.Client, make_person: Callable[..., object]) -> None:
    make_person(name="欧阳秀英")
    make_person(name="王芳")


def persons_table(db_url: str, width: int | None) -> str:
    env = {"COLUMNS": str(width)} if width else {}
    return invoke(["--db", db_url, "persons", "list"], env=env).stdout


@pytest.mark.parametrize("width", [80, 120])
def test_persons_list_fits_the_terminal(db_url: str, people: None, width: int) -> None:
    text = persons_table(db_url, width)
    assert_fits_and_aligned(text, width)
    assert "欧阳秀英" in text and "王芳" in text
    assert text.count("\n") >= 4


def test_a_place_is_shortened_from_its_front(db_url: str, people: None) -> None:
    text = persons_table(db_url, 120)
    assert RESIDENCE not in text  # one line a person at 120: the place gives way
    shortened = [line for line in text.splitlines() if "…" in line]
    assert len(shortened) == 2
    assert all("甲一社区" in line and "福建省" not in line for line in shortened)


def test_at_80_a_row_goes_on_over_a_second_line_with_every_cell_whole(db_url: str, people: None) -> None:
    text = persons_table(db_url, 80)
    assert text.count(RESIDENCE) == 2 and "…" not in text


def test_a_pipe_gets_every_cell_whole(db_url: str, people: None) -> None:
    text = persons_table(db_url, None)
    lines = text.splitlines()
    assert len(lines) == 4  # header, rule, two people: one line each
    assert text.count(RESIDENCE) == 2


@pytest.mark.parametrize("width", [80, 120])
def test_report_rates_fits_the_terminal(db_url: str, people: None, width: int) -> None:
    result = invoke(["--db", db_url, "report", "rates", "--quarter", "2026Q1"], env={"COLUMNS": str(width)})
    lines = result.stdout.splitlines()
    assert max(wcswidth(line) for line in lines) <= width, result.stdout
    body = "\n".join(lines[1:])  # the title, then the table (and a sentence after it)
    table_text = body[: body.rindex("\n")] if "\n" in body else body
    assert_fits_and_aligned(table_text, width)
    wide = invoke(["--db", db_url, "report", "rates", "--quarter", "2026Q1"]).stdout  # no terminal: whole
    assert max(wcswidth(line) for line in wide.splitlines()) > 120


@pytest.mark.parametrize("width", [30, 40, 60, 80, 100, 120])
def test_any_table_fits_and_stays_aligned(width: int) -> None:
    headers = ["编号", "姓名", "身份证号", "出生年份", "类别", "户籍地", "现居住地", "流入日期", "状态"]
    rows = [
        [
            "1",
            "欧阳秀英",
            "360102********120X",
            "1990",
            "育龄妇女",
            "江西省南昌市东湖区",
            RESIDENCE,
            "2026-03-01",
            "在册",
        ],
        [
            "22",
            "王芳",
            "350404********0021",
            "1985",
            "",
            "江西省南昌市东湖区",
            "福建省三明市三元区城关街道",
            "2026-03-02",
            "注销",
        ],
    ]
    flex = [None, None, None, None, None, "end", "end", None, None]
    text = table(rows, headers, max_width=width, flex=flex)
    assert_fits_and_aligned(text, width)
    assert len({wcswidth(line) for line in text.splitlines()}) == 1  # every line padded to one width


def test_wrapping_never_splits_a_wide_character() -> None:
    lines = wrap("福建省三明市三元区城关街道", 5)
    assert lines == ["福建", "省三", "明市", "三元", "区城", "关街", "道"]
    assert wrap("Date of arrival", 8) == ["Date of", "arrival"]
    assert tree.VILLAGE_A1  # the registry's village whose full name RESIDENCE is


def test_widths_told_without_wcwidth_are_wcwidths() -> None:
    """Printable ASCII, CJK ideographs and the fullwidth forms are measured without importing wcwidth (start-up,
    issue #16); each, and text mixing them with other characters, measures as wcwidth measures it."""
    from flowpop_cli.output import _char_width, width_of

    ranges = [(0x20, 0x7E), (0x4E00, 0x9FFF), (0xFF01, 0xFF60), (0x3000, 0x303F), (0x1F300, 0x1F320)]
    for first, last in ranges:
        for code in range(first, last + 1):
            ch = chr(code)
            assert _char_width(ch) == max(wcwidth(ch), 0), hex(code)
            assert width_of(ch) == max(wcswidth(ch), 1), hex(code)
    for text in (RESIDENCE, "福建省三明市明溪县大坂街道（演示）沙洋社区", "360731***********X 男 1999", "",
                 "王秀英、李\u0301", "tab\there", "e\u0301", "👍🏽 ok", "ｶﾀｶﾅ", "\x1b[1m"):
        assert width_of(text) == max(wcswidth(text), len(text)), text


def test_a_table_of_chinese_and_ascii_needs_no_wcwidth() -> None:
    probe = ("import sys; from flowpop_cli.output import width_of; "
             "assert width_of('福建省三明市（演示）360731***X') == 30; print('wcwidth' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
