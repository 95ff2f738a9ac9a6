"""flowpop report …: the rates a county is judged by (per division, against targets), their trend, the
records behind a gap, the printable quarterly report for the city; and flowpop quality (data-quality checks,
the people behind a count, the changeset that fixes one)."""

from __future__ import annotations

import datetime as dt
import io
import sys
from collections.abc import Sequence
from typing import Any

import click

from flowpop.errors import NotFoundError, PermissionDeniedError
from flowpop.rules.cells import CsvOut, xlsx_row
from flowpop.rules.divisions_source import pad12, prefix_of
from flowpop.types import (
    ComanagementReport,
    ComanagementRow,
    QualityCheck,
    QualityReport,
    Rate,
    RateRow,
    RatesReport,
)
from flowpop_cli import views
from flowpop_cli.cmd_bulk import print_preview
from flowpop_cli.cmd_files import write_bytes, write_text
from flowpop_cli.cmd_inbox import open_output
from flowpop_cli.output import dumps, fitted, format_options, render, table, terminal_width, width_of
from flowpop_cli.progress import Progress
from flowpop_cli.report_html import (
    BEIJING,
    QuarterlyData,
    SignOff,
    ancestor_codes,
    beijing_today,
    comanagement_summary,
    rate_name,
    render_quarterly,
    short_name,
    target_text,
)
from flowpop_cli.state import State, pass_state, t
from flowpop_cli.views import Column, percent

MEETS, MISSES, NO_DATA = "✓", "✗", "—"
REPORT_FORMATS = ("table", "csv", "xlsx", "json", "jsonl")


# ------------------------------------------------------------------------------------ periods


def quarter_of(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def previous_quarters(quarter: str, n: int) -> list[str]:
    """The n quarters ending with ``quarter``, oldest first."""
    year, q = int(quarter[:4]), int(quarter[5])
    out = []
    for _ in range(n):
        out.append(f"{year}Q{q}")
        year, q = (year - 1, 4) if q == 1 else (year, q - 1)
    return out[::-1]


def period_of(quarter: str | None, month: str | None) -> str:
    if quarter and month:
        raise click.UsageError(t("--quarter 与 --month 只能给一个", "give --quarter or --month, not both"))
    return (quarter or month or quarter_of(dt.date.today())).upper()


def division_code(code: str | None) -> str | None:
    return pad12(code) if code else None


# ------------------------------------------------------------------------------------ rates as a table


def rate_cell(r: Rate) -> str:
    if r.value is None:
        return NO_DATA
    return f"{percent(r.value)} {MEETS if r.meets_target else MISSES}"


def wanted_rates(report: RatesReport, keys: Sequence[str]) -> list[str]:
    known = [r.key for r in report.total.rates]
    if not keys:
        return known
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise click.BadParameter(t(f"未知的比率：{', '.join(unknown)}（可用：{', '.join(known)}）",
                                   f"unknown rate: {', '.join(unknown)} (known: {', '.join(known)})"), param_hint="--rate")
    return [k for k in known if k in keys]


def by_key(row: RateRow) -> dict[str, Rate]:
    return {r.key: r for r in row.rates}


def rates_table(report: RatesReport, keys: list[str]) -> tuple[list[str], list[list[str]]]:
    first = {r.key: r for r in report.total.rates}
    headers = [t("区划", "Division")] + [f"{rate_name(first[k])} {target_text(first[k])}" for k in keys]
    parent = report.total.division_name
    rows = [[short_name(row, parent)] + [rate_cell(by_key(row)[k]) for k in keys] for row in report.rows]
    rows.append([t("合计", "Total")] + [rate_cell(by_key(report.total)[k]) for k in keys])
    return headers, rows


def rates_text(report: RatesReport, keys: list[str], width: int | None) -> str:
    """The table, one row per division; on a terminal too narrow for it, turned (one row per rate) if that fits."""
    headers, rows = rates_table(report, keys)
    text = table(rows, headers)
    if width is None or width_of(text.splitlines()[0]) <= width:
        return text
    turned = table([[headers[i + 1], *[r[i + 1] for r in rows]] for i in range(len(keys))],
                   [t("比率", "Rate"), *[r[0] for r in rows]])
    if width_of(turned.splitlines()[0]) <= width:
        return turned
    click.echo(t("表格较宽：可用 --rate 只列部分比率", "a wide table: --rate picks some rates"), err=True)
    return table(rows, headers, max_width=width, flex=["end"] + [None] * len(keys))  # each row over several lines


def wide_rows(report: RatesReport, keys: list[str]) -> tuple[list[str], list[list[Any]]]:
    """For CSV and XLSX: per rate its value (%), numerator and denominator; a target row, the total last."""
    first = {r.key: r for r in report.total.rates}
    headers = [t("区划代码", "Division code"), t("区划", "Division")]
    for k in keys:
        name = rate_name(first[k])
        headers += [t(f"{name}(%)", f"{name} (%)"), t(f"{name}分子", f"{name} numerator"),
                    t(f"{name}分母", f"{name} denominator")]
    target: list[Any] = ["", t("目标", "Target")]
    for k in keys:
        target += [round(first[k].target * 100, 1), "", ""]
    rows: list[list[Any]] = [target]
    parent = report.total.division_name
    for row in [*report.rows, report.total]:
        rates = by_key(row)
        cells: list[Any] = [row.division_code, short_name(row, parent) if row is not report.total else t("合计", "Total")]
        for k in keys:
            r = rates[k]
            cells += [None if r.value is None else round(r.value * 100, 1), r.numerator, r.denominator]
        rows.append(cells)
    return headers, rows


def rates_csv(report: RatesReport, keys: list[str]) -> str:
    """The CSV every flowpop file is (flowpop.rules.cells.CsvOut: BOM, CRLF, codes kept text)."""
    headers, rows = wide_rows(report, keys)
    out = io.StringIO()
    writer = CsvOut(out)
    writer.row(headers)
    for r in rows:
        writer.row(r)
    return out.getvalue()


def rates_xlsx(report: RatesReport, keys: list[str]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    headers, rows = wide_rows(report, keys)
    book = Workbook()
    sheet = book.worksheets[0]  # a new workbook's one sheet
    sheet.title = report.period
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    good, bad = PatternFill("solid", fgColor="C6EFCE"), PatternFill("solid", fgColor="FFC7CE")
    all_rows = [*report.rows, report.total]
    for i, row in enumerate(rows):
        sheet.append(xlsx_row(sheet, row))
        if i == 0:
            continue
        rates = by_key(all_rows[i - 1])
        for j, k in enumerate(keys):
            meets = rates[k].meets_target
            if meets is not None:
                sheet.cell(row=i + 2, column=3 + 3 * j).fill = good if meets else bad
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "C2"
    sheet.column_dimensions["B"].width = 24
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ------------------------------------------------------------------------------------ commands


@click.group()
def report() -> None:
    """统计报表：比率与目标、趋势、季度报告 / reports: rates against targets, trends, the quarterly report."""


@report.command("rates")
@click.option("--quarter", metavar="2026Q4", help="季度（默认本季度）/ quarter (default: this one)")
@click.option("--month", metavar="2026-11", help="月份（每月 12 日 3 时截止）/ month (closes on the 12th, 03:00)")
@click.option("--by", "level", type=click.Choice(["county", "township", "village"]), default="township",
              show_default=True, help="按哪一级分行 / one row per county, township or village")
@click.option("--division", metavar="CODE", help="只看该区划 / within this division")
@click.option("--rate", "rate_keys", multiple=True, metavar="KEY", help="只列这些比率，可重复 / only these rates (repeatable)")
@click.option("--records", "records_key", metavar="KEY", help="列出该比率差距背后的人员 / the people behind this rate's gap")
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="table", show_default=True,
              help="输出格式 / output format")
@click.option("--json", "as_json", is_flag=True, help="同 --format json / same as --format json")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), metavar="FILE",
              help="输出文件（xlsx 须指定）/ output file (xlsx needs one)")
@pass_state
def rates(state: State, quarter: str | None, month: str | None, level: str, division: str | None,
          rate_keys: tuple[str, ...], records_key: str | None, fmt: str, as_json: bool, output: str | None) -> None:
    """各区划的比率与目标（✓ 达标，✗ 未达标，— 无数据），合计在最后 /
    the rates per division against their targets (✓ met, ✗ missed, — no data), the total last."""
    fmt = "json" if as_json else fmt
    period = period_of(quarter, month)
    if fmt == "xlsx" and output in (None, "-"):
        raise click.UsageError(t("xlsx 需用 -o 指定输出文件", "xlsx needs an output file: -o FILE"))
    if records_key:
        if fmt == "xlsx":
            raise click.UsageError(t("--records 可用 table/csv/json/jsonl 格式", "--records prints table, csv, json or jsonl"))
        people = state.client.reports.rate_records(records_key, period, division=division_code(division))
        with open_output(output or "-") as out:
            render(people, fmt, views.PERSON_COLUMNS, file=out)
        return
    data = state.client.reports.rates(period, level=level, division=division_code(division))
    keys = wanted_rates(data, rate_keys)
    if fmt == "json":
        write_text(dumps(data, indent=2) + "\n", output)
    elif fmt == "jsonl":
        write_text("".join(dumps(row) + "\n" for row in [*data.rows, data.total]), output)
    elif fmt == "csv":
        write_text(rates_csv(data, keys), output)
    elif fmt == "xlsx":
        write_bytes(rates_xlsx(data, keys), output, binary=True)
    else:
        width = terminal_width(sys.stdout) if output in (None, "-") else None
        text = rates_text(data, keys, width)
        title = t(f"{data.period}（{data.start} 至 {data.end}）{data.total.division_name or ''}",
                  f"{data.period} ({data.start} to {data.end}) {data.total.division_name or ''}")
        if data.frozen_at:
            frozen = f"{data.frozen_at.replace(tzinfo=dt.UTC).astimezone(BEIJING):%Y-%m-%d %H:%M}"
            title += t(f"  已截止，数据冻结于 {frozen}", f"  closed: figures frozen at {frozen} (Beijing time)")
        # beside the rates: seed 000's measure, each side's registrations, the gap and 漏管 against its target
        co = comanagement_summary(state.client.reports.comanagement(by="county"))
        lines = [*fitted(title.strip(), width), text, *fitted(co, width)]
        write_text("\n".join(lines) + "\n", output)
        click.echo(t("查看差距背后的人员：flowpop report rates --records 比率代码（如 registration）",
                     "the people behind a gap: flowpop report rates --records KEY (e.g. registration)"), err=True)
    if output not in (None, "-"):
        click.echo(t(f"已保存：{output}", f"saved: {output}"), err=True)


@report.command("close")
@click.option("--month", required=True, metavar="2026-11", help="月份 / the month")
@pass_state
def close(state: State, month: str) -> None:
    """冻结已截止月份（12 日北京时间 3 时后）的统计数据：之后的修改计入下月；截止后首次查询也会冻结 /
    freeze a month past its cut-off (the 12th, 03:00 Beijing time): later changes count in the next month; its
    first query after the cut-off freezes it too."""
    done = state.client.reports.close_month(month)
    at = f"{done.closed_at.replace(tzinfo=dt.UTC).astimezone(BEIJING):%Y-%m-%d %H:%M}"
    click.echo(t(f"{done.period}（{done.start:%Y-%m-%d %H:%M} 至 {done.end:%Y-%m-%d %H:%M} 北京时间）已截止，数据冻结于 {at}"
                 f"（{done.closed_by}）",
                 f"{done.period} ({done.start:%Y-%m-%d %H:%M} to {done.end:%Y-%m-%d %H:%M} Beijing time) is closed: "
                 f"figures frozen at {at} ({done.closed_by})"))


def trend_rows(reports: list[RatesReport], keys: list[str]) -> tuple[list[str], list[list[str]]]:
    first = {r.key: r for r in reports[0].total.rates}
    headers = [t("比率", "Rate"), t("目标", "Target")] + [r.period for r in reports]
    rows = []
    for k in keys:
        rows.append([rate_name(first[k]), target_text(first[k])] + [rate_cell(by_key(r.total)[k]) for r in reports])
    return headers, rows


@report.command("trend")
@click.option("--quarters", metavar="2026Q1,2026Q2,…", help="季度，逗号分隔（默认最近四个季度）/ quarters (default: the last four)")
@click.option("--division", metavar="CODE", help="只看该区划 / within this division")
@click.option("--rate", "rate_keys", multiple=True, metavar="KEY", help="只列这些比率 / only these rates")
@format_options
@pass_state
def trend(state: State, quarters: str | None, division: str | None, rate_keys: tuple[str, ...], fmt: str) -> None:
    """各比率逐季度的变化（合计）/ each rate quarter by quarter (totals)."""
    wanted = [q.strip().upper() for q in quarters.split(",") if q.strip()] if quarters else \
        previous_quarters(quarter_of(dt.date.today()), 4)
    reports = state.client.reports.trend(wanted, division=division_code(division))
    if not reports:
        click.echo(t("（没有记录）", "(no records)"), err=True)
        return
    keys = wanted_rates(reports[0], rate_keys)
    if fmt == "table":
        headers, rows = trend_rows(reports, keys)
        click.echo(table(rows, headers, max_width=terminal_width(sys.stdout)))
    elif fmt == "csv":
        out = CsvOut(sys.stdout)  # as every flowpop CSV: BOM, CRLF, headers in the user's language
        out.row([t("季度", "Period"), t("比率代码", "Rate key"), t("比率", "Rate"), t("分子", "Numerator"),
                 t("分母", "Denominator"), t("比率值", "Value"), t("目标", "Target"), t("达标", "Meets target")])
        for r in reports:
            for rate in r.total.rates:
                if rate.key in keys:
                    out.row([r.period, rate.key, rate_name(rate), rate.numerator, rate.denominator,
                             None if rate.value is None else round(rate.value, 4), rate.target, rate.meets_target])
    else:
        render(reports, fmt)


def scoped_quality(report: QualityReport, prefix: str) -> tuple[QualityReport, str | None]:
    """The checks counted (by county, as the registry groups them) for the counties the division lies in or covers."""
    if not prefix:
        return report, None
    counties = sorted({k for c in report.checks for k in c.by_division
                       if k.startswith(prefix) or prefix.startswith(prefix_of(k))})
    checks = [c.model_copy(update={"count": sum(n for k, n in c.by_division.items() if k in counties)})
              for c in report.checks]
    shares = [s for s in report.by_county
              if s.division_code.startswith(prefix) or prefix.startswith(prefix_of(s.division_code))]
    return report.model_copy(update={"checks": checks, "by_county": shares}), "、".join(k[:6] for k in counties) or prefix


@report.command("quarterly")
@click.option("--quarter", metavar="2026Q4", help="季度（默认本季度）/ quarter (default: this one)")
@click.option("--division", metavar="CODE", help="报告的区划（默认您的管辖区域）/ the division (default: your jurisdiction)")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), metavar="report.html",
              help="输出的 HTML 文件 / the HTML file to write")
@click.option("--unit", default="", envvar="FLOWPOP_REPORT_UNIT", metavar="NAME",
              help="填报单位（默认留空待盖章）/ the reporting unit (default: a blank to stamp)")
@click.option("--head", default="", envvar="FLOWPOP_REPORT_HEAD", metavar="NAME",
              help="负责人（默认留空待签）/ the unit's head (default: a blank to sign)")
@click.option("--preparer", default="", envvar="FLOWPOP_REPORT_PREPARER", metavar="NAME",
              help="填表人（默认留空待签）/ who prepared it (default: a blank to sign)")
@click.option("--phone", default="", envvar="FLOWPOP_REPORT_PHONE", metavar="NUMBER",
              help="联系电话（默认留空）/ contact telephone (default: blank)")
@click.option("--date", "reported_on", type=click.DateTime(["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="报出日期（默认北京时间今天）/ the date reported (default: today in Beijing)")
@pass_state
def quarterly(state: State, quarter: str | None, division: str | None, output: str, unit: str, head: str,
              preparer: str, phone: str, reported_on: dt.datetime | None) -> None:
    """报送市里的季度报告：一个可打印的 HTML 文件（比率与目标、各乡镇柱状图（差的在前，无数据的不画）、
    近四季度趋势、信息交换、清查进度、数据质量，末尾为填报单位、负责人、填表人、联系电话、报出日期签署栏；
    这些名称可用选项或 FLOWPOP_REPORT_UNIT/HEAD/PREPARER/PHONE 给出）/
    the printable quarterly report for the city, one self-contained HTML file, ending with a sign-off block
    (unit, head, preparer, telephone, date; names from the options or FLOWPOP_REPORT_* variables)."""
    q = (quarter or quarter_of(dt.date.today())).upper()
    code = division_code(division)
    client = state.client
    steps = 6
    with Progress() as progress:
        stage = t("生成季度报告", "building the quarterly report")
        progress.update(stage, 0, steps)
        rates_now = client.reports.rates(q, level="township", division=code)
        progress.update(stage, 1, steps)
        history = client.reports.trend(previous_quarters(q, 4), division=code)
        progress.update(stage, 2, steps)
        figures = client.inbox.figures(level="township")
        prefix = prefix_of(code) if code else ""
        figures = [f for f in figures if f.division_code.startswith(prefix)]
        progress.update(stage, 3, steps)
        campaigns = [c for c in client.inspections.list()  # the quarter's campaigns inside, or around, the division
                     if c.quarter == q and (c.jurisdiction_code.startswith(prefix)
                                            or prefix.startswith(prefix_of(c.jurisdiction_code)))]
        progress_rows = [client.inspections.progress(c.id) for c in campaigns]
        progress.update(stage, 4, steps)
        quality, scope = scoped_quality(client.reports.quality(), prefix)
        progress.update(stage, 5, steps)
        co = client.reports.comanagement(by="county")
        me = client.me()
        ancestors: dict[str, str] = {}  # the divisions between the area and the rows, whose names the rows' labels are made of
        rows = [row.division_code for row in rates_now.rows] + [f.division_code for f in figures]
        for a in ancestor_codes(rates_now.total.division_code, rows):
            try:
                ancestors[a] = client.divisions.get(a).full_name
            except (NotFoundError, PermissionDeniedError):  # the row then shows its own full name
                continue
        signoff = SignOff(reported_on=reported_on.date() if reported_on else beijing_today(), unit=unit.strip(),
                          head=head.strip(), preparer=preparer.strip(), phone=phone.strip())
        html = render_quarterly(QuarterlyData(
            quarter=q, rates=rates_now, trend=history, figures=figures, campaigns=progress_rows, quality=quality,
            generated=dt.datetime.now(BEIJING), author=me.display_name or me.username, quality_scope=scope,
            ancestors=ancestors, signoff=signoff, comanagement=co))
        write_text(html, output)
        progress.update(stage, 6, steps)
    click.echo(t(f"已生成季度报告：{output}（用浏览器打开打印）", f"quarterly report saved: {output} (print from a browser)"),
               err=True)


# ------------------------------------------------------------------------------------ co-management


COMANAGEMENT_LISTS = ("both", "inflow", "outflow", "missing-inflow", "missing-outflow", "unmanaged")
COMANAGEMENT_COLUMNS = [
    Column("区划", "Division", lambda r: r.name or r.key, flex="start"),
    Column("流入登记", "Inflows registered", lambda r: r.inflows_registered),
    Column("流出登记", "Outflows registered", lambda r: r.outflows_registered),
    Column("差额", "Gap", lambda r: r.gap),
    Column("共管", "Both", lambda r: r.both),
    Column("缺流入登记", "Missing inflow", lambda r: r.missing_inflow),
    Column("缺流出登记", "Missing outflow", lambda r: r.missing_outflow),
    Column("漏管", "Unmanaged", lambda r: r.unmanaged),
    Column("共管率", "Co-management", lambda r: percent(r.co_management) or NO_DATA),
]


def comanagement_rows(data: ComanagementReport) -> list[ComanagementRow]:
    return [*data.rows, data.total.model_copy(update={"name": t("合计", "Total")})]


@report.command("comanagement")
@click.option("--by", type=click.Choice(["county", "pair"]), default="county", show_default=True,
              help="按县或按县对（户籍县→居住县）/ one row per county or per pair (household → residence county)")
@click.option("--division", metavar="CODE", help="只计双方都在该区划内的（市：市内跨县）/ both sides inside it (a city)")
@click.option("--list", "kind", type=click.Choice(COMANAGEMENT_LISTS),
              help="列出该数字背后的人员 / the people behind a number")
@click.option("--county", metavar="CODE", help="--list：该县一方的 / --list: that county's side")
@click.option("--household", metavar="CODE", help="--list：户籍县（县对）/ --list: the pair's household county")
@click.option("--residence", metavar="CODE", help="--list：居住县（县对）/ --list: the pair's residence county")
@click.option("--limit", type=click.IntRange(1, 5000), default=500, show_default=True, help="--list 最多条数 / rows")
@format_options
@pass_state
def comanagement(state: State, by: str, division: str | None, kind: str | None, county: str | None,
                 household: str | None, residence: str | None, limit: int, fmt: str) -> None:
    """共管（按双方登记）：各县或县对的流入登记、流出登记、差额、漏管与目标；--list 列出人员 /
    co-management by registration: inflows and outflows registered, the gap, unmanaged against the target."""
    client = state.client
    if kind:
        people = client.reports.comanagement_records(
            kind.replace("-", "_"), county=division_code(county), household=division_code(household),
            residence=division_code(residence), division=division_code(division), limit=limit)
        render(people, fmt, views.PERSON_COLUMNS)
        return
    data = client.reports.comanagement(by="pair" if by == "pair" else "county", division=division_code(division))
    if fmt == "json":
        click.echo(dumps(data, indent=2))
        return
    render(comanagement_rows(data), fmt, COMANAGEMENT_COLUMNS, model=ComanagementRow)
    if fmt == "table":
        click.echo(comanagement_summary(data))
        click.echo(t("查看人员：flowpop report comanagement --list missing-inflow --county 县代码",
                     "the people: flowpop report comanagement --list missing-inflow --county CODE"), err=True)


# ------------------------------------------------------------------------------------ quality


QUALITY_COLUMNS = [
    Column("检查项", "Check", lambda c: t(c.name, c.name_en), flex="start"),
    Column("数量", "Count", lambda c: c.count),
    Column("可自动修复", "Fix", lambda c: views.labelled(views.OPERATIONS, c.fixable) if c.fixable else ""),
    Column("代码", "Key", lambda c: c.key),
]
# errors ÷ records per county (seed 000: "全市共有差错32万条,占11%,清流18%")
SHARE_COLUMNS = [
    Column("县（市、区）", "County", lambda s: s.division_name or s.division_code, flex="start"),
    Column("记录数", "Records", lambda s: s.records),
    Column("有差错", "With errors", lambda s: s.errors),
    Column("差错率", "Error share", lambda s: percent(s.share)),
]


@click.command("quality")
@click.option("--persons", "persons_key", metavar="KEY", help="列出该检查项的人员 / the people behind a check")
@click.option("--fix", "fix_key", metavar="KEY", help="预览修复该检查项的批量变更 / plan the changeset that fixes a check")
@click.option("--division", metavar="CODE", help="--persons/--fix 只看该区划 / within this division")
@click.option("--limit", type=click.IntRange(1, 5000), default=500, show_default=True,
              help="--persons 最多列出条数 / rows --persons prints")
@format_options
@pass_state
def quality(state: State, persons_key: str | None, fix_key: str | None, division: str | None, limit: int,
            fmt: str) -> None:
    """数据质量检查：每项的问题数；--persons 列出人员，--fix 预览修复（再用 bulk apply 执行）/
    data-quality checks with their counts; --persons lists the people, --fix plans the fix (apply with bulk apply)."""
    if persons_key and fix_key:
        raise click.UsageError(t("--persons 与 --fix 只能给一个", "give --persons or --fix, not both"))
    client = state.client
    if persons_key:
        render(client.reports.quality_persons(persons_key, division=division_code(division), limit=limit), fmt,
               views.PERSON_COLUMNS)
        return
    if fix_key:
        if fmt not in ("table", "json"):
            raise click.UsageError(t("--fix 可用 table 或 json 格式", "--fix prints table or json"))
        print_preview(client.reports.quality_fix(fix_key, division=division_code(division)), fmt)
        return
    result = client.reports.quality()
    checks: list[QualityCheck] = result.checks
    render(checks, fmt, QUALITY_COLUMNS)
    if fmt == "table" and result.by_county:
        click.echo()
        render(result.by_county, fmt, SHARE_COLUMNS)
    if fmt == "table":
        click.echo(t(f"共检查 {result.persons_checked} 人，用时 {result.seconds} 秒；查看人员：flowpop quality --persons 代码",
                     f"{result.persons_checked} people checked in {result.seconds}s; the people: flowpop quality --persons KEY"),
                   err=True)

