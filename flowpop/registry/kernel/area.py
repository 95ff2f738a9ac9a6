"""The own area: the division prefixes this registry holds down to villages. A message addressed outside it
leaves through the exchange (outbox, signed envelopes); one addressed inside stays in this registry's inbox.

Explicit in the settings file (``[exchange] home = ["3504"]``), else derived from the divisions table: the
counties (6-digit prefixes) with villages loaded. The rest of the country is held at county level (the national
list): a place there asked for by a record needs only its county (``check_place``)."""

from __future__ import annotations

from collections.abc import Callable

from flowpop.labels import label
from flowpop.registry.kernel import settings as settings_mod
from flowpop.registry.kernel.divisions import county_of
from flowpop.registry.kernel.errors import field_error
from flowpop.registry.kernel.registry import Registry
from flowpop.types import FieldError


def own_area(reg: Registry) -> tuple[str, ...]:
    """The prefixes, sorted; empty when nothing is loaded below county level and nothing is set."""
    configured = settings_mod.load().home
    if configured:
        return tuple(sorted(set(configured)))
    nodes = reg.divisions.nodes
    cached = getattr(reg, "_own_area", None)
    if cached is None or cached[0] is not nodes:
        cached = (nodes, tuple(sorted({n.code[:6] for n in nodes.values() if n.level == "village"})))
        reg._own_area = cached  # type: ignore[attr-defined]  # kept with the division nodes it was derived from
    return cached[1]


def inside(area: tuple[str, ...], code: str | None) -> bool:
    return code is not None and any(code.startswith(prefix) for prefix in area)


def outside(reg: Registry, code: str | None) -> bool:
    """Is ``code`` outside the own area (its messages leave through the exchange)? Never when no area is known."""
    area = own_area(reg)
    return bool(area) and not inside(area, code)


# ------------------------------------------------------------------------------ places records point at
# The rule for a place a record asks for (a residence, a household place, a transfer's destination, a message's
# addressee): inside the own area the registry holds the villages, so a residence there is a village (the village
# rule); outside it the registry holds the national list's counties only, so the county is enough, with the
# address as text, and a finer code of a known county (another registry's village, carried by its message) is
# stored as given. One rule, here: forms, the service, imports and the quality check all ask ``place_fault``.

OUTSIDE_COARSE = frozenset(("province", "city"))  # above county: not a place outside the own area either


def place_fault(area: tuple[str, ...], level_of: Callable[[str], str | None], code: str, *,
                village: bool = True) -> str | None:
    """What is wrong with ``code`` as a place, or None: ``unknown`` (not a division here, nor a finer code of
    a known county outside the own area), ``no_village`` (inside the own area, not a village: only when
    ``village``, a residence or transfer destination), ``coarse`` (outside it, above county: only when
    ``village``). ``level_of`` gives a known code's level (None when unknown)."""
    level = level_of(code)
    if inside(area, code):
        if level is None:
            return "unknown"
        return "no_village" if village and level != "village" else None
    if level is None:
        known_county = len(code) == 12 and code.isdigit() and level_of(county_of(code)) == "county"
        return None if known_county else "unknown"
    return "coarse" if village and level in OUTSIDE_COARSE else None


def check_place(reg: Registry, code: str | None, field: str, *, village: bool = True,
                current: bool = False) -> list[FieldError]:
    """Errors for a place a record points at, by ``place_fault``'s rule; ``current``: not a retired division
    (for a finer code outside the own area, not one of a retired county)."""
    if code is None:
        return []
    divisions = reg.divisions

    def level_of(c: str) -> str | None:
        node = divisions.get(c)
        return node.level if node is not None else None

    area = own_area(reg)
    fault = place_fault(area, level_of, code, village=village)
    node = divisions.get(code)
    if fault == "unknown":
        if inside(area, code):
            return [field_error(field, "unknown_division", f"行政区划代码 {code} 不存在",
                                f"unknown division code {code}")]
        return [field_error(field, "unknown_division", f"行政区划代码 {code} 不存在（本库辖区以外填区县代码即可）",
                            f"unknown division code {code} (outside the own area the county code is enough)")]
    if fault is not None:
        assert node is not None  # a known code's level is at fault
        zh, en = label("level", node.level, "zh"), label("level", node.level, "en")
        if fault == "no_village":
            return [field_error(field, "division_level", f"{node.full_name} 是{zh}级；本库辖区内此处须到村/居",
                                f"{code} is a {en}; inside the own area a village is needed here")]
        return [field_error(field, "division_level", f"{node.full_name} 是{zh}级；本库辖区以外此处须到区县或更细",
                            f"{code} is a {en}; outside the own area a county or finer is needed here")]
    held = node if node is not None else divisions.get(county_of(code))
    if current and held is not None and held.retired:
        return [field_error(field, "retired_division", f"行政区划 {held.code} 已撤销（{held.valid_to}年）",
                            f"division {held.code} was retired in {held.valid_to}")]
    return []
