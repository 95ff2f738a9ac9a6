"""The deadlines and intervals the seeds set (county.duties; docs/rules.md), through the SDK on a real registry
(SQLite, or PostgreSQL with FLOWPOP_TEST_DATABASE_URL): 协查 for a key target within 5 working days of
registering her, a service's 通报 within 5 working days (charged to the employer's place, 从业地, when she has
one), 婚育证明 shown within 10 days of arrival (30 by setting), 孕环情检查 every 6 months, the household side's
办证率 and 函查率.

Registration and sending times are the store's own clock; to put them in a past quarter the tests move a
stay's or a message's created_at in the store, as time would have."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

import flowpop
from flowpop.registry.kernel import settings as settings_mod
from flowpop.registry.store.db import normalize_url
from flowpop.types import RatesReport
from tests import tree
from tests.cli.runner import invoke
from tests.conftest import person_fields
from tests.records import credit_code

QUARTER = "2026Q3"
TODAY = "2026-09-29"  # a Tuesday; 2026-08-03 is a Monday, its 5th working day after is 2026-08-10
TOWNSHIP_A, TOWNSHIP_B = tree.TOWNSHIP_A[:9], tree.TOWNSHIP_B[:9]


@pytest.fixture
def store(db_url: str) -> Iterator[Callable[..., None]]:
    """store(sql, **params): a statement on the registry's own database (to set when something happened)."""
    url = normalize_url(db_url) if "://" in db_url else f"sqlite:///{db_url}"
    engine = create_engine(url, poolclass=NullPool)

    def run(sql: str, **params: Any) -> None:
        with engine.begin() as conn:
            conn.execute(text(sql), params)

    yield run
    engine.dispose()


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    def write(body: str) -> None:
        path = tmp_path / f"settings{len(list(tmp_path.glob('settings*')))}.toml"
        path.write_text(body, encoding="utf-8")
        monkeypatch.setenv("FLOWPOP_SETTINGS", str(path))
        settings_mod.load()  # checked now: a wrong key fails here, not inside the registry

    return write


def rate(report: RatesReport, key: str, division: str | None = None) -> tuple[int, int]:
    row = (
        report.total
        if division is None
        else next(r for r in report.rows if r.division_code.startswith(division))
    )
    found = next(r for r in row.rates if r.key == key)
    return found.numerator, found.denominator


def key_target(client: flowpop.Client, arrived: str = "2026-03-01", **overrides: Any) -> int:
    """A married woman of 36 from 南昌东湖区 living in 三明三元区 (a key target, 重点服务管理对象)."""
    stay = {
        "residence_code": tree.VILLAGE_A1,
        "reason": "work",
        "arrived_on": arrived,
        **overrides.pop("stay", {}),
    }
    return client.persons.create(**person_fields(stay=stay, **overrides)).id


def registered_at(store: Callable[..., None], person_id: int, at: str) -> None:
    """The residence side registered her then (the local administrator registers as the residence side)."""
    when = dt.datetime.fromisoformat(at)
    store(
        "UPDATE stays SET created_at = :at, inflow_registered_at = :at WHERE person_id = :p",
        at=when,
        p=person_id,
    )


def sent_at(store: Callable[..., None], message_id: int, at: str) -> None:
    store(
        "UPDATE messages SET created_at = :at WHERE id = :m", at=dt.datetime.fromisoformat(at), m=message_id
    )


def request(
    client: flowpop.Client, person_id: int, sender: str = tree.TOWNSHIP_A, to: str = tree.TOWNSHIP_D
) -> int:
    return client.inbox.send(
        kind="assist_request",
        addressee_code=to,
        sender_code=sender,
        person_id=person_id,
        items={"婚育情况": None},
    ).id


# ------------------------------------------------------------------ 协查 for key targets: 5 working days


def test_key_target_requests_within_five_working_days_of_registration(
    client, db_url, store, monkeypatch
) -> None:
    monkeypatch.setenv("FLOWPOP_TODAY", TODAY)
    on_time, late, missing, pending = (key_target(client) for _ in range(4))
    for pid in (on_time, late, missing):
        registered_at(store, pid, "2026-08-03 02:00")  # Monday 10:00 Beijing
    registered_at(store, pending, "2026-09-28 02:00")  # yesterday: her deadline has not passed
    sent_at(store, request(client, on_time), "2026-08-10 08:00")  # the 5th working day, 16:00 Beijing
    sent_at(
        store, request(client, late), "2026-08-10 17:00"
    )  # the 6th working day in Beijing (01:00 on 11 Aug)
    report = client.reports.rates(QUARTER, level="township")
    assert rate(report, "key_requests_on_time", TOWNSHIP_A) == (1, 3)
    assert rate(report, "key_requests_on_time") == (1, 3)
    behind = client.reports.rate_records("key_requests_on_time", QUARTER)
    assert sorted(p.id for p in behind) == sorted([late, missing])
    shown = invoke(
        ["--db", db_url, "report", "rates", "--quarter", QUARTER, "--rate", "key_requests_on_time"],
        env={"FLOWPOP_LANG": "zh", "FLOWPOP_TODAY": TODAY},
    ).output
    assert "重点对象协查及时率" in shown and "33.3%" in shown

    # the household side's registration (流出登记) owes its own 协查: the residence side's does not count for it
    outflow = key_target(client, household_code=tree.TOWNSHIP_D)
    store(
        "UPDATE stays SET inflow_registered_at = NULL, outflow_registered_at = :at WHERE person_id = :p",
        at=dt.datetime(2026, 8, 3, 2),
        p=outflow,
    )
    sent_at(store, request(client, outflow), "2026-08-04 02:00")  # from the residence side
    report = client.reports.rates(QUARTER, level="township")
    assert rate(report, "key_requests_on_time", tree.TOWNSHIP_D[:9]) == (0, 1)
    sent_at(store, request(client, outflow, sender=tree.TOWNSHIP_D, to=tree.TOWNSHIP_A), "2026-08-05 02:00")
    report = client.reports.rates(QUARTER, level="township")
    assert rate(report, "key_requests_on_time", tree.TOWNSHIP_D[:9]) == (1, 1)
    assert rate(report, "key_requests_on_time") == (2, 4)


def test_a_late_request_is_flagged_in_the_inbox(client, db_url, store) -> None:
    late, prompt, man = key_target(client), key_target(client), key_target(client, sex="M")
    long_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).replace(tzinfo=None).isoformat(" ")
    for pid in (late, man):
        registered_at(store, pid, long_ago)
    flagged = request(client, late)
    assert client.inbox.get(flagged).sent_late is True
    assert (
        "迟报" in invoke(["--db", db_url, "inbox", "show", str(flagged)], env={"FLOWPOP_LANG": "zh"}).output
    )
    assert client.inbox.get(request(client, prompt)).sent_late is False
    assert client.inbox.get(request(client, man)).sent_late is False  # the rule is the key targets'


# ------------------------------------------------------------------ 通报 of a service: 5 working days


def test_service_notices_late_are_flagged_and_counted(client, store, monkeypatch) -> None:
    day = dt.date.today()
    prompt, late = key_target(client), key_target(client)
    notice_prompt = client.persons.record_service(prompt, kind="checkup", provided_on=day.isoformat())
    client.persons.record_service(late, kind="surgery", provided_on=(day - dt.timedelta(days=20)).isoformat())
    sent = {
        m.items["provided_on"]: m
        for m in client.inbox.list(box="all", kind="notification")
        if m.topic == "service_provided"
    }
    assert sent[day.isoformat()].sent_late is False
    assert sent[(day - dt.timedelta(days=20)).isoformat()].sent_late is True
    assert notice_prompt.person_id == prompt

    # in a past quarter: counted where the notice was sent, or at the employer's place (从业地) when she has one
    monkeypatch.setenv("FLOWPOP_TODAY", TODAY)
    employer = credit_code(4321)
    client.employers.create(uscc=employer, name="三明测试纺织有限公司", division_code=tree.TOWNSHIP_B)
    a_on_time, a_late = key_target(client), key_target(client)
    b_late = key_target(client, stay={"employer_code": employer})
    for pid, provided, recorded in (
        (a_on_time, "2026-08-03", "2026-08-10 08:00"),
        (a_late, "2026-08-03", "2026-08-11 08:00"),
        (b_late, "2026-08-03", "2026-09-01 08:00"),
    ):
        client.persons.record_service(pid, kind="checkup", provided_on=provided)
        store(
            "UPDATE messages SET created_at = :at WHERE sender_person_id = :p AND topic = 'service_provided'",
            at=dt.datetime.fromisoformat(recorded),
            p=pid,
        )
    report = client.reports.rates(QUARTER, level="township")
    assert rate(report, "service_notices_on_time", TOWNSHIP_A) == (1, 2)
    assert rate(report, "service_notices_on_time", TOWNSHIP_B) == (0, 1)  # 从业地: the employer's township
    behind = client.reports.rate_records("service_notices_on_time", QUARTER)
    assert sorted(p.id for p in behind) == sorted([a_late, b_late])


def test_a_service_recorded_late_says_its_notice_is_late(client, db_url) -> None:
    day = dt.date.today()
    late, prompt = key_target(client), key_target(client)
    local = key_target(client, household_code=tree.COUNTY_SANYUAN)  # same county: no 通报 is due
    old = (day - dt.timedelta(days=20)).isoformat()
    assert client.persons.record_service(late, kind="checkup", provided_on=old).notice_late is True
    assert (
        client.persons.record_service(prompt, kind="checkup", provided_on=day.isoformat()).notice_late
        is False
    )
    assert client.persons.record_service(local, kind="checkup", provided_on=old).notice_late is None
    assert [s.notice_late for s in client.persons.services(late)] == [True]
    out = invoke(
        ["--db", db_url, "persons", "add-service", str(late), "--kind", "surgery", "--date", old],
        env={"FLOWPOP_LANG": "zh"},
    )
    assert "迟报" in out.output
    listed = invoke(["--db", db_url, "persons", "services", str(late)], env={"FLOWPOP_LANG": "zh"}).output
    assert listed.count("迟报") == 2


# ------------------------------------------------------------------ 婚育证明 shown within 10 days (30: setting)


def test_certificate_shown_within_the_days_set(client, monkeypatch, settings_file) -> None:
    monkeypatch.setenv("FLOWPOP_TODAY", TODAY)
    shown, late, never, recent = (
        key_target(client, arrived=a) for a in ("2026-08-01", "2026-08-01", "2026-08-01", "2026-09-25")
    )
    client.persons.add_certificate(shown, number="婚2026-1", verified_on="2026-08-11")  # the 10th day
    client.persons.add_certificate(late, number="婚2026-2", verified_on="2026-08-20")
    assert rate(client.reports.rates(QUARTER), "certificate_on_time") == (1, 3)
    assert sorted(p.id for p in client.reports.rate_records("certificate_on_time", QUARTER)) == sorted(
        [late, never]
    )
    settings_file("[deadlines]\ncertificate_show_days = 30\n")  # seed 000: 流入三十日内
    assert rate(client.reports.rates(QUARTER), "certificate_on_time") == (2, 3)
    assert [p.id for p in client.reports.rate_records("certificate_on_time", QUARTER)] == [never]
    assert recent not in [p.id for p in client.reports.rate_records("certificate_on_time", QUARTER)]


# ------------------------------------------------------------------ 孕环情检查 every 6 months


def test_checkups_due_and_overdue(client, monkeypatch, settings_file) -> None:
    monkeypatch.setenv("FLOWPOP_TODAY", TODAY)  # six months back: 2026-03-29
    checked, stale, never, new, due_soon, due_by_arrival = (
        key_target(client, arrived=a)
        for a in ("2025-01-01", "2025-01-01", "2025-01-01", "2026-06-01", "2025-01-01", "2026-04-05")
    )
    for pid, day in ((checked, "2026-05-01"), (stale, "2026-01-10"), (due_soon, "2026-04-10")):
        client.persons.record_service(pid, kind="checkup", provided_on=day)
    client.persons.record_service(never, kind="first_child", provided_on="2026-05-01")  # not a checkup
    # due: here six months (arrived by 2026-03-29) or checked since; up to date: checked since 2026-03-29
    assert rate(client.reports.rates(QUARTER), "checkups") == (2, 4)
    assert sorted(p.id for p in client.reports.rate_records("checkups", QUARTER)) == sorted([stale, never])
    # due within 30 days, six months after her last checkup or her arrival
    assert sorted(p.id for p in client.reports.rate_records("checkups_due", QUARTER)) == sorted(
        [due_soon, due_by_arrival]
    )
    assert new not in [p.id for p in client.reports.rate_records("checkups_due", QUARTER)]
    settings_file("[deadlines]\ncheckup_interval_months = 3\n")  # a province checking quarterly
    assert rate(client.reports.rates(QUARTER), "checkups") == (0, 6)


# ------------------------------------------------------------------ the household side: 办证率, 函查率


def test_household_side_certificates_issued_and_inquiries(client, store, monkeypatch) -> None:
    monkeypatch.setenv("FLOWPOP_TODAY", TODAY)
    issued, asked, neither = (key_target(client, household_code=tree.TOWNSHIP_D) for _ in range(3))
    for pid in (issued, asked, neither):
        registered_at(store, pid, "2026-08-03 02:00")
    client.persons.add_certificate(
        issued, number="东湖婚2026-9", issued_by_code=tree.TOWNSHIP_D, issued_on="2026-02-20"
    )
    sent_at(
        store, request(client, asked, sender=tree.TOWNSHIP_D, to=tree.TOWNSHIP_A), "2026-09-01 02:00"
    )  # 函查
    sent_at(
        store, request(client, neither, sender=tree.TOWNSHIP_A, to=tree.TOWNSHIP_D), "2026-09-01 02:00"
    )  # not by her side
    late = request(client, issued, sender=tree.TOWNSHIP_D, to=tree.TOWNSHIP_A)  # sent now: after the quarter
    report = client.reports.rates(QUARTER, level="township")
    assert rate(report, "certificate_issued", tree.TOWNSHIP_D[:9]) == (1, 3)
    assert rate(report, "outflow_inquiries", tree.TOWNSHIP_D[:9]) == (1, 3)
    assert sorted(p.id for p in client.reports.rate_records("outflow_inquiries", QUARTER)) == sorted(
        [issued, neither]
    )
    assert sorted(p.id for p in client.reports.rate_records("certificate_issued", QUARTER)) == sorted(
        [asked, neither]
    )
    assert late and rate(client.reports.rates(QUARTER), "outflow_inquiries") == (1, 3)


def test_an_inquiry_counts_only_after_the_stay_was_registered(client, store, monkeypatch) -> None:
    """函查率 counted in the store (duties.inquiry_counts): a 协查 the household side sent before the stay was
    registered does not count, one after it does, however many were sent."""
    monkeypatch.setenv("FLOWPOP_TODAY", TODAY)
    early, twice = (key_target(client, household_code=tree.TOWNSHIP_D) for _ in range(2))
    for pid in (early, twice):
        registered_at(store, pid, "2026-08-03 02:00")
    sent_at(store, request(client, early, sender=tree.TOWNSHIP_D, to=tree.TOWNSHIP_A), "2026-08-01 02:00")
    for day in ("2026-07-01 02:00", "2026-09-01 02:00"):
        sent_at(store, request(client, twice, sender=tree.TOWNSHIP_D, to=tree.TOWNSHIP_A), day)
    report = client.reports.rates(QUARTER, level="township")
    assert rate(report, "outflow_inquiries", tree.TOWNSHIP_D[:9]) == (1, 2)
    assert rate(client.reports.rates(QUARTER, level="county"), "outflow_inquiries", tree.TOWNSHIP_D[:6]) == (1, 2)
    assert [p.id for p in client.reports.rate_records("outflow_inquiries", QUARTER)] == [early]
