"""The declared layout (flowpop/registry/store/distribution.py) places every table of the store."""

from __future__ import annotations

from flowpop.registry.store import distribution
from flowpop.registry.store.tables import Base


def test_every_table_is_declared() -> None:
    assert distribution.undeclared(Base.metadata.tables) == []


def test_no_declared_table_is_gone() -> None:
    assert sorted(set(distribution.LAYOUT) - set(Base.metadata.tables)) == []


def test_a_new_table_would_be_refused() -> None:
    assert distribution.undeclared([*Base.metadata.tables, "parking_permits"]) == ["parking_permits"]


def test_distributed_tables_say_their_county_and_share_one_group() -> None:
    # all but the ID-number index, distributed by the number in a group of its own
    for name in distribution.distributed() - {"id_numbers"}:
        p = distribution.LAYOUT[name]
        assert p.county_of and p.colocation == distribution.GROUP and p.column == distribution.COUNTY, name
    index = distribution.LAYOUT["id_numbers"]
    assert (index.kind, index.column, index.colocation) == ("distributed", "id_number", "id_number")
    assert index.county_of
    for name, p in distribution.LAYOUT.items():
        assert p.reason, name
        if p.kind != "distributed":
            assert p.county_of is None and p.colocation is None, name


def test_what_belongs_to_a_person_is_distributed() -> None:
    # issue #17: stays, person history, certificates, services, reminders colocated with persons
    for name in ("persons", "stays", "history", "certificates", "services", "reminders", "messages"):
        assert distribution.LAYOUT[name].kind == "distributed", name
    for name in ("divisions", "users", "tokens"):
        assert distribution.LAYOUT[name].kind == "reference", name
