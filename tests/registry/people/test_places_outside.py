"""Own area and elsewhere (issue 13 item 1): inside the own area (the counties held down to villages: 三元区,
沙县区, 东湖区 in the test tree) a residence is a village; outside it the registry holds the national list's
counties only, and the county is enough, with the address as text: an outflow's residence, a household place,
a transfer's destination, a message's addressee, 引用建档 and imports. A finer code of a known county outside (a
village another registry holds, carried by its message) is kept as given; one of an unknown county is refused."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

import flowpop
from flowpop_cli.main import cli
from tests import tree
from tests.conftest import new_id_number, person_fields

NINGHUA = "350424000000"  # 三明市宁化县: in the national list, no townships or villages here
NINGHUA_VILLAGE = "350424101001"  # a village of 宁化 that another registry holds
JINJIANG = "510104000000"  # 成都市锦江区
SICHUAN = "510000000000"


@pytest.fixture(autouse=True)
def _derived_area(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FLOWPOP_SETTINGS", str(tmp_path / "none.toml"))  # the own area as the villages loaded say


def keys(exc: pytest.ExceptionInfo[flowpop.ValidationError]) -> set[tuple[str, str]]:
    return {(e.field, e.code) for e in exc.value.errors}


def test_the_own_area_is_the_counties_with_villages(client: flowpop.Client) -> None:
    assert client.me().own_area == ["350404", "350405", "360102"]


def test_an_outflow_to_a_county_outside_is_registered_with_its_address(client: flowpop.Client, as_user) -> None:  # type: ignore[no-untyped-def]
    op = as_user("township_operator", tree.TOWNSHIP_A)
    stay = {"residence_code": JINJIANG, "residence_address": "锦江区春熙路 8 号", "reason": "work", "arrived_on": "2026-03-01"}
    p = op.persons.create(**person_fields(household_code=tree.VILLAGE_A1, stay=stay))
    got = client.stays.get(p.current_stay_id)
    assert (got.residence_code, got.residence_address) == (JINJIANG, "锦江区春熙路 8 号")
    # a county of the own area's city but not held here (宁化) is outside too
    q = op.persons.create(**person_fields(household_code=tree.VILLAGE_A2, stay={**stay, "residence_code": NINGHUA}))
    assert client.persons.get(q.id).residence_code == NINGHUA


@pytest.mark.parametrize("code", [tree.COUNTY_SANYUAN, tree.COUNTY_SHAXIAN, tree.TOWNSHIP_D])
def test_inside_the_own_area_the_village_rule_stands(client: flowpop.Client, code: str) -> None:
    stay = {"residence_code": code, "reason": "work", "arrived_on": "2026-03-01"}
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.create(**person_fields(stay=stay))
    assert keys(exc) == {("stay.residence_code", "division_level")}
    assert "本库辖区内" in exc.value.errors[0].message


def test_outside_a_province_is_not_a_place_and_an_unknown_county_is_refused(client: flowpop.Client) -> None:
    stay = {"residence_code": SICHUAN, "reason": "work", "arrived_on": "2026-03-01"}
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.create(**person_fields(stay=stay))
    assert keys(exc) == {("stay.residence_code", "division_level")}
    with pytest.raises(flowpop.ValidationError) as exc:
        client.persons.create(**person_fields(stay={**stay, "residence_code": "350499101001"}))
    assert keys(exc) == {("stay.residence_code", "unknown_division")}
    assert "区县代码" in exc.value.errors[0].message  # tells what is enough outside
    with pytest.raises(flowpop.ValidationError) as exc:  # inside the own area an unknown village stays unknown
        client.persons.create(**person_fields(stay={**stay, "residence_code": "350404009001"}))
    assert keys(exc) == {("stay.residence_code", "unknown_division")}


def test_a_village_of_a_county_outside_is_kept_as_given(client: flowpop.Client) -> None:
    p = client.persons.create(**person_fields(household_code=NINGHUA_VILLAGE))
    assert client.persons.get(p.id).household_code == NINGHUA_VILLAGE
    stay = {"residence_code": NINGHUA_VILLAGE, "reason": "work", "arrived_on": "2026-03-01"}
    q = client.persons.create(**person_fields(household_code=tree.VILLAGE_A1, stay=stay))
    assert client.persons.get(q.id).residence_code == NINGHUA_VILLAGE
    # the quality check knows it for a code of a county outside, not an unknown one
    assert client.reports.quality_persons("unknown_division") == []
    assert client.reports.quality_persons("residence_not_village") == []


def test_register_from_a_message_whose_household_is_a_village_outside(client: flowpop.Client, as_user) -> None:  # type: ignore[no-untyped-def]
    """引用建档: the message names a household place in a village of 宁化, which only its own registry holds."""
    a = as_user("township_operator", tree.TOWNSHIP_A)
    d = as_user("township_operator", tree.TOWNSHIP_D)
    fields = person_fields(household_code=NINGHUA_VILLAGE)
    req = d.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_A,
                       subject={"id_number": fields["id_number"], "name": fields["name"]}, items={"verify": ["在住"]})
    got = a.inbox.get(req.id)
    m = a.inbox.act(req.id, "register", version=got.version, person=fields)
    assert m.status == "matched"
    assert client.persons.get(m.matched_person_id).household_code == NINGHUA_VILLAGE


def test_a_transfer_to_a_county_outside_is_asked(client: flowpop.Client, as_user) -> None:  # type: ignore[no-untyped-def]
    op = as_user("township_operator", tree.TOWNSHIP_A)
    p = op.persons.create(**person_fields())
    s = op.stays.get(p.current_stay_id)
    msg = op.stays.transfer(s.id, version=s.version, to_residence_code=JINJIANG, reason="迁往成都",
                            residence_address="锦江区春熙路 8 号")
    assert (msg.kind, msg.addressee_code) == ("transfer", JINJIANG)
    with pytest.raises(flowpop.ValidationError) as exc:  # inside the own area the destination is a village
        op.stays.transfer(s.id, version=s.version, to_residence_code=tree.COUNTY_SHAXIAN, reason="迁往沙县")
    assert keys(exc) == {("to_residence_code", "division_level")}


def test_a_message_to_a_county_outside(client: flowpop.Client, as_user) -> None:  # type: ignore[no-untyped-def]
    a = as_user("township_operator", tree.TOWNSHIP_A)
    p = a.persons.create(**person_fields())
    m = a.inbox.send(kind="assist_request", addressee_code=JINJIANG, person_id=p.id, items={"verify": ["在住"]})
    assert m.addressee_code == JINJIANG
    m2 = a.inbox.send(kind="assist_request", addressee_code="350424101000", person_id=p.id, items={"verify": ["在住"]})
    assert m2.addressee_code == "350424101000"  # a township of 宁化: its registry's unit, kept as given
    with pytest.raises(flowpop.ValidationError) as exc:
        a.inbox.send(kind="assist_request", addressee_code="350499101000", person_id=p.id, items={"verify": ["在住"]})
    assert keys(exc) == {("addressee_code", "unknown_division")}


HEADER = ["姓名", "身份证号", "性别", "婚姻状况", "户籍地", "现居住地", "现居住地址", "流入日期", "流动原因"]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def test_import_county_residences(client: flowpop.Client) -> None:
    """A legacy list of outflows whose 现居住地 is a county: outside the own area the rows are imported as they
    are; one inside it without a village is imported with a warning, and the quality check lists it."""
    outside = [["外出" + str(i), new_id_number(), "女", "初婚", tree.VILLAGE_A1, code, "某路 1 号", "2020-01-01", "务工"]
               for i, code in enumerate(["510104", JINJIANG, "350424", NINGHUA_VILLAGE])]
    inside = ["辖内", new_id_number(), "女", "初婚", "360102", "350404", "三元区某路 2 号", "2020-01-01", "务工"]
    bad = ["省级", new_id_number(), "女", "初婚", tree.VILLAGE_A1, "510000", "", "2020-01-01", "务工"]
    checked = client.persons.import_file(_csv([*outside, inside, bad]), filename="old.csv", dry_run=True)
    assert checked.rejected == 1 and [(p.line, p.column) for p in checked.problems] == [(7, "residence_code")]
    assert [(w.line, w.column, w.value) for w in checked.warnings] == [(6, "residence_code", "350404")]
    result = client.persons.import_file(_csv([*outside, inside]), filename="old.csv")
    assert (result.applied, result.inserted, result.rejected) == (True, 5, 0)
    assert [(w.line, w.column) for w in result.warnings] == [(6, "residence_code")]
    assert "本库辖区内" in result.warnings[0].reason and "own area" in result.warnings[0].reason_en
    listed = client.reports.quality_persons("residence_not_village")
    assert [p.name for p in listed] == ["辖内"]
    assert client.reports.quality_persons("unknown_division") == []
    again = client.persons.import_file(_csv([*outside, inside]), filename="old.csv")  # a repeat changes nothing
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)


def test_divisions_area_shows_the_own_area(client: flowpop.Client, db_url: str) -> None:
    result = CliRunner().invoke(cli, ["--db", db_url, "divisions", "area"])
    assert result.exit_code == 0, result.output
    assert all(name in result.stdout for name in ("三元区", "沙县区", "东湖区")) and "宁化" not in result.stdout
    assert "区县即可" in result.stderr


def test_the_import_command_shows_rows_kept_with_a_remark(client: flowpop.Client, db_url: str, tmp_path: Path) -> None:
    """`flowpop import` names the rows kept with a warning (line, column, reason, value) and the rows refused."""
    inside = ["辖内", new_id_number(), "女", "初婚", "360102", "350404", "三元区某路 2 号", "2020-01-01", "务工"]
    bad = ["省级", new_id_number(), "女", "初婚", tree.VILLAGE_A1, "510000", "", "2020-01-01", "务工"]
    path = tmp_path / "old.csv"
    path.write_bytes(_csv([inside, bad]))
    result = CliRunner().invoke(cli, ["--db", db_url, "import", str(path), "--skip-bad", "--yes"],
                                env={"FLOWPOP_LANG": "zh"})
    assert "提示：第 2 行" in result.stderr and "350404" in result.stderr
    assert "第 3 行" in result.stderr and "提示：第 3 行" not in result.stderr
