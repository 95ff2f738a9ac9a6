"""Each side's registration of a cross-county stay (seed 000): the residence side's inflow registration
(流入登记) and the household side's outflow registration (流出登记). Both held is co-managed (共管), one only
is 漏管. Kept free of storage so that the import's helper processes can use it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flowpop.registry.kernel.auth import Actor

# the stays column that holds each side's registration
SIDES = {"inflow": "inflow_registered_at", "outflow": "outflow_registered_at"}


def _inside(own: tuple[str, ...], code: str) -> bool:
    return any(code.startswith(prefix) for prefix in own)


def registering_side(actor: Actor, residence_code: str | None, household_code: str | None,
                     own: tuple[str, ...] = ()) -> str | None:
    """Which side's registration a caller's write of a stay is: the residence side's inflow, or the household
    side's outflow; None within one county (no other side) or for a caller on neither side. A caller whose area
    holds both places (a city-wide or nationwide user) registers where the person lives: the residence side
    manages (以现居住地为主), and one entry is one registration, never both. A caller without jurisdiction (the
    administrator) registers as the side in the registry's own area ``own`` (kernel.area.own_area) when only one
    place is in it: the household side's outflow when only the household is here."""
    if not residence_code or not household_code or residence_code[:6] == household_code[:6]:
        return None
    if not actor.prefix and own and _inside(own, household_code) and not _inside(own, residence_code):
        return "outflow"
    if actor.covers(residence_code):
        return "inflow"
    if actor.covers(household_code):
        return "outflow"
    return None


def joinable(actor: Actor, row: Any, residence_code: str | None,
             household_code: str | None, own: tuple[str, ...] = ()) -> str | None:
    """The side a second registration of the same flow adds to the open stay ``row`` (a record, or its columns
    as a mapping): the same household and residence counties, the caller on the side that has not registered
    it yet (else None: a true duplicate, or another flow)."""
    get = row.get if isinstance(row, Mapping) else lambda key: getattr(row, key)
    if get("status") != "open" or not residence_code or not household_code:
        return None
    stored_res, stored_hh = get("residence_code"), get("household_code")
    if not stored_res or not stored_hh or (residence_code[:6], household_code[:6]) != (stored_res[:6], stored_hh[:6]):
        return None
    side = registering_side(actor, stored_res, stored_hh, own)
    if side is None or side != registering_side(actor, residence_code, household_code, own):
        return None
    return side if get(SIDES[side]) is None else None


def side_columns(actor: Actor, residence_code: str | None, household_code: str | None, at: dt.datetime,
                 own: tuple[str, ...] = ()) -> dict[str, Any]:
    """Both side columns of a new stay written in bulk (imports): the caller's side registered ``at``."""
    side = registering_side(actor, residence_code, household_code, own)
    return {column: at if key == side else None for key, column in SIDES.items()}
