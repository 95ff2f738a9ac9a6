"""flowpop persons …: find, show, register, edit and change the status of people."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO, Any, TypeVar, get_args

import click

from flowpop.labels import label
from flowpop.types import Person, PersonDetail, PersonListFilters, PersonUpdate, ServiceKind
from flowpop_cli import inputs, views
from flowpop_cli.filter_options import chosen, filter_options
from flowpop_cli.inputs import CodeChoice
from flowpop_cli.output import format_options, render, render_one
from flowpop_cli.state import State, pass_state, t

# the list's options are PersonListFilters' fields (flowpop_cli.filter_options) but these: QUERY is q, and --limit
# / --all say how many rows to print (the pages are fetched as they are printed)
PAGING_AND_QUERY = frozenset({"q", "limit", "cursor", "with_total"})
PAGE_MAX = 500
F = TypeVar("F", bound=Callable[..., Any])

PERSON_OPTIONS: list[tuple[str, str, str]] = [
    # (option, API field, help)
    ("--id-number", "id_number", "公民身份号码 / citizen ID number"),
    ("--name", "name", "姓名 / name"),
    ("--sex", "sex", "性别（由身份证号推出）/ sex (follows from the ID number)"),
    ("--birth-date", "birth_date", "出生日期 / birth date"),
    ("--ethnicity", "ethnicity", "民族 / ethnicity"),
    ("--education", "education", "文化程度 / education"),
    ("--hukou-type", "hukou_type", "户口性质 / hukou type"),
    ("--marital", "marital_status", "婚姻状况：未婚/初婚/再婚/离婚/丧偶 or codes"),
    ("--phone", "phone", "联系电话 / phone"),
    ("--household", "household_code", "户籍地区划代码 / household division code"),
    ("--household-address", "household_address", "户籍地址 / household address"),
    ("--household-house", "household_house_code", "户籍所在房屋编码 / house code of the hukou address"),
    ("--household-room", "household_room", "户籍所在房间 / room of the hukou address"),
    ("--note", "note", "备注 / note"),
]
STAY_OPTIONS: list[tuple[str, str, str]] = [
    ("--residence", "residence_code", "现居住地区划代码（到村居）/ residence division code (village)"),
    ("--residence-address", "residence_address", "现居住地址 / residence address"),
    ("--grid", "grid_code", "网格代码 / grid code"),
    ("--house-code", "house_code", "房屋编码 / house code"),
    ("--room", "room", "房间 / room"),
    ("--reason", "reason", "流动原因：务工/经商/投亲/婚嫁/学习培训/其他 or codes"),
    ("--left-home", "left_home_on", "流出日期 / date left home (YYYY-MM-DD)"),
    ("--arrived", "arrived_on", "流入日期 / date arrived (YYYY-MM-DD)"),
    ("--expected-return", "expected_return_on", "预计返回日期 / expected return"),
    ("--occupation", "occupation", "职业 / occupation"),
    ("--employer", "employer", "工作单位 / employer"),
    ("--employer-code", "employer_code", "工作单位统一社会信用代码 / employer's credit code"),
]
STAY_REQUIRED = [
    ("residence_code", "--residence", "现居住地区划代码", "Residence division code"),
    ("arrived_on", "--arrived", "流入日期（YYYY-MM-DD）", "Date arrived (YYYY-MM-DD)"),
    ("reason", "--reason", "流动原因（务工/经商/投亲/婚嫁/学习培训/其他）", "Reason (work/business/family/marriage/study/other)"),
]


def field_options(specs: list[tuple[str, str, str]]) -> Callable[[F], F]:
    """One text option per API field; values go to the registry as typed (it validates them)."""

    def decorate(func: F) -> F:
        for option, field, help_text in reversed(specs):
            func = click.option(option, field, default=None, help=help_text)(func)
        return func

    return decorate


def show_person(person: PersonDetail | Person, fmt: str) -> None:
    # revealed: birth date and age; otherwise the birth year alone
    hidden = {"birth_year"} if person.age is not None else {"birth_date", "age"}
    fields = [f for f in views.PERSON_CARD if f not in hidden]
    render_one(person, fmt, lambda: views.card_rows(person, fields, views.PERSON_KINDS))
    if fmt == "table":
        for w in person.warnings:
            click.echo(t(f"提示：{w.message}", f"Note: {w.message_en}"), err=True)


def person_label(p: Person) -> str:
    return t(f"{p.name}（编号 {p.id}）", f"{p.name} (ID {p.id})")


@click.group()
def persons() -> None:
    """人员：查询、登记、修改、注销 / people: find, register, edit, deregister."""


@persons.command("list")
@click.argument("query", required=False)
@filter_options(PersonListFilters, skip=PAGING_AND_QUERY, overrides={"sort": {"default": "-id", "show_default": True}})
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True,
              help="最多显示条数 / rows to print")
@click.option("--all", "everything", is_flag=True, help="显示全部 / print every row")
@format_options
@pass_state
def list_persons(state: State, query: str | None, limit: int, everything: bool, fmt: str, **filters: Any) -> None:
    """列出人员；QUERY 可为身份证号（可查看完整号码者可输尾号）、姓名、拼音或首字母 /
    list people; QUERY matches an ID number (its last digits with the reveal right), a name, pinyin or initials."""
    page_size = PAGE_MAX if everything else min(limit, PAGE_MAX)
    pager = state.client.persons.list(query, limit=page_size, **chosen(filters, PersonListFilters))
    more = False

    def rows() -> Iterator[Person]:
        nonlocal more
        n = 0
        for page in pager.iter_pages():
            for p in page.data:
                if not everything and n >= limit:
                    more = True
                    return
                n += 1
                yield p
            if not everything and n >= limit:  # no need to fetch the next page to know
                more = page.has_more
                return

    render(rows(), fmt, views.person_columns(revealed=bool(filters.get("reveal"))), model=Person)
    if more:
        click.echo(t(f"只显示了前 {limit} 条；用 --limit N 或 --all 显示更多",
                     f"showing the first {limit}; use --limit N or --all for more"), err=True)


@persons.command("show")
@click.argument("person_id", type=int)
@click.option("--reveal", is_flag=True, help="显示完整身份证号（记入访问日志）/ full ID number (access-logged)")
@format_options
@pass_state
def show(state: State, person_id: int, reveal: bool, fmt: str) -> None:
    """一个人的信息、居住记录和变更历史 / one person, their stays and their history."""
    person = state.client.persons.get(person_id, reveal=reveal)
    history = state.client.persons.history(person_id)
    if fmt != "table":
        render_one({**person.model_dump(mode="json"), "history": [h.model_dump(mode="json") for h in history]},
                   fmt, lambda: [])
        return
    show_person(person, fmt)
    click.echo("\n" + t("居住记录", "Stays"))
    render(person.stays, fmt, views.STAY_COLUMNS)
    click.echo("\n" + t("变更历史", "History"))
    render(history, fmt, views.history_columns(reveal))


@persons.command("add")
@click.option("--json", "json_file", type=click.File("r", encoding="utf-8"), metavar="FILE|-",
              help="从 JSON 对象读入（选项优先）/ read a JSON object (options win)")
@field_options(PERSON_OPTIONS)
@field_options(STAY_OPTIONS)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="输出格式 / output format")
@pass_state
def add(state: State, json_file: IO[str] | None, fmt: str, **options: Any) -> None:
    """登记一个人（可同时登记当前居住记录）/ register a person, with their current stay.

    在终端上会提示缺少的必填项 / on a terminal, missing required values are asked for."""
    values: dict[str, Any] = inputs.read_json_object(json_file) if json_file else {}
    stay: dict[str, Any] = dict(values.pop("stay", None) or {})
    stay_fields = {field for _o, field, _h in STAY_OPTIONS}
    for field, value in options.items():
        if value is None:
            continue
        (stay if field in stay_fields else values)[field] = inputs.coded(field, value)
    values = {k: inputs.coded(k, v) if isinstance(v, str) else v for k, v in values.items()}
    inputs.require(values, [
        ("id_number", "--id-number", "身份证号", "ID number"),
        ("name", "--name", "姓名", "Name"),
        ("household_code", "--household", "户籍地区划代码", "Household division code"),
    ])
    if not stay and inputs.is_tty():
        residence = click.prompt(t("现居住地区划代码（留空则不登记居住记录）", "Residence division code (empty: no stay)"),
                                 default="", show_default=False).strip()
        if residence:
            stay["residence_code"] = residence
    if stay:
        inputs.require(stay, STAY_REQUIRED)
        values["stay"] = stay
    person = state.client.persons.create(**values)
    click.echo(t(f"已登记：{person_label(person)}", f"registered: {person_label(person)}"), err=True)
    show_person(person, fmt)


PERSON_EDITABLE = tuple(f for f in PersonUpdate.model_fields if f not in ("version", "change_reason"))


@persons.command("edit")
@click.argument("person_id", type=int)
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", required=True,
              help="要改的字段，可重复；字段可用中文名，值可用中文标签；空值清除 / "
                   "a field to change (repeatable); Chinese names and labels accepted; empty clears")
@click.option("--reason", help="变更原因 / why")
@click.option("--version", type=int, help="您读到的版本（默认当前版本）/ the version you read (default: current)")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="输出格式 / output format")
@pass_state
def edit(state: State, person_id: int, sets: tuple[str, ...], reason: str | None, version: int | None,
         fmt: str) -> None:
    """修改一个人的信息 / change a person's fields.

    已被他人修改时退出码为 5 / exits 5 if someone changed the record since it was read."""
    changes = inputs.parse_sets(sets, PERSON_EDITABLE)
    if version is None:
        version = state.client.persons.get(person_id).version
    person = state.client.persons.update(person_id, version=version, change_reason=reason, **changes)
    click.echo(t(f"已修改：{person_label(person)}，版本 {person.version}",
                 f"updated: {person_label(person)}, version {person.version}"), err=True)
    show_person(person, fmt)


def _status_command(action: str, zh: str, en: str, done_en: str, *, with_date: bool = False) -> click.Command:
    @click.argument("person_id", type=int)
    @click.option("--reason", required=True, help="原因 / why")
    @click.option("--yes", "-y", is_flag=True, help="不再确认 / do not ask")
    @click.option("--version", type=int, help="您读到的版本 / the version you read")
    @click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                  help="输出格式 / output format")
    @pass_state
    def command(state: State, person_id: int, reason: str, yes: bool, version: int | None, fmt: str,
                date: str | None = None) -> None:
        current = state.client.persons.get(person_id)
        inputs.confirm(f"{zh}{person_label(current)}？", f"{en} {person_label(current)}?", yes)
        method = getattr(state.client.persons, action)
        extra = {"date": date} if with_date and date else {}
        person = method(person_id, version=version if version is not None else current.version, reason=reason,
                        **extra)
        click.echo(t(f"已{zh}：{person_label(person)}", f"{done_en}: {person_label(person)}"), err=True)
        show_person(person, fmt)

    if with_date:
        command = click.option("--date", metavar="DATE", help="离开日期（默认今天；录入时间另行记录）/ the day the "
                               "person left (default: today; the time it is entered is kept apart)")(command)
    command.__doc__ = f"{zh}一个人 / {en} a person."
    return persons.command(action)(command)


_status_command("deregister", "注销", "deregister", "deregistered", with_date=True)
_status_command("archive", "退档", "archive", "archived")
_status_command("restore", "恢复", "restore", "restored")


@persons.command("history")
@click.argument("person_id", type=int)
@format_options
@pass_state
def history(state: State, person_id: int, fmt: str) -> None:
    """一个人的变更历史 / the change history of a person."""
    render(state.client.persons.history(person_id), fmt, views.history_columns())


SERVICE_COLUMNS = [
    views.col("id"),
    views.Column("服务项目", "Service", lambda s: label("service", s.kind)),
    views.col("provided_on"), views.col("provider_code"), views.col("detail", flex="start"), views.col("created_by"),
    views.col("created_at"),
    views.Column("通报", "Notice", lambda s: "" if s.notice_late is None else t("迟报", "late") if s.notice_late else t("按时", "in time")),
]


@persons.command("services")
@click.argument("person_id", type=int)
@format_options
@pass_state
def services(state: State, person_id: int, fmt: str) -> None:
    """重点服务管理对象接受的服务（查阅记入访问日志）/ services given to a key target (reading is access-logged)."""
    render(state.client.persons.services(person_id), fmt, SERVICE_COLUMNS)


@persons.command("add-service")
@click.argument("person_id", type=int)
@click.option("--kind", required=True, type=CodeChoice("service", get_args(ServiceKind)),
              help="孕环情检查/一孩生育服务登记/计划生育手术 or checkup/first_child/surgery")
@click.option("--date", "provided_on", required=True, metavar="DATE", help="服务日期 / date provided")
@click.option("--provider", "provider_code", metavar="CODE", help="服务单位（默认现居住地乡镇）/ provider (default: township)")
@click.option("--detail", help="说明 / detail")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="输出格式 / output format")
@pass_state
def add_service(state: State, person_id: int, kind: ServiceKind, provided_on: str, provider_code: str | None,
                detail: str | None, fmt: str) -> None:
    """登记一次服务；户籍地在外县时通报户籍地 / record a service; the household side is told when it is elsewhere."""
    record = state.client.persons.record_service(person_id, kind=kind, provided_on=provided_on,
                                                 provider_code=provider_code, detail=detail)
    click.echo(t(f"已登记服务：{label('service', kind)}（人员 {person_id}）",
                 f"service recorded: {label('service', kind)} (person {person_id})"), err=True)
    if record.notice_late:
        click.echo(t("已通报户籍地，但已超过服务后的通报时限：为迟报，计入服务通报及时率",
                     "the household side is told, but past the notice deadline after the service: a late 通报, "
                     "counted in the service-notice rate"), err=True)
    render_one(record, fmt, lambda: [(views.field_label("id"), str(record.id)),
                                     (t("服务项目", "Service"), label("service", record.kind)),
                                     *views.card_rows(record, ["person_id", "provided_on", "provider_code", "detail"])])
