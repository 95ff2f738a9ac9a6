"""Co-management (共管) as registration, through the SDK against a real registry: the counties of one city (三明:
三元区 and 沙县区) register both sides of their cross-county flows with a known truth — both sides, one side,
departed, already home, a different ID number on each side — and the shown co-management, gap and 漏管 equal
the truth at every stage of the clean-up; acknowledging every notice (`inbox ack --all-notifications`) changes
none of them (seed 000: "本市外县流入地已做流入管理登记的,户籍地要做流出登记")."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import flowpop
from flowpop.rules import idnumber
from flowpop.types import ComanagementReport, ComanagementRow
from tests import tree
from tests.cli.runner import invoke, jsonout

TODAY = dt.date.today()
QUARTER = f"{TODAY.year}Q{(TODAY.month - 1) // 3 + 1}"
ARRIVED = (TODAY - dt.timedelta(days=40)).isoformat()
CITY = "350400000000"
SY, SX, DH = "350404", "350405", "360102"  # 三元区, 沙县区 (one city); 南昌东湖区 (another province)
PLACES = {SY: (tree.VILLAGE_B1, tree.VILLAGE_A1), SX: (tree.VILLAGE_C1, tree.VILLAGE_C1), DH: (tree.VILLAGE_D1, None)}
_order = iter(range(2, 998, 2))


@dataclass
class Flow:
    """One real person's flow and what each side holds of it: the truth the registry must show."""

    hh: str
    res: str
    number: str
    person_id: int = 0
    inflow: bool = False
    outflow: bool = False
    open: bool = True


def number() -> str:
    return idnumber.make("350405", dt.date(1990, 3, 1) + dt.timedelta(days=next(_order)), next(_order))


def fields(num: str, hh: str, res: str, name: str = "林秀英") -> dict[str, Any]:
    return {"id_number": num, "name": name, "household_code": PLACES[hh][0], "marital_status": "first_marriage",
            "stay": {"residence_code": PLACES[res][1], "reason": "work", "arrived_on": ARRIVED}}


# ---------------------------------------------------------------------------------- the truth, counted by hand


def expected_pairs(flows: list[Flow], city_only: bool) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for f in flows:
        if not f.open or not (f.inflow or f.outflow) or (city_only and DH in (f.hh, f.res)):
            continue
        row = out.setdefault(f"{f.hh}-{f.res}", dict.fromkeys(("in", "out", "both", "mi", "mo"), 0))
        row["in"] += f.inflow
        row["out"] += f.outflow
        row["both"] += f.inflow and f.outflow
        row["mi"] += f.outflow and not f.inflow
        row["mo"] += f.inflow and not f.outflow
    return out


def expected_counties(flows: list[Flow], city_only: bool) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for f in flows:
        if not f.open or not (f.inflow or f.outflow) or (city_only and DH in (f.hh, f.res)):
            continue
        res = out.setdefault(f.res, dict.fromkeys(("in", "out", "both", "mi", "mo", "one"), 0))
        hh = out.setdefault(f.hh, dict.fromkeys(("in", "out", "both", "mi", "mo", "one"), 0))
        res["in"] += f.inflow
        hh["out"] += f.outflow
        res["mi"] += f.outflow and not f.inflow
        hh["mo"] += f.inflow and not f.outflow
        for c in (res, hh):
            c["both"] += f.inflow and f.outflow
            c["one"] += f.inflow != f.outflow
    return out


def figures(row: ComanagementRow) -> tuple[int, ...]:
    return (row.inflows_registered, row.outflows_registered, row.gap, row.both, row.missing_inflow,
            row.missing_outflow, row.unmanaged)


def truth(c: dict[str, int], touching_one: int | None = None) -> tuple[int, ...]:
    return (c["in"], c["out"], c["out"] - c["in"], c["both"], c["mi"], c["mo"], c["mi"] + c["mo"])


def check(client: flowpop.Client, flows: list[Flow], admin_of: dict[str, flowpop.Client]) -> ComanagementReport:
    """Every number shown (per county, per pair, the city's total, the rate, the lists) equals the truth."""
    city = client.reports.comanagement(by="county", division=CITY)
    counties = expected_counties(flows, city_only=True)
    assert {r.key: figures(r) for r in city.rows} == {k: truth(c) for k, c in counties.items()}
    assert {r.key: r.co_management for r in city.rows} == {
        k: round(c["both"] / (c["both"] + c["one"]), 4) if c["both"] + c["one"] else None for k, c in counties.items()}
    pairs = expected_pairs(flows, city_only=True)
    by_pair = client.reports.comanagement(by="pair", division=CITY)
    assert {r.key: figures(r) for r in by_pair.rows} == {k: truth(c) for k, c in pairs.items()}
    total = {k: sum(c[k] for c in pairs.values()) for k in ("in", "out", "both", "mi", "mo")}
    assert figures(city.total) == figures(by_pair.total) == truth(total)
    assert city.meets_target is (total["mi"] + total["mo"] <= 500) and city.unmanaged_target == 500

    # the people behind each number: a county's own to-do lists, and a pair's
    for county in (SY, SX):
        code = county.ljust(12, "0")
        missing_in = {f.person_id for f in flows if f.open and f.res == county and f.outflow and not f.inflow}
        missing_out = {f.person_id for f in flows if f.open and f.hh == county and f.inflow and not f.outflow}
        assert {p.id for p in client.reports.comanagement_records("missing_inflow", county=code)} == missing_in
        assert {p.id for p in client.reports.comanagement_records("missing_outflow", county=code)} == missing_out
        own = admin_of[county].reports.comanagement_records("unmanaged", county=code)
        assert {p.id for p in own} == missing_in | missing_out
    pair_both = {f.person_id for f in flows if f.open and (f.hh, f.res) == (SX, SY) and f.inflow and f.outflow}
    assert {p.id for p in client.reports.comanagement_records(
        "both", household=SX.ljust(12, "0"), residence=SY.ljust(12, "0"))} == pair_both

    # the rate beside the others: co-managed of the stays registered by either side, both counties served here
    everywhere = expected_pairs(flows, city_only=False)
    both = sum(c["both"] for c in everywhere.values())
    one = sum(c["mi"] + c["mo"] for c in everywhere.values())
    rate = next(r for r in client.reports.rates(QUARTER, level="county").total.rates if r.key == "co_management")
    assert (rate.numerator, rate.denominator) == (both, both + one)
    behind = {p.id for p in client.reports.rate_records("co_management", QUARTER)}
    assert behind == {f.person_id for f in flows if f.open and f.inflow != f.outflow}
    return city


def ack_everything(db_url: str, users: list[flowpop.Client]) -> None:
    """Each county admin acknowledges every open notification in its inbox, as the offices did."""
    for user in users:
        invoke(["--db", db_url, "--token", user.settings.token or "", "inbox", "ack", "--all-notifications", "--yes"])


@pytest.fixture
def admins(as_user: Callable[[str, str | None], flowpop.Client]) -> Iterator[dict[str, flowpop.Client]]:
    yield {SY: as_user("county_admin", tree.COUNTY_SANYUAN), SX: as_user("county_admin", tree.COUNTY_SHAXIAN),
           DH: as_user("county_admin", tree.COUNTY_DONGHU)}


def test_comanagement_follows_registrations_not_acknowledgements(client, db_url, admins) -> None:
    sy, sx, dh = admins[SY], admins[SX], admins[DH]
    flows: list[Flow] = []

    def register(side: flowpop.Client, f: Flow, num: str | None = None) -> int:
        person = side.persons.create(**fields(num or f.number, f.hh, f.res))
        if side is admins[f.res]:
            f.inflow = True
        else:
            f.outflow = True
        return person.id

    def flow(hh: str, res: str, *sides: flowpop.Client) -> Flow:
        f = Flow(hh, res, number())
        for side in sides:
            f.person_id = register(side, f)
        flows.append(f)
        return f

    # 沙县 → 三元: both sides, the household side's outflow alone, people already home, departed, the
    # residence side's inflow alone, and pairs registered under a different ID number on each side
    both = [flow(SX, SY, sx, sy) for _ in range(3)]
    outflow_only = [flow(SX, SY, sx) for _ in range(3)]
    home = [flow(SX, SY, sx) for _ in range(2)]
    departed = [flow(SX, SY, sx, sy) for _ in range(2)]
    inflow_only = [flow(SX, SY, sy) for _ in range(2)]
    wrong = []
    for _ in range(2):
        real = flow(SX, SY, sx)  # the household side's record, with the real number
        typo = Flow(SX, SY, number())  # the residence side's record of the same person, another number
        typo.person_id = register(sy, typo)
        flows.append(typo)
        wrong.append((real, typo))
    # 三元 → 沙县 (the other way), and 南昌东湖 → 三元 (another city: not in the city's measure)
    back_both = [flow(SY, SX, sy, sx) for _ in range(2)]
    back_out = flow(SY, SX, sy)
    back_in = flow(SY, SX, sx)
    far = flow(DH, SY, sy)

    # a second registration by the same side stays a refused duplicate; the other side's joins the record
    with pytest.raises(flowpop.ConflictError):
        sy.persons.create(**fields(both[0].number, SX, SY))
    joined = client.persons.get(both[0].person_id)
    assert joined.stays[0].inflow_registered_at and joined.stays[0].outflow_registered_at
    assert len(client.persons.get(both[0].person_id).stays) == 1
    # the legacy 15-digit form of a number is the same number: it joins too
    fifteen = flow(SX, SY, sx)
    legacy = fifteen.number[:6] + fifteen.number[8:17]
    assert register(sy, fifteen, legacy) == fifteen.person_id

    # departed: the residence side deregisters them (the stay ends for both sides)
    for f in departed:
        p = sy.persons.get(f.person_id)
        sy.persons.deregister(p.id, version=p.version, reason="离开", date=TODAY)
        f.open = False

    stage0 = check(client, flows, admins)
    # one-sided: 3 + 2 home + 2 wrong (household side) + the 15-digit pair joined; 2 + 2 typos (residence side)
    assert stage0.total.unmanaged == 3 + 2 + 2 + 2 + 2 + 2  # and the way back: one each way
    assert stage0.total.gap == stage0.total.outflows_registered - stage0.total.inflows_registered

    # the command line shows the same figures and lists, and the summary beside the rates
    cli = ["--db", db_url, "report", "comanagement"]
    shown = jsonout(invoke([*cli, "--by", "pair", "--division", CITY, "--format", "json"]))
    assert shown == json.loads(client.reports.comanagement(by="pair", division=CITY).model_dump_json())
    listed = jsonout(invoke([*cli, "--list", "missing-inflow", "--county", SY, "--format", "json"]))
    assert {p["id"] for p in listed} == {f.person_id for f in flows if f.open and f.res == SY and f.outflow and not f.inflow}
    table = invoke(["--db", db_url, "report", "rates", "--quarter", QUARTER]).stdout
    total = client.reports.comanagement().total
    assert f"差额（流出−流入）{total.gap} 人；漏管 {total.unmanaged} 人（目标 ≤ 500 ✓）" in table

    # acknowledging every notice is receipt: nothing moves
    ack_everything(db_url, [sy, sx, dh])
    assert check(client, flows, admins) == stage0

    # clean-up 1: the residence side registers the inflows it lacked (each joins the household side's record)
    for f in outflow_only:
        assert register(sy, f) == f.person_id
    check(client, flows, admins)

    # clean-up 2: the household side closes the outflow records of people who are at home (查无此人)
    for f in home:
        p = sx.persons.get(f.person_id)
        sx.stays.close(p.stays[0].id, version=p.stays[0].version, reason="查无此人：已返乡", date=TODAY)
        f.open = False
    check(client, flows, admins)

    # clean-up 3: a wrong number — the residence side withdraws its record and registers the right number
    for real, typo in wrong:
        p = sy.persons.get(typo.person_id)
        sy.persons.archive(p.id, version=p.version, reason="身份证号码有误，按户籍地登记")
        typo.open = False
        assert register(sy, real) == real.person_id
    check(client, flows, admins)

    # clean-up 4: each household side registers the outflows it lacked
    for f in inflow_only:
        assert register(sx, f) == f.person_id
    assert register(sy, back_in) == back_in.person_id
    assert register(sx, back_out) == back_out.person_id
    final = check(client, flows, admins)
    assert final.total.unmanaged == 0 and final.total.gap == 0 and final.total.co_management == 1.0
    assert final.total.both == len(both) + len(outflow_only) + len(inflow_only) + len(wrong) + len(back_both) + 3

    ack_everything(db_url, [sy, sx, dh])
    assert check(client, flows, admins) == final
    assert far.inflow and not far.outflow  # outside the city: in the rate, never in the city's measure


def test_unmanaged_target_is_a_setting(client, admins, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(3):
        admins[SX].persons.create(**fields(number(), SX, SY))
    assert client.reports.comanagement(division=CITY).meets_target is True
    settings = tmp_path / "settings.toml"
    settings.write_text("[targets]\nunmanaged_max = 2\n", encoding="utf-8")
    monkeypatch.setenv("FLOWPOP_SETTINGS", str(settings))
    report = client.reports.comanagement(division=CITY)
    assert (report.total.unmanaged, report.unmanaged_target, report.meets_target) == (3, 2, False)


def test_imported_stays_take_part(client, admins) -> None:
    """A county's legacy import registers its side like a form does: new records, and the other side's."""
    theirs = [number() for _ in range(2)]
    for num in theirs:
        admins[SX].persons.create(**fields(num, SX, SY))
    ours = number()
    rows = ["身份证号码,姓名,户籍地,现居住地,流入日期,流动原因",
            *(f"{num},林秀英,{tree.VILLAGE_C1},{tree.VILLAGE_A1},{ARRIVED},务工" for num in [*theirs, ours])]
    data = ("\n".join(rows) + "\n").encode()
    result = admins[SY].persons.import_file(data, filename="inflows.csv")
    assert (result.inserted, result.updated) == (1, 2), result
    report = client.reports.comanagement(by="pair", division=CITY)
    assert [(r.key, r.both, r.missing_outflow, r.missing_inflow) for r in report.rows] == [(f"{SX}-{SY}", 2, 1, 0)]


def test_merged_records_of_one_flow_are_co_managed_until_reverted(client, admins) -> None:
    """Two records of one person (a different ID number on each side) merged into one: the household side's
    registration carries over to the kept record's stay; reverting the merge takes it back."""
    inflow = admins[SY].persons.create(**fields(number(), SX, SY))
    outflow = admins[SX].persons.create(**fields(number(), SX, SY))
    before = client.reports.comanagement(division=CITY).total
    assert (before.both, before.unmanaged) == (0, 2)
    preview = client.changesets.plan(operation="merge", selection={"ids": [inflow.id, outflow.id]},
                                     values={"keep": inflow.id, "archive_open_stays": True}, reason="同一人两条记录")
    client.changesets.apply(preview.id)
    merged = client.reports.comanagement(division=CITY).total
    assert (merged.both, merged.unmanaged) == (1, 0)
    stay = next(s for s in client.persons.get(inflow.id).stays if s.status == "open")
    assert stay.inflow_registered_at and stay.outflow_registered_at
    client.changesets.revert(preview.id)
    after = client.reports.comanagement(division=CITY).total
    assert (after.both, after.unmanaged) == (0, 2)
