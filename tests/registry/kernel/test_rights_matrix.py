"""The rights matrix: every API operation × every role × a target inside or outside the user's jurisdiction.

Each case runs one call through the SDK as a user of the role, against a record the local administrator
made inside the user's jurisdiction (village A1, covered by every role) or outside it (东湖区, covered by
none), and expects exactly one of:
  ok   — the call succeeds and the administrator sees its effect;
  403  — the role lacks the permission (checked before the target is looked up, so it says nothing
         about whether the target exists);
  404  — outside the jurisdiction: as if it did not exist (a get is 404, a listing leaves it out,
         a bulk acknowledgement skips it as not found);
  422  — a write that names a place outside the jurisdiction.
A call that does not succeed writes nothing (a fingerprint of every table before and after), a read
writes nothing either, and every reveal and export writes an access-log entry naming the user.

One registry per module (per test worker); targets that a successful call changes are made fresh.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

import flowpop
from flowpop.errors import from_response
from flowpop.registry.store import tables as t
from flowpop.registry.store.db import make_engine
from flowpop.rules import idnumber
from tests import tree
from tests.conftest import registry_copy
from tests.records import credit_code

# What each role may do (the specification; test_permissions_are_as_specified holds the registry to it).
ALL = {"read", "write", "deregister", "archive", "restore", "reveal", "export", "users", "audit", "divisions", "bulk"}
CAN: dict[str, set[str]] = {
    "village_assistant": {"read", "write"},
    "township_operator": {"read", "write", "deregister", "archive", "restore", "reveal"},
    "county_admin": set(ALL),
    "city_viewer": {"read"},
    "auditor": {"read", "audit"},
}
JURISDICTION = {
    "village_assistant": tree.VILLAGE_A1,
    "township_operator": tree.TOWNSHIP_A,
    "county_admin": tree.COUNTY_SANYUAN,
    "city_viewer": "350400000000",  # 三明市
    "auditor": tree.COUNTY_SANYUAN,
}
PREFIX = {
    "village_assistant": "350404001001",
    "township_operator": "350404001",
    "county_admin": "350404",
    "city_viewer": "3504",
    "auditor": "350404",
}
CHENGDU = "510104000000"  # a household place outside every jurisdiction here (and outside this registry)
ARRIVED = "2026-03-01"
OPEN = {"new", "read", "matched", "verifying", "forwarded", "escalated"}  # what the inbox shows by default


@dataclass(frozen=True)
class Place:
    name: str
    village: str
    other_village: str  # in another township, for transfers
    county: str


INSIDE = Place("inside", tree.VILLAGE_A1, tree.VILLAGE_B1, tree.COUNTY_SANYUAN)
OUTSIDE = Place("outside", tree.VILLAGE_D1, tree.VILLAGE_A1, tree.COUNTY_DONGHU)
PLACES = {"inside": INSIDE, "outside": OUTSIDE}


class Absent(Exception):
    """The target was not among what the call returned."""


class Refused(Exception):
    """A file or batch had its row refused for lying outside the jurisdiction."""


# ------------------------------------------------------------------------------------------ the world


def _area(code: str) -> str:
    """The code prefix of a 12-digit division's subtree."""
    for end, zeros in ((12, "000"), (9, "000"), (6, "00"), (4, "00")):
        if code[end - len(zeros):end] != zeros:
            return code[:end]
    return code[:2]


@dataclass
class World:
    db: str
    admin: flowpop.Client
    engine: Engine
    users: dict[str, flowpop.Client] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    makers: dict[str, flowpop.Client] = field(default_factory=dict)  # county admins of each place's county
    shared: dict[tuple[str, str], Any] = field(default_factory=dict)
    serial: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def n(self) -> int:
        return next(self.serial)

    def id_number(self) -> str:
        n = self.n()
        return idnumber.make("360102", dt.date(1985, 1, 1) + dt.timedelta(days=n // 400), (n % 400) * 2)

    def credit_code(self) -> str:
        return credit_code(self.n())

    def quarter(self) -> str:
        n = self.n()
        return f"{2000 + n // 4}Q{n % 4 + 1}"

    def fingerprint(self) -> tuple[int, ...]:
        """Row counts of every table, and the sum of versions where rows carry one: any write shows."""
        parts = []
        for table in t.Base.metadata.sorted_tables:
            parts.append(select(func.count()).select_from(table).scalar_subquery())
            if "version" in table.c:
                parts.append(select(func.coalesce(func.sum(table.c.version), 0)).scalar_subquery())
        with self.engine.connect() as conn:
            return tuple(conn.execute(select(*parts)).one())

    def last_access_id(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.coalesce(func.max(t.AccessLog.id), 0))).scalar_one()

    def user_client(self, role: str, jurisdiction: str) -> tuple[str, flowpop.Client]:
        name = f"{role[:10]}_{self.n()}"
        self.admin.users.create(username=name, role=role, jurisdiction_code=jurisdiction)
        secret = self.admin.tokens.create(username=name, name="matrix").token
        return name, flowpop.Client(db=self.db, token=secret, max_retries=0)


@pytest.fixture(scope="module")
def module_db(tmp_path_factory: pytest.TempPathFactory, template_db: str) -> Iterator[str]:
    """A copy of the test tree's registry shared by this module (see conftest.db_url)."""
    with registry_copy(template_db, tmp_path_factory.mktemp("matrix"), prefix="m_") as url:
        yield url


@pytest.fixture(scope="module")
def world(module_db: str) -> Iterator[World]:
    admin = flowpop.Client(db=module_db, max_retries=0)
    w = World(db=module_db, admin=admin, engine=make_engine(module_db))
    for role, jurisdiction in JURISDICTION.items():
        w.names[role], w.users[role] = w.user_client(role, jurisdiction)
    for place in PLACES.values():
        w.makers[place.name] = w.user_client("county_admin", place.county)[1]
    yield w
    for c in [*w.users.values(), *w.makers.values()]:
        c.close()
    admin.close()
    w.engine.dispose()


# ------------------------------------------------------------------------------------------ targets


def _person_fields(w: World, village: str, **stay: Any) -> dict[str, Any]:
    number = w.id_number()
    return {"id_number": number, "name": "王秀英", "household_code": CHENGDU, "marital_status": "first_marriage",
            "stay": {"residence_code": village, "reason": "work", "arrived_on": ARRIVED, **stay}}


def person(w: World, p: Place) -> SimpleNamespace:
    """A married woman of 40 living in the place, registered in 成都 (a key target, no certificate)."""
    fields = _person_fields(w, p.village)
    made = w.admin.persons.create(**fields)
    return SimpleNamespace(id=made.id, number=fields["id_number"], version=made.version, stay_id=made.current_stay_id,
                           stay_version=made.stays[0].version, place=p)


def archived_person(w: World, p: Place) -> SimpleNamespace:
    tg = person(w, p)
    tg.version = w.admin.persons.archive(tg.id, version=tg.version, reason="失联").version
    return tg


def stayless_person(w: World, p: Place) -> SimpleNamespace:
    tg = person(w, p)
    w.admin.stays.close(tg.stay_id, version=tg.stay_version, reason="返乡", date=dt.date(2026, 4, 1))
    return tg


def _message(w: World, p: Place, kind: str, **more: Any) -> SimpleNamespace:
    name = f"收件人{w.n()}号"
    m = w.admin.inbox.send(kind=kind, addressee_code=p.village, sender_code=CHENGDU, subject={"name": name}, **more)
    return SimpleNamespace(id=m.id, uid=m.uid, version=m.version, name=name, place=p)


def request(w: World, p: Place) -> SimpleNamespace:
    """An assist request from 成都 addressed to the place."""
    return _message(w, p, "assist_request", items={"verify": ["现居住地址"]})


def notification(w: World, p: Place) -> SimpleNamespace:
    return _message(w, p, "notification", topic="stay_registered")


def outbound(w: World, p: Place) -> SimpleNamespace:
    """A message from the place to 成都 (outside this registry): it waits in the outbox."""
    m = w.admin.inbox.send(kind="assist_request", addressee_code=CHENGDU, sender_code=p.village,
                           subject={"name": f"发件{w.n()}"})
    assert m.external
    return SimpleNamespace(id=m.id, uid=m.uid, place=p)


def house(w: World, p: Place) -> SimpleNamespace:
    h = w.admin.houses.create(division_code=p.village, address=f"测试路{w.n()}号", use="rented", mode="scattered",
                              landlord_name="房东")
    return SimpleNamespace(code=h.code, version=h.version, place=p)


def tenant(w: World, p: Place) -> SimpleNamespace:
    """A rented house with a tenant not yet declared by the landlord."""
    tg = house(w, p)
    made = w.admin.persons.create(**_person_fields(w, p.village, house_code=tg.code, room="101"))
    tg.stay_id, tg.person_id = made.current_stay_id, made.id
    return tg


def employer(w: World, p: Place) -> SimpleNamespace:
    """An employer in the place with one floating worker."""
    code = w.credit_code()
    e = w.admin.employers.create(uscc=code, name=f"测试纺织厂{w.n()}", division_code=p.village)
    worker = w.admin.persons.create(**_person_fields(w, p.village, employer_code=code))
    return SimpleNamespace(code=code, version=e.version, worker=worker.id, place=p)


def campaign_item(w: World, p: Place) -> SimpleNamespace:
    """A quarterly inspection of the place, and its item for a person living there."""
    tg = person(w, p)
    campaign = w.admin.inspections.create(quarter=w.quarter(), jurisdiction_code=p.village)
    item = next(i for i in w.admin.inspections.items(campaign.id, limit=5000) if i.person_id == tg.id)
    tg.campaign, tg.item, tg.item_version = campaign.id, item.id, item.version
    return tg


def planned(w: World, p: Place) -> SimpleNamespace:
    """A changeset planned by the county administrator of the place's county."""
    tg = person(w, p)
    tg.changeset = w.makers[p.name].changesets.plan(operation="set", selection={"ids": [tg.id]},
                                                    values={"note": "批量备注"}, reason="核对").id
    return tg


def applied(w: World, p: Place) -> SimpleNamespace:
    tg = planned(w, p)
    w.makers[p.name].changesets.apply(tg.changeset)
    return tg


def user(w: World, p: Place) -> SimpleNamespace:
    name = f"target_{w.n()}"
    w.admin.users.create(username=name, role="village_assistant", jurisdiction_code=p.village)
    return SimpleNamespace(username=name, place=p)


def token(w: World, p: Place) -> SimpleNamespace:
    tg = user(w, p)
    tg.token_id = w.admin.tokens.create(username=tg.username, name="phone").id
    return tg


def access_entry(w: World, p: Place) -> SimpleNamespace:
    """An access-log entry: the county administrator of the place's county revealed someone there."""
    tg = person(w, p)
    w.makers[p.name].persons.get(tg.id, reveal=True)
    entry = w.admin.audit.access_log(limit=1)[0]
    assert entry.entity_ids == [tg.id]
    return SimpleNamespace(id=entry.id, place=p)


def place(w: World, p: Place) -> Place:
    return p


def peopled_place(w: World, p: Place) -> Place:
    """The place, with someone living there."""
    person(w, p)
    return p


# ------------------------------------------------------------------------------------------ operations


@dataclass(frozen=True)
class Op:
    name: str
    needs: tuple[str, ...]
    target: Callable[[World, Place], Any]
    run: Callable[[flowpop.Client, Any, World], Any]
    verify: Callable[[World, Any, Any], None]
    fresh: bool = False  # a successful call changes its target: make a new one for it
    writes: bool = True  # a successful call changes the registry (else the fingerprint must not move)
    logged: bool | Callable[[str], bool] = False  # a successful call (by this role) writes an access-log entry naming the user
    outside: str = "404"  # what a role with the permission gets outside: 404 (as if absent) or 422
    gate_first: bool = True  # the permission is checked before the target is looked up
    denied: str = "403"  # what a role without the permission gets inside


def _ids(items: Any) -> list[Any]:
    return [x.id for x in items]


def _present(ident: Any, found: list[Any]) -> None:
    if ident not in found:
        raise Absent(ident)


def _listed(ident: Any, items: Any) -> Any:
    found = {x.id: x for x in items}
    _present(ident, list(found))
    return found[ident]


def _raw(c: flowpop.Client, method: str, path: str, **kwargs: Any) -> Any:
    response = c.request(method, path, **kwargs)
    if response.status_code >= 400:
        raise from_response(response)
    return response.json()


def _csv(w: World, village: str) -> tuple[str, bytes]:
    number = w.id_number()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "身份证号", "性别", "婚姻状况", "户籍地", "现居住地", "流入日期", "流动原因"])
    writer.writerow(["赵敏", number, "女", "初婚", CHENGDU, village, "2026-02-01", "务工"])
    return number, out.getvalue().encode("utf-8")


def _import(c: flowpop.Client, p: Place, w: World) -> Any:
    number, data = _csv(w, p.village)
    result = c.persons.import_file(data, filename="legacy.csv")
    if any("jurisdiction" in problem.reason_en for problem in result.problems):
        raise Refused(result.problems)
    assert result.problems == [] and result.applied, result
    return number


def _batch(c: flowpop.Client, p: Place, w: World) -> Any:
    name = f"外来{w.n()}号"
    line = {"format": "flowpop.message/1", "uid": f"ext-{uuid.uuid4()}", "kind": "assist_request",
            "sender_code": CHENGDU, "addressee_code": p.village, "subject": {"name": name}, "items": {}}
    result = c.exchange.import_batch(json.dumps(line, ensure_ascii=False) + "\n")
    if any("jurisdiction" in r["message_en"] for r in result.rejected):
        raise Refused(result.rejected)
    assert (result.inserted, result.rejected) == (1, []), result
    return line


def _acknowledge(c: flowpop.Client, tg: Any, w: World) -> Any:
    result = c.inbox.acknowledge([tg.id])
    if [(s.id, s.code) for s in result.skipped] == [(tg.id, "not_found")]:
        raise Absent(tg.id)
    assert result.done == 1, result
    return result


def _export(c: flowpop.Client, tg: Any, w: World, reveal: bool = False) -> dict[str, Any]:
    rows = [json.loads(line) for line in c.persons.export("jsonl", reveal=reveal).decode().splitlines()]
    found = {r["id"]: r for r in rows}
    _present(tg.id, list(found))
    return found[tg.id]


def _grid(c: flowpop.Client, p: Place, w: World) -> str:
    code = f"{p.village}{w.n() % 900 + 100}"
    c.divisions.import_rows([{"code": code, "name": f"网格{code[-3:]}", "level": "grid", "parent_code": p.village}])
    return code


def _grid_seen(w: World, p: Place, code: str) -> None:
    # a registry opened now sees the new grid (one already open keeps its division cache: see
    # test_division_import_reaches_registries_already_open)
    with flowpop.Client(db=w.db, max_retries=0) as fresh:
        got = fresh.divisions.get(code)
    assert (got.parent_code, got.level) == (p.village, "grid")


def _plan(c: flowpop.Client, tg: Any, w: World) -> Any:
    preview = c.changesets.plan(operation="set", selection={"ids": [tg.id]}, values={"note": "计划"}, reason="核对")
    if preview.total == 0:
        raise Absent(tg.id)  # ids outside the jurisdiction are not selected: as if they did not exist
    return preview


def _note(w: World, tg: Any) -> Any:
    return w.admin.persons.get(tg.id).note


OPS: list[Op] = [
    # persons
    # a whole-number lookup by a role that may not reveal is logged (a run of guesses would rebuild a number)
    Op("persons.list", ("read",), person, lambda c, tg, w: _present(tg.id, _ids(c.persons.list(q=tg.number))),
       lambda w, tg, r: None, writes=False, logged=lambda role: "reveal" not in CAN[role]),
    Op("persons.list_reveal", ("read", "reveal"), person,
       lambda c, tg, w: _listed(tg.id, c.persons.list(q=tg.number, reveal=True)),
       lambda w, tg, r: _equal(r.id_number, tg.number), logged=True),
    Op("persons.get", ("read",), person, lambda c, tg, w: c.persons.get(tg.id),
       lambda w, tg, r: _equal((r.id, r.id_number), (tg.id, idnumber.mask(tg.number))), writes=False),
    Op("persons.get_reveal", ("read", "reveal"), person, lambda c, tg, w: c.persons.get(tg.id, reveal=True),
       lambda w, tg, r: _equal(r.id_number, tg.number), logged=True, gate_first=False),
    Op("persons.history", ("read",), person, lambda c, tg, w: c.persons.history(tg.id),
       lambda w, tg, r: _equal({e.person_id for e in r}, {tg.id}), writes=False),
    Op("persons.history_reveal", ("read", "reveal"), person,
       lambda c, tg, w: _raw(c, "GET", f"/v1/persons/{tg.id}/history", params={"reveal": "true"}),
       lambda w, tg, r: _equal(r[-1]["changes"]["id_number"], [None, tg.number]), logged=True, gate_first=False),
    Op("persons.create", ("write",), place,
       lambda c, p, w: c.persons.create(**_person_fields(w, p.village)),
       lambda w, p, r: _equal(w.admin.persons.get(r.id).residence_code, p.village), outside="422"),
    Op("persons.update", ("write",), person, lambda c, tg, w: c.persons.update(tg.id, version=tg.version, note="入户核实"),
       lambda w, tg, r: _equal((_note(w, tg), w.admin.persons.get(tg.id).version), ("入户核实", tg.version + 1)),
       fresh=True),
    Op("persons.deregister", ("deregister",), person,
       lambda c, tg, w: c.persons.deregister(tg.id, version=tg.version, reason="离开", date=dt.date(2026, 6, 1)),
       lambda w, tg, r: _equal(w.admin.persons.get(tg.id).status, "deregistered"), fresh=True),
    Op("persons.archive", ("archive",), person, lambda c, tg, w: c.persons.archive(tg.id, version=tg.version, reason="失联"),
       lambda w, tg, r: _equal(w.admin.persons.get(tg.id).status, "archived"), fresh=True),
    Op("persons.restore", ("restore",), archived_person,
       lambda c, tg, w: c.persons.restore(tg.id, version=tg.version, reason="找到"),
       lambda w, tg, r: _equal(w.admin.persons.get(tg.id).status, "active"), fresh=True),
    # stays
    Op("stays.list", ("read",), person, lambda c, tg, w: c.stays.list(tg.id),
       lambda w, tg, r: _equal(_ids(r), [tg.stay_id]), writes=False),
    Op("stays.get", ("read",), person, lambda c, tg, w: c.stays.get(tg.stay_id),
       lambda w, tg, r: _equal(r.person_id, tg.id), writes=False),
    Op("stays.create", ("write",), stayless_person,
       lambda c, tg, w: c.stays.create(person_id=tg.id, residence_code=tg.place.village, reason="work",
                                       arrived_on="2026-05-01"),
       lambda w, tg, r: _equal(w.admin.persons.get(tg.id).current_stay_id, r.id), fresh=True),
    Op("stays.update", ("write",), person, lambda c, tg, w: c.stays.update(tg.stay_id, version=tg.stay_version, room="302"),
       lambda w, tg, r: _equal(w.admin.stays.get(tg.stay_id).room, "302"), fresh=True),
    Op("stays.close", ("write",), person,
       lambda c, tg, w: c.stays.close(tg.stay_id, version=tg.stay_version, reason="返乡", date=dt.date(2026, 5, 1)),
       lambda w, tg, r: _equal(w.admin.stays.get(tg.stay_id).status, "closed"), fresh=True),
    Op("stays.transfer", ("write",), person,
       lambda c, tg, w: c.stays.transfer(tg.stay_id, version=tg.stay_version, to_residence_code=tg.place.other_village,
                                         reason="换工作"),
       lambda w, tg, r: _equal((w.admin.inbox.get(r.id).kind, w.admin.inbox.get(r.id).stay_id), ("transfer", tg.stay_id)),
       fresh=True),
    # inbox and exchange
    Op("inbox.list", ("read",), request, lambda c, tg, w: _present(tg.id, _ids(c.inbox.list(q=tg.name))),
       lambda w, tg, r: None, writes=False),
    Op("inbox.get", ("read",), request, lambda c, tg, w: c.inbox.get(tg.id),
       lambda w, tg, r: _equal(r.uid, tg.uid), writes=False),
    Op("inbox.send", ("write",), place,
       lambda c, p, w: c.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_B, sender_code=p.village,
                                    subject={"name": "孙红"}),
       lambda w, p, r: _equal(w.admin.inbox.get(r.id).sender_code, p.village), outside="422"),
    Op("inbox.act", ("write",), request, lambda c, tg, w: c.inbox.act(tg.id, "read", version=tg.version),
       lambda w, tg, r: _equal(w.admin.inbox.get(tg.id).status, "read"), fresh=True),
    Op("inbox.acknowledge", ("write",), notification, _acknowledge,
       lambda w, tg, r: _equal(w.admin.inbox.get(tg.id).status, "closed"), fresh=True),
    Op("exchange.import", ("write",), place, lambda c, p, w: _batch(c, p, w),
       lambda w, p, r: _equal([m.uid for m in w.admin.inbox.list(q=r["subject"]["name"], status="all")], [r["uid"]]),
       outside="422"),
    Op("exchange.export", ("export",), outbound,
       lambda c, tg, w: _present(tg.uid, [json.loads(x)["uid"] for x in c.exchange.export(include_sent=True).splitlines()]),
       lambda w, tg, r: None, logged=True),
    # houses
    Op("houses.list", ("read",), house, lambda c, tg, w: _present(tg.code, [h.code for h in c.houses.list(q=tg.code)]),
       lambda w, tg, r: None, writes=False),
    Op("houses.get", ("read",), house, lambda c, tg, w: c.houses.get(tg.code),
       lambda w, tg, r: _equal(r.house.code, tg.code), writes=False),
    Op("houses.create", ("write",), place,
       lambda c, p, w: c.houses.create(division_code=p.village, address="新建路1号", use="own", mode="scattered"),
       lambda w, p, r: _equal(w.admin.houses.get(r.code).house.division_code, p.village), outside="422"),
    Op("houses.update", ("write",), house, lambda c, tg, w: c.houses.update(tg.code, version=tg.version, capacity=6),
       lambda w, tg, r: _equal(w.admin.houses.get(tg.code).house.capacity, 6), fresh=True),
    Op("houses.declare", ("write",), tenant,
       lambda c, tg, w: c.houses.declare(tg.code, stay_id=tg.stay_id, declared_on=dt.date(2026, 3, 2)),
       lambda w, tg, r: _equal([o.declared_on for room in w.admin.houses.get(tg.code).rooms for o in room.living],
                               [dt.date(2026, 3, 2)]), fresh=True),
    # employers
    Op("employers.list", ("read",), employer, lambda c, tg, w: _present(tg.code, [e.uscc for e in c.employers.list(q=tg.code)]),
       lambda w, tg, r: None, writes=False),
    Op("employers.get", ("read",), employer, lambda c, tg, w: c.employers.get(tg.code),
       lambda w, tg, r: _equal((r.uscc, r.floating_workers), (tg.code, 1)), writes=False),
    Op("employers.create", ("write",), place,
       lambda c, p, w: c.employers.create(uscc=w.credit_code(), name="新厂", division_code=p.village),
       lambda w, p, r: _equal(w.admin.employers.get(r.uscc).division_code, p.village), outside="422"),
    Op("employers.update", ("write",), employer,
       lambda c, tg, w: c.employers.update(tg.code, version=tg.version, contact_name="刘伟"),
       lambda w, tg, r: _equal(w.admin.employers.get(tg.code).contact_name, "刘伟"), fresh=True),
    Op("employers.roster", ("read",), employer, lambda c, tg, w: c.employers.roster(tg.code),
       lambda w, tg, r: _equal(_ids(r), [tg.worker]), writes=False),
    # bulk changes
    Op("changesets.plan", ("bulk",), person, _plan,
       lambda w, tg, r: _equal((w.admin.changesets.get(r.id).total, _note(w, tg)), (1, None))),
    Op("changesets.list", ("bulk",), planned,
       lambda c, tg, w: _present(tg.changeset, [x.id for x in c.changesets.list(limit=1000)]),
       lambda w, tg, r: None, writes=False),
    Op("changesets.apply", ("bulk",), planned, lambda c, tg, w: c.changesets.apply(tg.changeset),
       lambda w, tg, r: _equal(_note(w, tg), "批量备注"), fresh=True),
    Op("changesets.revert", ("bulk",), applied, lambda c, tg, w: c.changesets.revert(tg.changeset),
       lambda w, tg, r: _equal((_note(w, tg), w.admin.changesets.get(tg.changeset).status), (None, "reverted")),
       fresh=True),
    # files
    Op("persons.import", ("write", "bulk"), place, lambda c, p, w: _import(c, p, w),
       lambda w, p, r: _equal([x.residence_code for x in w.admin.persons.list(q=r)], [p.village]), outside="422"),
    Op("persons.export", ("export",), person, lambda c, tg, w: _export(c, tg, w),
       lambda w, tg, r: _equal(r["id_number"], idnumber.mask(tg.number)), logged=True),
    Op("persons.export_reveal", ("export", "reveal"), person, lambda c, tg, w: _export(c, tg, w, reveal=True),
       lambda w, tg, r: _equal(r["id_number"], tg.number), logged=True),
    # users, tokens, access log, divisions
    Op("users.create", ("users",), place,
       lambda c, p, w: c.users.create(username=f"new_{w.n()}", role="village_assistant", jurisdiction_code=p.village),
       lambda w, p, r: _equal([u.jurisdiction_code for u in w.admin.users.list() if u.username == r.username], [p.village]),
       outside="422"),
    Op("users.list", ("users",), user, lambda c, tg, w: _present(tg.username, [u.username for u in c.users.list()]),
       lambda w, tg, r: None, writes=False),
    Op("users.disable", ("users",), user, lambda c, tg, w: c.users.disable(tg.username),
       lambda w, tg, r: _equal([u.disabled for u in w.admin.users.list() if u.username == tg.username], [True]),
       fresh=True),
    Op("tokens.create", ("users",), user, lambda c, tg, w: c.tokens.create(username=tg.username, name="laptop"),
       lambda w, tg, r: _equal([x.username for x in w.admin.tokens.list() if x.id == r.id], [tg.username])),
    Op("tokens.list", ("users",), token, lambda c, tg, w: _present(tg.token_id, _ids(c.tokens.list())),
       lambda w, tg, r: None, writes=False, denied="404"),  # one sees only one's own tokens
    Op("tokens.revoke", ("users",), token, lambda c, tg, w: c.tokens.revoke(tg.token_id),
       lambda w, tg, r: _equal([x.revoked_at is not None for x in w.admin.tokens.list() if x.id == tg.token_id], [True]),
       fresh=True, denied="404"),
    Op("access_log", ("audit",), access_entry, lambda c, tg, w: _present(tg.id, _ids(c.audit.access_log(limit=1000))),
       lambda w, tg, r: None, writes=False),
    Op("divisions.import", ("divisions",), place,
       lambda c, p, w: _grid(c, p, w),
       _grid_seen, outside="422"),
    # inspections, reports
    Op("campaigns.create", ("deregister",), place,
       lambda c, p, w: c.inspections.create(quarter=w.quarter(), jurisdiction_code=p.village),
       lambda w, p, r: _equal([x.jurisdiction_code for x in w.admin.inspections.list() if x.id == r.id], [p.village]),
       outside="422"),
    Op("campaigns.items", ("read",), campaign_item,
       lambda c, tg, w: _present(tg.item, _ids(c.inspections.items(tg.campaign, limit=5000))),
       lambda w, tg, r: None, writes=False),
    Op("campaigns.record", ("write",), campaign_item,
       lambda c, tg, w: c.inspections.record(tg.campaign, tg.item, version=tg.item_version, outcome="present"),
       lambda w, tg, r: _equal([i.outcome for i in w.admin.inspections.items(tg.campaign, limit=5000) if i.id == tg.item],
                               ["present"]), fresh=True),
    Op("rates", ("read",), peopled_place, lambda c, p, w: c.reports.rates("2026Q3", level="village", division=p.village),
       lambda w, p, r: _equal([row.division_code for row in r.rows], [p.village]), writes=False, outside="422"),
    Op("quality.persons", ("read",), person,
       lambda c, tg, w: _present(tg.id, _ids(c.reports.quality_persons("key_target_no_certificate", limit=5000))),
       lambda w, tg, r: None, writes=False),
    # services and certificates
    Op("services.record", ("write",), person,
       lambda c, tg, w: c.persons.record_service(tg.id, kind="checkup", provided_on=dt.date(2026, 5, 1),
                                                 provider_code=tg.place.village),
       lambda w, tg, r: _equal(_ids(w.admin.persons.services(tg.id)), [r.id]), fresh=True),
    Op("services.list", ("reveal",), person, lambda c, tg, w: c.persons.services(tg.id),
       lambda w, tg, r: _equal(r, []), logged=True),
    Op("certificates.add", ("write",), person,
       lambda c, tg, w: c.persons.add_certificate(tg.id, number="婚育2026001", verified_on=dt.date(2026, 5, 1)),
       lambda w, tg, r: _equal(_ids(w.admin.persons.certificates(tg.id)), [r.id]), fresh=True),
    Op("certificates.list", ("read",), person, lambda c, tg, w: c.persons.certificates(tg.id),
       lambda w, tg, r: _equal(r, []), writes=False),
]


def _equal(got: Any, want: Any) -> None:
    assert got == want


def expected(op: Op, role: str, where: str) -> str:
    allowed = set(op.needs) <= CAN[role]
    if where == "inside":
        return "ok" if allowed else op.denied
    if not allowed and op.gate_first:
        return op.denied
    return op.outside


def outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    """ok with the result; or the refusal, with None — or with "absent" when the call succeeded but left the target out."""
    try:
        return "ok", call()
    except flowpop.PermissionDeniedError as exc:
        assert exc.code == "forbidden", exc
        return "403", None
    except flowpop.NotFoundError:
        return "404", None
    except Absent:
        return "404", "absent"
    except flowpop.ValidationError as exc:
        assert {e.code for e in exc.errors} == {"outside_jurisdiction"}, exc.errors
        return "422", None
    except Refused:
        return "422", None


def target_for(w: World, op: Op, where: str, fresh: bool) -> Any:
    p = PLACES[where]
    if fresh:
        return op.target(w, p)
    key = (op.target.__name__, where)
    if key not in w.shared:
        w.shared[key] = op.target(w, p)
    return w.shared[key]


CASES = [pytest.param(op, role, where, id=f"{op.name}-{role}-{where}") for op in OPS for role in CAN for where in PLACES]


@pytest.mark.parametrize(("op", "role", "where"), CASES)
def test_matrix(world: World, op: Op, role: str, where: str) -> None:
    want = expected(op, role, where)
    tg = target_for(world, op, where, fresh=op.fresh and want == "ok")
    before, last_access = world.fingerprint(), world.last_access_id()
    got, result = outcome(lambda: op.run(world.users[role], tg, world))
    assert got == want
    entries = [e for e in world.admin.audit.access_log(limit=20) if e.id > last_access]
    ident = getattr(tg, "id", None)
    logged = op.logged(role) if callable(op.logged) else op.logged
    if got == "ok":
        op.verify(world, tg, result)
        if logged:  # one entry, naming the user and the record
            assert [e.username for e in entries] == [world.names[role]]
            assert ident in entries[0].entity_ids or f"person {ident}" in (entries[0].detail or "")
        elif not op.writes:
            assert world.fingerprint() == before, "a read wrote something"
    elif result == "absent" and (op.writes or logged):
        # a listing or bulk call that succeeded without the target (e.g. an export logs what it did export)
        assert all(ident not in e.entity_ids for e in entries)
    else:
        assert world.fingerprint() == before, "a refused call wrote something"


# ------------------------------------------------------------------------------------------ listings


@pytest.fixture(scope="module")
def spread(world: World) -> None:
    """Records across the tree: inside every role (A1), inside some (A2, B1, 沙县 C1), outside all (D1)."""
    w = world
    quarter = w.quarter()  # a quarter of its own: the operations' campaigns take theirs from the same counter
    for village in (tree.VILLAGE_A1, tree.VILLAGE_A2, tree.VILLAGE_B1, tree.VILLAGE_C1, tree.VILLAGE_D1):
        w.admin.persons.create(**_person_fields(w, village))
        w.admin.persons.create(**{**_person_fields(w, village), "household_code": village, "stay": None})
        w.admin.houses.create(division_code=village, address="分布路1号", use="rented", mode="scattered")
        w.admin.employers.create(uscc=w.credit_code(), name="分布厂", division_code=village)
        w.admin.inbox.send(kind="assist_request", addressee_code=village, sender_code=CHENGDU, subject={"name": "甲"})
        w.admin.inbox.send(kind="assist_request", addressee_code=CHENGDU, sender_code=village, subject={"name": "乙"})
        w.admin.users.create(username=f"spread_{village}", role="village_assistant", jurisdiction_code=village)
        w.admin.inspections.create(quarter=quarter, jurisdiction_code=village)
    for where, maker in w.makers.items():  # each county administrator reveals someone in their county
        maker.persons.get(person(w, PLACES[where]).id, reveal=True)
    w.admin.inspections.create(quarter=quarter, jurisdiction_code=tree.TOWNSHIP_A)
    w.admin.inspections.create(quarter=quarter, jurisdiction_code=tree.COUNTY_SHAXIAN)


def _under(prefix: str, *codes: str | None) -> bool:
    return any(code and code.startswith(prefix) for code in codes)


@pytest.mark.parametrize("role", list(CAN))
def test_listings_hold_exactly_the_jurisdiction(world: World, spread: None, role: str) -> None:
    """Each listing equals the administrator's view cut down to the jurisdiction: nothing from outside, nothing missing."""
    a, u, prefix = world.admin, world.users[role], PREFIX[role]
    everyone = list(a.persons.list(limit=500))
    assert {p.id for p in u.persons.list(limit=500)} == {
        p.id for p in everyone if _under(prefix, p.residence_code, p.household_code)}
    houses = a.houses.list(limit=1000)
    assert {h.code for h in u.houses.list(limit=1000)} == {h.code for h in houses if _under(prefix, h.division_code)}
    employers = a.employers.list(limit=1000)
    assert {e.uscc for e in u.employers.list(limit=1000)} == {e.uscc for e in employers if _under(prefix, e.division_code)}
    messages = list(a.inbox.list(box="all", status="all", limit=500))
    assert {m.id for m in u.inbox.list(box="all", status="all", limit=500)} == {
        m.id for m in messages if _under(prefix, m.sender_code, m.addressee_code)}
    assert {m.id for m in u.inbox.list(limit=500)} == {
        m.id for m in messages if m.status in OPEN and not m.external and _under(prefix, m.addressee_code)}
    campaigns = a.inspections.list()
    assert {c.id for c in u.inspections.list()} == {
        c.id for c in campaigns if _area(c.jurisdiction_code).startswith(prefix) or prefix.startswith(_area(c.jurisdiction_code))}
    # figures count only what lies inside
    assert all(_under(prefix, row.division_code) for row in u.reports.rates("2026Q4", level="village").rows)
    counties = {code for check in u.reports.quality().checks for code in check.by_division}  # counted by county
    assert all(_area(code).startswith(prefix) or prefix.startswith(_area(code)) for code in counties), counties
    users = a.users.list()
    tokens = a.tokens.list()
    if "users" in CAN[role]:
        assert {x.username for x in u.users.list()} == {x.username for x in users if _under(prefix, x.jurisdiction_code)}
        managed = {x.username for x in users if _under(prefix, x.jurisdiction_code)}
        assert {x.id for x in u.tokens.list()} == {x.id for x in tokens if x.username in managed}
    else:
        assert {x.id for x in u.tokens.list()} == {x.id for x in tokens if x.username == world.names[role]}
    if "audit" in CAN[role]:
        home = {x.username for x in users if _under(prefix, x.jurisdiction_code)}
        entries = a.audit.access_log(limit=1000)
        assert {e.id for e in u.audit.access_log(limit=1000)} == {e.id for e in entries if e.username in home}
    if "bulk" in CAN[role]:
        home = {x.username for x in users if _under(prefix, x.jurisdiction_code)}
        assert {c.id for c in u.changesets.list(limit=1000)} == {
            c.id for c in a.changesets.list(limit=1000) if c.created_by in home}


def test_permissions_are_as_specified(world: World) -> None:
    for role, c in world.users.items():
        me = c.me()
        assert (me.role, set(me.permissions), me.jurisdiction_code) == (role, CAN[role], JURISDICTION[role])


def test_outside_answers_like_nothing_at_all(world: World) -> None:
    """For every role, a record outside answers word for word as a record that does not exist."""
    outside = target_for(world, OPS[0], "outside", fresh=False)
    message = target_for(world, next(op for op in OPS if op.name == "inbox.get"), "outside", fresh=False)
    house_code = target_for(world, next(op for op in OPS if op.name == "houses.get"), "outside", fresh=False).code
    missing = {"person": str(10**9), "message": str(10**9), "house": tree.VILLAGE_D1 + "99999X"}
    paths = [("person", "/v1/persons/{}", outside.id), ("person", "/v1/persons/{}/history", outside.id),
             ("person", "/v1/stays?person_id={}", outside.id), ("person", "/v1/persons/{}/certificates", outside.id),
             ("message", "/v1/inbox/{}", message.id), ("house", "/v1/houses/{}", house_code)]
    for role, c in world.users.items():
        for kind, path, ident in paths:
            there = c.request("GET", path.format(ident))
            nowhere = c.request("GET", path.format(missing[kind]))
            assert there.status_code == nowhere.status_code == 404, (role, path)
            assert _blank(there.json(), str(ident)) == _blank(nowhere.json(), missing[kind]), (role, path)


def _blank(problem: dict[str, Any], key: str) -> dict[str, Any]:
    """A problem document with the key it names blanked out of its messages."""
    return {k: v.replace(key, "?") if k in ("message", "message_en") else v for k, v in problem.items()}


def test_division_import_reaches_registries_already_open(world: World) -> None:
    code = f"{tree.VILLAGE_A1}{world.n() % 900 + 100}"
    world.admin.divisions.get(tree.VILLAGE_A1)  # the administrator's registry has its tree loaded
    world.users["county_admin"].divisions.import_rows([{"code": code, "name": "新网格", "level": "grid",
                                                        "parent_code": tree.VILLAGE_A1}])
    assert world.admin.divisions.get(code).level == "grid"
