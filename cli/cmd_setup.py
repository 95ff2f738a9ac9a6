"""flowpop init / demo / serve / console: set a registry up, fill it with demo data, serve it, open the console."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import click

import flowpop
from flowpop._startup import first_import
from flowpop.config import need
from flowpop.labels import label, lang
from flowpop_cli.cmd_admin import import_divisions, read_division_file, report_import
from flowpop_cli.output import dumps
from flowpop_cli.progress import Progress
from flowpop_cli.state import CONFLICT, FAILURE, USAGE, CommandFailed, State, pass_state, t


def local_db(state: State) -> str:
    """The embedded registry's file or URL; commands that work on the store itself need one."""
    if not state.settings.embedded:
        raise CommandFailed(t("此命令只适用于本地登记库（用 --db 指定）", "this command needs a local registry (use --db)"),
                            USAGE)
    return state.settings.db or ""


@click.command()
@click.option("--divisions", "divisions_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="区划 CSV 文件（默认：全国县级区划）/ a division CSV (default: the national county list)")
@pass_state
def init(state: State, divisions_file: Path | None) -> None:
    """创建或升级登记库并导入区划；可重复执行 / create or upgrade the registry and load divisions; idempotent."""
    from flowpop.registry.store.db import migrate
    from flowpop.rules.divisions_source import national_counties

    if state.settings.embedded:
        migrate(local_db(state))
        click.echo(t(f"登记库已就绪：{state.settings.db}", f"registry ready: {state.settings.db}"))
    rows = read_division_file(divisions_file) if divisions_file else national_counties()
    report_import(import_divisions(state, rows))


DEMO_LABELS = {
    "divisions": ("区划", "divisions"),
    "demo_divisions": ("其中演示区划", "of which demo places"),
    "persons": ("人员", "persons"),
    "stays": ("居住记录", "stays"),
    "history": ("历史记录", "history entries"),
    "inflow": ("流入", "inflow"),
    "outflow": ("流出", "outflow"),
    "local": ("市内流动", "within the city"),
    "cross_county": ("其中跨县", "of which across counties"),
    "statuses": ("状态", "statuses"),
    "categories": ("类别", "categories"),
    "key_targets": ("重点服务管理对象", "key service targets"),
    "errors": ("有意设置的数据错误", "deliberate data errors"),
    "users": ("演示用户", "demo users"),
    "seconds": ("用时（秒）", "seconds"),
}
DEMO_STAGES = {"divisions": ("区划", "divisions"), "persons": ("人员", "persons"), "analyze": ("统计", "statistics")}
DEMO_KINDS = {"statuses": "person_status", "categories": "category"}


def _demo_value(key: str, value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{label(DEMO_KINDS[key], k) if key in DEMO_KINDS else k} {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


@click.command()
@click.option("--size", type=click.IntRange(min=1), default=20_000, show_default=True, help="人数 / number of people")
@click.option("--seed", type=int, help="随机种子 / random seed")
@click.option("--replace", is_flag=True, help="重建演示登记库（删除原文件）/ rebuild the demo registry (deletes the file)")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出摘要 / summary as JSON")
@pass_state
def demo(state: State, size: int, seed: int | None, replace: bool, as_json: bool) -> None:
    """生成演示登记库（三明市，虚构的人员和居住记录）/ build a demo registry (三明市, made-up people and stays)."""
    need("faker")  # the demo extra
    from flowpop import demo as demo_data
    db = local_db(state)
    extra = {"seed": seed} if seed is not None else {}
    try:
        with Progress() as progress:
            def report(stage: str, done: int, total: int) -> None:
                zh, en = DEMO_STAGES.get(stage, (stage, stage))
                progress.update(t(zh, en), done, total)

            summary = demo_data.build(db, size, replace=replace, progress=report, **extra)
    except demo_data.DemoRefused as exc:
        raise CommandFailed(exc.localized(lang()), CONFLICT) from None
    values: dict[str, Any] = dataclasses.asdict(summary)
    if as_json:
        click.echo(dumps(values, indent=2))
        return
    click.echo(t(f"演示登记库：{db}（种子 {summary.seed}）", f"demo registry: {db} (seed {summary.seed})"))
    for key, (zh, en) in DEMO_LABELS.items():
        if key in values:
            click.echo(f"  {t(zh, en)}: {_demo_value(key, values[key])}")


def shown_db(db: str) -> str:
    """The registry as a message may name it: a URL without its password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(db).render_as_string(hide_password=True)
    except ArgumentError:  # a file path
        return db


def one_line(exc: BaseException) -> str:
    """The first line of what the driver said (SQLAlchemy wraps it and adds a background link)."""
    cause = getattr(exc, "orig", None) or exc
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]


@click.command()
@click.option("--db", "serve_db", metavar="PATH_OR_URL", help="登记库（默认同全局 --db）/ registry (default: the global --db)")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="工作进程数（多进程宜用 PostgreSQL）/ worker processes (PostgreSQL suits several)")
@pass_state
def serve(state: State, serve_db: str | None, host: str, port: int, workers: int) -> None:
    """运行登记服务（需要令牌）/ run the registry API server (tokens required).

    先用 flowpop users add 和 flowpop tokens create 创建用户和令牌 /
    create users and tokens first with flowpop users add and flowpop tokens create."""
    need("uvicorn")  # the server extra
    import uvicorn
    from sqlalchemy.exc import SQLAlchemyError

    from flowpop.registry.api import logs
    from flowpop.registry.store.db import migrate

    db = serve_db or local_db(state)
    try:
        migrate(db)
    except (SQLAlchemyError, OSError, ValueError) as exc:  # no such server, refused, a malformed URL (UnicodeError)
        raise CommandFailed(t(f"无法打开登记库 {shown_db(db)}：{one_line(exc)}",
                              f"cannot open the registry {shown_db(db)}: {one_line(exc)}"), FAILURE) from None
    click.echo(t(f"登记服务：http://{host}:{port}（登记库 {shown_db(db)}；需要令牌）",
                 f"registry server: http://{host}:{port} (registry {shown_db(db)}; tokens required)"), err=True)
    if workers == 1:
        from flowpop.registry.api import create_app
        from flowpop.registry.inbox import delivery

        app = create_app(db)
        delivery.attach(app)  # the outbox leaves continuously while the server runs
        uvicorn.run(app, host=host, port=port, log_config=logs.config())
        return
    # several processes each build their own app from the environment
    os.environ["FLOWPOP_DB"] = db
    uvicorn.run("flowpop_cli.asgi:create", factory=True, host=host, port=port, workers=workers,
                log_config=logs.config())


@click.command()
@pass_state
def console(state: State) -> None:
    """打开全屏控制台 / open the full-screen console."""
    try:
        with first_import("flowpop_tui.app"):  # Textual and the console's screens (flowpop._startup)
            from flowpop_tui.app import run
    except ImportError as exc:
        raise CommandFailed(t(f"控制台不可用：{exc}", f"the console is not available: {exc}"), FAILURE) from None
    settings = state.settings
    run(lambda: flowpop.AsyncClient(settings=settings))
