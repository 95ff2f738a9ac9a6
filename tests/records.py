"""Plain makers of test records shared by the folders (registry, CLI, console): a house, an employer's code,
a batch of people. Fixtures live in conftest.py; these are ordinary functions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text
from stdnum.cn import uscc

import flowpop
from tests import tree
from tests.conftest import person_fields


def new_house(client: flowpop.Client, **overrides: Any) -> flowpop.types.House:
    """A rented, scattered house in village A1 with a landlord; ``overrides`` replace any field."""
    fields: dict[str, Any] = {"division_code": tree.VILLAGE_A1, "address": "新市北路12号", "rooms": 3, "capacity": 4,
                              "use": "rented", "mode": "scattered", "landlord_name": "陈建国",
                              "landlord_phone": "13905981234"}
    fields.update(overrides)
    return client.houses.create(**fields)


def credit_code(serial: int) -> str:
    """A valid unified social credit code (统一社会信用代码) in 三元区, numbered ``serial``."""
    body = f"91350404MA{serial:07d}"
    return body + uscc.calc_check_digit(body)


def unmarried_people(client: flowpop.Client, n: int, **overrides: Any) -> list[int]:
    """The ids of ``n`` new unmarried people (the usual subjects of a bulk change)."""
    return [client.persons.create(**person_fields(marital_status="unmarried", **overrides)).id for _ in range(n)]


def reindex_id_numbers(conn: Connection) -> None:
    """After a test wrote ``persons.id_number`` straight into the store (a legacy 15-digit number, a duplicate, as
    old systems left them): the ID-number index says the same again, as migration 0015 fills it from such data."""
    conn.execute(text("DELETE FROM id_numbers"))
    conn.execute(text("INSERT INTO id_numbers (id_number, county, person_id) SELECT id_number, county, id FROM persons"))
