"""The own area: the division prefixes this registry holds down to villages. A message addressed outside it
leaves through the exchange (outbox, signed envelopes); one addressed inside stays in this registry's inbox.

Explicit in the settings file (``[exchange] home = ["3504"]``), else derived from the divisions table: the
counties (6-digit prefixes) with villages loaded."""

from __future__ import annotations

from flowpop.registry.kernel import settings as settings_mod
from flowpop.registry.kernel.registry import Registry


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
