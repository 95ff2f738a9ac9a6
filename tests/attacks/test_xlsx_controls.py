"""Found by the fuzz suite: a control character that names and titles accept (U+0010 here) cannot go
into an XLSX file, and openpyxl raised mid-file. A campaign so named made its checklist a 500 for every
village, a person so named cut every XLSX export of the area short. Such characters show as U+FFFD."""

from __future__ import annotations

import io

from openpyxl import load_workbook

import flowpop
from tests import tree
from tests.conftest import person_fields


def _texts(data: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return [v for row in book.worksheets[0].iter_rows(values_only=True) for v in row if isinstance(v, str)]


def test_a_campaign_name_with_a_control_character_leaves_its_checklist_whole(client: flowpop.Client) -> None:
    campaign = client.inspections.create(quarter="2026Q1", jurisdiction_code=tree.COUNTY_SANYUAN, name="清查\x10一")
    texts = _texts(client.inspections.checklist(campaign.id, tree.VILLAGE_A1, format="xlsx"))
    assert texts[0].startswith("清查\ufffd一 入户核查清单")


def test_a_name_with_a_control_character_leaves_the_export_whole(client: flowpop.Client) -> None:
    client.persons.create(**person_fields(name="王\x10英"))
    client.persons.create(**person_fields(name="李秀兰"))
    texts = _texts(client.persons.export("xlsx"))
    assert "王\ufffd英" in texts and "李秀兰" in texts
