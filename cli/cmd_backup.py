"""flowpop backup / flowpop restore: a consistent copy of an embedded (SQLite) registry while it is in use,
and a checked restore. A server or a PostgreSQL registry is backed up with PostgreSQL's own tools."""

from __future__ import annotations

from pathlib import Path

import click

from flowpop.registry.store.backup import BackupError, backup, restore
from flowpop.registry.store.db import normalize_url
from flowpop_cli import inputs
from flowpop_cli.state import FAILURE, INVALID, CommandFailed, State, pass_state, t

PG_ADVICE_ZH = ("PostgreSQL 登记库请用 PostgreSQL 自己的工具备份：\n"
                "  pg_dump -Fc -f flowpop-$(date +%F).dump 'postgresql://…'      # 逻辑备份\n"
                "  pg_restore --clean -d 'postgresql://…' flowpop-YYYY-MM-DD.dump  # 恢复\n"
                "  持续备份：pg_basebackup 加 WAL 归档")
PG_ADVICE_EN = ("Back up a PostgreSQL registry with PostgreSQL's own tools:\n"
                "  pg_dump -Fc -f flowpop-$(date +%F).dump 'postgresql://…'      # logical backup\n"
                "  pg_restore --clean -d 'postgresql://…' flowpop-YYYY-MM-DD.dump  # restore\n"
                "  continuous: pg_basebackup with WAL archiving")


def local_sqlite(state: State) -> str:
    """The embedded SQLite registry this command works on; refuses a server or PostgreSQL."""
    settings = state.settings
    if not settings.embedded:
        raise CommandFailed(t(f"备份和恢复只用于本机登记库（--db）；{settings.url} 是登记服务，请在服务器上备份其数据库",
                              f"backup and restore work on a local registry (--db); {settings.url} is a server — "
                              "back up its database on the server"), INVALID)
    db = settings.db or ""
    if not normalize_url(db).startswith("sqlite"):
        raise CommandFailed(t(PG_ADVICE_ZH, PG_ADVICE_EN), INVALID)
    return db


def _size(path: Path) -> str:
    n = float(path.stat().st_size)
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_state
def backup_command(state: State, file: Path) -> None:
    """备份本机登记库（使用中也可备份，得到一致的副本）/ back up the local registry (safe while it is in use)."""
    db = local_sqlite(state)
    try:
        target = backup(db, file)
    except BackupError as exc:
        raise CommandFailed(t(exc.zh, exc.en), FAILURE) from None
    click.echo(t(f"已备份到 {target}（{_size(target)}）", f"backed up to {target} ({_size(target)})"))


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", "-y", is_flag=True, help="不再确认 / do not ask")
@pass_state
def restore_command(state: State, file: Path, yes: bool) -> None:
    """用备份替换本机登记库（先停止使用它的服务）；备份先经完整性检查 /
    replace the local registry with a checked backup (stop servers using it first)."""
    db = local_sqlite(state)
    inputs.confirm(f"用 {file} 替换登记库 {db}？当前数据将被覆盖（请先停止使用它的 flowpop serve）",
                   f"replace the registry {db} with {file}? Its current data is overwritten (stop flowpop serve first)", yes)
    try:
        revision = restore(file, db)
    except BackupError as exc:  # the file is not a usable backup
        raise CommandFailed(t(exc.zh, exc.en), INVALID) from None
    click.echo(t(f"已从 {file} 恢复登记库 {db}（结构版本 {revision}；较旧的备份在下次打开时自动升级）",
                 f"restored {db} from {file} (schema {revision}; an older backup is migrated when next opened)"))
