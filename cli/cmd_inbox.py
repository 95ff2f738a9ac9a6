"""flowpop inbox …: the daily inbox (信息交换) — today's summary, the work list by due date, one message
with its thread, every step on a message, bulk acknowledgement, batch files for places outside this
registry; and flowpop stays transfer, which raises a message."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import IO, Any, Generic, TypeVar, get_args

import click

from flowpop import labels
from flowpop.errors import FlowpopError
from flowpop.labels import FIELDS, LABELS, STATUS_KIND, label, lang
from flowpop.pagination import SyncPager
from flowpop.types import BulkResult, Candidate, InboxFigures, Message, MessageCreate, MessageFilters, Subject
from flowpop_cli import inputs, views
from flowpop_cli.cmd_persons import PAGE_MAX, PERSON_EDITABLE
from flowpop_cli.filter_options import KINDS, chosen, filter_options
from flowpop_cli.inputs import CodeChoice
from flowpop_cli.output import card, dumps, format_options, render, render_one
from flowpop_cli.progress import Progress
from flowpop_cli.state import CONFLICT, FAILURE, INVALID, CommandFailed, State, pass_state, t
from flowpop_cli.views import Column, pick

T = TypeVar("T")
# what a user may send (MessageCreate.kind) but notifications: the registry raises those, and `send` has no --topic
SEND_KINDS = tuple(k for k in get_args(MessageCreate.model_fields["kind"].annotation) if k != "notification")
ACK_BATCH = 2_000


def _subject_fields() -> tuple[str, ...]:
    """A message's subject as the contract describes it (Subject), its name first. The registry sends the birth
    year in place of the birth date (with a masked number the date would rebuild it: inbox.views._year_only), so
    birth_year follows birth_date; whichever of the two came is shown."""
    fields = ["name", *(f for f in Subject.model_fields if f != "name")]
    fields.insert(fields.index("birth_date") + 1, "birth_year")
    return tuple(fields)


SUBJECT_FIELDS = _subject_fields()
# the list's options are MessageFilters' fields (flowpop_cli.filter_options) but paging (--limit / --all say how many
# rows to print); --type is the kind's older name
PAGING = frozenset({"limit", "cursor"})
LIST_OPTIONS: dict[str, dict[str, Any]] = {
    "box": {"default": MessageFilters.model_fields["box"].default, "show_default": True},
    "status": {"default": "open", "show_default": True,
               "help": "状态（open 待办、all 全部，或一个状态）/ status: open, all or one status"},
    "kind": {"aliases": ("--type",), "help": "类型：" + "/".join(zh for zh, _ in LABELS["message_kind"].values())
             + " 或代码 / kind: a code or its label"},
    "q": {"metavar": "TEXT", "help": "姓名开头或完整身份证号 / name prefix or full ID number"},
}
OUTPUT_HELP = "写入文件（默认标准输出）/ write to a file (default: stdout)"
FORMAT_ONE = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                          help="输出格式 / output format")
VERSION = click.option("--version", type=int, help="您读到的版本（默认当前版本）/ the version you read (default: current)")


# ------------------------------------------------------------------------------------ how a message reads


def _sep() -> str:
    return t("；", "; ")


def item_label(key: str) -> str:
    """A message item's title: items are named as fields are (flowpop.labels.FIELDS)."""
    return views.field_label(key)


def item_value(key: str, value: Any) -> str:
    if isinstance(value, list):
        return t("、", ", ").join(item_value(key, v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if key == "outcome" and isinstance(value, str):
        return label("message_outcome", value)
    return views.field_value(key, value)


def items_text(items: dict[str, Any]) -> str:
    colon = t("：", ": ")
    return _sep().join(f"{item_label(k)}{colon}{item_value(k, v)}" for k, v in items.items()
                       if v not in (None, "", [], {}))


def topic_text(m: Message) -> str:
    """What the message is about: a notification's topic, otherwise what is asked or reported."""
    if m.topic:
        return label("topic", m.topic)
    return items_text(m.items) or (m.text or "")


def state_text(m: Message) -> str:
    text = label("message_status", m.status)
    if m.sent_late:  # sent after its send deadline: a service's 通报, a key target's 协查 (the registry decides)
        text += t(" 迟报", " SENT LATE")
    return text + t(" 逾期", " OVERDUE") if m.overdue else text


def due_text(m: Message) -> str:
    """The due date; a provisional one (a year whose holidays are not loaded yet) is marked."""
    text = views.show(m.due_on)
    return text + t("（暂定）", " (provisional)") if m.due_provisional and m.due_on else text


def place(name: str | None, code: str) -> str:
    if not name:
        return code
    return f"{name} ({code})" if lang() == "en" else f"{name}（{code}）"


def message_columns(box: str = "in") -> list[Column]:
    columns = [
        Column("编号", "ID", lambda m: m.id),
        Column("类型", "Kind", lambda m: label("message_kind", m.kind)),
        Column("事项", "Topic", topic_text, flex="start"),
        Column("对象姓名", "Name", lambda m: m.subject.get("name", "")),
        Column("身份证号", "ID number", lambda m: m.subject.get("id_number", "")),
        Column("发件单位", "From", lambda m: m.sender_name or m.sender_code, flex="end"),
        Column("截止日期", "Due", due_text),
        Column("剩余工作日", "Days left", lambda m: views.show(m.working_days_left)),
        Column("状态", "Status", state_text),
    ]
    if box != "in":
        columns.insert(6, Column("收件单位", "To", lambda m: m.addressee_name or m.addressee_code, flex="end"))
    return columns


THREAD_COLUMNS = [
    Column("编号", "ID", lambda m: m.id),
    Column("类型", "Kind", lambda m: label("message_kind", m.kind)),
    Column("事项", "Topic", topic_text, flex="start"),
    Column("发件单位", "From", lambda m: m.sender_name or m.sender_code, flex="end"),
    Column("收件单位", "To", lambda m: m.addressee_name or m.addressee_code, flex="end"),
    Column("发出时间", "Sent", lambda m: views.show(m.created_at)),
    Column("状态", "Status", state_text),
]

CANDIDATE_COLUMNS = [
    Column("人员编号", "Person ID", lambda c: c.person_id),
    Column("姓名", "Name", lambda c: c.name),
    Column("身份证号", "ID number", lambda c: c.id_number),
    Column("出生年份", "Birth year", lambda c: views.show(c.birth_year)),
    Column("现居住地", "Residence", lambda c: c.residence_name or "", flex="end"),
    Column("匹配分", "Score", lambda c: c.score),
    Column("依据", "Why", lambda c: label("match_basis", c.reason)),
    Column("不同之处", "Differs", lambda c: t("；", "; ").join(
        f"{views.field_label(d.field)} {d.message or ''}≠{d.local or ''}" for d in c.differences), flex="start"),
]


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


FIGURE_COLUMNS = [
    Column("区划代码", "Code", lambda f: f.division_code),
    Column("名称", "Name", lambda f: f.division_name or "", flex="end"),
    Column("收到通报", "Notices", lambda f: f.received),
    Column("已接收", "Acknowledged", lambda f: f.acknowledged),
    Column("接收率", "Received %", lambda f: _rate(f.received_rate)),
    Column("协查等请求", "Requests", lambda f: f.requests),
    Column("已反馈", "Answered", lambda f: f.answered),
    Column("反馈率", "Answered %", lambda f: _rate(f.answered_rate)),
    Column("按时反馈", "On time", lambda f: f.answered_on_time),
    Column("及时率", "On time %", lambda f: _rate(f.on_time_rate)),
    Column("逾期", "Overdue", lambda f: f.overdue),
]


def message_pairs(m: Message) -> list[tuple[str, str]]:
    pairs: list[tuple[tuple[str, str], Any]] = [
        (("编号", "ID"), m.id),
        (("类型", "Kind"), label("message_kind", m.kind)),
        (("事项", "Topic"), topic_text(m)),
        (("状态", "Status"), state_text(m)),
        (("对象姓名", "Name"), m.subject.get("name")),
        (("身份证号", "ID number"), m.subject.get("id_number")),
        (("发件单位", "From"), place(m.sender_name, m.sender_code)),
        (("收件单位", "To"), place(m.addressee_name, m.addressee_code)),
        (("发出时间", "Sent"), m.created_at),
        (("截止日期", "Due"), due_text(m)),
        (("剩余工作日", "Working days left"), m.working_days_left),
        (("配对人员", "Matched person"),
         f"{m.matched_person_id}" + (t(f"（匹配分 {m.match_score}）", f" (score {m.match_score})")
                                     if m.match_score is not None else "") if m.matched_person_id else None),
        (FIELDS["outcome"], label("message_outcome", m.outcome)),
        (("居住记录", "Stay"), m.stay_id),
        (("附言", "Text"), m.text),
        (("版本", "Version"), m.version),
        (("可办理", "You may"), t("、", ", ").join(label("message_action", a) for a in m.allowed_actions)),
    ]
    return [(pick(k), views.show(v)) for k, v in pairs if v not in (None, "")]


def output_option(metavar: str) -> Any:
    return click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-",
                        metavar=metavar, help=OUTPUT_HELP)


def open_output(path: str) -> IO[str]:
    """The file to write (or stdout for "-"), opened before the work so a bad path fails first."""
    try:
        return click.open_file(path, "w", encoding="utf-8", lazy=False)
    except OSError as exc:
        raise CommandFailed(t(f"无法写入 {path}：{exc.strerror}", f"cannot write {path}: {exc.strerror}"), FAILURE) from None


def division_name(state: State, code: str) -> str | None:
    try:
        d = state.client.divisions.get(code)
        return d.full_name or d.name
    except FlowpopError:
        return None


def subject_pairs(state: State, subject: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for key in SUBJECT_FIELDS:
        value = subject.get(key)
        if value in (None, ""):
            continue
        if key in ("household_code", "residence_code"):
            out.append((views.field_label(key.replace("_code", "_name")), place(division_name(state, value), value)))
        else:
            out.append((views.field_label(key), views.field_value(key, value)))
    return out


def section(zh: str, en: str) -> None:
    click.echo("\n" + t(zh, en))


def show_message(m: Message, fmt: str) -> None:
    render_one(m, fmt, lambda: message_pairs(m))


def done(m: Message, zh: str, en: str, fmt: str) -> None:
    status = label("message_status", m.status)
    click.echo(t(f"已{zh}：消息 {m.id}，状态：{status}", f"{en}: message {m.id}, now {status}"), err=True)
    show_message(m, fmt)


class Limited(Generic[T]):
    """The first ``limit`` items of a pager (all of them with ``everything``); ``more`` tells if some were left."""

    def __init__(self, pager: SyncPager[T], limit: int, everything: bool) -> None:
        self.pager, self.limit, self.everything = pager, limit, everything
        self.more = False

    def __iter__(self) -> Iterator[T]:
        n = 0
        for page in self.pager.iter_pages():
            for item in page.data:
                if not self.everything and n >= self.limit:
                    self.more = True
                    return
                n += 1
                yield item
            if not self.everything and n >= self.limit:
                self.more = page.has_more
                return

    def hint(self) -> None:
        if self.more:
            click.echo(t(f"只显示了前 {self.limit} 条；用 --limit N 或 --all 显示更多",
                         f"showing the first {self.limit}; use --limit N or --all for more"), err=True)


def parse_pairs(pairs: Sequence[str], option: str) -> dict[str, Any]:
    """``["verify=现居住地址", "verify=婚育情况", "note=x"]`` → ``{"verify": [...], "note": "x"}``."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(t(f"应为 键=值：{pair}", f"expected key=value: {pair}"), param_hint=option)
        key, value = key.strip(), value.strip()
        if key in out:
            out[key] = (out[key] if isinstance(out[key], list) else [out[key]]) + [value]
        else:
            out[key] = value
    return out


# ------------------------------------------------------------------------------------ reading


@click.group(invoke_without_command=True)
@format_options
@click.pass_context
def inbox(ctx: click.Context, fmt: str) -> None:
    """收件箱（信息交换）；不带子命令时显示今日概况 / the inbox (exchange between places); alone, today's summary."""
    if ctx.invoked_subcommand is None:
        summary(ctx.find_object(State), fmt)  # type: ignore[arg-type]  # main() puts a State on every context


def summary(state: State, fmt: str) -> None:
    s = state.client.inbox.summary()
    if fmt != "table":
        render_one(s, fmt, lambda: [])
        return
    click.echo(t("收件箱今日概况", "Inbox today"))
    click.echo(card([
        (t("新到", "New"), str(s.new)),
        (t("待办", "Open"), str(s.open)),
        (t("已逾期", "Overdue"), str(s.overdue)),
        (t("今日到期", "Due today"), str(s.due_today)),
        (t("待导出（发往系统外）", "Outbox waiting for export"), str(s.outbox_unsent)),
    ]))
    if s.by_kind:
        section("待办按类型", "Open by kind")
        ordered = sorted(s.by_kind.items(), key=lambda kv: (-kv[1], kv[0]))
        click.echo(card([(label("message_kind", k), str(v)) for k, v in ordered]))
    if s.overdue:
        click.echo(t("逾期事项：flowpop inbox list --overdue", "overdue items: flowpop inbox list --overdue"), err=True)
    if s.outbox_unsent:
        click.echo(t("导出待发文件：flowpop inbox export -o 文件.jsonl", "export the batch: flowpop inbox export -o FILE.jsonl"),
                   err=True)


@inbox.command("list")
@filter_options(MessageFilters, skip=PAGING, kinds={**KINDS, "status": STATUS_KIND["message"]}, overrides=LIST_OPTIONS)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="最多显示条数 / rows to print")
@click.option("--all", "everything", is_flag=True, help="显示全部 / print every row")
@format_options
@pass_state
def list_messages(state: State, limit: int, everything: bool, fmt: str, **filters: Any) -> None:
    """按截止日期列出消息（先到期的在前）/ messages by due date, soonest first."""
    page_size = PAGE_MAX if everything else min(limit, PAGE_MAX)
    pager = state.client.inbox.list(limit=page_size, **chosen(filters, MessageFilters))
    rows = Limited(pager, limit, everything)
    render(rows, fmt, message_columns(filters["box"]))
    rows.hint()


@inbox.command("show")
@click.argument("message_id", type=int)
@format_options
@pass_state
def show(state: State, message_id: int, fmt: str) -> None:
    """一条消息：对象、事项、候选人员、往来记录，逾期时的责任方 /
    one message: its subject, items, ranked candidates, thread, and who answers for it when overdue."""
    m = state.client.inbox.get(message_id)
    if fmt != "table":
        render_one(m, fmt, lambda: [])
        return
    click.echo(card(message_pairs(m)))
    section("对象", "Subject")
    click.echo(card(subject_pairs(state, m.subject)))
    if m.items:
        section("事项", "Items")
        click.echo(card([(item_label(k), item_value(k, v)) for k, v in m.items.items() if v is not None]))
    if m.candidates:
        section("候选人员（按匹配分）", "Candidates (best first)")
        ranked: list[Candidate] = sorted(m.candidates, key=lambda c: -c.score)
        render(ranked, fmt, CANDIDATE_COLUMNS)
    if len(m.thread) > 1:
        section("往来记录", "Thread")
        render(m.thread, fmt, THREAD_COLUMNS)
    if m.overdue and m.accountable_code:
        side = label("accountable_side", m.accountable_side)
        who = place(division_name(state, m.accountable_code), m.accountable_code)
        click.echo("\n" + t(f"已逾期：责任方为{side} {who}", f"Overdue: {side}, {who}, answers for it"))


@inbox.command("figures")
@click.option("--level", type=click.Choice(["county", "township", "village"]), default="township", show_default=True,
              help="按哪一级统计 / count per county, township or village")
@format_options
@pass_state
def figures(state: State, level: str, fmt: str) -> None:
    """各单位的接收率、反馈率、及时率 / received, answered and on-time rates per division."""
    rows: list[InboxFigures] = state.client.inbox.figures(level=level)
    render(rows, fmt, FIGURE_COLUMNS)


@inbox.command("sheet")
@click.argument("message_id", type=int)
@output_option("FILE.html")
@pass_state
def sheet(state: State, message_id: int, output: str) -> None:
    """打印用的核实表（HTML）/ the printable verification sheet (HTML)."""
    html = state.client.inbox.sheet(message_id)
    with open_output(output) as out:
        out.write(html)
    if output != "-":
        click.echo(t(f"已保存核实表：{output}（用浏览器打开打印）", f"sheet saved: {output} (print from a browser)"), err=True)


# ------------------------------------------------------------------------------------ acting on one message


def _current_version(state: State, message_id: int, version: int | None) -> int:
    return version if version is not None else state.client.inbox.get(message_id).version


def _step(action: str, zh: str, en: str, done_en: str, doc: str, *, reason: str | None = None) -> click.Command:
    """A step that needs only the message (and maybe a reason): read, verify, close, accept, refuse, return, escalate.

    ``reason``: None (no option), "optional", or "required" (then it asks on a terminal unless --yes)."""

    @click.argument("message_id", type=int)
    @VERSION
    @FORMAT_ONE
    @pass_state
    def command(state: State, message_id: int, version: int | None, fmt: str, why: str | None = None,
                yes: bool = False) -> None:
        if reason == "required":
            current = state.client.inbox.get(message_id)
            who = current.subject.get("name") or ""
            inputs.confirm(f"{zh}消息 {message_id}（{label('message_kind', current.kind)} {who}）？",
                           f"{en} message {message_id} ({label('message_kind', current.kind)} {who})?", yes)
            version = version if version is not None else current.version
        m = state.client.inbox.act(message_id, action, version=_current_version(state, message_id, version),
                                   reason=why or None)
        done(m, zh, done_en, fmt)

    if reason == "required":
        command = click.option("--yes", "-y", is_flag=True, help="不再确认 / do not ask")(command)
    if reason:
        command = click.option("--reason", "why", required=reason == "required", help="原因 / why")(command)
    command.__doc__ = doc
    return inbox.command(action)(command)


_step("read", "阅读", "read", "read", "标为已读 / mark a message read.")
_step("verify", "开始核实", "verify", "verifying", "开始入户核实 / start the field check of a request.")
_step("close", "办结", "close", "closed", "办结一条消息 / close a message.")
_step("accept", "接收移交", "accept", "accepted", "接收移交（居住记录随即迁入）/ accept a transfer (the stay moves here).",
      reason="optional")
_step("refuse", "拒绝移交", "refuse", "refused", "拒绝移交（须说明原因）/ refuse a transfer (with a reason).",
      reason="required")
_step("return", "退回", "return", "returned", "退回发件方（须说明原因）/ return a message to its sender (with a reason).",
      reason="required")
_step("escalate", "上报县级", "escalate", "escalated", "上报县级处理（须说明原因）/ escalate to the county (with a reason).",
      reason="required")


@inbox.command("match")
@click.argument("message_id", type=int)
@click.argument("person_id", type=int)
@VERSION
@FORMAT_ONE
@pass_state
def match(state: State, message_id: int, person_id: int, version: int | None, fmt: str) -> None:
    """把消息配对到本地人员记录 / match a message to a local person record."""
    m = state.client.inbox.act(message_id, "match", version=_current_version(state, message_id, version),
                               person_id=person_id)
    done(m, "配对", "matched", fmt)


@inbox.command("forward")
@click.argument("message_id", type=int)
@click.option("--to", "to_code", required=True, metavar="CODE", help="本辖区内的下级单位代码 / a division within yours")
@click.option("--reason", help="原因 / why")
@VERSION
@FORMAT_ONE
@pass_state
def forward(state: State, message_id: int, to_code: str, reason: str | None, version: int | None, fmt: str) -> None:
    """转给本辖区内的下级单位办理 / forward to a division within your jurisdiction."""
    m = state.client.inbox.act(message_id, "forward", version=_current_version(state, message_id, version),
                               to_code=to_code, reason=reason or None)
    done(m, "转办", "forwarded", fmt)


@inbox.command("reply")
@click.argument("message_id", type=int)
@click.option("--fact", "facts", multiple=True, metavar="KEY=VALUE",
              help="核实结果，可重复（如 现居住地址=属实）/ a verified fact (repeatable)")
@click.option("--text", help="附言 / a note to the sender")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE",
              help="同时修改已配对的本地记录，可重复 / also change the matched local record (repeatable)")
@VERSION
@FORMAT_ONE
@pass_state
def reply(state: State, message_id: int, facts: tuple[str, ...], text: str | None, sets: tuple[str, ...],
          version: int | None, fmt: str) -> None:
    """反馈协查结果（可同时更正本地记录）/ answer a request with the verified facts (and correct the local record)."""
    if not facts and not text:
        raise click.UsageError(t("请用 --fact 或 --text 说明核实结果", "give the result with --fact or --text"))
    fields: dict[str, Any] = {"facts": parse_pairs(facts, "--fact")}
    if text:
        fields["text"] = text
    current = state.client.inbox.get(message_id) if sets or version is None else None
    if current is not None and version is None:
        version = current.version
    if sets and current is not None:
        changes = inputs.parse_sets(sets, PERSON_EDITABLE)
        if current.matched_person_id is None:
            raise CommandFailed(t(f"请先配对本地记录：flowpop inbox match {message_id} 人员编号",
                                  f"match a local record first: flowpop inbox match {message_id} PERSON_ID"), CONFLICT)
        person = state.client.persons.get(current.matched_person_id)
        fields["update_person"] = {**changes, "version": person.version,
                                   "change_reason": t(f"协查核实（消息 {message_id}）", f"verified on request {message_id}")}
    m = state.client.inbox.act(message_id, "reply", version=version or 0, **fields)
    done(m, "反馈", "answered", fmt)
    if sets:
        click.echo(t(f"已同时修改人员 {m.matched_person_id}", f"person {m.matched_person_id} updated too"), err=True)


@inbox.command("resolve")
@click.argument("message_id", type=int)
@click.option("--outcome", required=True, type=click.Choice(labels.codes("not_found_outcome")),
              help="returned 已返乡（结束流出记录）、moved 已迁往他处（更正现居住地）、present 仍在该地（保留，有异议）/ "
                   "returned home (ends the outflow record), moved (corrects it), present (kept, disputed)")
@click.option("--date", "day", help="返乡或迁往新地的日期 YYYY-MM-DD（默认今天）/ the day, YYYY-MM-DD (default today)")
@click.option("--to", "to_code", metavar="CODE", help="moved：新的现居住地区划代码 / moved: the new residence")
@click.option("--address", help="moved：新的现居住地址 / moved: the new address")
@click.option("--text", help="附言 / a note to the sender")
@VERSION
@FORMAT_ONE
@pass_state
def resolve(state: State, message_id: int, outcome: str, day: str | None, to_code: str | None, address: str | None,
            text: str | None, version: int | None, fmt: str) -> None:
    """答复查无此人：按核实结果结束、更正或保留流出记录 / answer a not-found: end, correct or keep the outflow record."""
    fields: dict[str, Any] = {"outcome": outcome, "date": day, "residence_code": to_code,
                              "residence_address": address, "text": text}
    m = state.client.inbox.act(message_id, "resolve", version=_current_version(state, message_id, version),
                               **{k: v for k, v in fields.items() if v is not None})
    done(m, "答复", "answered", fmt)


@inbox.command("not-found")
@format_options
@pass_state
def not_found(state: State, fmt: str) -> None:
    """查无此人闭环：本地发出、发给本地的件数，按答复结果、随人员办结、待办、逾期 /
    the not-found loop: raised here and addressed here, answered by outcome, closed with the person, open, overdue."""
    loop = state.client.inbox.not_found_loop()
    if fmt != "table":
        render_one(loop, fmt, lambda: [])
        return
    for (zh, en), c in ((("本地发出（现居住地）", "Raised here (residence side)"), loop.raised_here),
                        (("发给本地（户籍地）", "Addressed here (household side)"), loop.addressed_here)):
        section(zh, en)
        click.echo(card([
            (t("查无此人", "Not found"), str(c.raised)),
            *((label("not_found_outcome", k), str(v)) for k, v in c.answered.items()),
            (t("随人员或流动记录办结", "Closed with the person or stay"), str(c.closed_with_subject)),
            (t("其他办结", "Closed otherwise"), str(c.closed_otherwise)),
            (t("待办", "Open"), str(c.open)),
            (t("已逾期", "Overdue"), str(c.overdue)),
        ]))


# ------------------------------------------------------------------------------------ many messages


def _open_acknowledgeable(state: State, progress: Progress) -> list[int]:
    """The open messages in the inbox the registry says this user may acknowledge (its allowed_actions)."""
    ids: list[int] = []
    seen = 0
    stage = t("读取待接收的通报和反馈", "reading notifications and replies")
    pager = state.client.inbox.list(box="in", status="open", limit=PAGE_MAX)
    for page in pager.iter_pages():
        seen += len(page.data)
        ids += [m.id for m in page.data if "acknowledge" in m.allowed_actions]
        if page.has_more or seen > PAGE_MAX:
            progress.update(stage, seen)
    return ids


def report_ack(result: BulkResult) -> None:
    """How many were acknowledged, and the skipped ones grouped by why, in the registry's words."""
    click.echo(t(f"已接收 {result.done} 条", f"acknowledged: {result.done}"))
    if not result.skipped:
        return
    click.echo(t(f"跳过 {len(result.skipped)} 条：", f"skipped: {len(result.skipped)}"))
    by_reason: dict[str, list[int]] = {}
    for s in result.skipped:
        by_reason.setdefault(labels.message(s), []).append(s.id)
    for why, ids in by_reason.items():
        shown = ", ".join(str(i) for i in ids[:10]) + (" …" if len(ids) > 10 else "")
        click.echo(t(f"  {why}：{len(ids)} 条（编号 {shown}）", f"  {why}: {len(ids)} (IDs {shown})"))


@inbox.command("ack")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-notifications", is_flag=True,
              help="接收收件箱中全部待办的通报和协查反馈 / every open notification and reply in the inbox")
@click.option("--yes", "-y", is_flag=True, help="不再确认 / do not ask")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="输出格式 / output format")
@pass_state
def ack(state: State, ids: tuple[int, ...], all_notifications: bool, yes: bool, fmt: str) -> None:
    """批量接收（签收）通报和协查反馈 / acknowledge notifications and replies in bulk."""
    if not ids and not all_notifications:
        raise click.UsageError(t("请给出消息编号，或用 --all-notifications", "give message IDs, or --all-notifications"))
    found: list[int] = []
    if all_notifications:
        with Progress() as progress:
            found = _open_acknowledgeable(state, progress)
        if found:
            inputs.confirm(f"接收 {len(found)} 条通报和反馈？", f"acknowledge {len(found)} notifications and replies?", yes)
    wanted = list(dict.fromkeys([*ids, *found]))
    done_count, skipped = 0, []
    with Progress(enabled=len(wanted) > ACK_BATCH) as progress:
        stage = t("接收", "acknowledging")
        for start in range(0, len(wanted), ACK_BATCH):
            result = state.client.inbox.acknowledge(wanted[start:start + ACK_BATCH])
            done_count += result.done
            skipped += result.skipped
            if len(wanted) > ACK_BATCH:
                progress.update(stage, min(start + ACK_BATCH, len(wanted)), len(wanted))
    total = BulkResult(done=done_count, skipped=skipped)
    if fmt == "json":
        click.echo(dumps(total, indent=2))
    else:
        report_ack(total)


@inbox.command("send")
@click.option("--kind", required=True, type=CodeChoice("message_kind", SEND_KINDS),
              help=" / ".join(f"{label('message_kind', k, 'zh')} {k}" for k in SEND_KINDS))
@click.option("--to", "to_code", required=True, metavar="CODE", help="收件单位代码 / addressee division code")
@click.option("--from", "from_code", metavar="CODE",
              help="发件单位（默认为您的管辖区域）/ sender (default: your jurisdiction)")
@click.option("--person", "person_id", type=int, help="本地人员编号 / a local person record")
@click.option("--id-number", help="身份证号（无本地记录时）/ ID number (no local record)")
@click.option("--name", help="姓名（无本地记录时）/ name (no local record)")
@click.option("--birth-date", metavar="DATE", help="出生日期 / birth date")
@click.option("--household", "household_code", metavar="CODE", help="户籍地区划代码 / household division code")
@click.option("--item", "items", multiple=True, metavar="KEY=VALUE",
              help="请求核实的事项，可重复；同名的合为列表（如 verify=现居住地址）/ an item (repeatable)")
@click.option("--text", help="附言 / text")
@FORMAT_ONE
@pass_state
def send(state: State, kind: str, to_code: str, from_code: str | None, person_id: int | None, id_number: str | None,
         name: str | None, birth_date: str | None, household_code: str | None, items: tuple[str, ...],
         text: str | None, fmt: str) -> None:
    """发出协查、查无此人或申诉 / send an assistance request, a not-found report or a dispute."""
    described = {k: v for k, v in {"id_number": id_number, "name": name, "birth_date": birth_date,
                                   "household_code": household_code}.items() if v}
    if (person_id is None) == (not described):
        raise click.UsageError(t("请用 --person 指定本地记录，或用 --id-number/--name 描述人员（二选一）",
                                 "name the person with --person, or describe them with --id-number/--name (one of the two)"))
    fields: dict[str, Any] = {"kind": kind, "addressee_code": to_code, "items": parse_pairs(items, "--item")}
    if person_id is not None:
        fields["person_id"] = person_id
    else:
        fields["subject"] = described
    if from_code:
        fields["sender_code"] = from_code
    if text:
        fields["text"] = text
    m = state.client.inbox.send(**fields)
    due = views.show(m.due_on)
    click.echo(t(f"已发送：消息 {m.id}，发往{m.addressee_name or m.addressee_code}，办理期限 {due}",
                 f"sent: message {m.id} to {m.addressee_name or m.addressee_code}, due {due}"), err=True)
    show_message(m, fmt)


# ------------------------------------------------------------------------------------ batch files


@inbox.command("export")
@output_option("FILE.jsonl")
@click.option("--include-sent", is_flag=True, help="包括已导出过的 / include messages exported before")
@pass_state
def export(state: State, output: str, include_sent: bool) -> None:
    """导出发往系统外单位的消息（JSON lines；导出即标记为已发）/
    export the messages for places outside this registry (JSON lines; marks them sent)."""
    with open_output(output) as out:  # opened first: the export marks the messages sent
        text = state.client.exchange.export(include_sent=include_sent)
        out.write(text)
    count = sum(1 for line in text.splitlines() if line.strip())
    if count:
        click.echo(t(f"已导出 {count} 条消息", f"exported {count} messages"), err=True)
    else:
        click.echo(t("没有待导出的消息", "nothing to export"), err=True)


@inbox.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"), metavar="FILE|-")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="输出格式 / output format")
@pass_state
def import_batch(state: State, file: IO[str], fmt: str) -> None:
    """导入外来的消息文件（重复的消息跳过）；有拒收行时退出码为 4 /
    import a batch file from elsewhere (repeats are skipped); exits 4 if any line is rejected."""
    result = state.client.exchange.import_batch(file.read())
    if fmt == "json":
        click.echo(dumps(result, indent=2))
    else:
        click.echo(t(f"导入：新增 {result.inserted} 条，已有而跳过 {result.skipped} 条，拒收 {len(result.rejected)} 条",
                     f"imported: {result.inserted} new, {result.skipped} already here, {len(result.rejected)} rejected"))
        for r in result.rejected:
            uid = f" {r['uid']}" if r.get("uid") else ""
            click.echo(t(f"  第 {r.get('line')} 行{uid}：{labels.message(r)}", f"  line {r.get('line')}{uid}: {labels.message(r)}"))
    if result.rejected:
        raise CommandFailed(t(f"{len(result.rejected)} 行被拒收", f"{len(result.rejected)} lines rejected"), INVALID)


# ------------------------------------------------------------------------------------ stays transfer


@click.command("transfer")
@click.argument("stay_id", type=int)
@click.option("--to", "to_code", required=True, metavar="VILLAGE_CODE", help="新的现居住地（村居）/ the new residence (village)")
@click.option("--reason", required=True, help="原因 / why")
@click.option("--address", "residence_address", help="新的现居住地址 / the new address")
@VERSION
@FORMAT_ONE
@pass_state
def transfer(state: State, stay_id: int, to_code: str, reason: str, residence_address: str | None,
             version: int | None, fmt: str) -> None:
    """把居住记录移交给另一乡镇（对方接收后才迁移）/
    hand a stay over to another township (it moves when they accept)."""
    if version is None:
        version = state.client.stays.get(stay_id).version
    m = state.client.stays.transfer(stay_id, version=version, to_residence_code=to_code, reason=reason,
                                    residence_address=residence_address)
    due = views.show(m.due_on)
    click.echo(t(f"已发出移交申请：消息 {m.id}，待{m.addressee_name or m.addressee_code}在 {due} 前接收或拒绝",
                 f"transfer sent: message {m.id}; {m.addressee_name or m.addressee_code} accepts or refuses by {due}"),
               err=True)
    show_message(m, fmt)
