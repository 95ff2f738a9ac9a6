"""The `flowpop` command: noun then verb, each command a thin layer over one SDK call."""

from __future__ import annotations

import io
import os
import sys
from importlib import import_module
from typing import Any

import click

import flowpop
from flowpop._startup import first_import
from flowpop.labels import choice_kept, set_lang
from flowpop_cli import clicktext

clicktext.install()  # Click's own words (Usage:, Missing option, Aborted!) in the user's language

HELP = """流动人口服务管理登记系统的命令行 / the command line of the floating-population registry.

\b
连接 / where: --db（本地登记库文件或数据库 URL）或 --url 加 --token（flowpop serve 服务）；
    也可用环境变量 FLOWPOP_DB, FLOWPOP_URL, FLOWPOP_TOKEN, FLOWPOP_PROFILE, FLOWPOP_LANG。
\b
退出码 / exit codes: 0 成功 ok; 1 失败 failure; 2 用法错误 usage; 3 找不到 not found;
    4 输入有误 invalid input; 5 冲突（含版本冲突）conflict; 6 无权限或未认证 permission.
\b
命令补全 / shell completion (bash; zsh, fish alike):
    eval "$(_FLOWPOP_COMPLETE=bash_source flowpop)"
"""


# name -> ("module:attribute", the command's one-line help). A command's module (and what it imports: the SDK,
# httpx, pydantic, SQLAlchemy, FastAPI, openpyxl, ...) is imported only when that command runs, so `flowpop --help`
# costs Click and this file. The one-line help is kept here for the list; tests/cli/test_startup.py checks it is
# the command's own. A command registered with cli.add_command still works (loaded up front).
LAZY: dict[str, tuple[str, str]] = {
    "audit": ("cmd_admin:audit", "访问日志：查看完整身份证号、导出和按号码查询的记录 / the access log: reveals, exports and "
              "number look-ups."),
    "backup": ("cmd_backup:backup_command", "备份本机登记库（使用中也可备份，得到一致的副本）/ back up the local registry "
               "(safe while it is in use)."),
    "bulk": ("cmd_bulk:bulk", "批量变更：预览、执行、撤销 / bulk changes: preview, apply, revert."),
    "calendar": ("cmd_calendar:calendar", "工作日日历：节假日与调休，载入新一年的国务院通知 / the working-day calendar: "
                 "holidays, and loading the State Council's notice for a new year."),
    "config": ("cmd_config:config", "配置文件中的配置与登记库设置 / profiles in the config file and the registry's "
               "settings."),
    "console": ("cmd_setup:console", "打开全屏控制台 / open the full-screen console."),
    "demo": ("cmd_setup:demo", "生成演示登记库（三明市，虚构的人员和居住记录）/ build a demo registry (三明市, made-up "
             "people and stays)."),
    "divisions": ("cmd_admin:divisions", "行政区划 / administrative divisions."),
    "employers": ("cmd_places:employers", "用人单位（以业管人）/ employers."),
    "exchange": ("cmd_exchange:exchange", "与其他登记库在线交换：密钥、对端、投递 / online exchange with other "
                 "registries: key, peers, delivery."),
    "export": ("cmd_files:export", "导出人员（身份证号默认遮蔽；每次导出记入访问日志）/ export people (ID numbers masked "
               "unless --reveal; every export is access-logged)."),
    "houses": ("cmd_places:houses", "房屋与房东（以房管人）/ houses and landlords."),
    "import": ("cmd_files:import_file", "导入人员文件（CSV：GB18030 或 UTF-8；XLSX、XLS、ODS；- 为标准输入），按身份证号新增或"
               "更新 / import people from a CSV (GB18030 or UTF-8), XLSX, XLS or ODS file (- reads standard input); "
               "inserted or updated by ID number."),
    "inbox": ("cmd_inbox:inbox", "收件箱（信息交换）；不带子命令时显示今日概况 / the inbox (exchange between places); "
              "alone, today's summary."),
    "init": ("cmd_setup:init", "创建或升级登记库并导入区划；可重复执行 / create or upgrade the registry and load divisions; "
             "idempotent."),
    "inspect": ("cmd_inspect:inspect", "季度清查：建立、分工、逐户核查、进度、清单 / quarterly inspection: set up, assign, "
                "check door to door, track."),
    "me": ("cmd_admin:me", "当前用户、角色、管辖区域和权限 / the current user, role, jurisdiction and permissions."),
    "persons": ("cmd_persons:persons", "人员：查询、登记、修改、注销 / people: find, register, edit, deregister."),
    "quality": ("cmd_report:quality", "数据质量检查：每项的问题数；--persons 列出人员，--fix 预览修复（再用 bulk apply 执行）"
                "/ data-quality checks with their counts; --persons lists the people, --fix plans the fix (apply with "
                "bulk apply)."),
    "report": ("cmd_report:report", "统计报表：比率与目标、趋势、季度报告 / reports: rates against targets, trends, the "
               "quarterly report."),
    "restore": ("cmd_backup:restore_command", "用备份替换本机登记库（先停止使用它的服务）；备份先经完整性检查 / replace the "
                "local registry with a checked backup (stop servers using it first)."),
    "serve": ("cmd_setup:serve", "运行登记服务（需要令牌）/ run the registry API server (tokens required)."),
    "stays": ("cmd_stays:stays", "居住记录（流动记录）/ stays: one episode of living away from home."),
    "tokens": ("cmd_admin:tokens", "API 令牌 / API tokens."),
    "users": ("cmd_admin:users", "用户 / user accounts."),
}
# subcommands that live in another command's module, added to their group when it is loaded
GRAFTS: dict[str, tuple[str, ...]] = {
    "stays": ("cmd_inbox:transfer",),
    "persons": ("cmd_inspect:add_certificate", "cmd_inspect:certificates"),
    "inbox": ("cmd_inspect:register",),
}


def load(target: str) -> Any:
    module, attribute = target.split(":")
    return getattr(import_module(f"flowpop_cli.{module}"), attribute)


class LazyCommands(dict[str, click.Command]):
    """The group's commands: one named in LAZY is imported when it is first looked up (``commands[name]``,
    ``commands.get(name)``, so Click's own get_command, and code that reads ``cli.commands``, see every command)."""

    def __missing__(self, name: str) -> click.Command:
        if name not in LAZY:
            raise KeyError(name)
        command = load(LAZY[name][0])
        for graft in GRAFTS.get(name, ()):
            command.add_command(load(graft))
        self[name] = command
        return command

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self[name]
        except KeyError:
            return default

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or name in LAZY


class FlowpopGroup(click.Group):
    """Loads each command on first use (Click's LazyGroup pattern) and turns SDK errors into a localized message
    and an exit code, never a traceback."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # --lang holds until the invocation has ended, its errors (Click's usage errors too) shown
        with choice_kept():
            return super().main(*args, **kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = LazyCommands(self.commands)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *LAZY})

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list from the table above, importing nothing; Click's own layout (click.Group.format_commands)."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows: list[tuple[str, str]] = []
        already = dict(self.commands.items())  # the commands loaded so far; reading them imports nothing
        for name in names:
            loaded = already.get(name)
            if loaded is not None:
                if not loaded.hidden:
                    rows.append((name, loaded.get_short_help_str(limit)))
            else:
                rows.append((name, click.Command(name, help=LAZY[name][1]).get_short_help_str(limit)))
        with formatter.section(clicktext.translate("Commands")):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        with first_import("flowpop.errors"):  # the SDK's contract, pydantic and httpx (flowpop._startup)
            from flowpop.errors import FlowpopError
            from flowpop_cli.state import CommandFailed

        try:
            return super().invoke(ctx)
        except FlowpopError as exc:
            raise CommandFailed.from_error(exc) from None
        except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
            silence_stdout()
            raise click.exceptions.Exit(PIPE_CLOSED) from None


# A reader that stops reading (`flowpop persons list --format json | head -1`) is no failure of the command: it
# ends quietly with 0, so that a script under `set -o pipefail` goes on (a tool killed by SIGPIPE reports 141)
PIPE_CLOSED = 0


def silence_stdout() -> None:
    """Points stdout at /dev/null, so that the interpreter's last flush of what is still buffered writes nowhere
    instead of printing "Exception ignored ... BrokenPipeError" (Python's documented remedy, library/signal)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):  # a stdout without a file descriptor (a test runner's)
        pass


@click.group(cls=FlowpopGroup, help=HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", metavar="PATH_OR_URL", help="本地登记库（文件或数据库 URL）/ local registry (file or database URL)")
@click.option("--url", metavar="URL", help="登记服务地址 / registry server URL")
@click.option("--token", metavar="TOKEN", help="API 令牌 / API token")
@click.option("--profile", metavar="NAME", help="配置文件中的配置名 / profile in the config file")
@click.option("--lang", "language", type=click.Choice(["zh", "en"]), help="界面语言 / language (default zh)")
@click.version_option(flowpop.__version__, "--version", prog_name="flowpop",
                      help="显示版本并退出 / show the version and exit")
@click.pass_context
def cli(ctx: click.Context, db: str | None, url: str | None, token: str | None, profile: str | None,
        language: str | None) -> None:
    if language:  # flowpop.labels.lang() decides the language everywhere; for this invocation (FlowpopGroup.main)
        set_lang(language)
    from flowpop_cli.state import State

    state = State(db=db, url=url, token=token, profile=profile)
    ctx.obj = state
    ctx.call_on_close(state.close)


def main() -> None:
    # `import httpx` imports httpx's own command line too (httpx._main: rich's console, pygments; ~40 ms) whenever
    # rich is installed; this process never runs it, so it is marked absent and httpx keeps its stub (its
    # __init__ catches the ImportError). Only the `flowpop` command does this, not a program importing flowpop.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None: "not importable" (importlib)
    # FastAPI imports pydantic's v1 compatibility package (~25 ms) as it builds routes, only to ask whether a model
    # is a v1 one; flowpop has none, and FastAPI answers "no" when pydantic.v1 cannot be imported
    sys.modules.setdefault("pydantic.v1", None)  # type: ignore[arg-type]  # None: "not importable" (importlib)
    try:
        try:
            cli(prog_name="flowpop")
        finally:
            sys.stdout.flush()  # what is still buffered (a short table) meets a closed pipe here, not at exit
    except BrokenPipeError:
        silence_stdout()
        sys.exit(PIPE_CLOSED)
