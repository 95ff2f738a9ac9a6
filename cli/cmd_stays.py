"""flowpop stays …: a person's stays (流动记录): list, add, edit, close."""

from __future__ import annotations

from typing import Any

import click

from flowpop.types import Stay, StayUpdate
from flowpop_cli import inputs, views
from flowpop_cli.cmd_persons import STAY_OPTIONS, STAY_REQUIRED, field_options
from flowpop_cli.output import format_options, render, render_one
from flowpop_cli.state import State, pass_state, t

STAY_EDITABLE = tuple(f for f in StayUpdate.model_fields if f not in ("version", "change_reason"))


def show_stay(stay: Stay, fmt: str) -> None:
    render_one(stay, fmt, lambda: views.card_rows(stay, views.STAY_CARD, views.STAY_KINDS))


@click.group()
def stays() -> None:
    """居住记录（流动记录）/ stays: one episode of living away from home."""


@stays.command("list")
@click.argument("person_id", type=int)
@format_options
@pass_state
def list_stays(state: State, person_id: int, fmt: str) -> None:
    """一个人的全部居住记录 / every stay of a person."""
    render(state.client.stays.list(person_id), fmt, views.STAY_COLUMNS)


@stays.command("show")
@click.argument("stay_id", type=int)
@format_options
@pass_state
def show(state: State, stay_id: int, fmt: str) -> None:
    """一条居住记录 / one stay."""
    show_stay(state.client.stays.get(stay_id), fmt)


@stays.command("add")
@click.argument("person_id", type=int)
@click.option("--household", "household_code", help="户籍地区划代码（默认为人员的）/ household code (default: the person's)")
@click.option("--household-address", "household_address", help="户籍地址 / household address")
@field_options(STAY_OPTIONS)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="输出格式 / output format")
@pass_state
def add(state: State, person_id: int, fmt: str, **options: Any) -> None:
    """为一个人登记新的居住记录 / register a new stay for a person."""
    values = {k: inputs.coded(k, v) for k, v in options.items() if v is not None}
    inputs.require(values, STAY_REQUIRED)
    stay = state.client.stays.create(person_id=person_id, **values)
    click.echo(t(f"已登记居住记录 {stay.id}", f"stay {stay.id} registered"), err=True)
    show_stay(stay, fmt)


@stays.command("edit")
@click.argument("stay_id", type=int)
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", required=True,
              help="要改的字段，可重复 / a field to change (repeatable)")
@click.option("--reason", help="变更原因 / why")
@click.option("--version", type=int, help="您读到的版本（默认当前版本）/ the version you read (default: current)")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="输出格式 / output format")
@pass_state
def edit(state: State, stay_id: int, sets: tuple[str, ...], reason: str | None, version: int | None,
         fmt: str) -> None:
    """修改一条居住记录 / change a stay."""
    changes = inputs.parse_sets(sets, STAY_EDITABLE)
    if version is None:
        version = state.client.stays.get(stay_id).version
    stay = state.client.stays.update(stay_id, version=version, change_reason=reason, **changes)
    click.echo(t(f"已修改居住记录 {stay.id}，版本 {stay.version}", f"stay {stay.id} updated, version {stay.version}"),
               err=True)
    show_stay(stay, fmt)


@stays.command("close")
@click.argument("stay_id", type=int)
@click.option("--reason", required=True, help="结束原因 / why")
@click.option("--date", metavar="DATE", help="返回日期（默认今天）/ date (default: today)")
@click.option("--yes", "-y", is_flag=True, help="不再确认 / do not ask")
@click.option("--version", type=int, help="您读到的版本 / the version you read")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="输出格式 / output format")
@pass_state
def close(state: State, stay_id: int, reason: str, date: str | None, yes: bool, version: int | None,
          fmt: str) -> None:
    """结束一条居住记录 / close a stay."""
    current = state.client.stays.get(stay_id)
    inputs.confirm(f"结束居住记录 {stay_id}？", f"close stay {stay_id}?", yes)
    stay = state.client.stays.close(stay_id, version=version if version is not None else current.version,
                                    reason=reason, date=date)  # type: ignore[arg-type]  # ISO text; the registry checks it as a date
    click.echo(t(f"已结束居住记录 {stay.id}", f"stay {stay.id} closed"), err=True)
    show_stay(stay, fmt)
