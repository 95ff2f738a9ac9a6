from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from flowpop.registry.store.db import SCHEMA_HEAD, alembic_config, current_revision, migrate, normalize_url
from flowpop.registry.store.tables import Base


def test_schema_head_constant_matches_alembic() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert script.get_current_head() == SCHEMA_HEAD


def test_migrated_registry_has_every_table(db_url: str) -> None:
    migrate(db_url)  # a second run on an up-to-date registry changes nothing
    engine = create_engine(normalize_url(db_url))
    try:
        assert current_revision(engine) == SCHEMA_HEAD
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
    finally:
        engine.dispose()
