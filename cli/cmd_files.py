"""flowpop import / flowpop export: legacy files in (CSV in GB18030 or UTF-8, XLSX) with an error report
Excel opens, and logged exports out; and writing binary results (files or stdout) for the other commands."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from flowpop.errors import FlowpopError
from flowpop.rules import legacy
from flowpop.rules.cells import csv_row
from flowpop.types import ExportFormat, ImportProblem, ImportResult, PersonExportFilters
from flowpop_cli import inputs, views
from flowpop_cli.filter_options import chosen, filter_options
from flowpop_cli.output import card, dumps
from flowpop_cli.progress import Progress
from flowpop_cli.state import FAILURE, INVALID, CommandFailed, State, bad_input, is_tty, pass_state, t

EXPORT_FORMATS = ("csv", "csv-gb18030", "xlsx", "jsonl")
BINARY = ("xlsx",)
SHOWN_PROBLEMS = 10
BOM = "\ufeff"


# ------------------------------------------------------------------------------------ writing results


def write_bytes(data: bytes, output: str | None, *, binary: bool) -> None:
    """To a file, or to stdout for text; a binary format (xlsx) needs a file."""
    if output in (None, "-"):
        if binary:
            raise click.UsageError(t("xlsx 需用 -o 指定输出文件", "xlsx needs an output file: -o FILE"))
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        raise CommandFailed(t(f"无法写入 {output}：{exc.strerror}", f"cannot write {output}: {exc.strerror}"), FAILURE) from None


def write_text(text: str, output: str | None, *, bom: bool = False) -> None:
    """Text to a file (UTF-8, with a BOM for Excel when asked) or to stdout."""
    if output in (None, "-"):
        click.echo(text, nl=False)
        return
    write_bytes(((BOM if bom else "") + text).encode("utf-8"), output, binary=False)


# ------------------------------------------------------------------------------------ import


def read_mapping(path: Path) -> dict[str, str]:
    """A column mapping: a JSON object {header: field}, or a two-column CSV (header, field); a field may be
    given by its Chinese name (身份证号) as well as by its API name (id_number)."""
    text = legacy.decode(path.read_bytes())
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise bad_input(f"映射文件 JSON 格式错误：{exc}", f"malformed JSON in the mapping: {exc}") from None
        if not isinstance(data, dict):
            raise bad_input("映射文件应为 JSON 对象：列名 → 字段", "the mapping must be a JSON object: header → field")
        pairs = [(str(k), str(v)) for k, v in data.items()]
    else:
        pairs = [(row[0], row[1]) for row in csv.reader(io.StringIO(text)) if len(row) >= 2 and row[0].strip()]
    by_alias = {alias: field for field, aliases in legacy.HEADERS.items() for alias in aliases}
    out: dict[str, str] = {}
    for n, (header, target) in enumerate(pairs, 1):
        target = target.strip()
        field = target if target in legacy.HEADERS else by_alias.get(target)
        if field is None:
            if n == 1 and path.suffix.lower() != ".json":
                continue  # a title row such as 列名,字段
            known = ", ".join(legacy.HEADERS)
            raise bad_input(f"映射中未知的字段：{target}（可用：{known}）", f"unknown field in the mapping: {target} (known: {known})")
        out[header.strip()] = field
    return out


def headers_of(data: bytes, filename: str, mapping: dict[str, str]) -> dict[str, str]:
    """field → the file's own column header, so the error report names the columns as the user sees them."""
    try:
        first = next(iter(legacy.read_table(data, filename)), [])
    except Exception:  # an unreadable file: the registry says why
        return {}
    headers = [str(h or "") for h in first]
    return {field: headers[i] for i, field in legacy.header_map(headers, mapping).items()}


def write_errors(result: ImportResult, path: Path, columns: dict[str, str]) -> None:
    """line, column, value, reason — in the user's language, UTF-8 with a BOM so Excel opens it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([t("行号", "line"), t("列", "column"), t("值", "value"), t("原因", "reason")])
    for p in result.problems:
        column = columns.get(p.column) or views.field_label(p.column)
        writer.writerow(csv_row([p.line, column, p.value, t(p.reason, p.reason_en)]))
    try:
        path.write_text(BOM + out.getvalue(), encoding="utf-8", newline="")
    except OSError as exc:
        raise CommandFailed(t(f"无法写入 {path}：{exc.strerror}", f"cannot write {path}: {exc.strerror}"), FAILURE) from None


def import_counts(r: ImportResult) -> list[tuple[str, str]]:
    state = t("已写入", "written") if r.applied else t("未写入（试导入或有错误行）", "nothing written (dry run or bad rows)")
    return [
        (t("读入行数", "Rows read"), str(r.total)),
        (t("新增", "Inserted"), str(r.inserted)),
        (t("更新", "Updated"), str(r.updated)),
        (t("无变化", "Unchanged"), str(r.unchanged)),
        (t("重复行（忽略）", "Duplicate rows (ignored)"), str(r.duplicates)),
        (t("错误行", "Rejected rows"), str(r.rejected)),
        *([(t("提示（已导入）", "Warnings (imported)"), str(len(r.warnings)))] if r.warnings else []),
        (t("结果", "Result"), state),
    ]


LARGE_FILE = 1 << 20  # about 10k rows: a few seconds of work


POLL = 0.5  # seconds between looks at a running import's progress
QUIET = 1.0  # seconds: an import done sooner shows no progress


def _send(state: State, data: bytes, filename: str, *, dry_run: bool, skip_bad: bool,
          mapping: dict[str, str], resource: str = "persons", accept_identity_changes: bool = False) -> ImportResult:
    click.echo(t(f"正在导入 {filename}（{len(data):,} 字节）…", f"importing {filename} ({len(data):,} bytes)…"), err=True)
    if resource != "persons":  # houses and employers: one request, a running bar while the registry works
        with Progress(enabled=len(data) > LARGE_FILE) as progress:
            progress.update(t("检查并写入", "checking and writing"), 0, None)
            return getattr(state.client, resource).import_file(data, filename=filename, dry_run=dry_run,
                                                               skip_bad=skip_bad, mapping=mapping or None)
    # persons: the import runs on a thread while this one follows its batch (rows checked, rows written)
    batch = uuid.uuid4().hex
    answer: list[ImportResult] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            answer.append(state.client.persons.import_file(
                data, filename=filename, dry_run=dry_run, skip_bad=skip_bad, mapping=mapping or None,
                accept_identity_changes=accept_identity_changes, batch=batch))
        except BaseException as exc:  # noqa: BLE001 - raised again on the calling thread
            failure.append(exc)

    worker = threading.Thread(target=run, name="flowpop-import", daemon=True)
    started = time.monotonic()
    worker.start()
    stages = {"check": t("检查（行）", "checking (rows)"), "import": t("写入（行）", "writing (rows)")}
    with Progress(enabled=True) as progress:
        while worker.is_alive():
            worker.join(POLL)
            if not worker.is_alive() or time.monotonic() - started < QUIET:
                continue
            try:
                now = state.client.persons.import_status(batch)
            except FlowpopError:  # not started yet (the file is still on its way), or no right to see it
                continue
            progress.update(stages[now.stage], now.done, now.total or None)
        if answer and time.monotonic() - started >= QUIET:
            done = answer[0]
            progress.update(stages["check" if done.dry_run else "import"], done.total, done.total)
    if failure:
        raise failure[0]
    return answer[0]


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查，不写入 / check only, write nothing")
@click.option("--skip-bad", is_flag=True, help="跳过错误行，导入其余 / import the good rows, skip the bad ones")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="MAP.csv|MAP.json",
              help="列名映射：列名 → 字段 / column mapping: header → field")
@click.option("--errors", "errors_path", type=click.Path(dir_okay=False, path_type=Path), metavar="ERRORS.csv",
              help="错误报告（默认：<文件>.errors.csv）/ error report (default: <file>.errors.csv)")
@click.option("--yes", "-y", is_flag=True, help="不再确认 / do not ask")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="输出格式 / output format")
@click.option("--accept-identity-changes", is_flag=True,
              help="已登记身份证号的姓名、性别或出生日期不同时照文件更改（记入历史）；默认作为冲突行报告 / "
                   "apply a known ID number's new name, sex or birth date (recorded in history); "
                   "by default such a row is reported as a conflict")
@pass_state
def import_file(state: State, file: Path, dry_run: bool, skip_bad: bool, mapping: Path | None, errors_path: Path | None,
                yes: bool, fmt: str, accept_identity_changes: bool) -> None:
    """导入人员文件（CSV：GB18030 或 UTF-8；XLSX、XLS、ODS；- 为标准输入），按身份证号新增或更新 /
    import people from a CSV (GB18030 or UTF-8), XLSX, XLS or ODS file (- reads standard input); inserted or
    updated by ID number.

    有错误行且未导入时退出码为 4；错误报告可用 Excel 打开 /
    exits 4 when rows were rejected and nothing was imported; the error report opens in Excel.

    分块提交：中断后重新导入同一文件即可续传（已写入的行识别为无变化）/ written a chunk at a time: after an
    interruption, import the same file again to resume (rows already written count as unchanged)."""
    run_import(state, "persons", file, dry_run, skip_bad, mapping, errors_path, yes, fmt,
               accept_identity_changes=accept_identity_changes)


def import_command(resource: str, doc: str) -> click.Command:
    """`flowpop houses import` / `flowpop employers import`: the same options and report as `flowpop import`."""

    @click.command("import", help=doc)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="只检查，不写入 / check only, write nothing")
    @click.option("--skip-bad", is_flag=True, help="跳过错误行，导入其余 / import the good rows, skip the bad ones")
    @click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="MAP.csv|MAP.json",
                  help="列名映射：列名 → 字段 / column mapping: header → field")
    @click.option("--errors", "errors_path", type=click.Path(dir_okay=False, path_type=Path), metavar="ERRORS.csv",
                  help="错误报告（默认：<文件>.errors.csv）/ error report (default: <file>.errors.csv)")
    @click.option("--yes", "-y", is_flag=True, help="不再确认 / do not ask")
    @click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="输出格式 / output format")
    @pass_state
    def command(state: State, file: Path, dry_run: bool, skip_bad: bool, mapping: Path | None, errors_path: Path | None,
                yes: bool, fmt: str) -> None:
        run_import(state, resource, file, dry_run, skip_bad, mapping, errors_path, yes, fmt)

    return command


def run_import(state: State, resource: str, file: Path, dry_run: bool, skip_bad: bool, mapping: Path | None,
               errors_path: Path | None, yes: bool, fmt: str, *, accept_identity_changes: bool = False) -> None:
    stdin = str(file) == "-"  # `flowpop import -`: the file from standard input; its kind is told by its bytes
    if stdin:
        with click.open_file("-", "rb") as pipe:  # get_binary_stream is deprecated in Click 8.5
            data = pipe.read()
    else:
        data = file.read_bytes()
    name = "-" if stdin else file.name
    columns = read_mapping(mapping) if mapping else {}
    if not dry_run and not yes and is_tty():
        # on a terminal: check first, show what would happen, then ask
        check = _send(state, data, name, dry_run=True, skip_bad=skip_bad, mapping=columns, resource=resource,
                      accept_identity_changes=accept_identity_changes)
        click.echo(card(import_counts(check)))
        if check.rejected and not skip_bad:
            result = check
        else:
            inputs.confirm(f"写入登记库（{check.total - check.rejected - check.duplicates} 行）？",
                           f"write to the registry ({check.total - check.rejected - check.duplicates} rows)?", yes)
            result = _send(state, data, name, dry_run=False, skip_bad=skip_bad, mapping=columns, resource=resource,
                      accept_identity_changes=accept_identity_changes)
    else:
        result = _send(state, data, name, dry_run=dry_run, skip_bad=skip_bad, mapping=columns, resource=resource,
                      accept_identity_changes=accept_identity_changes)
    if fmt == "json":
        click.echo(dumps(result, indent=2))
    else:
        click.echo(card(import_counts(result)))
    if result.problems:
        target = errors_path or (Path("stdin.errors.csv") if stdin else file.with_name(file.name + ".errors.csv"))
        headers = headers_of(data, name, columns)
        write_errors(result, target, headers)
        _show_lines(result.problems, headers, ("", ""), ("处", "more"))
        click.echo(t(f"错误报告：{target}", f"error report: {target}"), err=True)
    if result.warnings:  # rows kept with a remark (a residence inside the own area above village level)
        _show_lines(result.warnings, headers_of(data, name, columns), ("提示：", "note: "), ("条提示", "more notes"))
    good = result.total - result.rejected - result.duplicates
    if result.rejected and (not skip_bad or good <= 0):  # rows were rejected and nothing was (or would be) imported
        if skip_bad:
            raise CommandFailed(t(f"全部 {result.rejected} 行有错误，未导入任何记录", f"all {result.rejected} rows rejected"),
                                INVALID)
        raise CommandFailed(t(f"{result.rejected} 行有错误，未导入任何记录；改正后重试，或加 --skip-bad 导入其余",
                              f"{result.rejected} rows rejected, nothing imported; fix them, or add --skip-bad"),
                            INVALID)


# ------------------------------------------------------------------------------------ export


def _count_rows(data: bytes, fmt: str) -> int:
    if fmt == "xlsx":  # count the first sheet's <row> elements rather than loading the workbook
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            sheet = min(n for n in book.namelist() if n.startswith("xl/worksheets/sheet"))
            return max(len(re.findall(rb"<row[ >]", book.read(sheet))) - 1, 0)
    text = data.decode("gb18030" if fmt == "csv-gb18030" else "utf-8-sig")
    if fmt == "jsonl":
        return sum(1 for line in text.splitlines() if line.strip())
    return max(sum(1 for _ in csv.reader(io.StringIO(text))) - 1, 0)


@click.command("export")
@click.argument("query", required=False)
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="csv", show_default=True,
              help="csv（UTF-8 带 BOM）、csv-gb18030、xlsx、jsonl / file format")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), metavar="FILE",
              help="输出文件（文本格式默认标准输出；xlsx 必填）/ output file (text formats default to stdout)")
@click.option("--reveal", is_flag=True, help="完整身份证号（需权限）/ full ID numbers (needs the right)")
@filter_options(PersonExportFilters, skip={"q", "format", "reveal"})  # the person filters, from the contract
@pass_state
def export(state: State, query: str | None, fmt: ExportFormat, output: str | None, reveal: bool, **filters: Any) -> None:
    """导出人员（身份证号默认遮蔽；每次导出记入访问日志）/
    export people (ID numbers masked unless --reveal; every export is access-logged)."""
    if fmt in BINARY and output in (None, "-"):  # before the export is made (and logged)
        raise click.UsageError(t("xlsx 需用 -o 指定输出文件", "xlsx needs an output file: -o FILE"))
    wanted = chosen(filters, PersonExportFilters)
    if query:
        wanted["q"] = query
    data = state.client.persons.export(fmt, reveal=reveal, **wanted)
    write_bytes(data, output, binary=fmt in BINARY)
    rows = _count_rows(data, fmt)
    where = output if output not in (None, "-") else t("标准输出", "stdout")
    masked = t("含完整身份证号", "with full ID numbers") if reveal else t("身份证号已遮蔽", "ID numbers masked")
    click.echo(t(f"已导出 {rows} 人到 {where}（{masked}）；本次导出已记入访问日志",
                 f"exported {rows} people to {where} ({masked}); this export is recorded in the access log"), err=True)


def _show_lines(lines: Sequence[ImportProblem], headers: dict[str, str], label: tuple[str, str],
                more_word: tuple[str, str]) -> None:
    """The first rows' problems (or remarks) of an import on stderr, each with its line, column and value."""
    for p in lines[:SHOWN_PROBLEMS]:
        reason = t(p.reason, p.reason_en)
        column = headers.get(p.column) or views.field_label(p.column)
        click.echo(t(f"  {label[0]}第 {p.line} 行 {column}：{reason}（{p.value}）",
                     f"  {label[1]}line {p.line} {column}: {reason} ({p.value})"), err=True)
    more = len(lines) - SHOWN_PROBLEMS
    if more > 0:
        click.echo(t(f"  ……另有 {more} {more_word[0]}", f"  … {more} {more_word[1]}"), err=True)
