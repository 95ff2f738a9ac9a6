"""flowpop calendar …: the working-day calendar deadlines are counted in. chinesecalendar covers the years up
to its release; a year after that is counted Monday–Friday and its deadlines are marked provisional until an
administrator loads the State Council's holiday notice for it (a TOML file, rules.workdays.read_notice)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from flowpop.labels import label
from flowpop.rules.workdays import read_notice
from flowpop.types import CalendarYearInfo, HolidayNotice
from flowpop_cli.output import format_options, render_one
from flowpop_cli.state import State, bad_input, pass_state, t


def _days(days: list[dt.date]) -> str:
    """Runs of consecutive days as first–last."""
    runs: list[list[dt.date]] = []
    for d in sorted(days):
        if runs and (d - runs[-1][-1]).days == 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return "，".join(f"{r[0]:%m-%d}" + (f"–{r[-1]:%m-%d}" if len(r) > 1 else "") for r in runs) or "—"


def _card(info: CalendarYearInfo) -> list[tuple[str, str]]:
    rows = [
        (t("年份", "Year"), str(info.year)),
        (t("来源", "Source"), label("calendar_source", info.source)),
        (t("暂定", "Provisional"), t("是", "yes") if info.provisional else t("否", "no")),
        (t("放假", "Holidays"), _days(info.holidays)),
        (t("调休上班", "Make-up working days"), _days(info.workdays)),
    ]
    if info.notice:
        rows.append((t("通知", "Notice"), info.notice))
    if info.loaded_at:
        rows.append(
            (t("载入", "Loaded"), f"{info.loaded_at:%Y-%m-%d %H:%M} UTC {info.loaded_by or ''}".strip())
        )
    if info.recomputed is not None:
        rows.append((t("重算的期限", "Deadlines recomputed"), str(info.recomputed)))
    return rows


@click.group()
def calendar() -> None:
    """工作日日历：节假日与调休，载入新一年的国务院通知 / the working-day calendar: holidays, and loading the State
    Council's notice for a new year."""


@calendar.command("show")
@click.argument("year", type=click.IntRange(2000, 2999))
@format_options
@pass_state
def show(state: State, year: int, fmt: str) -> None:
    """某年的节假日从何而来；未覆盖的年份期限为暂定 / where a year's holidays come from; provisional if none."""
    info = state.client.calendar.year(year)
    render_one(info, fmt, lambda: _card(info))


@calendar.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@format_options
@pass_state
def load(state: State, file: Path, fmt: str) -> None:
    """载入国务院某年节假日安排通知（TOML：year、source、holidays、workdays），并重算未办结事项的期限 /
    load the State Council's holiday notice for a year (TOML: year, source, holidays, workdays); open deadlines
    are recomputed.

    \b
    year = 2027
    source = "国务院办公厅关于2027年部分节假日安排的通知"
    holidays = [2027-01-01, "2027-02-05/2027-02-11"]
    workdays = [2027-02-14]
    """
    try:
        notice = HolidayNotice(**read_notice(file.read_text(encoding="utf-8-sig")))
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_input(f"{file}：{exc}", f"{file}: {exc}") from None
    info = state.client.calendar.load(notice)
    click.echo(
        t(
            f"已载入 {info.year} 年节假日安排；重算期限 {info.recomputed} 项",
            f"loaded the {info.year} holidays; {info.recomputed} deadlines recomputed",
        ),
        err=True,
    )
    render_one(info, fmt, lambda: _card(info))
