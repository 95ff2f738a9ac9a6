"""Online backup and checked restore of an embedded (SQLite) registry."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import flowpop
from flowpop.registry.store.backup import BackupError, backup, restore
from tests.conftest import person_fields

pytestmark = pytest.mark.skipif(bool(os.environ.get("FLOWPOP_TEST_DATABASE_URL")), reason="SQLite backups")


def test_backup_while_in_use_then_restore(tmp_path: Path, client, db_url) -> None:
    kept = client.persons.create(**person_fields(name="备份前"))
    copy = backup(db_url, tmp_path / "b" / "registry.bak")
    later = client.persons.create(**person_fields(name="备份后"))  # the registry stays usable
    client.close()
    restore(copy, db_url)
    with flowpop.Client(db=db_url) as again:
        names = {p.name for p in again.persons.list()}
        assert "备份前" in names and "备份后" not in names
        assert again.persons.get(kept.id).name == "备份前"
        with pytest.raises(flowpop.NotFoundError):
            again.persons.get(later.id)


def test_restore_refuses_what_is_not_a_registry(tmp_path: Path, db_url) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError):
        restore(junk, db_url)
    with pytest.raises(BackupError):
        backup(tmp_path / "missing.db", tmp_path / "x.bak")
    with pytest.raises(BackupError):
        backup("postgresql://postgres@127.0.0.1/x", tmp_path / "x.bak")
