"""flowpop bulk …: one changeset changes many records — preview it, apply it (in resumable chunks when
planned so), revert it; and the preview printing that `flowpop quality --fix` shares."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Sequence
from typing import IO, Any, cast

import click

from flowpop import labels
from flowpop._params import ChangesetValues, SelectionParams, UnknownKey
from flowpop.errors import ConflictError, FlowpopError
from flowpop.labels import code_for
from flowpop.rules.idnumber import mask
from flowpop.rules.legacy import decode
from flowpop.types import Changeset, ChangesetPreview
from flowpop_cli import inputs, views
from flowpop_cli.cmd_persons import PERSON_EDITABLE
from flowpop_cli.filter_options import KINDS
from flowpop_cli.output import card, dumps, format_options, render, table
from flowpop_cli.progress import Progress
from flowpop_cli.state import CONFLICT, FAILURE, CommandFailed, State, bad_input, pass_state, t
from flowpop_cli.views import FIELDS, Column, labelled, pick

OPERATIONS = tuple(views.OPERATIONS)
SKIP_FIELDS = {"id_rev", "ended_at"}  # bookkeeping columns a reader need not see
SHOWN_FAILURES = 20
STALE = "version_conflict"  # the code of records a chunk found changed since the preview
NAMED_RECORDS = 20  # records listed (with a lookup each for the name) when a refusal names many


def one_format(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--format table|json`` and ``--json`` for commands that print one result."""

    @functools.wraps(func)
    def wrapper(*args: Any, fmt: str, as_json: bool, **kwargs: Any) -> Any:
        return func(*args, fmt="json" if as_json else fmt, **kwargs)

    wrapper = click.option("--json", "as_json", is_flag=True, help="同 --format json / same as --format json")(wrapper)
    return click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                        show_default=True, help="输出格式 / output format")(wrapper)


# ------------------------------------------------------------------------------------ how a changeset reads


def _value(name: str, value: Any, part: str) -> str:
    if name == "id_number":
        return mask(value) or ""
    kind = ("person_status" if part == "person" else "stay_status") if name == "status" else None
    return views.field_value(name, value, kind=kind)


def change_text(before: dict[str, Any], after: dict[str, Any]) -> str:
    """``{"person": {"phone": new}}`` against the before values, as ``联系电话: 旧 → 新``; ID numbers masked."""
    parts: list[str] = []
    for part in ("person", "stay"):
        old = before.get(part) or {}
        prefix = t("居住记录", "stay ") if part == "stay" else ""
        for name, new in (after.get(part) or {}).items():
            if name in SKIP_FIELDS or (name in old and old[name] == new):
                continue
            was, now = _value(name, old.get(name), part), _value(name, new, part)
            head = prefix + views.field_label(name)
            parts.append(f"{head}: {was} → {now}" if was else f"{head}: {now}")
    if after.get("merged_into"):
        parts.append(t(f"并入 {after['merged_into']}", f"merged into {after['merged_into']}"))
    if after.get("stays_moved"):
        moved = ", ".join(str(s) for s in after["stays_moved"])
        parts.append(t(f"居住记录 {moved} 转入保留记录", f"stays {moved} moved to the kept record"))
    return t("；", "; ").join(parts)


SAMPLE_COLUMNS = [
    Column(*FIELDS["person_id"], lambda s: s.person_id),
    Column(*FIELDS["name"], lambda s: s.name),
    Column(*FIELDS["id_number"], lambda s: s.id_number),
    Column("修改前 → 修改后", "Before → after", lambda s: change_text(s.before, s.after), flex="start"),
]
FAILURE_COLUMNS = [
    Column(*FIELDS["person_id"], lambda f: f.person_id),
    Column(*FIELDS["name"], lambda f: f.name),
    Column(*FIELDS["id_number"], lambda f: f.id_number),
    Column("原因", "Reason", lambda f: labels.message(f), flex="start"),
]
CHANGESET_COLUMNS = [
    Column(*FIELDS["id"], lambda c: c.id),
    Column(*FIELDS["operation"], lambda c: labelled(views.OPERATIONS, c.operation)),
    Column(*FIELDS["status"], lambda c: labelled(views.CHANGESET_STATUS, c.status)),
    Column("选中", "Selected", lambda c: c.total),
    Column("无法修改", "Failing", lambda c: c.failing),
    Column("已修改", "Applied", lambda c: c.applied),
    Column("原因", "Reason", lambda c: c.reason, flex="start"),
    Column("建立人", "By", lambda c: c.created_by),
    Column("建立时间", "Created", lambda c: views.show(c.created_at)),
]



def _param(name: str, value: object) -> str:
    """A parameter as a line can hold it: a long list (merge groups) is counted, not spelt out."""
    if isinstance(value, list) and len(value) > 5:
        return t(f"{len(value)} 项", f"{len(value)} items")
    return views.field_value(name, value)

def changeset_pairs(cs: Changeset) -> list[tuple[str, str]]:
    pairs: list[tuple[tuple[str, str], Any]] = [
        (FIELDS["id"], cs.id),
        (FIELDS["operation"], labelled(views.OPERATIONS, cs.operation)),
        (FIELDS["status"], labelled(views.CHANGESET_STATUS, cs.status)),
        (("原因", "Reason"), cs.reason),
        (("选中记录", "Selected"), cs.total),
        (("无法修改", "Failing"), cs.failing),
        (("已修改", "Applied"), cs.applied),
        (("分块大小", "Chunk size"), cs.chunk_size),
        (("参数", "Values"), ", ".join(f"{views.field_label(k)}={_param(k, v)}" for k, v in cs.params.items())),
        (("建立人", "By"), cs.created_by),
        (("建立时间", "Created"), cs.created_at),
        (("执行时间", "Applied at"), cs.applied_at),
        (("撤销时间", "Reverted at"), cs.reverted_at),
    ]
    return [(pick(k), views.show(v)) for k, v in pairs if v not in (None, "")]


def print_preview(cs: ChangesetPreview, fmt: str, *, hint: bool = True) -> None:
    """The counts, the sample rows before/after, the failing rows with reasons, and what to run next."""
    if fmt == "json":
        click.echo(dumps(cs, indent=2))
        return
    click.echo(card(changeset_pairs(cs)))
    if cs.samples:
        click.echo("\n" + t(f"示例（前 {len(cs.samples)} 条）", f"Samples (first {len(cs.samples)})"))
        render(cs.samples, "table", SAMPLE_COLUMNS)
    if cs.failures:
        shown = cs.failures[:SHOWN_FAILURES]
        click.echo("\n" + t(f"无法修改的记录（{cs.failing} 条，列出 {len(shown)} 条）",
                            f"Records that would fail ({cs.failing}, {len(shown)} listed)"))
        render(shown, "table", FAILURE_COLUMNS)
    if hint and cs.status in ("planned", "applying"):
        skip = " --skip-failing" if cs.failing else ""
        click.echo(t(f"执行：flowpop bulk apply {cs.id}{skip}", f"apply with: flowpop bulk apply {cs.id}{skip}"), err=True)


# ------------------------------------------------------------------------------------ what to change


def read_lines(file: IO[bytes]) -> list[tuple[int, str]]:
    """Non-empty lines of an IDs file (UTF-8 or GB18030), with their line numbers; '#' starts a comment."""
    text = decode(file.read())
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        value = line.split("#", 1)[0].strip().strip(",")
        if value:
            out.append((n, value))
    return out


def read_ids(file: IO[bytes]) -> list[int]:
    ids = []
    for n, value in read_lines(file):
        if not value.isascii() or not value.isdigit():
            raise bad_input(f"第 {n} 行不是记录编号：{value}", f"line {n} is not a record ID: {value}")
        ids.append(int(value))
    return ids


def parse_filters(pairs: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key, value = key.strip().replace("-", "_"), value.strip()
        if not sep or not key:
            raise click.BadParameter(t(f"应为 条件=值：{pair}", f"expected key=value: {pair}"), param_hint="--filter")
        if key in ("key_target", "floating"):
            out[key] = value.lower() not in ("", "0", "false", "no", "否")
        elif key in KINDS:  # a selection's filters are the person filters: the same coded fields as `persons list`
            out[key] = code_for(KINDS[key], value) or value
        else:
            out[key] = value
    return out


def selection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Which records and what to do with them: shared by `bulk preview` and `bulk apply`."""
    options = [
        click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE",
                     help="set：要改的字段，可重复（字段可用中文名）/ set: a field to change (repeatable)"),
        click.option("--filter", "filters", multiple=True, metavar="KEY=VALUE",
                     help="按查询条件选择，可重复：q, division, status, category, key_target, arrived_from, arrived_to, "
                          "direction, expected_return_before / select by search filters (repeatable)"),
        click.option("--ids", "ids_file", type=click.File("rb"), metavar="FILE|-",
                     help="记录编号文件，每行一个（- 为标准输入）/ record IDs, one a line (- for stdin)"),
        click.option("--id-numbers", "numbers_file", type=click.File("rb"), metavar="FILE|-",
                     help="身份证号文件，每行一个（UTF-8 或 GB18030）/ ID numbers, one a line (UTF-8 or GB18030)"),
        click.option("--reason", help="变更原因（必填）/ why (required)"),
        click.option("--chunk-size", type=click.IntRange(min=100), metavar="N",
                     help="分块执行，每块 N 条，可中断后续做 / apply in resumable chunks of N"),
        click.option("--date", metavar="DATE", help="deregister：人员离开的日期（必填）/ the day the people left "
                     "(required)"),
        click.option("--to", "to_code", metavar="CODE", help="move：迁往的村/居代码 / the village to move to"),
        click.option("--grid", "grid_code", metavar="CODE", help="move：网格代码 / grid code"),
        click.option("--keep", type=int, metavar="ID", help="merge：保留的记录编号 / the record to keep"),
        click.option("--archive-open-stays", is_flag=True,
                     help="merge：被合并记录未结束的居住记录改为退档 / archive the merged records' open stays"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def plan_from_options(state: State, operation: str, *, sets: tuple[str, ...], filters: tuple[str, ...],
                      ids_file: IO[bytes] | None, numbers_file: IO[bytes] | None, reason: str | None,
                      chunk_size: int | None, date: str | None, to_code: str | None, grid_code: str | None,
                      keep: int | None, archive_open_stays: bool) -> ChangesetPreview:
    chosen = [x for x in (filters, ids_file, numbers_file) if x]
    if len(chosen) != 1:
        raise click.UsageError(t("请用 --filter、--ids 或 --id-numbers 中的一种选择记录",
                                 "select the records with one of --filter, --ids, --id-numbers"))
    if not reason:
        raise click.UsageError(t("请用 --reason 说明变更原因", "give the reason with --reason"))
    if filters:
        selection: dict[str, Any] = {"filters": parse_filters(filters)}
    elif ids_file is not None:
        selection = {"ids": read_ids(ids_file)}
    else:
        selection = {"id_numbers": [v for _n, v in read_lines(numbers_file)]}  # type: ignore[arg-type]  # one source is required: here the numbers file
    if not any(selection.values()) and "filters" not in selection:
        raise bad_input("文件中没有记录", "the file lists no records")
    values: dict[str, Any] = {}
    if operation == "set":
        values = inputs.parse_sets(sets, PERSON_EDITABLE)
    elif sets:
        raise click.UsageError(t("--set 只用于 set 操作", "--set is for the set operation"))
    if operation == "deregister" and date:
        values["date"] = date
    if operation == "move":
        values.update({k: v for k, v in {"residence_code": to_code, "grid_code": grid_code}.items() if v})
    if operation == "merge":
        if keep is None:
            raise click.UsageError(t("合并请用 --keep 指定保留的记录", "name the record to keep with --keep"))
        values.update({"keep": keep, "archive_open_stays": archive_open_stays})
    try:  # built from the options at run time: the SDK checks each key against the contract before sending
        return state.client.changesets.plan(operation=operation, selection=cast(SelectionParams, selection),
                                            values=cast(ChangesetValues, values), reason=reason, chunk_size=chunk_size)
    except UnknownKey as exc:
        raise click.BadParameter(t(f"没有这个条件：{exc.key}", f"no such filter: {exc.key}"), param_hint="--filter") from None


# ------------------------------------------------------------------------------------ commands


def _bulk_help() -> str:
    """The group's help: what it does, and each operation by the vocabulary's labels (flowpop.labels)."""
    width = max(len(code) for code in OPERATIONS)
    lines = [f"  {code.ljust(width)}  {zh} / {en}" for code, (zh, en) in views.OPERATIONS.items()]
    return "批量变更：预览、执行、撤销 / bulk changes: preview, apply, revert.\n\n\b\n操作 / operations:\n" + "\n".join(lines)


@click.group(help=_bulk_help())
def bulk() -> None:
    pass


@bulk.command("preview")
@click.argument("operation", type=click.Choice(OPERATIONS))
@selection_options
@one_format
@pass_state
def preview(state: State, operation: str, fmt: str, **options: Any) -> None:
    """预览一次批量变更（不修改任何记录）；打印变更编号供 bulk apply 使用 /
    plan a bulk change and preview it (nothing changes); prints the ID to apply."""
    cs = plan_from_options(state, operation, **options)
    print_preview(cs, fmt)


def planned_failures(cs: ChangesetPreview) -> int:
    """Records that fail by the plan itself, not because a chunk found them changed since the preview."""
    if cs.status == "planned" or len(cs.failures) < cs.failing:  # not all listed: cannot tell them apart
        return cs.failing
    return sum(1 for f in cs.failures if f.code != STALE)


def _apply(state: State, cs: ChangesetPreview, skip_failing: bool, yes: bool, fmt: str) -> Changeset:
    if cs.status not in ("planned", "applying"):
        raise CommandFailed(t(f"批量变更 {cs.id} 状态为“{labelled(views.CHANGESET_STATUS, cs.status)}”，不能执行",
                              f"changeset {cs.id} is {cs.status}; nothing to apply"), CONFLICT)
    planned = planned_failures(cs)
    if planned and not skip_failing:
        raise CommandFailed(t(f"有 {planned} 条记录无法修改（见预览）；加 --skip-failing 修改其余记录",
                              f"{planned} records would fail (see the preview); add --skip-failing to apply the rest"),
                            CONFLICT)
    todo = cs.total - cs.failing - cs.applied
    inputs.confirm(f"执行批量变更 {cs.id}（{labelled(views.OPERATIONS, cs.operation)}，修改 {todo} 条"
                   + (f"，跳过 {cs.failing} 条" if cs.failing else "") + "）？",
                   f"apply changeset {cs.id} ({cs.operation}) to {todo} records"
                   + (f", skipping {cs.failing}" if cs.failing else "") + "?", yes)
    if not cs.chunk_size:
        try:
            return state.client.changesets.apply(cs.id, skip_failing=skip_failing)
        except ConflictError as exc:
            refused_records(state, exc, fmt)
            raise
    # chunk by chunk: each is committed on its own, so an interrupted run resumes with the same command
    start_failing = cs.failing
    # records a chunk found changed since the preview were skipped by the registry itself (and counted as
    # failing): going on past them needs no consent beyond the one asked for the planned failures
    skip = skip_failing or cs.failing > 0
    result: Changeset = cs
    stage = t(f"批量变更 {cs.id[:8]}", f"changeset {cs.id[:8]}")
    with Progress() as progress:
        progress.update(stage, cs.applied, todo + cs.applied)
        while result.status != "applied":
            before = (result.applied, result.failing)
            result = state.client.changesets.apply(cs.id, skip_failing=skip, max_chunks=1)
            skip = skip or result.failing > 0
            progress.update(stage, result.applied + result.failing - start_failing, todo + cs.applied)
            if result.status != "applied" and (result.applied, result.failing) == before:
                raise CommandFailed(t(f"批量变更 {cs.id} 没有进展，已停止", f"changeset {cs.id} made no progress; stopped"),
                                    FAILURE)
        # records already holding the new values are counted in the total but never touched
        processed = result.applied + result.failing - start_failing
        progress.update(stage, processed, processed)
    return result


def _report_applied(result: Changeset, start_failing: int, fmt: str) -> None:
    if fmt == "json":
        click.echo(dumps(result, indent=2))
        return
    click.echo(t(f"已执行批量变更 {result.id}：修改 {result.applied} 条", f"applied changeset {result.id}: {result.applied} changed"))
    unchanged = result.total - result.failing - result.applied
    if result.status == "applied" and unchanged > 0:
        click.echo(t(f"已是目标值、无需修改 {unchanged} 条", f"already as wanted, untouched: {unchanged}"))
    if result.failing:
        click.echo(t(f"未修改 {result.failing} 条（无法修改，或预览后已被他人修改）",
                     f"not changed: {result.failing} (failing, or changed by someone since the preview)"))
    if result.failing > start_failing:
        click.echo(t(f"查看：flowpop bulk show {result.id}", f"see: flowpop bulk show {result.id}"), err=True)
    click.echo(t(f"撤销：flowpop bulk revert {result.id}", f"revert with: flowpop bulk revert {result.id}"), err=True)


@bulk.command("apply")
@click.argument("target", metavar="ID|OPERATION")
@selection_options
@click.option("--skip-failing", is_flag=True, help="跳过无法修改的记录，修改其余 / apply the rest when some would fail")
@click.option("--dry-run", is_flag=True, help="只预览，不修改 / preview only, change nothing")
@click.option("--yes", "-y", is_flag=True, help="不再确认 / do not ask")
@one_format
@pass_state
def apply(state: State, target: str, skip_failing: bool, dry_run: bool, yes: bool, fmt: str, **options: Any) -> None:
    """执行一次已预览的批量变更（ID），或按与 preview 相同的参数预览并执行（OPERATION）/
    apply a previewed changeset (ID), or plan and apply in one go (OPERATION with the preview's options).

    分块的变更逐块执行，进度显示在标准错误；中断后再次运行即从断点继续 /
    chunked changesets go chunk by chunk with progress on stderr; run again to resume after an interruption."""
    if target in OPERATIONS:
        cs = plan_from_options(state, target, **options)
    else:
        if any(v for v in options.values()):
            raise click.UsageError(t("按编号执行时不能再给选择或修改参数", "selection options go with an OPERATION, not an ID"))
        cs = state.client.changesets.get(target)
    if dry_run:
        print_preview(cs, fmt, hint=target in OPERATIONS or cs.status == "planned")
        return
    if fmt == "table" and target in OPERATIONS:
        print_preview(cs, fmt, hint=False)
    result = _apply(state, cs, skip_failing, yes, fmt)
    _report_applied(result, cs.failing, fmt)


def refused_records(state: State, exc: ConflictError, fmt: str = "table") -> None:
    """The records named by a refusal (changed since the preview, or since the apply): the first ones as a
    table with names, or all of them as JSON."""
    records = exc.body.get("records") or []
    if fmt == "json":
        click.echo(dumps(records, indent=2))
        return
    if not records:
        return
    rows = []
    for r in records[:NAMED_RECORDS]:
        if "person_id" in r:
            name = ""
            with contextlib.suppress(FlowpopError):
                name = state.client.persons.get(int(r["person_id"])).name
            rows.append([t("人员", "person"), r["person_id"], name, r.get("expected_version"), r.get("version")])
        else:
            rows.append([t("居住记录", "stay"), r.get("stay_id"), "", r.get("expected_version"), r.get("version")])
    if exc.code == "changed_since_apply":
        click.echo(t("以下记录在批量变更后又被修改：", "These records changed after the changeset:"))
    else:
        click.echo(t("以下记录在预览后被修改：", "These records changed since the preview:"))
    headers = [t("对象", "Record"), t("编号", "ID"), t("姓名", "Name"), t("应为版本", "Expected version"),
               t("当前版本", "Version")]
    click.echo(table(rows, headers))
    if len(records) > len(rows):
        click.echo(t(f"……另有 {len(records) - len(rows)} 条；--json 列出全部",
                     f"… {len(records) - len(rows)} more; --json lists them all"), err=True)


@bulk.command("revert")
@click.argument("changeset_id", metavar="ID")
@click.option("--yes", "-y", is_flag=True, help="不再确认 / do not ask")
@one_format
@pass_state
def revert(state: State, changeset_id: str, yes: bool, fmt: str) -> None:
    """撤销一次批量变更；其后被修改过的记录会被列出并拒绝撤销（退出码 5）/
    revert a changeset; refused (exit 5), naming them, when records changed after it."""
    cs = state.client.changesets.get(changeset_id)
    inputs.confirm(f"撤销批量变更 {cs.id}（{labelled(views.OPERATIONS, cs.operation)}，{cs.applied} 条恢复原值）？",
                   f"revert changeset {cs.id} ({cs.operation}, {cs.applied} records back to their old values)?", yes)
    try:
        result = state.client.changesets.revert(cs.id)
    except ConflictError as exc:
        refused_records(state, exc, fmt)
        raise
    if fmt == "json":
        click.echo(dumps(result, indent=2))
    else:
        click.echo(t(f"已撤销批量变更 {result.id}：{result.applied} 条恢复原值",
                     f"reverted changeset {result.id}: {result.applied} records back to their old values"))


@bulk.command("list")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True, help="最多显示条数 / rows to print")
@format_options
@pass_state
def list_changesets(state: State, limit: int, fmt: str) -> None:
    """最近的批量变更 / recent changesets."""
    render(state.client.changesets.list(limit=limit), fmt, CHANGESET_COLUMNS)


@bulk.command("show")
@click.argument("changeset_id", metavar="ID")
@one_format
@pass_state
def show(state: State, changeset_id: str, fmt: str) -> None:
    """一次批量变更：计数、示例、无法修改的记录 / one changeset: counts, samples and failing records."""
    print_preview(state.client.changesets.get(changeset_id), fmt)
