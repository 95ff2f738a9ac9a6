"""The seeds' definitions behind the rates (docs/rules.md, "Definitions"), through the SDK on a real registry:
seed 000's 信息采集率 and 准确率 from the door-to-door check; who counts as floating population (条例 第二条:
not two districts of one city; seed 001: 30 days away; adults of childbearing age for the family-planning
indicators), each number a setting; 居住证办证率 over the floating population, not stays of 182+ days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import flowpop
from flowpop.config import ConfigError
from flowpop.registry.kernel import settings
from tests import tree
from tests.conftest import new_id_number, person_fields

TODAY = dt.date.today()
QUARTER = f"{TODAY.year}Q{(TODAY.month - 1) // 3 + 1}"
PAST = "2025Q4"  # a closed-off past quarter: its end, 2025-12-31, is the day the definitions are applied on
SANYUAN_VILLAGE = tree.VILLAGE_A1  # 三明市三元区
SHAXIAN = tree.COUNTY_SHAXIAN  # 三明市沙县区: another district of the same 设区的市
DONGHU = tree.COUNTY_DONGHU  # 南昌市东湖区: another city


@pytest.fixture
def province(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """province(toml): the registry (embedded, on SQLite or PostgreSQL) works by this settings file from now on
    (a new file each time: the registry reads each file once)."""
    files = iter(range(1000))

    def use(text: str) -> None:
        path = tmp_path / f"settings{next(files)}.toml"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setenv("FLOWPOP_SETTINGS", str(path))

    use("")
    yield use


def _rates(client: flowpop.Client, period: str) -> dict[str, flowpop.types.Rate]:
    return {
        r.key: r
        for r in client.reports.rates(period, level="county", division=tree.COUNTY_SANYUAN).total.rates
    }


def _counts(rate: flowpop.types.Rate) -> tuple[int, int]:
    return rate.numerator, rate.denominator


def _living(
    client: flowpop.Client, household: str, arrived: str, **stay: object
) -> flowpop.types.PersonDetail:
    return client.persons.create(
        **person_fields(
            household_code=household,
            stay={"residence_code": SANYUAN_VILLAGE, "reason": "work", "arrived_on": arrived, **stay},
        )
    )


def test_collection_and_accuracy_are_the_door_to_door_checks(client, as_user) -> None:
    """信息采集率: of the people found living here, the share already registered; 准确率: of the registered
    records checked, the share found as recorded; 出租屋信息准确率 likewise for rented houses (seed 000, ≥ 95%)."""
    people = [client.persons.create(**person_fields(household_code=tree.VILLAGE_D1)) for _ in range(5)]
    client.houses.create(division_code=SANYUAN_VILLAGE, address="核查路1号", use="rented", mode="scattered")
    client.houses.create(division_code=SANYUAN_VILLAGE, address="核查路2号", use="rented", mode="scattered")
    assistant = as_user("village_assistant", SANYUAN_VILLAGE)
    campaign = client.inspections.create(quarter=QUARTER, jurisdiction_code=tree.TOWNSHIP_A)
    client.inspections.assign(
        campaign.id, [{"division_code": SANYUAN_VILLAGE, "username": assistant.me().username}]
    )
    items = {i.person_id: i for i in assistant.inspections.items(campaign.id, limit=1000)}
    outcomes = ["present", "corrected", "left", "not_found", "certificate_missing"]
    for p, outcome in zip(people, outcomes, strict=True):
        item = items[p.id]
        extra = {"changes": {"phone": "13912345678"}} if outcome == "corrected" else {}
        if outcome == "left":
            extra = {"date": (TODAY - dt.timedelta(days=1)).isoformat()}
        recorder = client if outcome == "left" else assistant  # deregistering takes an operator's right
        recorder.inspections.record(campaign.id, item.id, version=item.version, outcome=outcome, **extra)
    houses = [i for i in assistant.inspections.items(campaign.id, limit=1000) if i.kind == "house"]
    assistant.inspections.record(campaign.id, houses[0].id, version=houses[0].version, outcome="present")
    assistant.inspections.record(
        campaign.id,
        houses[1].id,
        version=houses[1].version,
        outcome="corrected",
        changes={"address": "核查路2号之一"},
    )
    found = assistant.inspections.found(
        campaign.id, **person_fields(name="新发现", household_code=tree.VILLAGE_D1)
    )

    rates = _rates(client, QUARTER)
    assert "collection_timeliness" not in rates  # the invented 5-day measure is gone
    # living here: present, corrected, certificate missing (registered) + the newly found one
    assert _counts(rates["collection"]) == (3, 4)
    # registered records checked: all five; as recorded: present and certificate missing
    assert _counts(rates["accuracy"]) == (2, 5)
    assert _counts(rates["rented_house_accuracy"]) == (1, 2)
    assert rates["collection"].target == rates["accuracy"].target == 0.95
    assert (rates["collection"].name, rates["accuracy"].name) == ("信息采集率", "信息准确率")
    assert [p.id for p in client.reports.rate_records("collection", QUARTER)] == [found.person_id]
    wrong = {p.id for p in client.reports.rate_records("accuracy", QUARTER)}
    assert wrong == {people[1].id, people[2].id, people[3].id}


def test_floating_means_another_county_not_another_district_of_the_city(client, province) -> None:
    """条例 第二条: living in another district of the same 设区的市 is 人户分离, not floating population — unless
    the province's settings count it (districts_of_one_city)."""
    other_city = _living(client, DONGHU, "2025-03-01")
    same_city = _living(client, SHAXIAN, "2025-03-01")
    assert {other_city.id, same_city.id}  # both registered, both living in 三元区
    assert _counts(_rates(client, PAST)["residence_permit"]) == (0, 1)
    assert {p.id for p in client.reports.rate_records("residence_permit", PAST)} == {other_city.id}
    province("[floating]\ndistricts_of_one_city = true\n")
    assert _counts(_rates(client, PAST)["residence_permit"]) == (0, 2)


def test_floating_needs_thirty_days_away(client, province) -> None:
    """Seed 001 第二条: 异地居住30日以上 — someone here for 20 days at the period's end is not counted yet."""
    _living(client, DONGHU, "2025-11-01")
    _living(client, DONGHU, "2025-12-11")  # 20 days before 2025-12-31
    assert _counts(_rates(client, PAST)["residence_permit"]) == (0, 1)
    province("[floating]\nmin_days_away = 15\n")
    assert _counts(_rates(client, PAST)["residence_permit"]) == (0, 2)


def test_family_planning_indicators_count_adults_of_childbearing_age(client, province) -> None:
    """条例: 成年育龄人员; seed 001: 十八周岁以上的育龄人员 — the certificate rates count married women within the
    age range of the settings (18–49 by default); residence permits count every age."""

    def married_woman(born: dt.date) -> flowpop.types.PersonDetail:
        return client.persons.create(
            **person_fields(
                id_number=new_id_number(born, sex="F"),
                household_code=DONGHU,
                stay={"residence_code": SANYUAN_VILLAGE, "reason": "work", "arrived_on": "2025-03-01"},
            )
        )

    married_woman(dt.date(1990, 5, 6))  # 35
    younger = married_woman(dt.date(2002, 5, 6))  # 23
    assert _counts(_rates(client, PAST)["certificate_held"]) == (0, 2)
    province("[floating]\nmin_age = 25\n")
    rates = _rates(client, PAST)
    assert _counts(rates["certificate_held"]) == (0, 1)
    assert younger.id not in {p.id for p in client.reports.rate_records("certificate_held", PAST)}
    assert _counts(rates["residence_permit"]) == (0, 2)


def test_residence_permit_rate_is_over_the_floating_population(client) -> None:
    """居住证办证率 (seed 000, ≥ 85%): of the floating population living here at the period's end, those holding
    a valid permit. No seed restricts it to stays of six months: someone here four months counts."""
    _living(
        client, DONGHU, "2025-09-01", permit_number="闽居2025001", permit_expires_on="2026-08-31"
    )  # 4 months
    _living(
        client, DONGHU, "2025-03-01", permit_number="闽居2025002", permit_expires_on="2025-12-01"
    )  # expired
    _living(client, DONGHU, "2025-03-01")  # none
    _living(client, SHAXIAN, "2025-03-01")  # 人户分离: not counted
    rate = _rates(client, PAST)["residence_permit"]
    assert _counts(rate) == (1, 3)
    assert rate.meets_target is False and rate.target == 0.85


def test_the_person_search_finds_who_counts_as_floating_today(client, province) -> None:
    """persons.list(floating=True): the same definition for the search, the export and a bulk selection."""
    counted = _living(client, DONGHU, "2025-03-01")
    same_city = _living(client, SHAXIAN, "2025-03-01")
    recent = _living(client, DONGHU, (TODAY - dt.timedelta(days=10)).isoformat())
    found = {p.id for p in client.persons.list(floating=True)}
    assert counted.id in found and not found & {same_city.id, recent.id}
    assert {same_city.id, recent.id} <= {p.id for p in client.persons.list(floating=False)}
    province("[floating]\ndistricts_of_one_city = true\n")
    assert {counted.id, same_city.id} <= {p.id for p in client.persons.list(floating=True)}


def test_a_province_may_leave_out_stays_for_a_reason(client, province) -> None:
    """条例 第二条 leaves out people away to study (上学) who will return; flowpop cannot know who will return, so
    a province that follows it lists the reason in ``excluded_reasons`` (none by default: seed 000 counts
    people where they live). A reason the contract does not know is refused with the file named."""
    worker = _living(client, DONGHU, "2025-03-01")
    student = client.persons.create(
        **person_fields(
            household_code=DONGHU,
            stay={"residence_code": SANYUAN_VILLAGE, "reason": "study", "arrived_on": "2025-03-01"},
        )
    )
    assert _counts(_rates(client, PAST)["residence_permit"]) == (0, 2)
    province('[floating]\nexcluded_reasons = ["study"]\n')
    assert _counts(_rates(client, PAST)["residence_permit"]) == (0, 1)
    found = {p.id for p in client.persons.list(floating=True)}
    assert worker.id in found and student.id not in found
    with pytest.raises(ConfigError) as exc:
        settings.check({"floating": {"excluded_reasons": ["上学"]}}, Path("settings.toml"))
    assert "floating.excluded_reasons" in str(exc.value)
