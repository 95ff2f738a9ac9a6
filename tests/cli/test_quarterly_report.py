"""`flowpop report quarterly` for a city, run as the demo's city viewer: the charts name each township relative to
the city ("三元区 坑塘街道（演示）"), all labels distinct; a chart leaves out the divisions without data for its rate
and says how many; bars run worst first; the report ends with the sign-off block a report to the city carries."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

import flowpop
from flowpop.demo.build import build
from flowpop.types import Rate, RateRow, RatesReport
from flowpop_cli.report_html import bar_chart, chart_labels, worst_first
from tests.cli.runner import invoke
from tests.conftest import empty_registry

CITY = "350400000000"  # 三明市, the demo's city
SIGNOFF_ZH = ["填报单位（盖章）", "负责人", "填表人", "联系电话", "报出日期"]
SIGNOFF_EN = ["Reporting unit (seal)", "Head of unit", "Prepared by", "Telephone", "Date reported"]


@dataclass
class Demo:
    db: str
    token: str  # the city viewer's


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with empty_registry(tmp_path_factory.mktemp("qr"), "qr_") as db:
        build(db, 600, seed=5)
        with flowpop.Client(db=db, max_retries=0) as admin:
            token = admin.tokens.create(username="sanming_viewer", name="quarterly report test").token
        yield Demo(db, token)


@dataclass
class Chart:
    labels: list[str]  # the bars' labels, the total's last
    values: list[str]  # the percent text drawn after each bar with data
    note: str


class Report(HTMLParser):
    """The charts (one <figure> each: its <text text-anchor="end"> labels, its values, its note) and the sign-off
    block's fields (data-field → label, value)."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[Chart] = []
        self.signoff: dict[str, tuple[str, str]] = {}
        self._in: str | None = None
        self._field: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "figure":
            self.charts.append(Chart([], [], ""))
        elif tag == "text" and self.charts and a.get("text-anchor") == "end":
            self._in = "label"
        elif tag == "text" and self.charts and "text-anchor" not in a and a.get("fill") is None:
            self._in = "value"
        elif tag == "p" and "nodata" in (a.get("class") or ""):
            self._in = "note"
        elif tag == "span" and (name := a.get("data-field")):
            self._field = name
            self.signoff[name] = ("", "")
        elif tag == "span" and a.get("class") == "blank":
            self._in = "blank"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("text", "p"):
            self._in = None
        if tag == "span" and self._in == "blank":
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "label":
            self.charts[-1].labels.append(data)
        elif self._in == "value":
            self.charts[-1].values.append(data)
        elif self._in == "note":
            self.charts[-1].note += data
        elif self._field and self._in == "blank":
            label, value = self.signoff[self._field]
            self.signoff[self._field] = (label, value + data)
        elif self._field and self._field in self.signoff and not self.signoff[self._field][1]:
            label, value = self.signoff[self._field]
            self.signoff[self._field] = (label + data, value)


def quarterly(demo: Demo, tmp_path: Path, *args: str) -> str:
    out = tmp_path / "report.html"
    invoke(["--db", demo.db, "--token", demo.token, *args, "report", "quarterly", "-o", str(out)])
    return out.read_text(encoding="utf-8")


def parsed(html: str) -> Report:
    report = Report()
    report.feed(html)
    return report


def city_rates(demo: Demo) -> RatesReport:
    with flowpop.Client(db=demo.db, token=demo.token, max_retries=0) as viewer:
        assert viewer.me().jurisdiction_code == CITY
        quarter = f"{dt.date.today().year}Q{(dt.date.today().month - 1) // 3 + 1}"
        return viewer.reports.rates(quarter, level="township", division=CITY)


def test_a_city_report_names_townships_relative_to_the_city(demo: Demo, tmp_path: Path) -> None:
    html = quarterly(demo, tmp_path)
    report = parsed(html)
    for start, end in (("一、主要指标", "二、各单位比率"), ("四、信息交换", "五、季度清查进度")):  # the tables too
        names = re.findall(r'<td class="name">([^<]*)</td>', html[html.index(start):html.index(end)])
        assert len(names) > 10 and len(set(names)) == len(names)
        assert not any(name.startswith(("福建", "三明")) for name in names)
        assert any(re.fullmatch(r"三元区 \S+[街镇乡]\S*", name) for name in names)  # "三元区 坑塘街道（演示）"
    rates = city_rates(demo)
    assert len(report.charts) == len(rates.total.rates) and len(rates.rows) > 20
    townships = 0
    for chart in report.charts:
        labels = chart.labels[:-1]
        assert chart.labels[-1] == "合计"
        assert len(set(labels)) == len(labels)  # never two labels reading the same
        assert not any(label.startswith(("福建", "三明", "…")) for label in labels)
        townships += sum(1 for label in labels if re.fullmatch(r"\S+[区县市] \S+", label))
    assert townships > 0  # "三元区 坑塘街道（演示）": county, a space, township


def test_rows_without_data_are_left_out_and_bars_run_worst_first(demo: Demo, tmp_path: Path) -> None:
    report = parsed(quarterly(demo, tmp_path))
    rates = city_rates(demo)
    for i, chart in enumerate(report.charts):
        rate = rates.total.rates[i]
        with_data = [row for row in rates.rows if row.rates[i].denominator]
        empty = len(rates.rows) - len(with_data)
        assert len(chart.labels) - 1 == len(with_data)
        assert chart.note == (f"{empty} 个单位无数据" if empty else "")
        shown = [float(v.rstrip("%")) for v in chart.values]
        if rate.value is not None:
            shown = shown[:-1]  # the total's
        assert len(shown) == len(with_data)
        assert shown == sorted(shown, reverse=not rate.higher_is_better), rate.key
        expected = sorted((row.rates[i].value or 0) * 100 for row in with_data)
        assert sorted(shown) == pytest.approx(expected, abs=0.051)
    assert any(c.note for c in report.charts)  # the demo has rates some townships have no data for


def test_the_report_ends_with_a_sign_off_block(demo: Demo, tmp_path: Path) -> None:
    html = quarterly(demo, tmp_path)
    block = parsed(html).signoff
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    assert [label.rstrip("：") for label, _ in block.values()] == SIGNOFF_ZH
    assert block["reported_on"][1] == f"{today.year}年{today.month}月{today.day}日"
    assert all(value.strip() == "" for key, (_, value) in block.items() if key != "reported_on")  # blanks to sign
    assert html.index('class="signoff"') > html.index("六、数据质量")

    html = quarterly(demo, tmp_path, "--lang", "en")
    out = tmp_path / "signed.html"
    invoke(["--db", demo.db, "--token", demo.token, "--lang", "en", "report", "quarterly", "-o", str(out),
            "--unit", "Sanming City Office", "--head", "Li Ming", "--preparer", "Wang Fang", "--phone", "0598-1234567",
            "--date", "2027-01-08"])
    block = parsed(out.read_text(encoding="utf-8")).signoff
    assert [label.rstrip(": ") for label, _ in block.values()] == SIGNOFF_EN
    assert {k: v for k, (_, v) in block.items()} == {
        "unit": "Sanming City Office", "head": "Li Ming", "preparer": "Wang Fang", "phone": "0598-1234567",
        "reported_on": "2027-01-08"}
    assert [label.rstrip(": ") for label, _ in parsed(html).signoff.values()] == SIGNOFF_EN

    out = tmp_path / "env.html"
    invoke(["--db", demo.db, "--token", demo.token, "report", "quarterly", "-o", str(out)],
           env={"FLOWPOP_REPORT_UNIT": "三明市流动人口服务管理办公室"})
    assert parsed(out.read_text(encoding="utf-8")).signoff["unit"][1] == "三明市流动人口服务管理办公室"


def test_chart_labels_are_cut_from_the_front_and_never_alike() -> None:
    names = ["三元区 城关街道中心社区（演示）", "沙县区 城关街道中心社区（演示）", "三元区 岩前镇", "宁化县 翠江镇（演示）"]
    labels = chart_labels(names, limit=10)
    assert len(set(labels)) == len(labels)
    assert labels[2] == "三元区 岩前镇"  # short enough: whole
    for name, label in zip(names, labels, strict=True):
        assert label == name or (label.startswith("…") and name.endswith(label[1:]) and len(label) <= len(name))
    assert labels[3] == "…县 翠江镇（演示）"  # 10 characters, the front cut
    assert labels[0].endswith("城关街道中心社区（演示）") and labels[0] != labels[1]


def test_worst_first_reads_the_direction_of_each_rate() -> None:
    """The stale-departure rate is better low (its target a maximum): its highest bar first; a rate better high
    starts with its lowest; a division with no denominator for the rate is not a bar."""

    def row(code: str, registration: float | None, stale: float | None) -> RateRow:
        def rate(key: str, value: float | None, higher: bool) -> Rate:
            return Rate(key=key, name=key, name_en=key, numerator=0 if value is None else int(value * 100),
                        denominator=0 if value is None else 100, value=value, target=0.9 if higher else 0.1,
                        higher_is_better=higher, meets_target=None)
        return RateRow(division_code=code, division_name=code,
                       rates=[rate("registration", registration, True), rate("stale_departures", stale, False)])

    rows = [row("a", 0.95, 0.05), row("b", 0.50, None), row("c", None, 0.30), row("d", 0.80, 0.12)]
    labels = {r.division_code: r.division_code for r in rows}
    assert [r.division_code for r in worst_first(rows, 0, labels)] == ["b", "d", "a"]
    assert [r.division_code for r in worst_first(rows, 1, labels)] == ["c", "d", "a"]


def test_a_shortened_bar_names_the_division_in_full_in_its_tooltip() -> None:
    full = "三元区 城关街道中心社区（演示）"
    (label,) = chart_labels([full], limit=10)
    svg = bar_chart("登记率", [(label, 0.5, False, False), ("合计", 0.5, False, True)], 0.9, "目标 90%", titles=[full])
    assert f">{label}</text>" in svg and f"<title>{full} 50.0%</title>" in svg
