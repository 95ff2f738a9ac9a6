"""The day at a glance: the inbox's counts and what is overdue, inspection progress, data quality, and
this quarter's rates as bars against their targets. Each part loads in its own worker and fills in."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, TypeVar

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from flowpop.labels import pick
from flowpop_tui.base import BaseScreen
from flowpop_tui.format import clip, late_text, today
from flowpop_tui.i18n import error_text, kind_short, label, t
from flowpop_tui.ops_base import bar, pad, share, short_place

if TYPE_CHECKING:
    from flowpop.types import (
        Campaign,
        CampaignProgress,
        ComanagementReport,
        InboxSummary,
        Message,
        QualityReport,
        Rate,
        RatesReport,
    )

W = TypeVar("W", bound=Widget)

OVERDUE_SHOWN = 5
OPENABLE = ("overdue", "quality")  # panels whose lines open with Enter
CAMPAIGNS_SHOWN = 2
RATE_NAME = 14  # cells: the longest Chinese rate name (信息采集及时率)
RATE_BAR = 14
RATES_INNER = 42  # the rates panel's text width (46 less border and padding)
RATE_FIXED = 14  # a space, the value and the target beside the name and the bar
LEFT_TEXT = 28  # the left column's text width at 80 columns (with its scroll bar)


def quarter_of(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def rate_line(rate: Rate, name_width: int = RATE_NAME, bar_width: int = RATE_BAR) -> Text:
    """``登记率        ███████▌░░░░░░  53.3% ≥90%`` — green when it meets the target, red when not;
    a ┃ marks the target on the bar."""
    name = pick((rate.name, rate.name_en))
    style = "dim" if rate.meets_target is None else ("green" if rate.meets_target else "red")
    cells = list(bar(rate.value, bar_width))
    mark = min(bar_width - 1, round(rate.target * bar_width))
    line = Text(pad(name, name_width) + " ")
    for i, ch in enumerate(cells):
        line.append("┃" if i == mark else ch, "bold yellow" if i == mark else style)
    value = "–" if rate.value is None else t("percent", value=rate.value * 100)
    line.append(f" {value:>6}", style)
    line.append(f" {'≥' if rate.higher_is_better else '≤'}{rate.target * 100:g}%", "dim")
    return line


def comanagement_text(report: ComanagementReport | Exception) -> Text:
    """``共管 流入N 流出M 差G 漏管U≤500`` for the user's jurisdiction (the report's total), for the rates panel's
    bottom border (its body is full at 80×24); green when 漏管 is within its target, red when not."""
    if isinstance(report, Exception):
        return Text(t("failed", error=error_text(report)), style="red")
    total = report.total
    text = t("dash_coman", inflows=total.inflows_registered, outflows=total.outflows_registered, gap=total.gap,
             unmanaged=total.unmanaged, target=report.unmanaged_target)
    return Text(text, style="green" if report.meets_target else "red")


def rate_widths(rates: list[Rate]) -> tuple[int, int]:
    """The name column fits the longest name (up to half the panel); the bar takes what is left."""
    longest = max((cell_len(pick((r.name, r.name_en))) for r in rates), default=RATE_NAME)
    name_width = min(max(longest, 6), RATES_INNER // 2)
    return name_width, max(RATES_INNER - RATE_FIXED - name_width, 6)


class DashboardScreen(BaseScreen):
    # the other areas are one key away from anywhere (the app binds each key of ``app.AREAS``)
    BINDINGS = [Binding("ctrl+r", "refresh", "key_refresh")]

    def __init__(self) -> None:
        super().__init__()
        self.quarter = quarter_of(today())
        self.summary: InboxSummary | None = None
        self.overdue: list[Message] = []
        self.campaigns: list[tuple[Campaign, CampaignProgress | None]] = []
        self.quality: QualityReport | None = None
        self.rates: RatesReport | None = None

    def compose(self) -> ComposeResult:
        yield Header(icon="☰")
        with Horizontal(id="dash"):
            with VerticalScroll(id="dash-left"):
                for part in ("inbox", "overdue", "inspect", "quality"):
                    yield self._panel(part, t(f"dash_{part}"))
            yield self._panel("rates", t("dash_rates", period=self.quarter))
        yield Footer(compact=True, show_command_palette=False)

    @staticmethod
    def _panel(part: str, title: str) -> Static | OptionList:
        """A panel; the overdue items and the quality lines are lists whose items open with Enter."""
        panel: Static | OptionList
        if part in OPENABLE:
            panel = OptionList(Option(t("loading"), disabled=True), id=f"dash-{part}", classes="panel items",
                               markup=False)
        else:
            panel = Static(t("loading"), id=f"dash-{part}", classes="panel", markup=False)
        panel.border_title = Text(title)  # Text: never read as markup
        return panel

    def items(self, part: str, lines: list[tuple[Text, str | None]]) -> None:
        """Fill a list panel: (line, what Enter opens: an id, or None for a line that opens nothing)."""
        panel = self._found(part, OptionList)
        if panel is None:
            return
        panel.clear_options()
        panel.add_options([Option(text, id=f"{part}:{key}" if key else None, disabled=key is None)
                           for text, key in lines])
        first = next((n for n, (_text, key) in enumerate(lines) if key), None)
        if first is not None:
            panel.highlighted = first

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        """Enter on an overdue item opens the message in the inbox; on a quality line, the people behind it."""
        part, _, key = (event.option.id or "").partition(":")
        if part == "overdue":
            from flowpop_tui.inbox_message import MessageScreen

            self.app.action_go("inbox")  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp
            self.app.push_screen(MessageScreen(int(key)))
        elif part == "quality" and self.quality is not None:
            from flowpop_tui.ops_quality import QualityPersonsScreen

            check = next((c for c in self.quality.checks if c.key == key), None)
            if check is not None:
                self.app.action_go("quality")  # type: ignore[attr-defined]  # self.app is textual's App; ours is FlowpopApp
                self.app.push_screen(QualityPersonsScreen(check))

    def setup(self) -> None:
        self.query_one("#dash-overdue", OptionList).focus()
        self.load()

    def load(self) -> None:
        self.load_inbox()
        self.load_overdue()
        self.load_inspections()
        self.load_quality()
        self.load_rates()

    def show(self, part: str, content: Text | str) -> None:
        if part in OPENABLE:
            self.items(part, [(Text(content) if isinstance(content, str) else content, None)])
            return
        panel = self._found(part, Static)
        if panel is not None:
            panel.update(content)

    def _found(self, part: str, kind: type[W]) -> W | None:
        """A part's panel; None once the console is closing (a worker that answers then finds its panel gone)."""
        try:
            return self.query_one(f"#dash-{part}", kind)
        except NoMatches:
            return None

    def show_error(self, part: str, exc: BaseException) -> None:
        self.show(part, Text(t("failed", error=error_text(exc)), style="red"))

    # ------------------------------------------------------------------ the parts

    @work(group="dash-inbox", exclusive=True)
    async def load_inbox(self) -> None:
        client = await self.get_client()
        if client is None:
            return
        try:
            s = await client.inbox.summary()
        except Exception as exc:
            self.show_error("inbox", exc)
            return
        self.summary = s
        text = Text(t("dash_inbox_open", new=s.new, open=s.open) + "\n" + t("dash_inbox_due", overdue=s.overdue,
                                                                           due_today=s.due_today))
        if s.outbox_unsent:
            text.append(" · " + t("dash_outbox", n=s.outbox_unsent))
        if s.by_kind:
            sep = pick(("，", ", "))
            text.append("\n" + sep.join(f"{label('message_kind', k)} {n}" for k, n in sorted(s.by_kind.items())),
                        "dim")
        text.highlight_regex(r"\d+", "bold")
        self.query_one("#dash-inbox", Static).set_class(s.overdue > 0, "alert")
        self.query_one("#dash-overdue", OptionList).border_title = Text(f"{t('dash_overdue')} {s.overdue}")
        self.show("inbox", text)

    @work(group="dash-overdue", exclusive=True)
    async def load_overdue(self) -> None:
        client = await self.get_client()
        if client is None:
            return
        try:
            page = await client.inbox.list(overdue=True, limit=OVERDUE_SHOWN).first_page()
        except Exception as exc:
            self.show_error("overdue", exc)
            return
        self.overdue = page.data
        if not page.data:
            self.show("overdue", Text(t("dash_overdue_none"), style="green"))
            return
        lines: list[tuple[Text, str | None]] = []
        for m in page.data:
            who = str(m.subject.get("name") or "")
            lines.append((Text.assemble((pad(late_text(m.due_on), 11), "red"), pad(kind_short(m.kind), 7),
                                        clip(who, LEFT_TEXT - 18)), str(m.id)))
        if page.has_more:
            lines.append((Text("…", style="dim"), None))
        self.items("overdue", lines)

    @work(group="dash-inspect", exclusive=True)
    async def load_inspections(self) -> None:
        client = await self.get_client()
        if client is None:
            return
        try:
            campaigns = [c for c in await client.inspections.list() if c.status == "open"]
            first = await client.inspections.progress(campaigns[0].id) if campaigns else None
        except Exception as exc:
            self.show_error("inspect", exc)
            return
        self.campaigns = [(c, first if n == 0 else None) for n, c in enumerate(campaigns)]
        if not campaigns:
            self.show("inspect", Text(t("dash_inspect_none"), style="dim"))
            return
        lines = []
        for c, p in self.campaigns[:CAMPAIGNS_SHOWN]:
            lines.append(Text(clip(c.name, LEFT_TEXT), style="bold"))
            lines.append(self._progress_line(c.done, c.items, 12))
            if p is None:  # the villages furthest behind, for the first campaign only
                continue
            lagging = sorted((v for v in p.by_village if v.done < v.total), key=lambda v: v.done / v.total)[:2]
            for v in lagging:
                lines.append(Text.assemble("  ", pad(short_place(v.name, c.jurisdiction_name, 10) or v.key, 11),
                                           f"{v.done}/{v.total}"))
        if len(campaigns) > CAMPAIGNS_SHOWN:
            lines.append(Text(t("dash_inspect_more", n=len(campaigns) - CAMPAIGNS_SHOWN), style="dim"))
        self.show("inspect", Text("\n").join(lines))

    @staticmethod
    def _progress_line(done: int, total: int, width: int) -> Text:
        fraction = share(done, total)
        pct = "" if fraction is None else " " + t("percent", value=fraction * 100)
        return Text.assemble((bar(fraction, width), "cyan"), f" {done}/{total}{pct}")

    @work(group="dash-quality", exclusive=True)
    async def load_quality(self) -> None:
        client = await self.get_client()
        if client is None:
            return
        try:
            report = await client.reports.quality()
        except Exception as exc:
            self.show_error("quality", exc)
            return
        self.quality = report
        flagged = sorted((c for c in report.checks if c.count), key=lambda c: -c.count)
        if not flagged:
            self.show("quality", Text(t("dash_quality_ok", n=report.persons_checked), style="green"))
            return
        lines: list[tuple[Text, str | None]] = [
            (Text(t("dash_quality_sum", checks=len(flagged), n=sum(c.count for c in flagged)), style="yellow"), None)]
        for c in flagged[:3]:
            name = pick((c.name, c.name_en))
            lines.append((Text.assemble(pad(name, LEFT_TEXT - 7), (f"{c.count:>6}", "bold")), c.key))
        self.items("quality", lines)

    @work(group="dash-rates", exclusive=True)
    async def load_rates(self) -> None:
        client = await self.get_client()
        if client is None:
            return
        try:
            # the totals only (the trend's report of one quarter): the rates by division (every county that
            # figures anywhere: ~300 rows and 1.2 MB on the 100k demo) are not shown here
            (report,) = await client.reports.trend([self.quarter])
        except Exception as exc:
            self.show_error("rates", exc)
            return
        try:  # the co-management figures beside the rates (issue 14); the rates show without them
            coman: ComanagementReport | Exception = await client.reports.comanagement()
        except Exception as exc:
            coman = exc
        self.rates = report
        panel = self.query_one("#dash-rates", Static)
        place = report.total.division_name or ""
        panel.border_title = Text(t("dash_rates", period=report.period) + (f" · {place}" if place else ""))
        panel.border_subtitle = comanagement_text(coman)
        if not report.total.rates:
            self.show("rates", Text(t("dash_rates_none"), style="dim"))
            return
        widths = rate_widths(report.total.rates)
        self.show("rates", Text("\n").join(rate_line(r, *widths) for r in report.total.rates))
