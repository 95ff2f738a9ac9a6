"""Co-management across registries (issue 13 item 4), two real `flowpop serve` processes: A holds 三明 (3504), B
holds 南昌 (3601). A registers the outflow of someone of 三元区 living in 东湖区; B registers her inflow (same ID
number). Each registration's notice travels through the exchange and the other side records it on its own stay:
both registries then count the stay as co-managed, and each lists only the stays the other has not registered."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

import flowpop
from flowpop.registry.kernel.registry import today as registry_today
from flowpop.registry.store.db import normalize_url
from tests import tree
from tests.conftest import person_fields
from tests.registry.exchange.nodes import Node, registries, until
from tests.registry.exchange.test_trust import identity

PAIR = "350404-360102"


@pytest.fixture
def ab(template_db: str, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    with registries(template_db, tmp_path, {"A": "3504", "B": "3601"}) as nodes:
        yield nodes["A"], nodes["B"]


def pair(client: flowpop.Client) -> tuple[int, int, int, int] | None:
    """The pair 三元区 → 东湖区 as this registry counts it: (inflows, outflows, both, unmanaged)."""
    rows = [r for r in client.reports.comanagement(by="pair").rows if r.key == PAIR]
    return (rows[0].inflows_registered, rows[0].outflows_registered, rows[0].both, rows[0].unmanaged) if rows else None


def listed(client: flowpop.Client, kind: str) -> list[int]:
    return [p.id for p in client.reports.comanagement_records(kind)]


def test_both_registrations_count_as_co_managed_on_both_sides(ab: tuple[Node, Node]) -> None:
    a, b = ab
    a_op = a.client(a.token_for("township_operator", tree.TOWNSHIP_A))
    b_op = b.client(b.token_for("township_operator", tree.TOWNSHIP_D))
    a_admin, b_admin = a.client(), b.client()
    fields = person_fields(
        household_code=tree.TOWNSHIP_A,
        stay={"residence_code": tree.VILLAGE_D1, "reason": "work", "arrived_on": "2026-03-01"},
    )
    number = fields["id_number"]

    # A registers the outflow: one side only, on A's list of stays B has not registered
    mine = a_op.persons.create(**fields).id
    assert pair(a_admin) == (0, 1, 0, 1)
    assert listed(a_admin, "missing_inflow") == [mine]
    # A's notice reaches B, which holds no stay of her yet: nothing to count there
    until(
        lambda: b.sql("SELECT 1 FROM messages WHERE imported AND subject_id_number = :n", n=number),
        "A's notice in B",
    )
    assert pair(b_admin) is None

    # B registers the inflow of the same person: B's stay knows A registered it (A's notice came first) ...
    theirs = b_op.persons.create(**fields).id
    assert pair(b_admin) == (1, 1, 1, 0)
    assert listed(b_admin, "missing_outflow") == [] and listed(b_admin, "both") == [theirs]
    # ... and B's notice makes A count it co-managed too
    until(lambda: pair(a_admin) == (1, 1, 1, 0), "A counts the stay co-managed")
    assert listed(a_admin, "missing_inflow") == [] and listed(a_admin, "unmanaged") == []
    assert a_admin.reports.comanagement().total.co_management == b_admin.reports.comanagement().total.co_management == 1.0

    # A's side ends its stay: B's stay is registered by B alone again, on B's list of what A has not registered
    (a_stay,) = [s for s in a_op.stays.list(mine) if s.status == "open"]
    a_op.stays.close(a_stay.id, version=a_stay.version, reason="回原籍")
    until(lambda: pair(b_admin) == (1, 0, 0, 1), "B counts the stay one-sided")
    assert listed(b_admin, "missing_outflow") == [theirs]
    assert pair(a_admin) is None


def test_a_county_served_by_a_peer_is_counted(
    db_url: str, as_user: Callable[[str, str | None], flowpop.Client], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A registry that holds 三明 only (东湖's townships not loaded): an outflow to 东湖 counts in co-management
    once a peer serves 东湖 (its registrations come by its notices), not before."""
    settings = tmp_path / "settings.toml"
    settings.write_text("[exchange]\nhome = ['3504']\n", encoding="utf-8")
    monkeypatch.setenv("FLOWPOP_SETTINGS", str(settings))
    as_user("township_operator", tree.TOWNSHIP_A).persons.create(**person_fields(
        household_code=tree.TOWNSHIP_A,
        stay={"residence_code": tree.VILLAGE_D1, "reason": "work", "arrived_on": "2026-03-01"},
    ))
    engine = create_engine(normalize_url(db_url), poolclass=NullPool)
    with engine.begin() as conn:  # 东湖 below county level is not held here
        conn.execute(text("DELETE FROM divisions WHERE code LIKE '360102%' AND level IN ('township', 'village')"))
    engine.dispose()
    with flowpop.Client(db=db_url, max_retries=0) as admin:
        assert pair(admin) is None and co_management_rate(admin) == (0, 0)
        admin.exchange.add_peer("B", url="http://127.0.0.1:9", key=identity().public_key, serves=["3601"])
        assert pair(admin) == (0, 1, 0, 1)
        assert co_management_rate(admin) == (0, 1)  # the rates count the same stays


def co_management_rate(client: flowpop.Client) -> tuple[int, int]:
    today = registry_today()  # the quarter under way: the stay is open at its end
    quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    (rate,) = [r for r in client.reports.rates(quarter, level="county").total.rates if r.key == "co_management"]
    return rate.numerator, rate.denominator
