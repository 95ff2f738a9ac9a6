"""Roles and jurisdictions through the SDK: who sees what, who may change what, tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, update

import flowpop
from flowpop.registry.store import tables as t
from flowpop.registry.store.db import make_engine
from flowpop.rules import idnumber
from tests import tree
from tests.conftest import person_fields

AsUser = Callable[[str, str | None], flowpop.Client]

# role → its jurisdiction; all of them cover village A1 and none covers 东湖区 (360102)
ROLES = {
    "village_assistant": tree.VILLAGE_A1,
    "township_operator": tree.TOWNSHIP_A,
    "county_admin": tree.COUNTY_SANYUAN,
    "city_viewer": "350400000000",
    "auditor": tree.COUNTY_SANYUAN,
}
WRITERS = ["village_assistant", "township_operator", "county_admin"]
STATUS_CHANGERS = ["township_operator", "county_admin"]
REVEALERS = ["township_operator", "county_admin"]


def stay(residence: str) -> dict[str, Any]:
    return {"residence_code": residence, "reason": "work", "arrived_on": "2026-03-01"}


@pytest.fixture
def places(client: flowpop.Client) -> dict[str, flowpop.types.PersonDetail]:
    """One person living in village A1 (inside every role's jurisdiction), one in 东湖区 (outside all)."""
    return {
        "inside": client.persons.create(**person_fields(stay=stay(tree.VILLAGE_A1))),
        "outside": client.persons.create(**person_fields(stay=stay(tree.VILLAGE_D1))),
    }


@pytest.mark.parametrize("role", list(ROLES))
def test_role_inside_and_outside_the_jurisdiction(
    as_user: AsUser, client: flowpop.Client, places: dict[str, Any], role: str
) -> None:
    user = as_user(role, ROLES[role])
    check_reads(user, client, places)
    check_reveal(user, client, places, role)
    if role in WRITERS:
        check_writes(user, client, places)
    else:
        check_readers_cannot_write(user, places)
    check_managing_users(user, role)
    check_status_changes(user, client, places, role)  # last: it changes the person inside


def check_reads(user: flowpop.Client, client: flowpop.Client, places: dict[str, Any]) -> None:
    inside, outside = places["inside"], places["outside"]
    assert user.persons.get(inside.id).id == inside.id
    assert [p.id for p in user.persons.list()] == [inside.id]
    assert user.persons.list(with_total=True).first_page().total == 1
    assert [h.person_id for h in user.persons.history(inside.id)] != []
    assert user.stays.get(inside.current_stay_id).person_id == inside.id
    # outside: as if it did not exist (404, not 403)
    with pytest.raises(flowpop.NotFoundError):
        user.persons.get(outside.id)
    with pytest.raises(flowpop.NotFoundError):
        user.persons.history(outside.id)
    with pytest.raises(flowpop.NotFoundError):
        user.stays.get(outside.current_stay_id)
    with pytest.raises(flowpop.NotFoundError):
        user.stays.list(outside.id)
    number = client.persons.get(outside.id, reveal=True).id_number
    assert list(user.persons.list(q=number)) == []
    assert list(user.persons.list(division=tree.COUNTY_DONGHU)) == []


def check_writes(user: flowpop.Client, client: flowpop.Client, places: dict[str, Any]) -> None:
    inside, outside = places["inside"], places["outside"]
    updated = user.persons.update(inside.id, version=inside.version, note="入户核实")
    assert updated.version == inside.version + 1
    assert client.persons.history(inside.id)[0].username == user.me().username
    with pytest.raises(flowpop.NotFoundError):
        user.persons.update(outside.id, version=outside.version, note="x")
    with pytest.raises(flowpop.NotFoundError):
        user.stays.update(outside.current_stay_id, version=1, room="1")
    # registering someone who lives and belongs elsewhere
    with pytest.raises(flowpop.ValidationError) as exc:
        user.persons.create(**person_fields(stay=stay(tree.VILLAGE_D1)))
    assert [(e.field, e.code) for e in exc.value.errors] == [("stay.residence_code", "outside_jurisdiction")]
    with pytest.raises(flowpop.ValidationError) as exc:
        user.persons.create(**person_fields(stay=None))
    assert [(e.field, e.code) for e in exc.value.errors] == [("household_code", "outside_jurisdiction")]
    created = user.persons.create(**person_fields(stay=stay(tree.VILLAGE_A1)))
    assert created.created_at and user.persons.get(created.id).residence_code == tree.VILLAGE_A1
    assert client.persons.get(outside.id).version == outside.version


def check_readers_cannot_write(user: flowpop.Client, places: dict[str, Any]) -> None:
    inside = places["inside"]
    with pytest.raises(flowpop.PermissionDeniedError) as exc:
        user.persons.create(**person_fields(stay=stay(tree.VILLAGE_A1)))
    assert exc.value.status_code == 403 and exc.value.code == "forbidden"
    with pytest.raises(flowpop.PermissionDeniedError):
        user.persons.update(inside.id, version=inside.version, note="x")
    with pytest.raises(flowpop.PermissionDeniedError):
        user.stays.update(inside.current_stay_id, version=1, room="1")
    with pytest.raises(flowpop.PermissionDeniedError):
        user.persons.deregister(inside.id, version=inside.version, reason="离开")


def check_status_changes(user: flowpop.Client, client: flowpop.Client, places: dict[str, Any], role: str) -> None:
    """deregister/archive/restore need a township operator or more."""
    p = client.persons.get(places["inside"].id)
    if role not in STATUS_CHANGERS:
        for action in (user.persons.deregister, user.persons.archive):
            with pytest.raises(flowpop.PermissionDeniedError):
                action(p.id, version=p.version, reason="离开")
        archived = client.persons.archive(p.id, version=p.version, reason="失联")
        with pytest.raises(flowpop.PermissionDeniedError):
            user.persons.restore(p.id, version=archived.version, reason="找到")
        assert client.persons.get(p.id).status == "archived"
        return
    v = user.persons.archive(p.id, version=p.version, reason="失联").version
    v = user.persons.restore(p.id, version=v, reason="找到").version
    d = user.persons.deregister(p.id, version=v, reason="离开", date=dt.date(2026, 6, 1))
    assert d.status == "deregistered"
    with pytest.raises(flowpop.NotFoundError):
        user.persons.deregister(places["outside"].id, version=1, reason="离开")


def check_reveal(user: flowpop.Client, client: flowpop.Client, places: dict[str, Any], role: str) -> None:
    p = places["inside"]
    number = client.persons.get(p.id, reveal=True).id_number
    log_before = client.audit.access_log()
    masked = user.persons.get(p.id)
    assert masked.id_number == idnumber.mask(number) and not masked.id_revealed
    if role not in REVEALERS:
        with pytest.raises(flowpop.PermissionDeniedError):
            user.persons.get(p.id, reveal=True)
        with pytest.raises(flowpop.PermissionDeniedError):
            user.persons.list(reveal=True).first_page()
        assert client.audit.access_log() == log_before
        return
    shown = user.persons.get(p.id, reveal=True)
    assert shown.id_number == number and shown.id_revealed
    listed = user.persons.list(reveal=True).first_page().data
    assert [(x.id, x.id_number) for x in listed] == [(p.id, number)]
    log = client.audit.access_log()
    new = log[: len(log) - len(log_before)]
    name = user.me().username
    assert [(e.username, e.action, e.entity, e.entity_ids) for e in new] == [
        (name, "reveal", "person", [p.id]),  # the list, newest first
        (name, "reveal", "person", [p.id]),
    ]
    assert new[0].detail == "list"
    with pytest.raises(flowpop.NotFoundError):
        user.persons.get(places["outside"].id, reveal=True)


def test_access_log_needs_audit(as_user: AsUser, client: flowpop.Client) -> None:
    assert isinstance(as_user("auditor", tree.COUNTY_SANYUAN).audit.access_log(), list)
    with pytest.raises(flowpop.PermissionDeniedError):
        as_user("township_operator", tree.TOWNSHIP_A).audit.access_log()


# ------------------------------------------------------------------------------------------ tokens


def _token_client(db_url: str, secret: str) -> flowpop.Client:
    return flowpop.Client(db=db_url, token=secret, max_retries=0)


def test_disabled_user_and_revoked_token(client: flowpop.Client, db_url: str) -> None:
    client.users.create(username="op1", role="township_operator", jurisdiction_code=tree.TOWNSHIP_A)
    first = client.tokens.create(username="op1", name="laptop")
    second = client.tokens.create(username="op1", name="phone")
    with _token_client(db_url, first.token) as a, _token_client(db_url, second.token) as b:
        assert a.me().username == "op1" and b.me().role == "township_operator"
        client.tokens.revoke(first.id)
        with pytest.raises(flowpop.AuthenticationError) as exc:
            a.me()
        assert exc.value.status_code == 401 and exc.value.code == "unauthorized"
        assert b.me().username == "op1"
        client.users.disable("op1")
        with pytest.raises(flowpop.AuthenticationError):
            b.persons.list().first_page()
        client.users.enable("op1")
        assert b.me().username == "op1"
        with pytest.raises(flowpop.AuthenticationError):
            a.me()  # a revoked token stays revoked


def test_expired_token_and_disabled_user(client: flowpop.Client, db_url: str) -> None:
    client.users.create(username="op3", role="village_assistant", jurisdiction_code=tree.VILLAGE_A1)
    created = client.tokens.create(username="op3", name="short", expires_days=1)
    assert created.expires_at is not None
    with _token_client(db_url, created.token) as c:
        assert c.me().username == "op3"
        engine = make_engine(db_url)
        try:
            with engine.begin() as conn:
                conn.execute(update(t.Token).where(t.Token.id == created.id)
                             .values(expires_at=t.utcnow() - dt.timedelta(minutes=1)))
        finally:
            engine.dispose()
        with pytest.raises(flowpop.AuthenticationError):
            c.me()
    client.users.disable("op3")
    with pytest.raises(flowpop.ConflictError) as exc:
        client.tokens.create(username="op3", name="again")
    assert exc.value.code == "user_disabled"


def test_bad_token(db_url: str) -> None:
    with _token_client(db_url, "fp_placeholder") as c, pytest.raises(flowpop.AuthenticationError):
        c.me()


@pytest.mark.parametrize("scheme", ["Bearer", "Basic", "bearer"])
@pytest.mark.parametrize("secret", ["fp_not-a-real-token", "", "x" * 300, "Bearer fp_x", "令牌"],
                         ids=["unknown", "empty", "x300", "Bearer-twice", "chinese"])
def test_bad_authorization_header(db_url: str, secret: str, scheme: str) -> None:
    with _token_client(db_url, "fp_placeholder") as c:
        r = c.request("GET", "/v1/me", headers={"Authorization": f"{scheme} {secret}".encode()})
        assert r.status_code == 401 and r.json()["code"] == "unauthorized", (scheme, secret)


def test_tokens_are_stored_hashed(client: flowpop.Client, db_url: str) -> None:
    client.users.create(username="op2", role="township_operator", jurisdiction_code=tree.TOWNSHIP_A)
    created = client.tokens.create(username="op2", name="laptop")
    secret = created.token
    assert created.prefix == secret[: len(created.prefix)] and len(created.prefix) < len(secret) // 2
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(t.Token.__table__)).mappings().all()
    finally:
        engine.dispose()
    assert len(rows) == 1
    stored = " ".join(str(v) for v in rows[0].values())
    assert secret not in stored and secret[len(created.prefix):] not in stored
    assert rows[0]["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert all(not hasattr(tok, "token") for tok in client.tokens.list())


# ------------------------------------------------------------------------------------------ managing users


def test_county_admin_manages_only_their_subtree(as_user: AsUser) -> None:
    county = as_user("county_admin", tree.COUNTY_SANYUAN)
    made = county.users.create(username="op_a", role="township_operator", jurisdiction_code=tree.TOWNSHIP_A)
    assert made.jurisdiction_code == tree.TOWNSHIP_A
    with pytest.raises(flowpop.ValidationError) as exc:
        county.users.create(username="op_d", role="township_operator", jurisdiction_code=tree.TOWNSHIP_D)
    assert [(e.field, e.code) for e in exc.value.errors] == [("jurisdiction_code", "outside_jurisdiction")]
    with pytest.raises(flowpop.ValidationError):
        county.users.create(username="op_city", role="county_admin", jurisdiction_code="350400000000")
    with pytest.raises(flowpop.PermissionDeniedError):
        county.users.create(username="boss", role="admin", jurisdiction_code=None)
    with pytest.raises(flowpop.PermissionDeniedError):
        county.users.create(username="boss2", role="admin", jurisdiction_code=tree.TOWNSHIP_A)
    listed = {u.username for u in county.users.list()}
    assert "op_a" in listed and not {"op_d", "op_city", "boss", "boss2"} & listed
    # a token for a user of the county, yes; for one outside, no
    assert county.tokens.create(username="op_a", name="t").token.startswith("fp_")


def test_county_admin_cannot_touch_users_outside(as_user: AsUser, client: flowpop.Client) -> None:
    client.users.create(username="far", role="township_operator", jurisdiction_code=tree.TOWNSHIP_D)
    county = as_user("county_admin", tree.COUNTY_SANYUAN)
    with pytest.raises(flowpop.NotFoundError):
        county.users.disable("far")
    with pytest.raises(flowpop.NotFoundError):
        county.tokens.create(username="far", name="t")
    assert not next(u for u in client.users.list() if u.username == "far").disabled


def check_managing_users(user: flowpop.Client, role: str) -> None:
    """Only admins manage users; anyone may make and list tokens for themselves."""
    me = user.me()
    own = user.tokens.create(username=me.username, name="second")
    assert {tok.id for tok in user.tokens.list()} >= {own.id}
    if role == "county_admin":
        return
    with pytest.raises(flowpop.PermissionDeniedError):
        user.users.create(username=f"x_{role}", role="village_assistant", jurisdiction_code=tree.VILLAGE_A1)
    with pytest.raises(flowpop.PermissionDeniedError):
        user.users.list()
