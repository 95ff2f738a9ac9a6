"""Demo houses (以房管人) in 三明's demo grids: codes by ``flowpop.rules.housecode``, landlords, rooms,
and the landlord's tenant declarations (mostly on time, some late, some missing)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from flowpop.demo.places import ROADS, Places
from flowpop.registry.kernel import settings
from flowpop.registry.store.distribution import shard_county
from flowpop.rules import housecode

# use → (weight, mode choices, rooms range, persons per room or None for no capacity set)
USES: dict[str, tuple[int, tuple[str, ...], tuple[int, int], int | None]] = {
    "rented": (78, ("scattered", "scattered", "compound", "property", "hotel_style"), (2, 12), 2),
    "dormitory": (10, ("company",), (8, 30), 4),
    "own": (7, ("property", "compound"), (1, 3), None),
    "site": (5, ("scattered",), (1, 6), 3),
}
TENANTS_PER_HOUSE = 4
DECLARE_WORKING_DAYS = 3


@dataclass(frozen=True)
class HouseSlot:
    code: str
    rooms: tuple[str, ...]
    rented: bool
    landlord: str


def _rooms(n: int) -> tuple[str, ...]:
    per_floor = 4 if n > 4 else n
    return tuple(f"{1 + i // per_floor}{1 + i % per_floor:02d}" for i in range(n))


def build_houses(rng: random.Random, places: Places, size: int, *, landlord: Any, now: dt.datetime) -> tuple[
        list[dict[str, Any]], dict[str, list[HouseSlot]]]:
    """House rows and, per grid, the houses stays can point at. ``landlord(county6)`` → (name, id number, phone)."""
    grids = [(v, g) for county in places.sanming.values() for v in county.villages for g in v.grids]
    if not grids:
        return [], {}
    residents = size * 0.75  # share of persons whose stay lies in 三明's demo villages
    per_grid = max(2, round(residents / len(grids) / TENANTS_PER_HOUSE))
    uses = list(USES)
    weights = [USES[u][0] for u in uses]
    rows: list[dict[str, Any]] = []
    by_grid: dict[str, list[HouseSlot]] = {}
    serial: dict[str, int] = {}
    for village, grid in grids:
        slots = by_grid.setdefault(grid, [])
        for _ in range(per_grid):
            serial[village.code] = n = serial.get(village.code, 0) + 1
            code = housecode.make(village.code, n)
            use = rng.choices(uses, weights)[0]
            _, modes, (lo, hi), per_room = USES[use]
            rooms = rng.randint(lo, hi)
            name, id_number, phone = landlord(village.code[:6])
            if use == "dormitory":
                name = None  # company dormitories are managed by the employer
            created = now - dt.timedelta(days=rng.randint(60, 4000), minutes=rng.randrange(1440))
            rows.append({
                "code": code, "legacy_code": None, "division_code": village.code, "county": shard_county(village.code),
                "grid_code": grid,
                "address": f"{village.address}{rng.choice(ROADS)}{rng.randint(1, 400)}号", "rooms": rooms,
                "capacity": rooms * per_room if per_room and rng.random() < 0.85 else None, "use": use,
                "mode": rng.choice(modes), "landlord_name": name, "landlord_id_number": id_number if name else None,
                "landlord_phone": phone if name else None, "status": "active", "version": 1,
                "created_at": created, "updated_at": created, "created_by": "demo",
            })
            slots.append(HouseSlot(code, _rooms(rooms), use == "rented", name or ""))
    return rows, by_grid


class Declarations:
    """Due dates (3 working days after arrival) and the landlord's declaration, if any."""

    def __init__(self, rng: random.Random, today: dt.date) -> None:
        config = settings.load()
        self._calendar = config.calendar
        self._days = config.deadline("landlord_declare") if "landlord_declare" in config.deadlines else DECLARE_WORKING_DAYS
        self._due: dict[dt.date, dt.date] = {}
        self._rng = rng
        self._today = today

    def due(self, arrived: dt.date) -> dt.date:
        due = self._due.get(arrived)
        if due is None:
            due = self._due[arrived] = self._calendar.add_working_days(arrived, self._days)
        return due

    def declared_on(self, arrived: dt.date, due: dt.date) -> dt.date | None:
        """82% on time, 8% late, 10% never (the late-declaration list has something to show)."""
        r = self._rng.random()
        if r < 0.82:
            day = arrived + dt.timedelta(days=int(self._rng.random() * ((due - arrived).days + 1)))
        elif r < 0.90:
            day = due + dt.timedelta(days=1 + int(self._rng.random() * 30))
        else:
            return None
        return day if day <= self._today else None
