"""The `flowpop` command: noun then verb, each command a thin layer over one SDK call."""

from __future__ import annotations

from typing import Any

import click

import flowpop
from flowpop.errors import FlowpopError
from flowpop.labels import choice_kept, set_lang
from flowpop_cli import (
    clicktext,
    cmd_admin,
    cmd_backup,
    cmd_bulk,
    cmd_config,
    cmd_files,
    cmd_inbox,
    cmd_inspect,
    cmd_persons,
    cmd_places,
    cmd_report,
    cmd_setup,
    cmd_stays,
)
from flowpop_cli.state import CommandFailed, State

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


class FlowpopGroup(click.Group):
    """Turns SDK errors into a localized message and an exit code, never a traceback."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # --lang holds until the invocation has ended, its errors (Click's usage errors too) shown
        with choice_kept():
            return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FlowpopError as exc:
            raise CommandFailed.from_error(exc) from None


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
    state = State(db=db, url=url, token=token, profile=profile)
    ctx.obj = state
    ctx.call_on_close(state.close)


cli.add_command(cmd_setup.init)
cli.add_command(cmd_setup.demo)
cli.add_command(cmd_setup.serve)
cli.add_command(cmd_setup.console)
cli.add_command(cmd_admin.me)
cli.add_command(cmd_persons.persons)
cli.add_command(cmd_stays.stays)
cmd_stays.stays.add_command(cmd_inbox.transfer)
cli.add_command(cmd_inbox.inbox)
cli.add_command(cmd_places.houses)
cli.add_command(cmd_places.employers)
cli.add_command(cmd_admin.divisions)
cli.add_command(cmd_admin.users)
cli.add_command(cmd_admin.tokens)
cli.add_command(cmd_admin.audit)
cli.add_command(cmd_bulk.bulk)
cli.add_command(cmd_files.import_file)
cli.add_command(cmd_files.export)
cli.add_command(cmd_inspect.inspect)
cmd_persons.persons.add_command(cmd_inspect.add_certificate)
cmd_persons.persons.add_command(cmd_inspect.certificates)
cmd_inbox.inbox.add_command(cmd_inspect.register)
cli.add_command(cmd_report.report)
cli.add_command(cmd_report.quality)
cli.add_command(cmd_backup.backup_command)
cli.add_command(cmd_backup.restore_command)
cli.add_command(cmd_config.config)


def main() -> None:
    cli(prog_name="flowpop")
