"""Found by the fuzz suite: a control character (U+0010 here) cannot go into an XLSX file, and openpyxl
raised mid-file. A campaign so named made its checklist a 500 for every village, a person so named cut every
XLSX export of the area short. Inputs now refuse such characters (tests/attacks/test_inputs.py), but a
registry keeps what was stored before: in files such characters show as U+FFFD."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

import flowpop
from flowpop.registry.store import tables as t
from flowpop.registry.store.db import make_engine
from tests import tree
from tests.conftest import person_fields


def _texts(data: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return [v for row in book.worksheets[0].iter_rows(values_only=True) for v in row if isinstance(v, str)]


def _stored_before(db_url: str, table: t.Base, ident: int, **values: str) -> None:
    """Writes what an older registry accepted, straight into the store."""
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(update(table.__table__).where(table.__table__.c.id == ident).values(**values))  # type: ignore[attr-defined]
    engine.dispose()


def test_control_characters_are_refused_on_input(client: flowpop.Client) -> None:
    with pytest.raises(flowpop.ValidationError) as refused:
        client.persons.create(**person_fields(name="王\x10英"))
    assert [e.field for e in refused.value.errors] == ["name"]


def test_a_campaign_name_with_a_control_character_leaves_its_checklist_whole(client: flowpop.Client,
                                                                             db_url: str) -> None:
    campaign = client.inspections.create(quarter="2026Q1", jurisdiction_code=tree.COUNTY_SANYUAN, name="清查一")
    _stored_before(db_url, t.Campaign, campaign.id, name="清查\x10一")
    texts = _texts(client.inspections.checklist(campaign.id, tree.VILLAGE_A1, format="xlsx"))
    assert texts[0].startswith("清查\ufffd一 入户核查清单")


def test_a_name_with_a_control_character_leaves_the_export_whole(client: flowpop.Client, db_url: str) -> None:
    person = client.persons.create(**person_fields(name="王英"))
    _stored_before(db_url, t.Person, person.id, name="王\x10英")
    client.persons.create(**person_fields(name="李秀兰"))
    texts = _texts(client.persons.export("xlsx"))
    assert "王\ufffd英" in texts and "李秀兰" in texts
