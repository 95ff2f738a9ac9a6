"""The demo is one city's registry (issue 13 item 1): villages for 三明's counties only, every other place at county
level; a message from a place elsewhere arrives as received through the exchange (a batch file imported), one to a
place elsewhere waits in the outbox and is never marked acknowledged or answered there; each side's registration
of a stay only where that side is in the own area, or where the other side's notice of it was received. What the SDK does not show (a message's imported flag, its
receipt in the history, the outbox rows, the side columns) is read from the store the build wrote."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import flowpop
from flowpop.demo.build import build
from flowpop.demo.places import DESTINATIONS
from flowpop.registry.messaging import outbox
from flowpop.registry.store import tables as t
from flowpop.registry.store.db import make_engine, normalize_url
from tests.conftest import empty_registry

CITY = "3504"


@dataclass
class Demo:
    client: flowpop.Client
    store: Engine


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with empty_registry(tmp_path_factory.mktemp("one_city"), "city_") as db:
        build(db, 1500, seed=11)
        engine = make_engine(normalize_url(db))
        try:
            with flowpop.Client(db=db, max_retries=0) as c:
                yield Demo(c, engine)
        finally:
            engine.dispose()


def test_villages_only_in_the_city_other_places_at_county_level(demo: Demo) -> None:
    with demo.store.connect() as conn:
        below = conn.execute(select(t.Division.level, func.count()).where(
            t.Division.level.in_(("township", "village", "grid")), ~t.Division.code.like(CITY + "%"))
            .group_by(t.Division.level)).all()
        demo_elsewhere = conn.execute(select(func.count()).select_from(t.Division).where(
            t.Division.is_demo.is_(True), ~t.Division.code.like(CITY + "%"))).scalar_one()
    assert below == [] and demo_elsewhere == 0
    for code6 in DESTINATIONS:
        assert demo.client.divisions.list(parent=code6 + "000000", level="township") == []


def test_outflow_lives_at_a_county_with_an_address(demo: Demo) -> None:
    outflow = [p for p in demo.client.persons.list(direction="outflow", division="350400", status="active", limit=500)
               if p.residence_code and not p.residence_code.startswith(CITY)]
    assert outflow
    for p in outflow[:40]:
        stay = next(s for s in demo.client.stays.list(p.id) if s.id == p.current_stay_id)
        county = demo.client.divisions.get(stay.residence_code)
        assert county.level == "county" and stay.residence_code[:6] in DESTINATIONS
        assert stay.grid_code is None and stay.house_code is None
        address = stay.residence_address or ""
        assert address.startswith(county.full_name or "") and address.endswith("号")
        assert len(address) > len(county.full_name or "") + 2  # a road and a number


def test_messages_from_elsewhere_were_received_through_the_exchange(demo: Demo) -> None:
    with demo.store.connect() as conn:
        received = conn.execute(select(t.Message.id, t.Message.imported, t.Message.external, t.Message.sender_person_id)
                                .where(~t.Message.sender_code.like(CITY + "%"))).all()
        receipts = set(conn.execute(select(t.HistoryEntry.entity_id).where(
            t.HistoryEntry.entity == "message", t.HistoryEntry.action == "receive")).scalars())
        local_imported = conn.execute(select(func.count()).select_from(t.Message).where(
            t.Message.sender_code.like(CITY + "%"), t.Message.imported.is_(True))).scalar_one()
    assert received
    for mid, imported, external, sender_person in received:
        assert imported and not external and sender_person is None  # their record carries no ids of ours
        assert mid in receipts
    assert local_imported == 0  # between 三明's places nothing goes through the exchange


def test_messages_to_elsewhere_wait_in_the_outbox_unacknowledged(demo: Demo) -> None:
    with demo.store.connect() as conn:
        sent = Session(bind=conn).execute(select(t.Message).where(~t.Message.addressee_code.like(CITY + "%"))).scalars().all()
        pending = conn.execute(select(t.ExchangeOutbox.message_uid, t.ExchangeOutbox.status, t.ExchangeOutbox.what,
                                      t.ExchangeOutbox.route_code)).all()
        payloads: dict[str, Any] = dict(conn.execute(select(t.ExchangeOutbox.message_uid, t.ExchangeOutbox.payload)).all())
        mirrored = set(conn.execute(select(t.ExchangeMirror.message_uid)).scalars())
        local_external = conn.execute(select(func.count()).select_from(t.Message).where(
            t.Message.addressee_code.like(CITY + "%"), t.Message.external.is_(True))).scalar_one()
    assert {m.kind for m in sent} >= {"notification", "assist_reply"}
    queued = {uid: (status, what, route) for uid, status, what, route in pending}
    for m in sent:
        assert m.external and not m.imported
        # nothing came back from that registry: no receipt, answer or acknowledgement is recorded here
        assert m.status == "new" and m.read_at is m.answered_at is m.closed_at is None and m.outcome is None
        assert queued[m.uid] == ("pending", "record", m.addressee_code)
        # the record that leaves is the message as the registry writes it (outbox.record_of); a message the
        # registry's own services raised (an inspection's notice) took its created_at a moment before it was stored
        record, expected = dict(payloads[m.uid]["record"]), outbox.record_of(m)
        sent_at, stored_at = dt.datetime.fromisoformat(record.pop("created_at")), expected.pop("created_at")
        assert payloads[m.uid]["division"] == m.sender_code and record == expected
        assert abs(sent_at - dt.datetime.fromisoformat(stored_at)) < dt.timedelta(seconds=5)
    assert len(queued) == len(sent) and local_external == 0
    assert len({m.uid in mirrored for m in sent}) == 1  # written alike, the bulk ones as new_message writes one
    assert {m.external for m in demo.client.inbox.list(box="out", status="all", kind="assist_reply", limit=200)} \
        == {True, False}  # answers to requests from elsewhere wait; answers within the city are local


def test_each_side_registered_only_where_it_is_in_the_city(demo: Demo) -> None:
    S = t.Stay
    cross = func.substr(S.household_code, 1, 6) != func.substr(S.residence_code, 1, 6)
    with demo.store.connect() as conn:
        lives_elsewhere = conn.execute(select(func.count(), func.count(S.outflow_registered_at))
                                       .where(cross, ~S.residence_code.like(CITY + "%"))).one()
        # the residence side's registration of a stay elsewhere: known here only from its notice, received
        told = conn.execute(select(S.person_id).where(cross, ~S.residence_code.like(CITY + "%"),
                                                      S.inflow_registered_at.is_not(None))).scalars().all()
        notices = set(conn.execute(select(t.Message.matched_person_id).where(
            t.Message.imported.is_(True), t.Message.topic == "stay_registered")).scalars())
        home_elsewhere = conn.execute(select(func.count(), func.count(S.inflow_registered_at),
                                             func.count(S.outflow_registered_at))
                                      .where(cross, ~S.household_code.like(CITY + "%"))).one()
        neither = conn.execute(select(func.count()).select_from(S).where(
            ~S.residence_code.like(CITY + "%"), ~S.household_code.like(CITY + "%"))).scalar_one()
    assert lives_elsewhere[0] and lives_elsewhere[1] == lives_elsewhere[0]
    assert set(told) <= notices
    assert home_elsewhere[0] and home_elsewhere[2] == 0 and home_elsewhere[1] == home_elsewhere[0]
    assert neither == 0  # no stay the city's registry has no side of
    report = demo.client.reports.comanagement(by="pair")
    assert report.rows and all(r.key[:4] == CITY and r.key[7:11] == CITY for r in report.rows)
