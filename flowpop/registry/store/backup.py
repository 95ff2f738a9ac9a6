"""Backups of an embedded registry: SQLite's online backup (a consistent copy while it is in use)
and a checked restore. PostgreSQL registries are backed up with PostgreSQL's own tools
(pg_dump / pg_basebackup and WAL archiving), as the README says."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from flowpop.registry.store.db import SCHEMA_HEAD, normalize_url


class BackupError(Exception):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


def _sqlite_path(db: str | Path) -> Path:
    url = normalize_url(db)
    if not url.startswith("sqlite:///"):
        raise BackupError("PostgreSQL 请用 pg_dump 或 pg_basebackup 备份", "back up PostgreSQL with pg_dump or pg_basebackup")
    return Path(url.removeprefix("sqlite:///"))


def backup(db: str | Path, target: str | Path) -> Path:
    """Copy the registry to ``target`` page by page while others keep using it."""
    source = _sqlite_path(db)
    if not source.exists():
        raise BackupError(f"登记库不存在：{source}", f"no registry at {source}")
    target = Path(target).expanduser().resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(partial) as dst:
        src.backup(dst, pages=4096)
        dst.execute("PRAGMA journal_mode=DELETE")
    src.close()
    dst.close()
    check(partial)
    os.replace(partial, target)
    return target


def check(path: str | Path) -> str:
    """The schema revision of a backup file, after SQLite's integrity check."""
    path = Path(path)
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"不是有效的登记库备份：{exc}", f"not a registry backup: {exc}") from exc
    if ok != "ok":
        raise BackupError(f"备份文件已损坏：{ok}", f"backup is damaged: {ok}")
    if revision is None:
        raise BackupError("备份中没有版本信息", "backup has no schema revision")
    return str(revision[0])


def restore(backup_file: str | Path, db: str | Path) -> str:
    """Replace the registry with a checked backup (stop servers using it first); returns its revision.

    A backup from an older flowpop is migrated on the next open."""
    source = Path(backup_file).expanduser().resolve()
    if not source.exists():
        raise BackupError(f"备份文件不存在：{source}", f"no backup file at {source}")
    revision = check(source)
    if revision > SCHEMA_HEAD:
        raise BackupError(f"备份来自更新的版本（{revision}），请先升级 flowpop",
                          f"backup is from a newer flowpop (schema {revision}); upgrade first")
    target = _sqlite_path(db)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".restore-", dir=target.parent)
    os.close(fd)
    with sqlite3.connect(source) as src, sqlite3.connect(tmp) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    os.replace(tmp, target)
    return revision
