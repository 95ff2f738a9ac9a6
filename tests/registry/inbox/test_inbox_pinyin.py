"""The inbox's filter finds a message's subject by pinyin or initials, as person search finds a person (issue 15:
pinyin and initials in every filter): a 协查 about 曾秀英 is found by ``zengxiuying``, ``zengx`` and ``zxy`` (曾 read
as the surname zeng), and only by her name's keys."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text

import flowpop
from flowpop.registry.store.db import alembic_config
from tests import tree
from tests.conftest import person_fields


def test_the_inbox_filter_finds_the_subject_by_pinyin_and_initials(townships: tuple[flowpop.Client, flowpop.Client]) -> None:
    a, d = townships
    her = a.persons.create(**person_fields(name="曾秀英", household_code=tree.VILLAGE_D1))
    other = a.persons.create(**person_fields(name="李明", household_code=tree.VILLAGE_D1))
    for p in (her, other):
        d.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_A, person_id=p.id,
                     items={"verify": ["现居住地址"]})

    def subjects(q: str) -> list[str]:
        return sorted(str(m.subject.get("name")) for m in a.inbox.list(q=q))

    assert subjects("zengxiuying") == ["曾秀英"]
    assert subjects("zengx") == ["曾秀英"]
    assert subjects("zxy") == ["曾秀英"]
    assert subjects("ZXY") == ["曾秀英"]
    assert subjects("lm") == ["李明"]
    assert subjects("曾秀") == ["曾秀英"]
    assert subjects("zz") == []


def test_messages_written_before_the_columns_get_their_keys(tmp_path: Path) -> None:
    """Migration 0013 fills the keys of the messages already stored (the column's default fills new ones)."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0012")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO messages (uid, kind, thread_uid, sender_code, addressee_code, subject, subject_name, items, "
            "status, candidates, created_at, external, imported, version) VALUES ('u1', 'assist_request', 'u1', "
            "'360102001000', '350404001000', '{}', '曾秀英', '{}', 'new', '[]', '2026-11-01 00:00:00', 0, 0, 1)"))
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as conn:
        keys = conn.execute(text("SELECT subject_pinyin, subject_initials FROM messages")).one()
    engine.dispose()
    assert tuple(keys) == ("zengxiuying", "zxy")
