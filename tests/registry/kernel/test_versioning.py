"""Compare-and-set (kernel/versioning.py) on each of the six kinds of record that carry a version: a write sent
against a version that is no longer the stored one answers 409 version_conflict naming the stored version, and
nothing is written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session
from stdnum.cn import uscc

import flowpop
from flowpop.registry.kernel.errors import VersionConflict
from flowpop.registry.kernel.versioning import compare_and_set
from flowpop.registry.store import tables as t
from flowpop.registry.store.db import make_engine, sessions
from tests import tree
from tests.conftest import person_fields

TODAY = dt.date.today()
QUARTER = f"{TODAY.year}Q{(TODAY.month - 1) // 3 + 1}"
CREDIT_CODE = "91350404MA0000009" + uscc.calc_check_digit("91350404MA0000009")
AsUser = Callable[[str, str | None], flowpop.Client]
# (the record's id, its version, a write at a version, the record as read back, its table)
Case = tuple[int, int, Callable[[int], object], Callable[[], Any], type[t.Base]]


def _person(client: flowpop.Client, as_user: AsUser) -> Case:
    p = client.persons.create(**person_fields())
    return (p.id, p.version, lambda v: client.persons.update(p.id, version=v, phone="13912345678"),
            lambda: (client.persons.get(p.id), client.persons.history(p.id)), t.Person)


def _stay(client: flowpop.Client, as_user: AsUser) -> Case:
    p = client.persons.create(**person_fields())
    s = client.stays.list(p.id)[0]
    return (s.id, s.version, lambda v: client.stays.update(s.id, version=v, residence_address="新址路8号"),
            lambda: (client.stays.get(s.id), client.persons.history(p.id)), t.Stay)


def _message(client: flowpop.Client, as_user: AsUser) -> Case:
    p = client.persons.create(**person_fields(household_code=tree.VILLAGE_D1))  # the sender's household side
    sender, addressee = as_user("township_operator", tree.TOWNSHIP_D), as_user("township_operator", tree.TOWNSHIP_A)
    m = sender.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_A, person_id=p.id,
                          items={"verify": ["现居住地址"]})
    version = addressee.inbox.get(m.id).version
    return (m.id, version, lambda v: addressee.inbox.act(m.id, "match", version=v, person_id=p.id),
            lambda: addressee.inbox.get(m.id), t.Message)


def _house(client: flowpop.Client, as_user: AsUser) -> Case:
    h = client.houses.create(division_code=tree.VILLAGE_A1, address="版本路1号", use="rented", mode="scattered")
    return (h.id, h.version, lambda v: client.houses.update(h.code, version=v, address="版本路2号"),
            lambda: client.houses.get(h.code), t.House)


def _employer(client: flowpop.Client, as_user: AsUser) -> Case:
    e = client.employers.create(uscc=CREDIT_CODE, name="版本测试有限公司", division_code=tree.TOWNSHIP_A)
    return (e.id, e.version, lambda v: client.employers.update(e.uscc, version=v, name="版本测试二有限公司"),
            lambda: client.employers.get(e.uscc), t.Employer)


def _inspection_item(client: flowpop.Client, as_user: AsUser) -> Case:
    client.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    c = client.inspections.create(quarter=QUARTER, jurisdiction_code=tree.TOWNSHIP_A)
    item = client.inspections.items(c.id, limit=1000)[0]
    return (item.id, item.version,
            lambda v: client.inspections.record(c.id, item.id, version=v, outcome="present"),
            lambda: next(i for i in client.inspections.items(c.id, limit=1000) if i.id == item.id), t.CampaignItem)


# a value each table's compare-and-set writes (to see that it did not)
CHANGE: dict[type[t.Base], dict[str, Any]] = {
    t.Person: {"phone": "13000000000"}, t.Stay: {"residence_address": "冲突路1号"}, t.Message: {"status": "closed"},
    t.House: {"address": "冲突路2号"}, t.Employer: {"name": "冲突有限公司"}, t.CampaignItem: {"outcome": "not_found"},
}
CASES = [_person, _stay, _message, _house, _employer, _inspection_item]


@pytest.fixture(params=CASES, ids=lambda case: case.__name__.strip("_"))
def case(request: pytest.FixtureRequest, client: flowpop.Client, as_user: AsUser) -> Case:
    made: Case = request.param(client, as_user)
    return made


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    engine = make_engine(db_url)
    try:
        with sessions(engine, write=True)() as s:
            yield s
    finally:
        engine.dispose()


def test_a_stale_version_is_refused_with_the_stored_one_and_nothing_written(case: Case) -> None:
    _, version, write, read, _ = case
    write(version)  # the stored version is now version + 1
    before = read()
    with pytest.raises(flowpop.VersionConflictError) as exc:
        write(version)
    assert (exc.value.status_code, exc.value.code, exc.value.current_version) == (409, "version_conflict", version + 1)
    assert read() == before


def test_the_compare_and_set_itself_refuses_a_version_changed_since_the_record_was_read(
        case: Case, session: Session) -> None:
    """What the pre-check cannot see: the record read at one version, changed by someone else before the write."""
    row_id, version, write, read, table = case
    row = session.get(table, row_id)
    assert row is not None and row.version == version  # type: ignore[attr-defined]
    session.commit()  # read, and let go of SQLite's write lock so that the other write can be made
    write(version)  # someone else's change: the stored version is now version + 1
    before = read()
    with pytest.raises(VersionConflict) as exc:
        compare_and_set(session, row, version, CHANGE[table], entity=table.__tablename__)
    assert (exc.value.status, exc.value.code, exc.value.extra["current_version"]) == (409, "version_conflict", version + 1)
    assert read() == before


def test_the_compare_and_set_names_the_rows_county(case: Case, session: Session) -> None:
    """On a distributed table the UPDATE names the row's county besides its id: on a Citus 13 cluster an UPDATE by
    id alone went to all 32 shards of the table, committed by two-phase commit, and waited for any other such
    UPDATE still open (an edit of a person in 350423 held 10 s behind one of a person in 330109)."""
    row_id, version, _, _, table = case
    row = session.get(table, row_id)
    assert row is not None
    county = getattr(row, "county", None)
    sent: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        sent.append((statement, parameters))

    bind = session.get_bind()
    event.listen(bind, "before_cursor_execute", seen)
    try:
        compare_and_set(session, row, version, CHANGE[table], entity=table.__tablename__)
    finally:
        event.remove(bind, "before_cursor_execute", seen)
    [(statement, parameters)] = [(s, p) for s, p in sent if s.lstrip().upper().startswith("UPDATE")]
    where = statement.split("WHERE", 1)[1]
    values = list(parameters.values()) if isinstance(parameters, dict) else list(parameters)
    if "county" in table.__table__.c:
        assert county and "county" in where and county in values
    else:  # a reference table (employers): one copy on every node, nothing to route
        assert county is None and "county" not in where
