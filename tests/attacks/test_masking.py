"""Issue 11, item 2: what a role without the reveal right sees must not rebuild an ID number.

A masked number keeps the region (6) and the last character; unrevealed, neither the birth date nor the age
leaves the registry (the age goes up on the birthday: polled daily it tells the date), only the birth year.
The rebuild below is the attacker's: every date of the visible birth year, every sequence number of the
visible sex, kept when its check character is the visible one. Guessing whole numbers one lookup at a time
is what is left: each such lookup is written to the access log."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
from collections.abc import Callable
from typing import Any

import pytest

import flowpop
from flowpop.labels import LABELS
from flowpop.registry.kernel.registry import today
from flowpop.registry.kernel.validation import age_on
from flowpop.rules import idnumber
from tests import tree
from tests.conftest import person_fields

Maker = Callable[[str, str | None], flowpop.Client]
CITY = "350400000000"  # 三明市: over 三元区, where everyone below lives
BIRTHS = [("350402", dt.date(1958, 11, 23), 37), ("360102", dt.date(1975, 2, 28), 210), ("110101", dt.date(1990, 7, 15), 4),
          ("510104", dt.date(2000, 2, 29), 999), ("350404", dt.date(2012, 3, 9), 500)]
SEX_OF_LABEL = {zh: code for code, (zh, _en) in LABELS["sex"].items()}


@functools.cache
def candidates(masked: str, sex: str, year: int) -> frozenset[str]:
    """Every number that agrees with what is visible: region and last character, sex and birth year."""
    assert len(masked) == 18 and masked[6:17] == "*" * 11, masked
    region, last = masked[:6], masked[-1]
    born, dates = dt.date(year, 1, 1), []
    while born.year == year:
        dates.append(f"{born:%Y%m%d}")
        born += dt.timedelta(days=1)
    found = set()
    for digits in dates:
        for order in range(1 if sex == "M" else 0, 1000, 2):  # the 17th digit is odd for men
            body = f"{region}{digits}{order:03d}"
            if idnumber.check_char(body) == last:
                found.add(body + last)
    return frozenset(found)


@pytest.fixture
def people(client: flowpop.Client) -> dict[int, tuple[str, dt.date]]:
    """Five people living in 三元区, by id: their full number and birth date."""
    out = {}
    for region, born, order in BIRTHS:
        number = idnumber.make(region, born, order)
        adult = age_on(born, today()) >= 22
        p = client.persons.create(**person_fields(id_number=number, name="林某",
                                                  marital_status="first_marriage" if adult else "unmarried"))
        out[p.id] = (number, born)
    return out


def _no_birth_date(shown: str, born: dt.date) -> None:
    for form in (f"{born:%Y%m%d}", born.isoformat(), f"{born:%y%m%d}"):
        assert form not in shown, (form, shown)


def _hard_to_rebuild(masked: str, sex: str, year: int, number: str) -> None:
    found = candidates(masked, sex, year)
    assert number in found  # the rebuild is the right one: the true number is among what it finds
    assert len(found) > 15_000, (masked, len(found))  # 365 days × 500 sequence numbers ÷ 11 check characters


@pytest.mark.parametrize("role, jurisdiction", [("city_viewer", CITY), ("village_assistant", tree.VILLAGE_A1)])
def test_lists_and_details_show_no_birth_date_and_leave_thousands_of_candidates(
    as_user: Maker, people: dict[int, tuple[str, dt.date]], role: str, jurisdiction: str
) -> None:
    viewer = as_user(role, jurisdiction)
    listed = {p.id: p for p in viewer.persons.list(limit=100)}
    assert set(people) <= set(listed)
    for pid, (number, born) in people.items():
        for shown in (listed[pid], viewer.persons.get(pid)):
            assert (shown.birth_date, shown.birth_year, shown.age, shown.id_revealed) == (None, born.year, None, False)
            assert shown.id_number == number[:6] + "*" * 11 + number[-1]
            _no_birth_date(shown.model_dump_json(), born)
            _hard_to_rebuild(shown.id_number, shown.sex, shown.birth_year, number)
    operator = as_user("township_operator", tree.TOWNSHIP_A)  # may reveal: sees everything, logged
    revealed = {p.id: p for p in operator.persons.list(limit=100, reveal=True)}
    for pid, (number, born) in people.items():
        for shown in (operator.persons.get(pid, reveal=True), revealed[pid]):
            assert (shown.id_number, shown.birth_date, shown.birth_year, shown.age, shown.id_revealed) == \
                (number, born, born.year, age_on(born, today()), True)
        assert operator.persons.get(pid).age is None  # the right alone shows nothing: the reveal does


def test_nothing_shown_unrevealed_changes_on_the_birthday(
    client: flowpop.Client, as_user: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Polled daily, a list would tell each birthday the day the age goes up: the day before and the birthday
    itself must look the same, in lists, details, house rosters, messages and masked exports."""
    born = dt.date(1990, 6, 15)
    house = client.houses.create(division_code=tree.VILLAGE_A1, address="新市北路8号", rooms=2, capacity=4, use="rented",
                                 mode="scattered", landlord_name="陈建国", landlord_phone="13905981234")
    p = client.persons.create(**person_fields(
        id_number=idnumber.make("360102", born, 41), household_code=tree.VILLAGE_D1,
        stay={"residence_code": tree.VILLAGE_A1, "reason": "work", "arrived_on": "2026-03-01", "house_code": house.code}))
    a = as_user("township_operator", tree.TOWNSHIP_A)
    sent = a.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_D, person_id=p.id, items={"verify": ["在住"]})
    viewer, county = as_user("city_viewer", CITY), as_user("county_admin", tree.COUNTY_SANYUAN)

    def seen() -> list[Any]:
        listed = next(x for x in viewer.persons.list(limit=100) if x.id == p.id)
        occupant = next(o for r in viewer.houses.get(house.code).rooms for o in r.living if o.person_id == p.id)
        exported = next(r for r in csv.DictReader(io.StringIO(county.persons.export("csv").decode("utf-8-sig")))
                        if int(r["编号"]) == p.id)
        return [listed.model_dump(), viewer.persons.get(p.id).model_dump(exclude={"stays"}), occupant.model_dump(),
                a.inbox.get(sent.id).subject, exported]

    monkeypatch.setenv("FLOWPOP_TODAY", "2026-06-14")
    eve = seen()
    monkeypatch.setenv("FLOWPOP_TODAY", "2026-06-15")
    assert seen() == eve
    assert eve[0]["birth_year"] == eve[2]["birth_year"] == eve[3]["birth_year"] == 1990
    assert eve[4]["出生年份"] == "1990" and "年龄" not in eve[4]


def test_masked_export_shows_the_birth_year_not_birth_date_or_age(
    as_user: Maker, people: dict[int, tuple[str, dt.date]]
) -> None:
    # city viewers and village assistants may not export at all: a county admin's masked export
    county = as_user("county_admin", tree.COUNTY_SANYUAN)
    reader = csv.DictReader(io.StringIO(county.persons.export("csv").decode("utf-8-sig")))
    rows = {int(r["编号"]): r for r in reader}
    assert "年龄" not in (reader.fieldnames or []) and "出生年份" in (reader.fieldnames or [])
    for pid, (number, born) in people.items():
        row = rows[pid]
        assert row["出生日期"] == "" and int(row["出生年份"]) == born.year
        _no_birth_date(",".join(row.values()), born)
        _hard_to_rebuild(row["身份证号"], SEX_OF_LABEL[row["性别"]], int(row["出生年份"]), number)
    for line in county.persons.export("jsonl").decode().splitlines():
        record: dict[str, Any] = json.loads(line)
        assert record["birth_date"] is None and record["age"] is None and record["id_number"][6:17] == "*" * 11
        assert record["birth_year"] == people[record["id"]][1].year
    revealed = {int(r["编号"]): r for r in
                csv.DictReader(io.StringIO(county.persons.export("csv", reveal=True).decode("utf-8-sig")))}
    for pid, (number, born) in people.items():
        assert (revealed[pid]["身份证号"].lstrip("\t"), revealed[pid]["出生日期"], revealed[pid]["年龄"]) == \
            (number, born.isoformat(), str(age_on(born, today())))


@pytest.mark.parametrize(("field", "part"), [("q", slice(-6, None)), ("id_number", slice(-8, None)),
                                           ("q", slice(None, 17))], ids=["q-tail6", "id_number-tail8", "q-head17"])
def test_partial_number_search_needs_the_reveal_right(as_user: Maker, people: dict[int, tuple[str, dt.date]],
                                                      field: str, part: slice) -> None:
    pid, (number, _born) = next(iter(people.items()))
    viewer = as_user("city_viewer", CITY)
    params = {field: number[part]}
    with pytest.raises(flowpop.ValidationError) as exc:
        list(viewer.persons.list(**params))
    assert [(e.field, e.code) for e in exc.value.errors] == [(field, "partial_id_needs_reveal")]
    assert exc.value.errors[0].message and exc.value.errors[0].message_en
    assert [p.id for p in viewer.persons.list(q=number)] == [pid]  # a whole number may be looked up
    operator = as_user("township_operator", tree.TOWNSHIP_A)
    assert pid in [p.id for p in operator.persons.list(q=number[-6:])]


def test_history_of_a_new_number_shows_no_birth_date(
    client: flowpop.Client, as_user: Maker, people: dict[int, tuple[str, dt.date]]
) -> None:
    pid, (old, old_born) = next(iter(people.items()))
    new_born = dt.date(1961, 6, 17)
    new = idnumber.make("350402", new_born, 37)
    client.persons.update(pid, version=client.persons.get(pid).version, id_number=new, change_reason="证号更正")
    viewer = as_user("city_viewer", CITY)
    entries = viewer.persons.history(pid)
    change = next(e.changes for e in entries if "id_number" in e.changes and e.changes["id_number"][0])
    assert change["id_number"] == [idnumber.mask(old), idnumber.mask(new)]
    assert (change["birth_date"], change["birth_year"]) == ([None, None], [old_born.year, new_born.year])
    text = "".join(e.model_dump_json() for e in entries)
    for born in (old_born, new_born):
        _no_birth_date(text, born)
    revealed = client.request("GET", f"/v1/persons/{pid}/history", params={"reveal": "true"}).json()
    assert [old_born.isoformat(), new_born.isoformat()] in [e["changes"].get("birth_date") for e in revealed]


def test_messages_show_the_birth_year_not_birth_date_or_age(as_user: Maker) -> None:
    a = as_user("township_operator", tree.TOWNSHIP_A)
    d = as_user("township_operator", tree.TOWNSHIP_D)
    born = dt.date(1983, 8, 19)
    number = idnumber.make("360102", born, 41)
    p = a.persons.create(**person_fields(id_number=number, household_code=tree.VILLAGE_D1, name="赵某"))
    sent = a.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_D, person_id=p.id, items={"verify": ["现居住地址"]})
    messages = [d.inbox.get(m.id) for m in d.inbox.list(box="in", status="all")] + [a.inbox.get(sent.id)]
    assert len(messages) >= 2  # the stay's notice to D and the request
    assert any(m.candidates for m in messages)
    for m in messages:
        assert (m.subject["birth_date"], m.subject["birth_year"], m.subject["age"]) == (None, born.year, None)
        assert all((c.birth_date, c.birth_year, c.age) == (None, born.year, None) for c in m.candidates)
        _no_birth_date(m.model_dump_json(), born)
    sheet = d.inbox.sheet(sent.id)
    _no_birth_date(sheet, born)
    assert "<th>出生年份</th><td>1983</td>" in sheet and "年龄" not in sheet


def test_dates_before_birth_do_not_tell_the_birth_date(client: flowpop.Client, as_user: Maker) -> None:
    """A writer without the reveal right is refused the same for every date before the last day of the visible
    birth year (or today, for someone born this year), so refusals do not find the hidden date by halving, and
    no date it writes lies before birth (the quality check's list would tell it)."""
    day = today()
    born = dt.date(day.year - 30, 6, 15)
    p = client.persons.create(**person_fields(id_number=idnumber.make("350402", born, 21)))
    village = as_user("village_assistant", tree.VILLAGE_A1)
    shown = village.persons.get(p.id)
    latest = dt.date(shown.birth_year, 12, 31)

    def refusals(person_id: int, dates: list[dt.date]) -> list[list[tuple[str, str, str]]]:
        answers = []
        for arrived in dates:
            stay = village.stays.get(village.persons.get(person_id).current_stay_id)
            with pytest.raises(flowpop.ValidationError) as exc:
                village.stays.update(stay.id, version=stay.version, arrived_on=arrived)
            answers.append([(e.field, e.code, e.message_en) for e in exc.value.errors])
        return answers

    before_birth = [("arrived_on", "before_birth", "arrival date is before birth")]
    tries = [born - dt.timedelta(days=1), born + dt.timedelta(days=1), latest - dt.timedelta(days=1)]
    assert refusals(p.id, tries) == [before_birth] * 3
    stay = village.stays.get(shown.current_stay_id)
    assert village.stays.update(stay.id, version=stay.version, arrived_on=latest).arrived_on == latest
    operator = as_user("township_operator", tree.TOWNSHIP_A)  # with the reveal right: the true birth date
    stay = operator.stays.get(shown.current_stay_id)
    assert operator.stays.update(stay.id, version=stay.version, arrived_on=born).arrived_on == born
    # born this year: the last day the year allows is still to come, so today is the one date open
    baby_born = dt.date(day.year, 1, 1)
    baby = client.persons.create(**person_fields(
        id_number=idnumber.make("350402", baby_born, 23), marital_status="unmarried",
        stay={"residence_code": tree.VILLAGE_A1, "reason": "family", "arrived_on": baby_born.isoformat()}))
    assert refusals(baby.id, [day - dt.timedelta(days=1)]) == [before_birth]
    stay = village.stays.get(baby.current_stay_id)
    assert village.stays.update(stay.id, version=stay.version, arrived_on=day).arrived_on == day


def test_whole_number_lookups_without_the_reveal_right_are_logged(
    client: flowpop.Client, as_user: Maker, people: dict[int, tuple[str, dt.date]]
) -> None:
    """Some 16,000 guesses of a whole number rebuild one from what is shown: each lookup by someone without
    the reveal right leaves an access-log row (the number masked, what it found) that an auditor reads."""
    pid, (number, born) = next(iter(people.items()))
    guess = idnumber.make(number[:6], born + dt.timedelta(days=1), 37)  # a wrong guess: same region, next day
    viewer = as_user("city_viewer", CITY)
    assert [p.id for p in viewer.persons.list(q=number)] == [pid]
    assert list(viewer.persons.list(id_number=guess)) == []
    operator = as_user("township_operator", tree.TOWNSHIP_A)  # with the reveal right: searches stay unlogged
    assert [p.id for p in operator.persons.list(q=number)] == [pid]
    name = viewer.me().username
    for reader in (as_user("auditor", CITY), client):
        log = reader.audit.access_log()
        lookups = [(e.username, e.entity, e.entity_ids, e.detail) for e in log if e.action == "lookup"]
        assert lookups == [(name, "person", [], f"id_number={idnumber.mask(guess)}; 0 found"),
                           (name, "person", [pid], f"q={idnumber.mask(number)}; 1 found")]
        text = "".join(e.model_dump_json() for e in log)
        assert number not in text and guess not in text


def test_registering_from_a_message_checks_the_whole_number_not_its_mask(as_user: Callable[..., flowpop.Client]) -> None:
    """The console and CLI once compared a typed number with the message's masked one: with region and last
    character alike (one in eleven), a wrong number passed. The registry compares the whole number."""
    a = as_user("township_operator", tree.TOWNSHIP_A)
    d = as_user("township_operator", tree.TOWNSHIP_D)
    fields = person_fields(household_code=tree.VILLAGE_D1, name="外来王")
    number = fields["id_number"]
    req = d.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_A,
                       subject={"id_number": number, "name": fields["name"]}, items={"verify": ["在住"]})
    born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    alike = next(n for order in range(1, 999) if (n := idnumber.make(number[:6], born, order)) != number
                 and idnumber.mask(n) == idnumber.mask(number))
    person = {**fields, "id_number": alike, "stay": {"residence_code": tree.VILLAGE_A1, "reason": "work",
                                                      "arrived_on": "2026-03-01"}}
    with pytest.raises(flowpop.ValidationError) as refused:
        a.inbox.act(req.id, "register", version=req.version, person=person)
    assert [e.field for e in refused.value.errors] == ["person.id_number"]
    assert a.inbox.get(req.id).matched_person_id is None
    done = a.inbox.act(req.id, "register", version=req.version, person={**person, "id_number": number})
    assert done.matched_person_id is not None


def test_inbox_search_by_number_follows_the_person_search_rules(client: flowpop.Client, as_user: Maker) -> None:
    """A message's subject is a person: finding it by a whole number says the guess was right, as person search
    does, so without the reveal right such a lookup is logged the same way, and a partial number is refused."""
    d = as_user("township_operator", tree.TOWNSHIP_D)
    number = idnumber.make("350404", dt.date(1964, 8, 2), 67)
    guess = idnumber.make("350404", dt.date(1964, 8, 3), 67)
    sent = d.inbox.send(kind="assist_request", addressee_code=tree.VILLAGE_A1, subject={"name": "张三", "id_number": number},
                        items={"verify": ["现居住地址"]})
    village = as_user("village_assistant", tree.VILLAGE_A1)
    assert [m.id for m in village.inbox.list(q=number, status="all")] == [sent.id]
    assert list(village.inbox.list(q=guess, status="all")) == []
    for partial in (number[-6:], number[:17]):
        with pytest.raises(flowpop.ValidationError) as exc:
            list(village.inbox.list(q=partial, status="all"))
        assert [(e.field, e.code) for e in exc.value.errors] == [("q", "partial_id_needs_reveal")]
    with pytest.raises(flowpop.ValidationError) as searched:
        list(village.persons.list(q=number[-6:]))
    assert searched.value.errors[0].message == exc.value.errors[0].message  # the same refusal, word for word
    operator = as_user("township_operator", tree.TOWNSHIP_A)  # with the reveal right: unlogged, as in person search
    assert [m.id for m in operator.inbox.list(q=number, status="all")] == [sent.id]
    name = village.me().username
    lookups = [(e.username, e.entity, e.entity_ids, e.detail) for e in client.audit.access_log() if e.action == "lookup"]
    assert lookups == [(name, "message", [], f"q={idnumber.mask(guess)}; 0 found"),
                       (name, "message", [sent.id], f"q={idnumber.mask(number)}; 1 found")]


def test_an_auditor_finds_a_guessing_run_by_action_and_user(
    client: flowpop.Client, as_user: Maker, people: dict[int, tuple[str, dt.date]], db_url: str
) -> None:
    """A guessing run is many lookup rows: the auditor narrows the log to one action and one user, and pages back
    with ``before``, through the SDK and `flowpop audit log`."""
    from click.testing import CliRunner

    from flowpop_cli.main import cli

    pid, (number, born) = next(iter(people.items()))
    viewer, other = as_user("city_viewer", CITY), as_user("city_viewer", CITY)
    guesses = [idnumber.make(number[:6], born + dt.timedelta(days=d), 37) for d in range(1, 6)]
    for g in guesses:
        assert list(viewer.persons.list(id_number=g)) == []
    assert [p.id for p in other.persons.list(q=number)] == [pid]
    client.persons.get(pid, reveal=True)
    auditor = as_user("auditor", CITY)
    name = viewer.me().username
    run = auditor.audit.access_log(action="lookup", username=name)
    assert [e.detail for e in run] == [f"id_number={idnumber.mask(g)}; 0 found" for g in reversed(guesses)]
    assert {e.action for e in client.audit.access_log(action="reveal")} == {"reveal"}
    older = auditor.audit.access_log(2, action="lookup", username=name, before=run[1].id)
    assert [e.id for e in older] == [e.id for e in run[2:4]]
    shown = CliRunner().invoke(cli, ["--db", db_url, "--token", auditor.settings.token or "", "audit", "log",
                                     "--action", "lookup", "--user", name, "--format", "json"])
    assert shown.exit_code == 0, shown.output
    assert [e["id"] for e in json.loads(shown.stdout)] == [e.id for e in run]


def test_registering_from_a_message_takes_either_form_of_a_legacy_number(as_user: Callable[..., flowpop.Client]) -> None:
    """The message's legacy 15-digit number and its 18-digit upgrade are one number: typing the number as the
    message gives it is not a difference."""
    a = as_user("township_operator", tree.TOWNSHIP_A)
    d = as_user("township_operator", tree.TOWNSHIP_D)
    legacy = "360102900506123"
    req = d.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_A,
                       subject={"id_number": legacy, "name": "外来李"}, items={"verify": ["在住"]})
    person = {**person_fields(household_code=tree.VILLAGE_D1, name="外来李"), "id_number": legacy,
              "stay": {"residence_code": tree.VILLAGE_A1, "reason": "work", "arrived_on": "2026-03-01"}}
    done = a.inbox.act(req.id, "register", version=req.version, person=person)
    assert done.matched_person_id is not None
