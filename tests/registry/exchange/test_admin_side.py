"""An administrator (no jurisdiction) registers a cross-county stay as the side in the registry's own area (issue
13): a registry whose own area is the household county only records the administrator's entry as the outflow
(流出登记) and tells the residence side through the exchange; with both places in the own area, or only the
residence, the residence side registers (以现居住地为主), as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import flowpop
from tests import tree
from tests.conftest import new_id_number, person_fields


def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, prefixes: list[str]) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text(f"[exchange]\nhome = {prefixes!r}\n", encoding="utf-8")
    monkeypatch.setenv("FLOWPOP_SETTINGS", str(settings))


def exported(client: flowpop.Client) -> list[dict[str, object]]:
    return [json.loads(line) for line in client.exchange.export().splitlines()]


def test_only_the_household_here_registers_the_outflow(client: flowpop.Client, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    home(monkeypatch, tmp_path, ["350404"])
    p = client.persons.create(**person_fields(
        household_code=tree.VILLAGE_A1,
        stay={"residence_code": tree.VILLAGE_D1, "reason": "work", "arrived_on": "2026-03-01"}))
    (stay,) = client.stays.list(p.id)
    assert stay.outflow_registered_at is not None and stay.inflow_registered_at is None
    (notice,) = exported(client)  # the household side's 通报 leaves for 东湖
    assert (notice["topic"], notice["sender_code"], notice["addressee_code"]) == (
        "stay_registered", tree.TOWNSHIP_A, tree.TOWNSHIP_D)


@pytest.mark.parametrize(("prefixes", "household", "residence"), [
    (["3504"], tree.VILLAGE_A1, tree.VILLAGE_C1),  # both in the own area: the residence side, as before
    (["350404"], tree.VILLAGE_D1, tree.VILLAGE_A1),  # only the residence here
])
def test_otherwise_the_residence_side_registers(client: flowpop.Client, monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path, prefixes: list[str], household: str,
                                                residence: str) -> None:
    home(monkeypatch, tmp_path, prefixes)
    p = client.persons.create(**person_fields(
        household_code=household, stay={"residence_code": residence, "reason": "work", "arrived_on": "2026-03-01"}))
    (stay,) = client.stays.list(p.id)
    assert stay.inflow_registered_at is not None and stay.outflow_registered_at is None


def test_an_import_by_the_administrator_follows_the_same_rule(client: flowpop.Client, monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    home(monkeypatch, tmp_path, ["350404"])
    rows = [["姓名", "身份证号", "户籍地", "现居住地", "流入日期", "流动原因"],
            ["王秀英", new_id_number(), tree.VILLAGE_A1, tree.VILLAGE_D1, "2026-03-01", "务工"],  # household here
            ["李强", new_id_number(), tree.VILLAGE_D1, tree.VILLAGE_A1, "2026-03-01", "务工"]]  # residence here
    data = "\n".join(",".join(r) for r in rows).encode("utf-8")
    result = client.persons.import_file(data, filename="people.csv")
    assert (result.applied, result.inserted) == (True, 2)
    sides = {}
    for p in client.persons.list():
        (stay,) = client.stays.list(p.id)
        sides[p.name] = (stay.inflow_registered_at is not None, stay.outflow_registered_at is not None)
    assert sides == {"王秀英": (False, True), "李强": (True, False)}
