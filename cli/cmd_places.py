"""flowpop houses … / flowpop employers …: houses and landlords, tenant declarations, and employers
(以房管人、以业管人)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click

from flowpop.labels import label
from flowpop.types import (
    Employer,
    EmployerFilters,
    EmployerUpdate,
    House,
    HouseFilters,
    HouseResidents,
    HouseUpdate,
    LateDeclaration,
    LateDeclarationFilters,
)
from flowpop_cli import inputs, views
from flowpop_cli.cmd_inbox import open_output, output_option
from flowpop_cli.cmd_persons import field_options
from flowpop_cli.filter_options import chosen, filter_options
from flowpop_cli.output import format_options, render, render_one
from flowpop_cli.state import State, pass_state, t
from flowpop_cli.views import FIELDS, Column, col, pick

HOUSE_PAGE = 1000  # the registry's largest page of houses
RECORD_STATUS = {"active": ("在用", "active")}
LATE_STATES = {"late": ("逾期申报", "declared late"), "missing": ("未申报", "not declared")}
FORMAT_ONE = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                          help="输出格式 / output format")

HOUSE_COLUMNS = [
    col("code", header=("房屋编码", "House code")),
    col("address", flex="start"),
    views.place("division_name", "division_code", ("所在村居", "Village")),
    col("use"), col("mode"), col("rooms"), col("capacity"), col("occupants"), col("over_capacity"),
    col("landlord_name"), col("landlord_phone"),
]
HOUSE_CARD = ["legacy_code", "address", "division_name", "division_code", "grid_code", "use", "mode", "rooms",
              "capacity", "occupants", "over_capacity", "landlord_name", "landlord_id_number", "landlord_phone",
              "version", "created_at", "updated_at"]
HOUSE_OPTIONS: list[tuple[str, str, str]] = [
    ("--code", "code", "房屋编码（18位，不填则自动生成）/ house code (18 characters; generated when left out)"),
    ("--legacy-code", "legacy_code", "原房屋编号 / legacy number"),
    ("--division", "division_code", "所在村居区划代码 / the village's division code"),
    ("--grid", "grid_code", "网格代码 / grid code"),
    ("--address", "address", "地址 / address"),
    ("--rooms", "rooms", "房间数 / rooms"),
    ("--capacity", "capacity", "核定居住人数 / capacity"),
    ("--use", "use", "用途：出租/自住/集体宿舍/工地/场所 or rented/own/dormitory/site"),
    ("--mode", "mode", "管理模式：旅业式/物业式/单位自管式/散居包片式/院区围合式 or codes"),
    ("--landlord-name", "landlord_name", "房东姓名 / landlord"),
    ("--landlord-id-number", "landlord_id_number", "房东身份证号 / landlord's ID number"),
    ("--landlord-phone", "landlord_phone", "房东电话 / landlord's phone"),
]
HOUSE_EDITABLE = tuple(f for f in HouseUpdate.model_fields if f not in ("version", "change_reason"))


def _occupant_columns(*, living: bool) -> list[Column]:
    columns = [
        Column(*FIELDS["room"], lambda o: o[0]),
        Column(*FIELDS["person_id"], lambda o: o[1].person_id),
        Column(*FIELDS["name"], lambda o: o[1].name),
        Column(*FIELDS["id_number"], lambda o: o[1].id_number),
        Column(*FIELDS["sex"], lambda o: label("sex", o[1].sex)),
        Column(*FIELDS["birth_year"], lambda o: o[1].birth_year),
    ]
    if living:
        columns += [
            Column("入住日期", "Arrived", lambda o: views.show(o[1].arrived_on)),
            Column("申报日期", "Declared", lambda o: views.show(o[1].declared_on)),
            Column("户籍在此", "Hukou here", lambda o: views.show(o[1].registered_here)),
        ]
    else:
        columns.append(Column("现在何处", "Where now", lambda o: o[1].where_now or "", flex="end"))
    return columns


LATE_COLUMNS = [
    col("house_code"),
    col("address", flex="start"),
    col("landlord_name"),
    col("landlord_phone"),
    col("person_id"),
    col("name"),
    col("arrived_on", header=("入住日期", "Arrived")),
    col("due_on", header=("应申报日期", "Due")),
    col("declared_on"),
    Column("情况", "State", lambda x: pick(LATE_STATES.get(x.state, (x.state, x.state)))),
    Column("罚款（元）", "Penalty (yuan)", lambda x: x.penalty_yuan),
]


def record_status(status: str) -> str:
    return pick(RECORD_STATUS.get(status, (status, status)))


def _house_pairs(house: House) -> list[tuple[str, str]]:
    return [(pick(("房屋编码", "House code")), house.code), *views.card_rows(house, HOUSE_CARD),
            (views.field_label("status"), record_status(house.status))]


def show_house(house: House, fmt: str) -> None:
    render_one(house, fmt, lambda: _house_pairs(house))


@click.group()
def houses() -> None:
    """房屋与房东（以房管人）/ houses and landlords."""


@houses.command("list")
@click.argument("query", required=False)
@filter_options(HouseFilters, skip={"q", "limit", "after"})  # QUERY is q; --limit/--all: rows to print
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="最多显示条数 / rows to print")
@click.option("--all", "everything", is_flag=True, help="显示全部 / print every row")
@format_options
@pass_state
def list_houses(state: State, query: str | None, limit: int, everything: bool, fmt: str, **filters: Any) -> None:
    """列出房屋；QUERY 可为房屋编码、地址片段或房东姓名 / list houses; QUERY: a code, part of the address or a landlord."""
    wanted = chosen(filters, HouseFilters)
    more = False

    def rows() -> Iterator[House]:
        nonlocal more
        n, after = 0, None
        while True:
            size = HOUSE_PAGE if everything else min(limit - n + 1, HOUSE_PAGE)  # one extra tells if more are left
            page = state.client.houses.list(q=query, limit=size, after=after, **wanted)
            for house in page:
                if not everything and n >= limit:
                    more = True
                    return
                n += 1
                yield house
            if len(page) < size:
                return
            after = page[-1].code

    render(rows(), fmt, HOUSE_COLUMNS)
    if more:
        click.echo(t(f"只显示了前 {limit} 条；用 --limit N 或 --all 显示更多",
                     f"showing the first {limit}; use --limit N or --all for more"), err=True)


@houses.command("show")
@click.argument("code")
@format_options
@pass_state
def show_house_command(state: State, code: str, fmt: str) -> None:
    """一处房屋：各房间在住的人，户籍登记在此的人及其现在何处 /
    one house: who lives in each room, and who is registered there and where they are now."""
    view: HouseResidents = state.client.houses.get(code)
    if fmt != "table":
        render_one(view, fmt, lambda: [])
        return
    show_house(view.house, fmt)
    living = [(r.room, o) for r in view.rooms for o in r.living]
    members = [(r.room, o) for r in view.rooms for o in r.household_members]
    click.echo("\n" + t("在住人员", "Living here"))
    render(living, fmt, _occupant_columns(living=True))
    if members:
        click.echo("\n" + t("户籍登记在此的人员", "Household registered here"))
        render(members, fmt, _occupant_columns(living=False))


@houses.command("add")
@field_options(HOUSE_OPTIONS)
@FORMAT_ONE
@pass_state
def add_house(state: State, fmt: str, **options: Any) -> None:
    """登记一处房屋（编码不填则自动生成）/ register a house (its code is generated unless given).

    在终端上会提示缺少的必填项 / on a terminal, missing required values are asked for."""
    values = {k: inputs.coded(k, v) for k, v in options.items() if v is not None}
    inputs.require(values, [
        ("division_code", "--division", "所在村居区划代码", "Village division code"),
        ("address", "--address", "地址", "Address"),
        ("use", "--use", "用途（出租/自住/集体宿舍/工地/场所）", "Use (rented/own/dormitory/site)"),
        ("mode", "--mode", "管理模式（旅业式/物业式/单位自管式/散居包片式/院区围合式）",
         "Mode (hotel_style/property/company/scattered/compound)"),
    ])
    house = state.client.houses.create(**values)
    click.echo(t(f"已登记房屋 {house.code}", f"house {house.code} registered"), err=True)
    show_house(house, fmt)


@houses.command("edit")
@click.argument("code")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", required=True,
              help="要改的字段，可重复；空值清除 / a field to change (repeatable); empty clears")
@click.option("--reason", help="变更原因 / why")
@click.option("--version", type=int, help="您读到的版本（默认当前版本）/ the version you read (default: current)")
@FORMAT_ONE
@pass_state
def edit_house(state: State, code: str, sets: tuple[str, ...], reason: str | None, version: int | None,
               fmt: str) -> None:
    """修改房屋信息 / change a house."""
    changes = inputs.parse_sets(sets, HOUSE_EDITABLE)
    if version is None:
        version = state.client.houses.get(code).house.version
    house = state.client.houses.update(code, version=version, change_reason=reason, **changes)
    click.echo(t(f"已修改房屋 {house.code}，版本 {house.version}", f"house {house.code} updated, version {house.version}"),
               err=True)
    show_house(house, fmt)


@houses.command("declare")
@click.argument("code")
@click.option("--stay", "stay_id", type=int, required=True, help="租客的居住记录编号 / the tenant's stay")
@click.option("--date", "declared_on", required=True, metavar="DATE", help="申报日期 / date declared")
@click.option("--by", "declared_by", metavar="NAME", help="申报人 / who declared")
@FORMAT_ONE
@pass_state
def declare(state: State, code: str, stay_id: int, declared_on: str, declared_by: str | None, fmt: str) -> None:
    """登记房东的租住申报 / record a landlord's declaration of a tenant."""
    d = state.client.houses.declare(code, stay_id=stay_id, declared_on=declared_on, declared_by=declared_by)
    click.echo(t(f"已登记申报：房屋 {d.house_code}，居住记录 {d.stay_id}", f"declared: house {d.house_code}, stay {d.stay_id}"),
               err=True)
    render_one(d, fmt, lambda: views.card_rows(d, ["id", "house_code", "stay_id", "declared_on", "declared_by"]))


@houses.command("late")
@filter_options(LateDeclarationFilters, skip={"limit"})
@format_options
@pass_state
def late(state: State, fmt: str, **filters: Any) -> None:
    """逾期申报和未申报的租客及罚款 / tenants declared late or not at all, with penalties."""
    rows: list[LateDeclaration] = state.client.houses.late_declarations(**chosen(filters, LateDeclarationFilters))
    render(rows, fmt, LATE_COLUMNS)
    if fmt == "table" and rows:
        missing = sum(1 for x in rows if x.state == "missing")
        total = sum(x.penalty_yuan for x in rows)
        click.echo(t(f"合计：未申报 {missing} 人，逾期申报 {len(rows) - missing} 人，罚款 {total} 元",
                     f"total: {missing} not declared, {len(rows) - missing} declared late, penalties {total} yuan"))


@houses.command("notice")
@click.argument("code")
@output_option("FILE")
@pass_state
def notice(state: State, code: str, output: str) -> None:
    """给房东的租住登记申报告知书 / the notice to a landlord about undeclared tenants."""
    text = state.client.houses.notice(code)
    with open_output(output) as out:
        out.write(text.rstrip("\n") + "\n")
    if output != "-":
        click.echo(t(f"已保存告知书：{output}", f"notice saved: {output}"), err=True)


# ------------------------------------------------------------------------------------ employers


def _employer_pairs(e: Employer) -> list[tuple[str, str]]:
    rows = views.card_rows(e, ["uscc"])
    rows.append((pick(("单位名称", "Name")), e.name))
    rows += views.card_rows(e, ["address", "division_name", "division_code", "contact_name", "contact_phone",
                                "agreement_signed_on", "floating_workers", "needs_agreement", "version"])
    rows.append((views.field_label("status"), record_status(e.status)))
    return rows


EMPLOYER_COLUMNS = [
    col("uscc"),
    col("name", header=("单位名称", "Name"), flex="start"),
    views.place("division_name", "division_code", ("所在区划", "Division")),
    col("contact_name"), col("contact_phone"), col("floating_workers"), col("agreement_signed_on"),
    col("needs_agreement"),
]
EMPLOYER_OPTIONS: list[tuple[str, str, str]] = [
    ("--uscc", "uscc", "统一社会信用代码（18位）/ unified social credit code (18 characters)"),
    ("--name", "name", "单位名称 / name"),
    ("--division", "division_code", "所在区划代码 / division code"),
    ("--address", "address", "地址 / address"),
    ("--contact-name", "contact_name", "联系人 / contact"),
    ("--contact-phone", "contact_phone", "联系人电话 / contact phone"),
    ("--agreement-date", "agreement_signed_on", "协议签订日期 / date the agreement was signed"),
]
EMPLOYER_EDITABLE = tuple(f for f in EmployerUpdate.model_fields if f not in ("version", "change_reason"))


def show_employer(e: Employer, fmt: str) -> None:
    render_one(e, fmt, lambda: _employer_pairs(e))


@click.group()
def employers() -> None:
    """用人单位（以业管人）/ employers."""


@employers.command("list")
@click.argument("query", required=False)
@filter_options(EmployerFilters, skip={"q"}, overrides={
    "needs_agreement": {"help": "流动人员达到规定人数而未签订协议的 / enough floating workers but no agreement signed"},
    "limit": {"default": 100, "show_default": True, "help": "最多条数 / at most"}})
@format_options
@pass_state
def list_employers(state: State, query: str | None, fmt: str, **filters: Any) -> None:
    """列出用人单位；QUERY 可为信用代码或名称片段 / list employers; QUERY: a credit code or part of the name."""
    wanted = chosen(filters, EmployerFilters)
    if query:
        wanted["q"] = query
    render(state.client.employers.list(**wanted), fmt, EMPLOYER_COLUMNS)


@employers.command("show")
@click.argument("uscc")
@format_options
@pass_state
def show_employer_command(state: State, uscc: str, fmt: str) -> None:
    """一个用人单位及其流动人员名册 / one employer and its roster of floating workers."""
    e = state.client.employers.get(uscc)
    roster = state.client.employers.roster(uscc)
    if fmt != "table":
        render_one({**e.model_dump(mode="json"), "roster": [p.model_dump(mode="json") for p in roster]}, fmt,
                   lambda: [])
        return
    show_employer(e, fmt)
    click.echo("\n" + t("流动人员名册", "Roster"))
    render(roster, fmt, views.PERSON_COLUMNS)


@employers.command("add")
@field_options(EMPLOYER_OPTIONS)
@FORMAT_ONE
@pass_state
def add_employer(state: State, fmt: str, **options: Any) -> None:
    """登记用人单位 / register an employer."""
    values = {k: v for k, v in options.items() if v is not None}
    inputs.require(values, [
        ("uscc", "--uscc", "统一社会信用代码", "Unified social credit code"),
        ("name", "--name", "单位名称", "Name"),
        ("division_code", "--division", "所在区划代码", "Division code"),
    ])
    e = state.client.employers.create(**values)
    click.echo(t(f"已登记用人单位 {e.name}（{e.uscc}）", f"employer {e.name} ({e.uscc}) registered"), err=True)
    show_employer(e, fmt)


@employers.command("edit")
@click.argument("uscc")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", required=True,
              help="要改的字段，可重复（如 agreement_signed_on=2026-11-23）/ a field to change (repeatable)")
@click.option("--reason", help="变更原因 / why")
@click.option("--version", type=int, help="您读到的版本（默认当前版本）/ the version you read (default: current)")
@FORMAT_ONE
@pass_state
def edit_employer(state: State, uscc: str, sets: tuple[str, ...], reason: str | None, version: int | None,
                  fmt: str) -> None:
    """修改用人单位信息 / change an employer."""
    changes = inputs.parse_sets(sets, EMPLOYER_EDITABLE)
    if version is None:
        version = state.client.employers.get(uscc).version
    e = state.client.employers.update(uscc, version=version, change_reason=reason, **changes)
    click.echo(t(f"已修改用人单位 {e.name}，版本 {e.version}", f"employer {e.name} updated, version {e.version}"), err=True)
    show_employer(e, fmt)



def _register_imports() -> None:
    from flowpop_cli.cmd_files import import_command

    houses.add_command(import_command("houses", "导入房屋清单（CSV/XLSX）/ import a house list (CSV or XLSX): 所在村居, 地址, "
                                                  "房间数, 核定人数, 用途, 管理模式, 房东姓名, 房东身份证号, 房东电话"))
    employers.add_command(import_command("employers", "导入用人单位清单 / import an employer list: 统一社会信用代码, "
                                                        "单位名称, 所在区划, 联系人, 联系电话, 责任书签订日期"))


_register_imports()
