"""flowpop inspect …: the quarterly inspection (季度清查) — campaigns, who checks where, the door-to-door
items and their outcomes, progress, checklists. Also the other ways people get registered or checked on
the spot: `persons add-certificate` / `persons certificates` (婚育证明查验) and `inbox register` (引用建档)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, Any

import click

from flowpop.errors import FlowpopError
from flowpop.rules.legacy import decode
from flowpop.types import (
    Campaign,
    CampaignItem,
    CampaignProgress,
    Certificate,
    HouseUpdate,
    InspectionOutcome,
    StayUpdate,
)
from flowpop_cli import inputs, views
from flowpop_cli.cmd_bulk import one_format
from flowpop_cli.cmd_files import write_bytes
from flowpop_cli.cmd_persons import (
    PERSON_EDITABLE,
    PERSON_OPTIONS,
    STAY_OPTIONS,
    STAY_REQUIRED,
    field_options,
    person_label,
    show_person,
)
from flowpop_cli.output import format_options, render, render_one
from flowpop_cli.state import NOT_FOUND, CommandFailed, State, bad_input, pass_state, t
from flowpop_cli.views import FIELDS, Column, labelled, percent, pick

STAY_EDITABLE = tuple(f for f in StayUpdate.model_fields if f not in ("version", "change_reason"))
HOUSE_EDITABLE = tuple(f for f in HouseUpdate.model_fields if f not in ("version", "change_reason"))
INTEGER_FIELDS = {"rooms", "capacity"}
RECORDABLE = ("present", "corrected", "left", "not_found", "certificate_missing")
PAGE = 5000  # the registry's largest page of items
ITEM_KINDS = views.LABELS["inspection_kind"]
UNASSIGNED = "（未分配）"  # the registry's key for items nobody was assigned to


class LabelChoice(click.Choice):
    """A code, or its Chinese/English label from one of views' tables."""

    def __init__(self, table: dict[str, tuple[str, str]], codes: tuple[str, ...]) -> None:
        super().__init__(list(codes))
        self.table = table

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            for code, pair in self.table.items():
                if value.strip() in pair:
                    value = code
        return super().convert(value, param, ctx)


# ------------------------------------------------------------------------------------ how it reads


def done_text(done: int, total: int) -> str:
    return f"{done}/{total}"


CAMPAIGN_COLUMNS = [
    Column(*FIELDS["id"], lambda c: c.id),
    Column("季度", "Quarter", lambda c: c.quarter),
    Column("名称", "Name", lambda c: c.name, flex="start"),
    Column("辖区", "Area", lambda c: c.jurisdiction_name or c.jurisdiction_code, flex="end"),
    Column(*FIELDS["status"], lambda c: labelled(views.CAMPAIGN_STATUS, c.status)),
    Column("已查/总数", "Done/total", lambda c: done_text(c.done, c.items)),
    Column("完成率", "Done %", lambda c: percent(c.done / c.items) if c.items else ""),
]


def campaign_pairs(c: Campaign) -> list[tuple[str, str]]:
    pairs: list[tuple[tuple[str, str], Any]] = [
        (FIELDS["id"], c.id), (("名称", "Name"), c.name), (("季度", "Quarter"), c.quarter),
        (("辖区", "Area"), f"{c.jurisdiction_name or ''} {c.jurisdiction_code}".strip()),
        (FIELDS["status"], labelled(views.CAMPAIGN_STATUS, c.status)),
        (("清查对象", "Items"), c.items), (("已查", "Done"), c.done),
        (("建立人", "Created by"), c.created_by), (("建立时间", "Created"), c.created_at),
        (("结束时间", "Closed"), c.closed_at),
    ]
    return [(pick(k), views.show(v)) for k, v in pairs if v not in (None, "")]


def item_who(i: CampaignItem) -> str:
    return i.name or i.house_code or ""


ITEM_COLUMNS = [
    Column("编号", "Item", lambda i: i.id),
    Column(*FIELDS["kind"], lambda i: labelled(ITEM_KINDS, i.kind)),
    Column("姓名/房屋", "Name/house", item_who),
    Column(*FIELDS["id_number"], lambda i: i.id_number or ""),
    Column(*FIELDS["address"], lambda i: i.address or "", flex="start"),
    Column("村居", "Village", lambda i: i.village_code),
    Column(*FIELDS["grid_code"], lambda i: i.grid_code or ""),
    Column("协管员", "Assignee", lambda i: i.assignee or ""),
    Column("结果", "Outcome", lambda i: labelled(views.OUTCOMES, i.outcome) if i.outcome else t("待查", "pending")),
    Column(*FIELDS["version"], lambda i: i.version),
]


DETAIL_LABELS = {
    "note": ("备注", "note"), "corrected": ("更正字段", "corrected"), "left_on": ("离开日期", "left on"),
    "message_uid": ("查无此人通报", "not-found message"), "reminder_id": ("催办通知", "reminder"),
    "deadline": ("期限", "deadline"),
}


def detail_text(detail: dict[str, Any]) -> str:
    def value(key: str, v: Any) -> str:
        if key == "corrected" and isinstance(v, list):
            return ", ".join(views.field_label(f.removeprefix("stay.")) for f in v)
        return views.show(v)

    return t("；", "; ").join(f"{labelled(DETAIL_LABELS, k)}: {value(k, v)}" for k, v in detail.items())


def item_pairs(i: CampaignItem) -> list[tuple[str, str]]:
    detail = detail_text(i.detail)
    pairs: list[tuple[tuple[str, str], Any]] = [
        (("编号", "Item"), i.id), (FIELDS["kind"], labelled(ITEM_KINDS, i.kind)),
        (FIELDS["person_id"], i.person_id), (FIELDS["name"], i.name), (FIELDS["id_number"], i.id_number),
        (FIELDS["house_code"], i.house_code), (FIELDS["address"], i.address),
        (("村居", "Village"), i.village_code), (FIELDS["grid_code"], i.grid_code), (("协管员", "Assignee"), i.assignee),
        (("结果", "Outcome"), labelled(views.OUTCOMES, i.outcome) if i.outcome else t("待查", "pending")),
        (FIELDS["detail"], detail), (("记录人", "Recorded by"), i.recorded_by),
        (("记录时间", "Recorded"), i.recorded_at), (FIELDS["version"], i.version),
    ]
    return [(pick(k), views.show(v)) for k, v in pairs if v not in (None, "")]


def progress_columns(first: Column) -> list[Column]:
    return [
        first,
        Column("已查", "Done", lambda p: p.done),
        Column("总数", "Total", lambda p: p.total),
        Column("完成率", "Done %", lambda p: percent(p.done / p.total) if p.total else ""),
        *[Column(zh, en, lambda p, code=code: p.by_outcome.get(code, 0)) for code, (zh, en) in views.OUTCOMES.items()],  # type: ignore[misc]  # mypy cannot type a lambda binding code by default
    ]


VILLAGE_PROGRESS = progress_columns(Column("村居", "Village", lambda p: f"{p.name or ''} {p.key}".strip(), flex="end"))
ASSIGNEE_PROGRESS = progress_columns(
    Column("协管员", "Assignee", lambda p: t(p.key, "(unassigned)") if p.key == UNASSIGNED else p.key))


def progress_rows(p: CampaignProgress) -> Iterator[dict[str, Any]]:
    """Flat rows for csv/jsonl: one per village, then one per assignee."""
    for group, rows in (("village", p.by_village), ("assignee", p.by_assignee)):
        for r in rows:
            yield {"group": group, "key": r.key, "name": r.name, "done": r.done, "total": r.total,
                   "percent": round(100 * r.done / r.total, 1) if r.total else None,
                   **{code: r.by_outcome.get(code, 0) for code in views.OUTCOMES}}


# ------------------------------------------------------------------------------------ people from options


def person_from_options(json_values: dict[str, Any], options: dict[str, Any], *, need_stay: bool,
                        prefill: dict[str, Any] | None = None) -> dict[str, Any]:
    """The same fields as `persons add`: options win over a JSON object, which wins over ``prefill``;
    a missing required value is asked for on a terminal, a usage error otherwise."""
    prefill = dict(prefill or {})
    stay: dict[str, Any] = {**prefill.pop("stay", {}), **dict(json_values.pop("stay", None) or {})}
    values: dict[str, Any] = {**prefill, **json_values}
    stay_fields = {field for _o, field, _h in STAY_OPTIONS}
    for field, value in options.items():
        if value is not None:
            (stay if field in stay_fields else values)[field] = inputs.coded(field, value)
    values = {k: inputs.coded(k, v) if isinstance(v, str) else v for k, v in values.items()}
    inputs.require(values, [
        ("id_number", "--id-number", "身份证号", "ID number"),
        ("name", "--name", "姓名", "Name"),
        ("household_code", "--household", "户籍地区划代码", "Household division code"),
    ])
    if stay or need_stay:
        inputs.require(stay, STAY_REQUIRED)
        values["stay"] = stay
    return values


def json_option(func: Any) -> Any:
    """As in `persons add`: ``--json FILE`` reads the fields; ``--format json`` prints JSON."""
    return click.option("--json", "json_file", type=click.File("r", encoding="utf-8"), metavar="FILE|-",
                        help="从 JSON 对象读入（选项优先）/ read a JSON object (options win)")(func)


# ------------------------------------------------------------------------------------ campaigns


@click.group("inspect")
def inspect() -> None:
    """季度清查：建立、分工、逐户核查、进度、清单 / quarterly inspection: set up, assign, check door to door, track."""


@inspect.command("create")
@click.option("--quarter", required=True, metavar="2026Q4", help="季度 / quarter")
@click.option("--division", required=True, metavar="CODE", help="清查辖区（乡镇或县）/ the area (township or county)")
@click.option("--name", help="名称（默认自动生成）/ name (default: generated)")
@one_format
@pass_state
def create(state: State, quarter: str, division: str, name: str | None, fmt: str) -> None:
    """建立一次季度清查：当时辖区内的在住人员和出租房屋列为清查对象 /
    start a campaign: everyone living in the area and every rented house become its items."""
    c = state.client.inspections.create(quarter=quarter.upper(), jurisdiction_code=division,
                                        **({"name": name} if name else {}))
    click.echo(t(f"已建立清查 {c.id}：{c.items} 个清查对象；分工：flowpop inspect assign {c.id} --division 村居 --user 协管员",
                 f"campaign {c.id} created with {c.items} items; assign with: flowpop inspect assign {c.id} "
                 "--division VILLAGE --user NAME"), err=True)
    render_one(c, fmt, lambda: campaign_pairs(c))


@inspect.command("list")
@format_options
@pass_state
def list_campaigns(state: State, fmt: str) -> None:
    """清查列表（最近的季度在前）/ campaigns, latest quarter first."""
    render(state.client.inspections.list(), fmt, CAMPAIGN_COLUMNS)


def read_assignments(file: IO[bytes]) -> list[dict[str, str]]:
    """A CSV of (division code, username) rows, UTF-8 or GB18030; a title row is skipped."""
    out = []
    for n, row in enumerate(csv.reader(io.StringIO(decode(file.read()))), 1):
        cells = [c.strip() for c in row]
        if len(cells) < 2 or not cells[0]:
            continue
        if not cells[0].isdigit():
            if n == 1:
                continue  # 区划代码,用户名
            raise bad_input(f"第 {n} 行的区划代码无效：{cells[0]}", f"line {n}: not a division code: {cells[0]}")
        out.append({"division_code": cells[0], "username": cells[1]})
    return out


@inspect.command("assign")
@click.argument("campaign_id", type=int)
@click.option("--division", "divisions", multiple=True, metavar="CODE", help="村居或网格，可重复 / village or grid (repeatable)")
@click.option("--user", "users", multiple=True, metavar="NAME", help="协管员用户名，与 --division 成对 / the assistant, paired")
@click.option("--file", "file", type=click.File("rb"), metavar="CSV|-",
              help="分工表：区划代码,用户名 每行一对 / a CSV of division code, username pairs")
@one_format
@pass_state
def assign(state: State, campaign_id: int, divisions: tuple[str, ...], users: tuple[str, ...], file: IO[bytes] | None,
           fmt: str) -> None:
    """分配村居（网格）给协管员 / assign villages (or grids) to assistants."""
    if len(divisions) != len(users):
        raise click.UsageError(t("--division 与 --user 须成对给出", "give --division and --user in pairs"))
    pairs = [{"division_code": d, "username": u} for d, u in zip(divisions, users, strict=True)]
    if file is not None:
        pairs += read_assignments(file)
    if not pairs:
        raise click.UsageError(t("请用 --division/--user 或 --file 给出分工", "give pairs with --division/--user or --file"))
    c = state.client.inspections.assign(campaign_id, pairs)
    c = next((x for x in state.client.inspections.list() if x.id == c.id), c)  # with its counts
    click.echo(t(f"已分配 {len(pairs)} 处", f"{len(pairs)} assignments saved"), err=True)
    render_one(c, fmt, lambda: campaign_pairs(c))


def all_items(state: State, campaign_id: int, filters: dict[str, Any]) -> list[CampaignItem]:
    """Every item, paged by id, then in checklist order (village, grid)."""
    out: list[CampaignItem] = []
    after = 0
    while True:
        page = state.client.inspections.items(campaign_id, after=after, limit=PAGE, **filters)
        out += page
        if len(page) < PAGE:
            break
        after = page[-1].id
    return sorted(out, key=lambda i: (i.village_code, i.grid_code or "", i.id))


@inspect.command("items")
@click.argument("campaign_id", type=int)
@click.option("--village", metavar="CODE", help="只看该村居 / one village")
@click.option("--grid", metavar="CODE", help="只看该网格 / one grid")
@click.option("--pending", is_flag=True, default=None, help="只看未查的 / not yet checked")
@click.option("--mine", is_flag=True, help="只看分给我的 / assigned to me")
@click.option("--assignee", metavar="NAME", help="只看分给该协管员的 / assigned to this user")
@click.option("--limit", type=click.IntRange(1, PAGE), default=100, show_default=True, help="最多显示条数 / rows to print")
@click.option("--all", "everything", is_flag=True, help="显示全部 / print every row")
@format_options
@pass_state
def list_items(state: State, campaign_id: int, mine: bool, assignee: str | None, limit: int, everything: bool,
               fmt: str, **filters: Any) -> None:
    """清查对象（按村居、网格排列）/ the items of a campaign, in village and grid order."""
    wanted = {k: v for k, v in filters.items() if v is not None}
    if mine:
        assignee = state.client.me().username
    if assignee:
        wanted["assignee"] = assignee
    if everything:
        rows = all_items(state, campaign_id, wanted)
    else:
        rows = state.client.inspections.items(campaign_id, limit=limit + 1, **wanted)
    render(rows[:limit] if not everything else rows, fmt, ITEM_COLUMNS)
    if not everything and len(rows) > limit:
        click.echo(t(f"只显示了前 {limit} 条；用 --limit N 或 --all 显示更多",
                     f"showing the first {limit}; use --limit N or --all for more"), err=True)


def get_item(state: State, campaign_id: int, item_id: int) -> CampaignItem:
    found = state.client.inspections.items(campaign_id, after=item_id - 1, limit=1)
    if not found or found[0].id != item_id:
        raise CommandFailed(t(f"清查 {campaign_id} 中没有对象 {item_id}", f"campaign {campaign_id} has no item {item_id}"),
                            NOT_FOUND)
    return found[0]


def parse_changes(pairs: tuple[str, ...], kind: str) -> dict[str, Any]:
    """``--set`` for a correction: person fields, stay fields (as ``stay.<field>`` for the API), or house fields."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(t(f"应为 字段=值：{pair}", f"expected field=value: {pair}"), param_hint="--set")
        key = key.strip()
        if kind == "house":
            name = inputs.field_name(key, HOUSE_EDITABLE)
            api = name
        elif key.startswith("stay."):
            name = inputs.field_name(key[5:], STAY_EDITABLE)
            api = "stay." + name
        else:
            name = inputs.field_name(key, PERSON_EDITABLE + STAY_EDITABLE)
            api = name if name in PERSON_EDITABLE else "stay." + name
        text = value.strip()
        if not text:
            out[api] = None
        elif name in INTEGER_FIELDS and text.isdigit():
            out[api] = int(text)
        else:
            out[api] = inputs.coded(name, text)
    return out


@inspect.command("record")
@click.argument("campaign_id", type=int)
@click.argument("item_id", type=int)
@click.argument("outcome", type=LabelChoice(views.OUTCOMES, RECORDABLE))
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE",
              help="corrected：更正的字段，可重复（居住记录字段可加 stay. 前缀）/ corrected fields (repeatable)")
@click.option("--date", metavar="DATE", help="left：离开日期（默认今天）/ the departure date (default: today)")
@click.option("--note", help="备注 / note")
@click.option("--version", type=int, help="您读到的版本（默认当前版本）/ the version you read (default: current)")
@one_format
@pass_state
def record(state: State, campaign_id: int, item_id: int, outcome: InspectionOutcome, sets: tuple[str, ...], date: str | None,
           note: str | None, version: int | None, fmt: str) -> None:
    """记录一个清查对象的结果：present 在住无误、corrected 已更正、left 已离开（注销）、not_found 查无此人（通报户籍地）、
    certificate_missing 缺婚育证明（发催办通知）/ record an item's outcome and its effect."""
    item = get_item(state, campaign_id, item_id)
    changes = parse_changes(sets, item.kind)
    if changes and outcome != "corrected":
        raise click.UsageError(t("--set 只用于 corrected（已更正）", "--set goes with corrected"))
    fields: dict[str, Any] = {"changes": changes} if changes else {}
    if date:
        fields["date"] = date
    if note:
        fields["note"] = note
    got = state.client.inspections.record(campaign_id, item_id, version=version if version is not None else item.version,
                                          outcome=outcome, **fields)
    click.echo(t(f"已记录：{item_who(got)} {labelled(views.OUTCOMES, got.outcome)}",
                 f"recorded: {item_who(got)} {labelled(views.OUTCOMES, got.outcome)}"), err=True)
    render_one(got, fmt, lambda: item_pairs(got))


@inspect.command("found")
@click.argument("campaign_id", type=int)
@json_option
@field_options(PERSON_OPTIONS)
@field_options(STAY_OPTIONS)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="输出格式 / output format")
@pass_state
def found(state: State, campaign_id: int, json_file: IO[str] | None, fmt: str, **options: Any) -> None:
    """登记清查中新发现的人员（须登记在本次清查范围内的住址）/
    register someone found living here unregistered (the stay must lie in the campaign's area)."""
    values = person_from_options(inputs.read_json_object(json_file) if json_file else {}, options, need_stay=True)
    item = state.client.inspections.found(campaign_id, **values)
    click.echo(t(f"已登记新发现人员：{item.name}（人员编号 {item.person_id}，清查对象 {item.id}）",
                 f"newly found, registered: {item.name} (person {item.person_id}, item {item.id})"), err=True)
    render_one(item, fmt, lambda: item_pairs(item))


@inspect.command("progress")
@click.argument("campaign_id", type=int)
@format_options
@pass_state
def progress(state: State, campaign_id: int, fmt: str) -> None:
    """清查进度：按村居、按协管员（已查/总数、完成率、各结果数）/ progress per village and per assistant."""
    p = state.client.inspections.progress(campaign_id)
    if fmt == "json":
        render_one(p, fmt, lambda: [])
        return
    if fmt != "table":
        render(progress_rows(p), fmt)
        return
    c = p.campaign
    share = percent(c.done / c.items) if c.items else "—"
    click.echo(t(f"{c.name}：已查 {c.done}/{c.items}（{share}），{labelled(views.CAMPAIGN_STATUS, c.status)}",
                 f"{c.name}: {c.done}/{c.items} checked ({share}), {labelled(views.CAMPAIGN_STATUS, c.status)}"))
    click.echo("\n" + t("按村居", "By village"))
    render(p.by_village, fmt, VILLAGE_PROGRESS)
    click.echo("\n" + t("按协管员", "By assistant"))
    render(p.by_assignee, fmt, ASSIGNEE_PROGRESS)


@inspect.command("close")
@click.argument("campaign_id", type=int)
@click.option("--yes", "-y", is_flag=True, help="不再确认 / do not ask")
@one_format
@pass_state
def close(state: State, campaign_id: int, yes: bool, fmt: str) -> None:
    """结束清查（之后不能再记录结果）/ close a campaign (no more outcomes after this)."""
    current = next((c for c in state.client.inspections.list() if c.id == campaign_id), None)
    if current is not None:
        left = current.items - current.done
        inputs.confirm(f"结束清查 {current.name}" + (f"（尚有 {left} 项未查）" if left else "") + "？",
                       f"close {current.name}" + (f" ({left} items not checked)" if left else "") + "?", yes)
    c = state.client.inspections.close(campaign_id)
    click.echo(t(f"已结束清查 {c.id}", f"campaign {c.id} closed"), err=True)
    render_one(c, fmt, lambda: campaign_pairs(c))


@inspect.command("checklist")
@click.argument("campaign_id", type=int)
@click.option("--division", required=True, metavar="CODE", help="村居或网格 / village or grid")
@click.option("--format", "fmt", type=click.Choice(["html", "xlsx", "text"]), default="html", show_default=True,
              help="html 打印、xlsx 表格、text 纯文本 / printable HTML, a spreadsheet, or plain text")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), metavar="FILE",
              help="输出文件（默认标准输出；xlsx 须指定）/ output file (default stdout; xlsx needs one)")
@pass_state
def checklist(state: State, campaign_id: int, division: str, fmt: str, output: str | None) -> None:
    """入户核查清单（逐户打印）/ the door-to-door checklist for one village or grid."""
    if fmt == "xlsx" and output in (None, "-"):
        raise click.UsageError(t("xlsx 需用 -o 指定输出文件", "xlsx needs an output file: -o FILE"))
    data = state.client.inspections.checklist(campaign_id, division, fmt)
    write_bytes(data, output, binary=fmt == "xlsx")
    if output not in (None, "-"):
        click.echo(t(f"已保存核查清单：{output}", f"checklist saved: {output}"), err=True)


# ------------------------------------------------------------------------------------ certificates, 引用建档

CERTIFICATE_COLUMNS = [
    views.col("id"),
    Column("证明编号", "Number", lambda c: c.number or ""),
    Column("发证单位", "Issued by", lambda c: c.issued_by_code or ""),
    Column("发证日期", "Issued", lambda c: views.show(c.issued_on)),
    Column("有效期至", "Expires", lambda c: views.show(c.expires_on)),
    Column(*FIELDS["verified_on"], lambda c: views.show(c.verified_on)),
    Column("查验单位", "Verified by", lambda c: c.verified_by_code or ""),
]


def certificate_pairs(c: Certificate) -> list[tuple[str, str]]:
    return [(col.header, views.show(col.get(c))) for col in CERTIFICATE_COLUMNS if col.get(c) not in (None, "")]


@click.command("add-certificate")
@click.argument("person_id", type=int)
@click.option("--number", help="婚育证明编号 / certificate number")
@click.option("--issued-by", "issued_by_code", metavar="CODE", help="发证单位区划代码 / issuing division")
@click.option("--issued-on", metavar="DATE", help="发证日期 / issued on")
@click.option("--expires-on", metavar="DATE", help="有效期至 / valid until")
@click.option("--verified-on", metavar="DATE", help="查验日期（查验即通报户籍地）/ verified on (the household side is told)")
@one_format
@pass_state
def add_certificate(state: State, person_id: int, fmt: str, **fields: Any) -> None:
    """登记一个人出示的婚育证明（及查验）/ record a marriage-and-childbearing certificate shown (and verified)."""
    cert = state.client.persons.add_certificate(person_id, **{k: v for k, v in fields.items() if v is not None})
    verified = t("，已查验", ", verified") if cert.verified_on else ""
    click.echo(t(f"已登记婚育证明（人员 {person_id}）{verified}", f"certificate recorded (person {person_id}){verified}"),
               err=True)
    render_one(cert, fmt, lambda: certificate_pairs(cert))


@click.command("certificates")
@click.argument("person_id", type=int)
@format_options
@pass_state
def certificates(state: State, person_id: int, fmt: str) -> None:
    """一个人的婚育证明 / a person's certificates."""
    render(state.client.persons.certificates(person_id), fmt, CERTIFICATE_COLUMNS)


SUBJECT_PERSON = ("name", "household_code", "household_address", "phone")
SUBJECT_STAY = ("residence_code", "residence_address")


@click.command("register")
@click.argument("message_id", type=int)
@json_option
@field_options(PERSON_OPTIONS)
@field_options(STAY_OPTIONS)
@click.option("--version", type=int, help="您读到的消息版本（默认当前版本）/ the message version you read")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="输出格式 / output format")
@pass_state
def register(state: State, message_id: int, json_file: IO[str] | None, version: int | None, fmt: str,
             **options: Any) -> None:
    """引用建档：按未配对的消息新建本地人员记录并配对；姓名、户籍地等取自消息，身份证号须补全 /
    register a local record from an unmatched message and match it; the message fills in what it knows,
    the full ID number must be given (messages show it masked)."""
    m = state.client.inbox.get(message_id)
    subject = m.subject or {}
    prefill: dict[str, Any] = {k: subject[k] for k in SUBJECT_PERSON if subject.get(k)}
    stay = {k: subject[k] for k in SUBJECT_STAY if subject.get(k)}
    if stay:
        prefill["stay"] = stay
    values = person_from_options(inputs.read_json_object(json_file) if json_file else {}, options, need_stay=False,
                                 prefill=prefill)
    detail = state.client.inbox.act(message_id, "register", version=version if version is not None else m.version,
                                    person=values)
    try:
        person = state.client.persons.get(detail.matched_person_id or 0)
    except FlowpopError:
        click.echo(t(f"已建档并配对：消息 {message_id}", f"registered and matched: message {message_id}"), err=True)
        return
    click.echo(t(f"已建档并配对：{person_label(person)}，消息 {message_id}",
                 f"registered and matched: {person_label(person)}, message {message_id}"), err=True)
    show_person(person, fmt)
