"""The quarterly report for the city as one self-contained, printable HTML file: inline CSS, charts drawn
as inline SVG, no scripts and no external assets, so it can be mailed, archived and printed as it is."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from html import escape

from flowpop.labels import lang
from flowpop.rules.divisions_source import pad12, prefix_of
from flowpop.types import (
    CampaignProgress,
    ComanagementReport,
    InboxFigures,
    QualityReport,
    Rate,
    RateRow,
    RatesReport,
)
from flowpop_cli.state import t
from flowpop_cli.views import CAMPAIGN_STATUS, OUTCOMES, labelled, percent

GOOD, BAD, NONE, TOTAL, TARGET = "#2e7d32", "#c62828", "#9e9e9e", "#1f4e79", "#e65100"
BEIJING = dt.timezone(dt.timedelta(hours=8), "CST")
CHART_LABEL_CHARS = 12  # a chart label longer than this is shortened from the front

CSS = """
@page { size: A4 landscape; margin: 12mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", SimSun, sans-serif;
       color: #222; margin: 0 auto; max-width: 1200px; padding: 16px; font-size: 13px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; border-bottom: 2px solid #1f4e79; padding-bottom: 3px; margin-top: 28px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
.meta { color: #555; margin: 0 0 12px; }
.summary { background: #f3f6fa; border-left: 4px solid #1f4e79; padding: 8px 12px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: 12px; }
th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: right; white-space: nowrap; }
th { background: #e8eef5; text-align: center; }
td.name, th.name { text-align: left; white-space: normal; }
tr.total td { font-weight: bold; background: #f3f6fa; }
td.ok { color: #2e7d32; } td.bad { color: #c62828; font-weight: bold; } td.na { color: #9e9e9e; }
figure { display: inline-block; vertical-align: top; margin: 0 16px 12px 0; page-break-inside: avoid; break-inside: avoid; }
figcaption { font-weight: bold; margin-bottom: 2px; }
.bar { background: #e0e0e0; height: 8px; width: 120px; display: inline-block; vertical-align: middle; }
.bar span { background: #1f4e79; height: 8px; display: block; }
.legend { color: #555; font-size: 12px; }
section { page-break-inside: auto; }
.signoff { margin-top: 36px; display: flex; flex-wrap: wrap; gap: 14px 36px; font-size: 14px; }
.signoff .field { white-space: nowrap; }
.signoff .blank { display: inline-block; min-width: 9em; border-bottom: 1px solid #444; padding: 0 4px; }
footer { margin-top: 30px; color: #777; font-size: 11px; border-top: 1px solid #ccc; padding-top: 6px; }
@media print { body { padding: 0; max-width: none; } h2 { page-break-after: avoid; } }
"""


@dataclass
class SignOff:
    """The block a report to the city ends with; a name not given is a blank line to sign on paper."""

    reported_on: dt.date
    unit: str = ""
    head: str = ""
    preparer: str = ""
    phone: str = ""


@dataclass
class QuarterlyData:
    quarter: str
    rates: RatesReport
    trend: list[RatesReport]
    figures: list[InboxFigures]
    campaigns: list[CampaignProgress]
    quality: QualityReport
    generated: dt.datetime
    author: str
    quality_scope: str | None = None  # the counties the quality counts were narrowed to, when they were
    ancestors: dict[str, str] = field(default_factory=dict)  # code → full name of the divisions between area and rows
    signoff: SignOff | None = None
    comanagement: ComanagementReport | None = None  # co-management by registration, per county


def beijing_today() -> dt.date:
    """Today in Beijing (UTC+8 all year), whatever the machine's zone."""
    return dt.datetime.now(BEIJING).date()


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


def rate_name(r: Rate) -> str:
    return t(r.name, r.name_en)


def target_text(r: Rate) -> str:
    return ("≥" if r.higher_is_better else "≤") + percent(r.target, 0)


def short_name(row: RateRow, parent: str | None) -> str:
    name = row.division_name or row.division_code
    return name[len(parent):] if parent and name.startswith(parent) and name != parent else name


def ancestor_codes(area_code: str, codes: list[str]) -> list[str]:
    """The divisions between the report's area and its rows (a city's counties for township rows), whose names
    the rows' labels are built from."""
    start = len(prefix_of(area_code)) if area_code else 0
    out: set[str] = set()
    for code in codes:
        own = prefix_of(code)
        out |= {pad12(own[:n]) for n in (2, 4, 6, 9) if start < n < len(own)}
    return sorted(out)


def relative_name(code: str, full: str | None, area: str | None, ancestors: dict[str, str]) -> str:
    """A division's name below the report's area, one part per level: "三元区 城关街道" in a city's report,
    "城关街道" in a county's. A name that does not continue its parent's is shown whole."""
    name = full or code
    path = [ancestors[a] for a in ancestor_codes("", [code]) if a in ancestors]
    parts, before = [], area or ""
    for step in [*path, name]:
        if before and step.startswith(before):
            if step != before:
                parts.append(step[len(before):])
        else:
            parts = [step]
        before = step
    return " ".join(parts) or name


def display_width(text: str) -> int:
    return sum(2 if ord(c) >= 0x2E80 else 1 for c in text)


def chart_labels(names: list[str], limit: int = CHART_LABEL_CHARS) -> list[str]:
    """Labels short enough for a chart, cut from the front ("…坑塘街道") where the distinguishing part is not;
    a cut that would make two labels read the same is made longer until they differ."""
    keep = [min(len(n), limit) for n in names]

    def shown(i: int) -> str:
        n = names[i]
        return n if keep[i] >= len(n) else "…" + n[len(n) - keep[i] + 1:]

    while True:
        labels = [shown(i) for i in range(len(names))]
        seen: dict[str, list[int]] = {}
        for i, label in enumerate(labels):
            seen.setdefault(label, []).append(i)
        clashes = [i for same in seen.values() if len(same) > 1 for i in same if keep[i] < len(names[i])]
        if not clashes:
            return labels
        for i in clashes:
            keep[i] += 1


def _cell(r: Rate) -> str:
    if r.value is None:
        return '<td class="na">—</td>'
    css, mark = ("ok", "✓") if r.meets_target else ("bad", "✗")
    title = f"{r.numerator}/{r.denominator}"
    return f'<td class="{css}" title="{_e(title)}">{_e(percent(r.value))} {mark}</td>'


# ------------------------------------------------------------------------------------ sections


def _summary(report: RatesReport) -> str:
    rates = report.total.rates
    met = sum(1 for r in rates if r.meets_target is True)
    missed = [r for r in rates if r.meets_target is False]
    empty = sum(1 for r in rates if r.meets_target is None)
    text = t(f"{len(rates)} 项指标中 {met} 项达标，{len(missed)} 项未达标，{empty} 项本期无数据。",
             f"Of {len(rates)} rates, {met} met their targets, {len(missed)} missed, {empty} had no data this period.")
    if missed:
        names = t("、", ", ").join(f"{rate_name(r)}（{percent(r.value)}，{t('目标', 'target')}{target_text(r)}）"
                                  if lang() != "en" else f"{rate_name(r)} ({percent(r.value)}, target {target_text(r)})"
                                  for r in missed)
        text += t(f"未达标：{names}。", f" Missed: {names}.")
    return f'<p class="summary">{_e(text)}</p>'


def row_labels(report: RatesReport, ancestors: dict[str, str]) -> dict[str, str]:
    """Each row's name relative to the report's area (see relative_name), by division code."""
    area = report.total.division_name if report.total.division_code else None
    return {row.division_code: relative_name(row.division_code, row.division_name, area, ancestors)
            for row in report.rows}


def _rates_table(report: RatesReport, labels: dict[str, str]) -> str:
    head = "".join(f"<th>{_e(rate_name(r))}<br><small>{_e(target_text(r))}</small></th>" for r in report.total.rates)
    rows = []
    for row in report.rows:
        cells = "".join(_cell(r) for r in row.rates)
        rows.append(f'<tr><td class="name">{_e(labels[row.division_code])}</td>{cells}</tr>')
    total = "".join(_cell(r) for r in report.total.rates)
    rows.append(f'<tr class="total"><td class="name">{_e(t("合计", "Total"))}</td>{total}</tr>')
    return (f'<table><thead><tr><th class="name">{_e(t("区划", "Division"))}</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
            f'<p class="legend">{_e(t("✓ 达标　✗ 未达标　— 无数据；悬停可见分子/分母", "✓ met  ✗ missed  — no data; hover for numerator/denominator"))}</p>')


def comanagement_summary(c: ComanagementReport) -> str:
    """One sentence: each side's registrations, the gap, 漏管 against its target (seed 000's measure)."""
    tot = c.total
    mark = "✓" if c.meets_target else "✗"
    return t(f"市内跨县（按双方登记）：流入登记 {tot.inflows_registered} 人，流出登记 {tot.outflows_registered} 人，"
             f"差额（流出−流入）{tot.gap} 人；漏管 {tot.unmanaged} 人（目标 ≤ {c.unmanaged_target} {mark}），"
             f"共管 {tot.both} 人，共管率 {percent(tot.co_management) or '—'}。",
             f"Across counties (by both sides' registrations): inflows registered {tot.inflows_registered}, outflows "
             f"registered {tot.outflows_registered}, gap {tot.gap}; unmanaged {tot.unmanaged} (target ≤ "
             f"{c.unmanaged_target} {mark}), co-managed {tot.both}, co-management {percent(tot.co_management) or '—'}.")


def _comanagement(c: ComanagementReport, area: str | None) -> str:
    heads = [t("县（市、区）", "County"), t("流入登记", "Inflows registered"), t("流出登记", "Outflows registered"),
             t("差额（流出−流入）", "Gap (out − in)"), t("缺流入登记", "Missing inflow"), t("缺流出登记", "Missing outflow"),
             t("漏管", "Unmanaged"), t("共管率", "Co-management")]
    head = "".join(f'<th class="{"name" if i == 0 else ""}">{_e(h)}</th>' for i, h in enumerate(heads))
    rows = []
    for row in [*c.rows, c.total]:
        name = t("合计", "Total") if row is c.total else (row.name or row.key)
        if area and row is not c.total and name.startswith(area) and name != area:
            name = name[len(area):]  # 三元区, not 福建省三明市三元区, as the rates' rows are named
        cells = [row.inflows_registered, row.outflows_registered, row.gap, row.missing_inflow, row.missing_outflow]
        unmanaged = (f'<td class="{"ok" if c.meets_target else "bad"}">{row.unmanaged}</td>' if row is c.total
                     else f"<td>{row.unmanaged}</td>")
        css = ' class="total"' if row is c.total else ""
        rows.append(f'<tr{css}><td class="name county">{_e(name)}</td>' + "".join(f"<td>{v}</td>" for v in cells)
                    + unmanaged + f"<td>{_e(percent(row.co_management) or '—')}</td></tr>")
    heading = t("市内跨县共管（流入地流入登记与户籍地流出登记）", "Co-management across counties (both sides registered)")
    legend = t("漏管：只有一方登记；县行：本县应补的登记（流入地缺流入登记、户籍地缺流出登记）",
               "unmanaged: registered by one side only; a county row: the registrations it owes")
    return (f"<h3>{_e(heading)}</h3>"
            f'<p class="summary">{_e(comanagement_summary(c))}</p>'
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f'<p class="legend">{_e(legend)}</p>')


def bar_chart(title: str, bars: list[tuple[str, float | None, bool | None, bool]], target: float,
              target_label: str, note: str = "", titles: list[str] | None = None) -> str:
    """One horizontal bar per division (value 0–1), a dashed line at the target; the total bar in dark blue.
    The labels are drawn as given (see chart_labels), a bar's title (its tooltip) names it in full from ``titles``;
    the label column is as wide as the longest label."""
    widest = max((display_width(name) for name, *_ in bars), default=8)
    label_w, plot_w, row_h, top = max(130, int(widest * 6.2) + 14), 220, 18, 22
    height = top + row_h * len(bars) + 6
    width = label_w + plot_w + 56
    parts = [f'<svg width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}" font-size="11">']
    for i, (name, value, meets, is_total) in enumerate(bars):
        y = top + i * row_h
        shown = name
        weight = ' font-weight="bold"' if is_total else ""
        parts.append(f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end"{weight}>{_e(shown)}</text>')
        if value is None:
            parts.append(f'<text x="{label_w + 4}" y="{y + 12}" fill="{NONE}">{_e(t("无数据", "no data"))}</text>')
            continue
        color = TOTAL if is_total else (GOOD if meets else BAD)
        w = max(min(value, 1.0), 0.0) * plot_w
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{color}">'
                     f"<title>{_e(titles[i] if titles and i < len(titles) else name)} {_e(percent(value))}</title></rect>")
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 12}"{weight}>{_e(percent(value))}</text>')
    x = label_w + max(min(target, 1.0), 0.0) * plot_w
    parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 2}" stroke="{TARGET}" '
                 f'stroke-width="1.5" stroke-dasharray="4 3"/>')
    parts.append(f'<text x="{x:.1f}" y="{top - 8}" text-anchor="middle" fill="{TARGET}">{_e(target_label)}</text>')
    parts.append(f'<line x1="{label_w}" y1="{top - 2}" x2="{label_w}" y2="{height - 2}" stroke="#888"/>')
    parts.append("</svg>")
    remark = f'<p class="legend nodata">{_e(note)}</p>' if note else ""
    return f"<figure><figcaption>{_e(title)}</figcaption>{''.join(parts)}{remark}</figure>"


def worst_first(rows: list[RateRow], i: int, labels: dict[str, str]) -> list[RateRow]:
    """The rows with data for rate i (a denominator), the furthest from the target first: the lowest value where
    higher is better, the highest where lower is; ties by name."""
    with_data = [row for row in rows if row.rates[i].denominator and row.rates[i].value is not None]

    def key(row: RateRow) -> tuple[float, str]:
        r = row.rates[i]
        value = r.value or 0.0
        return (value if r.higher_is_better else -value, labels[row.division_code])

    return sorted(with_data, key=key)


def _charts(report: RatesReport, labels: dict[str, str]) -> str:
    figures = []
    for i, first in enumerate(report.total.rates):
        rows = worst_first(report.rows, i, labels)
        names = chart_labels([labels[row.division_code] for row in rows])
        bars: list[tuple[str, float | None, bool | None, bool]] = [
            (name, row.rates[i].value, row.rates[i].meets_target, False) for name, row in zip(names, rows, strict=True)]
        total = report.total.rates[i]
        bars.append((t("合计", "Total"), total.value, total.meets_target, True))
        empty = len(report.rows) - len(rows)
        note = t(f"{empty} 个单位无数据", f"{empty} division{'s' if empty != 1 else ''} without data") if empty else ""
        figures.append(bar_chart(f"{rate_name(first)}（{t('目标', 'target')} {target_text(first)}）"
                                 if lang() != "en" else f"{rate_name(first)} (target {target_text(first)})",
                                 bars, first.target, t(f"目标 {percent(first.target, 0)}", f"target {percent(first.target, 0)}"),
                                 note, [labels[row.division_code] for row in rows]))
    return f'<div class="charts">{"".join(figures)}</div>'


def sparkline(values: list[float | None], target: float) -> str:
    """A small line over the quarters (0–100%), with the target dashed."""
    w, h, pad = 120, 30, 3
    n = max(len(values) - 1, 1)

    def y(v: float) -> float:
        return h - pad - max(min(v, 1.0), 0.0) * (h - 2 * pad)

    points = [(pad + i * (w - 2 * pad) / n, y(v)) for i, v in enumerate(values) if v is not None]
    parts = [f'<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}">',
             f'<line x1="0" y1="{y(target):.1f}" x2="{w}" y2="{y(target):.1f}" stroke="{TARGET}" stroke-dasharray="3 2"/>']
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{TOTAL}" stroke-width="1.5"/>')
    parts += [f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="2" fill="{TOTAL}"/>' for x, yy in points]
    parts.append("</svg>")
    return "".join(parts)


def _trend(reports: list[RatesReport]) -> str:
    if not reports:
        return f"<p>{_e(t('没有数据', 'No data'))}</p>"
    head = "".join(f"<th>{_e(r.period)}</th>" for r in reports)
    rows = []
    for i, first in enumerate(reports[0].total.rates):
        series = [r.total.rates[i] for r in reports]
        cells = "".join(_cell(r) for r in series)
        line = sparkline([r.value for r in series], first.target)
        rows.append(f'<tr><td class="name">{_e(rate_name(first))}</td><td>{_e(target_text(first))}</td>{cells}'
                    f"<td>{line}</td></tr>")
    return (f'<table><thead><tr><th class="name">{_e(t("比率", "Rate"))}</th><th>{_e(t("目标", "Target"))}</th>{head}'
            f"<th>{_e(t('走势', 'Trend'))}</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _ratio(part: int, whole: int) -> str:
    return percent(part / whole) if whole else "—"


def _inbox(figures: list[InboxFigures], area: str | None, ancestors: dict[str, str]) -> str:
    if not figures:
        return f"<p>{_e(t('没有信息交换记录', 'No exchange recorded'))}</p>"
    heads = [t("区划", "Division"), t("收到通报", "Notices"), t("已接收", "Acknowledged"), t("接收率", "Received %"),
             t("协查等请求", "Requests"), t("已反馈", "Answered"), t("反馈率", "Answered %"), t("按时反馈", "On time"),
             t("及时率", "On time %"), t("逾期", "Overdue")]
    rows = []
    for f in figures:
        rows.append([relative_name(f.division_code, f.division_name, area, ancestors), f.received, f.acknowledged, _ratio(f.acknowledged, f.received),
                     f.requests, f.answered, _ratio(f.answered, f.requests), f.answered_on_time,
                     _ratio(f.answered_on_time, f.requests), f.overdue])
    s = {k: sum(getattr(f, k) for f in figures) for k in ("received", "acknowledged", "requests", "answered",
                                                          "answered_on_time", "overdue")}
    total = [t("合计", "Total"), s["received"], s["acknowledged"], _ratio(s["acknowledged"], s["received"]), s["requests"],
             s["answered"], _ratio(s["answered"], s["requests"]), s["answered_on_time"],
             _ratio(s["answered_on_time"], s["requests"]), s["overdue"]]
    body = "".join('<tr><td class="name">' + _e(r[0]) + "</td>" + "".join(f"<td>{_e(c)}</td>" for c in r[1:]) + "</tr>"
                   for r in rows)
    body += '<tr class="total"><td class="name">' + _e(total[0]) + "</td>" + \
        "".join(f"<td>{_e(c)}</td>" for c in total[1:]) + "</tr>"
    head = f'<th class="name">{_e(heads[0])}</th>' + "".join(f"<th>{_e(h)}</th>" for h in heads[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _bar(done: int, total: int) -> str:
    share = done / total if total else 0
    return f'<span class="bar"><span style="width:{share * 100:.0f}%"></span></span> {_e(_ratio(done, total))}'


def _campaigns(campaigns: list[CampaignProgress]) -> str:
    if not campaigns:
        return f"<p>{_e(t('本季度没有清查', 'No inspection this quarter'))}</p>"
    out = []
    outcome_heads = "".join(f"<th>{_e(labelled(OUTCOMES, code))}</th>" for code in OUTCOMES)
    for p in campaigns:
        c = p.campaign
        out.append(f"<h3>{_e(c.name)}（{_e(labelled(CAMPAIGN_STATUS, c.status))}）</h3>"
                   f"<p>{_e(t('已查', 'Checked'))} {c.done}/{c.items} {_bar(c.done, c.items)}</p>")
        rows = []
        parent = c.jurisdiction_name or ""
        for v in p.by_village:
            counts = "".join(f"<td>{v.by_outcome.get(code, 0)}</td>" for code in OUTCOMES)
            name = v.name or v.key
            name = name[len(parent):] if parent and name.startswith(parent) and name != parent else name
            rows.append(f'<tr><td class="name">{_e(name)}</td><td>{v.done}/{v.total}</td>'
                        f"<td>{_bar(v.done, v.total)}</td>{counts}</tr>")
        out.append(f'<table><thead><tr><th class="name">{_e(t("村居", "Village"))}</th><th>{_e(t("已查/总数", "Done/total"))}'
                   f"</th><th>{_e(t('完成率', 'Done %'))}</th>{outcome_heads}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    return "".join(out)


def _quality(report: QualityReport, scope: str | None) -> str:
    rows = "".join(
        f'<tr><td class="name">{_e(t(c.name, c.name_en))}</td><td>{c.count}</td></tr>'
        for c in report.checks)
    total = sum(c.count for c in report.checks)
    note = t(f"共检查 {report.persons_checked} 人", f"{report.persons_checked} people checked")
    if scope:
        note += t(f"；问题数按所在县统计：{scope}", f"; counts for the county: {scope}")
    return (f'<table><thead><tr><th class="name">{_e(t("检查项", "Check"))}</th><th>{_e(t("问题数", "Count"))}</th>'
            f"</tr></thead><tbody>{rows}"
            f'<tr class="total"><td class="name">{_e(t("合计（人次）", "Total (findings)"))}</td><td>{total}</td></tr>'
            f'</tbody></table><p class="legend">{_e(note)}</p>')


def _error_share(report: QualityReport, area: str | None, ancestors: dict[str, str]) -> str:
    """Each county's records with at least one error ÷ its records (seed 000: 差错32万条，占11%，清流18%)."""
    if not report.by_county:
        return ""
    rows = "".join(f'<tr><td class="name">{_e(relative_name(s.division_code, s.division_name, area, ancestors))}</td>'
                   f"<td>{s.records}</td>"
                   f"<td>{s.errors}</td><td>{_e(percent(s.share))}</td></tr>" for s in report.by_county)
    head = "".join(f"<th>{_e(t(zh, en))}</th>" for zh, en in (("记录数", "Records"), ("有差错", "With errors"),
                                                             ("差错率", "Error share")))
    return (f'<table class="error-share"><thead><tr><th class="name">{_e(t("县（市、区）", "County"))}</th>{head}</tr>'
            f"</thead><tbody>{rows}</tbody></table>")


SIGNOFF_FIELDS = (("unit", "填报单位（盖章）", "Reporting unit (seal)"), ("head", "负责人", "Head of unit"),
                  ("preparer", "填表人", "Prepared by"), ("phone", "联系电话", "Telephone"),
                  ("reported_on", "报出日期", "Date reported"))


def _signoff(s: SignOff) -> str:
    """填报单位（盖章）、负责人、填表人、联系电话、报出日期: each a filled or blank line to sign on."""
    day = s.reported_on
    values = {"unit": s.unit, "head": s.head, "preparer": s.preparer, "phone": s.phone,
              "reported_on": t(f"{day.year}年{day.month}月{day.day}日", day.isoformat())}
    fields = "".join(f'<span class="field" data-field="{key}">{_e(t(zh, en))}{_e(t("：", ": "))}'
                     f'<span class="blank">{_e(values[key]) or "&nbsp;"}</span></span>'
                     for key, zh, en in SIGNOFF_FIELDS)
    return f'<div class="signoff">{fields}</div>'


def render_quarterly(data: QuarterlyData) -> str:
    r = data.rates
    labels = row_labels(r, data.ancestors)
    area = r.total.division_name if r.total.division_code else None
    place = r.total.division_name or t("全部辖区", "all divisions")
    title = t(f"{place} {data.quarter} 流动人口服务管理工作季度报告",
              f"{place}: floating-population service management, quarterly report {data.quarter}")
    meta = t(f"统计期间：{r.start} 至 {r.end}　生成时间：{data.generated:%Y-%m-%d %H:%M}　制表：{data.author}",
             f"Period: {r.start} to {r.end}  Generated: {data.generated:%Y-%m-%d %H:%M}  By: {data.author}")
    sections = [
        (t("一、主要指标", "1. Rates against targets"), _summary(r) + _rates_table(r, labels)
         + (_comanagement(data.comanagement, area) if data.comanagement else "")),
        (t("二、各单位比率", "2. Each rate by division"), _charts(r, labels)),
        (t("三、近四个季度趋势", "3. The last four quarters"), _trend(data.trend)),
        (t("四、信息交换", "4. Exchange between places"), _inbox(data.figures, area, data.ancestors)),
        (t("五、季度清查进度", "5. Quarterly inspection"), _campaigns(data.campaigns)),
        (t("六、数据质量", "6. Data quality"),
         _quality(data.quality, data.quality_scope) + _error_share(data.quality, area, data.ancestors)),
    ]
    body = "".join(f"<section><h2>{_e(head)}</h2>{content}</section>" for head, content in sections)
    signoff = _signoff(data.signoff or SignOff(reported_on=beijing_today()))
    language = t("zh-CN", "en")
    return (f'<!DOCTYPE html>\n<html lang="{language}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
            f'<h1>{_e(title)}</h1><p class="meta">{_e(meta)}</p>{body}{signoff}'
            f"<footer>{_e(t('由 flowpop 生成', 'Generated by flowpop'))}</footer></body></html>\n")
