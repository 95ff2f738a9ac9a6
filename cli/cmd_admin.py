"""flowpop me / divisions / users / tokens / audit: who am I, the division tree, accounts, API tokens and the access log."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any, get_args

import click

from flowpop.errors import NotFoundError
from flowpop.rules.divisions_source import DivisionRow, read_csv
from flowpop.types import DivisionImportResult, DivisionIn, Level, Role
from flowpop_cli import views
from flowpop_cli.inputs import CodeChoice
from flowpop_cli.output import format_options, render, render_one
from flowpop_cli.progress import Progress
from flowpop_cli.state import State, bad_input, pass_state, t

IMPORT_BATCH = 10_000


@click.command()
@format_options
@pass_state
def me(state: State, fmt: str) -> None:
    """当前用户、角色、管辖区域和权限 / the current user, role, jurisdiction and permissions."""
    who = state.client.me()
    render_one(who, fmt, lambda: views.card_rows(who, views.ME_CARD))


# ------------------------------------------------------------------------------------ divisions


def read_division_file(path: Path) -> list[DivisionRow]:
    try:
        return list(read_csv(path.read_bytes()))
    except (KeyError, ValueError) as exc:
        raise bad_input(f"区划文件 {path} 无法读取：{exc}", f"cannot read division file {path}: {exc}") from None


def import_divisions(state: State, rows: Sequence[DivisionRow]) -> DivisionImportResult:
    """Parents before children (codes sort that way), in batches, with progress for long files."""
    ordered = sorted(rows, key=lambda r: r.code)
    batches = [ordered[i:i + IMPORT_BATCH] for i in range(0, len(ordered), IMPORT_BATCH)] or [[]]
    inserted = updated = 0
    with Progress(enabled=len(batches) > 1) as progress:
        for batch in batches:
            result = state.client.divisions.import_rows([DivisionIn.model_construct(**dataclasses.asdict(r)) for r in batch])
            inserted += result.inserted
            updated += result.updated
            progress.update(t("导入区划", "importing divisions"), inserted + updated, len(ordered))
    return DivisionImportResult(inserted=inserted, updated=updated)


def report_import(result: DivisionImportResult) -> None:
    click.echo(t(f"区划：新增 {result.inserted} 条，更新 {result.updated} 条",
                 f"divisions: {result.inserted} added, {result.updated} updated"))


@click.group()
def divisions() -> None:
    """行政区划 / administrative divisions."""


@divisions.command("list")
@click.option("--parent", metavar="CODE", help="上级区划代码 / parent code")
@click.option("--level", type=CodeChoice("level", get_args(Level)), help="级别 / level")
@click.option("--q", "q", metavar="TEXT", help="名称或代码前缀 / name or code prefix")
@click.option("--include-retired", is_flag=True, help="包括已撤销的代码 / include retired codes")
@click.option("--limit", type=click.IntRange(1, 5000), default=500, show_default=True, help="最多条数 / at most")
@format_options
@pass_state
def list_divisions(state: State, fmt: str, **filters: Any) -> None:
    """列出区划 / list divisions."""
    rows = state.client.divisions.list(**{k: v for k, v in filters.items() if v not in (None, False)})
    render(rows, fmt, views.DIVISION_COLUMNS)


@divisions.command("show")
@click.argument("code")
@format_options
@pass_state
def show_division(state: State, code: str, fmt: str) -> None:
    """一个区划 / one division."""
    d = state.client.divisions.get(code)
    render_one(d, fmt, lambda: views.card_rows(d, views.DIVISION_CARD))


@divisions.command("area")
@format_options
@pass_state
def own_area(state: State, fmt: str) -> None:
    """本库辖区：详至村居的区划；其余地区按全国区县表，区县即可 /
    the own area: the divisions held down to villages; elsewhere the national county list, where a county is enough."""
    prefixes = state.client.me().own_area
    rows = []
    for prefix in prefixes:
        try:
            rows.append(state.client.divisions.get(prefix.ljust(12, "0")))
        except NotFoundError:  # a configured prefix with no division of its own: shown by its code only
            click.echo(t(f"本库辖区前缀 {prefix}（无对应区划）", f"own-area prefix {prefix} (no such division)"), err=True)
    render(rows, fmt, views.DIVISION_COLUMNS)
    if fmt == "table":
        click.echo(t("本库辖区内现居住地须到村/居；辖区以外（流出地、户籍地、移交去向、收件单位、导入）填区县即可，详址写在地址中。",
                     "Inside the own area a residence is a village; outside it (outflow residence, household place, "
                     "transfer destination, addressee, imports) the county is enough, with the address as text."),
                   err=True)


@divisions.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_state
def load(state: State, file: Path) -> None:
    """从 CSV 导入区划（UTF-8 或 GB18030；列 code,name,level,parent_code,…）/
    load divisions from a CSV file (UTF-8 or GB18030; columns code,name,level,parent_code,…)."""
    report_import(import_divisions(state, read_division_file(file)))


# ------------------------------------------------------------------------------------ users


@click.group()
def users() -> None:
    """用户 / user accounts."""


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, type=CodeChoice("role", get_args(Role)), help="角色（代码或中文名）/ role")
@click.option("--jurisdiction", metavar="CODE", help="管辖区域代码 / jurisdiction division code")
@click.option("--name", "display_name", default="", help="姓名 / display name")
@format_options
@pass_state
def add_user(state: State, username: str, role: Role, jurisdiction: str | None, display_name: str, fmt: str) -> None:
    """新建用户 / create a user."""
    user = state.client.users.create(username=username, role=role, jurisdiction_code=jurisdiction,
                                     display_name=display_name)
    click.echo(t(f"已创建用户 {user.username}", f"user {user.username} created"), err=True)
    render_one(user, fmt, lambda: views.card_rows(user, views.USER_CARD))


@users.command("list")
@format_options
@pass_state
def list_users(state: State, fmt: str) -> None:
    """列出用户 / list users."""
    render(state.client.users.list(), fmt, views.USER_COLUMNS)


def _set_disabled(state: State, username: str, disabled: bool) -> None:
    user = (state.client.users.disable if disabled else state.client.users.enable)(username)
    click.echo(t(f"已{'停用' if disabled else '启用'}用户 {user.username}",
                 f"user {user.username} {'disabled' if disabled else 'enabled'}"))


@users.command("disable")
@click.argument("username")
@pass_state
def disable(state: State, username: str) -> None:
    """停用用户（其令牌随之失效）/ disable a user (their tokens stop working)."""
    _set_disabled(state, username, True)


@users.command("enable")
@click.argument("username")
@pass_state
def enable(state: State, username: str) -> None:
    """重新启用用户 / enable a user again."""
    _set_disabled(state, username, False)


# ------------------------------------------------------------------------------------ tokens


@click.group()
def tokens() -> None:
    """API 令牌 / API tokens."""


@tokens.command("create")
@click.argument("username")
@click.option("--name", default="", help="令牌名称 / a name for the token")
@click.option("--expires-days", type=click.IntRange(1, 3650), help="有效天数 / days until it expires")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", help="输出格式 / output format")
@pass_state
def create_token(state: State, username: str, name: str, expires_days: int | None, fmt: str) -> None:
    """为用户创建令牌；令牌只显示这一次 / create a token for a user; the secret is shown this once only."""
    created = state.client.tokens.create(username=username, name=name, expires_days=expires_days)
    if fmt == "json":
        render_one(created, fmt, lambda: [])
    else:
        click.echo(created.token)
    click.echo(t("请立即妥善保存：令牌不会再次显示（只保存了它的摘要）。",
                 "Save it now: the token cannot be shown again (only its hash is kept)."), err=True)


@tokens.command("list")
@format_options
@pass_state
def list_tokens(state: State, fmt: str) -> None:
    """列出令牌（不含密钥）/ list tokens (never their secrets)."""
    render(state.client.tokens.list(), fmt, views.TOKEN_COLUMNS)


@tokens.command("revoke")
@click.argument("token_id", type=int)
@pass_state
def revoke(state: State, token_id: int) -> None:
    """吊销令牌 / revoke a token."""
    token = state.client.tokens.revoke(token_id)
    click.echo(t(f"已吊销令牌 {token.id}（{token.prefix}…）", f"token {token.id} ({token.prefix}…) revoked"))



@click.group()
def audit() -> None:
    """访问日志：查看完整身份证号、导出和按号码查询的记录 / the access log: reveals, exports and number look-ups."""


@audit.command("log")
@click.option("--action", metavar="ACTION", help="只看此类：reveal、export、lookup… / only this action")
@click.option("--user", "username", metavar="USERNAME", help="只看此用户 / only this user")
@click.option("--before", type=click.IntRange(1), metavar="ID", help="早于此编号的记录（翻页）/ entries older than this id")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True, help="最多条数 / at most")
@format_options
@pass_state
def audit_log(state: State, fmt: str, action: str | None, username: str | None, before: int | None, limit: int) -> None:
    """最新的在前 / newest first."""
    render(state.client.audit.access_log(limit, action=action, username=username, before=before), fmt,
           views.ACCESS_LOG_COLUMNS)
