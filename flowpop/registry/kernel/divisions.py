"""The division tree: loading lists, names, and checking codes that records point at."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.errors import field_error
from flowpop.registry.store import tables as t
from flowpop.rules.divisions_source import LEVELS, DivisionRow, level_of, pad12, parent_of
from flowpop.rules.names import is_pinyin_query, place_keys
from flowpop.types import FieldError


@dataclass(frozen=True)
class Node:
    code: str
    name: str
    level: str
    parent_code: str | None
    full_name: str
    valid_to: int | None
    is_demo: bool
    valid_from: int | None = None
    successor_code: str | None = None

    @property
    def retired(self) -> bool:
        return self.valid_to is not None and self.valid_to <= dt.date.today().year


# Node's fields, in its order, as the store's columns: read as plain rows, not ORM objects (building thousands of
# Division instances took most of the first request's time, issue #16 item 4)
NODE_COLUMNS = (t.Division.code, t.Division.name, t.Division.level, t.Division.parent_code, t.Division.full_name,
                t.Division.valid_to, t.Division.is_demo, t.Division.valid_from, t.Division.successor_code)


class DivisionCache:
    """All divisions in memory: a county has thousands, the whole country some 700k villages (~100 MB).

    Until something needs the tree (a scope, a list of places), a division asked for by code (``get``, ``name``,
    ``check``) is read alone and kept for RECHECK_SECONDS, as the tree would be: a one-command process naming the
    places of a few records reads those rows, not all of them (7,000 for a city, ~0.03 s of a one-row query's
    start, issue #16). Past FEW such codes the tree is loaded after all."""

    RECHECK_SECONDS = 10.0
    FEW = 16

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._nodes: dict[str, Node] | None = None
        self._signature: tuple[int, int] | None = None
        self._checked = 0.0
        self._keys: dict[str, tuple[str, str]] = {}  # a division name's pinyin and initials (name_matches)
        self._few: dict[str, tuple[Node, float]] = {}  # read by code before the tree was loaded: (node, when read)

    def invalidate(self) -> None:
        with self._lock:
            self._nodes = None
            self._few = {}

    def _current_signature(self) -> tuple[int, int]:
        with Session(self._engine) as s:
            count, size = s.execute(select(func.count(), func.coalesce(func.sum(func.length(t.Division.full_name)), 0))
                                    ).one()
        return int(count), int(size)

    def _stale(self) -> bool:
        """Another process (a server worker, the console, the CLI) may have loaded divisions: a cheap look."""
        self._checked = time.monotonic()
        return self._current_signature() != self._signature

    @property
    def nodes(self) -> dict[str, Node]:
        nodes = self._nodes
        if nodes is not None and time.monotonic() - self._checked > self.RECHECK_SECONDS and self._stale():
            self.invalidate()
            nodes = None
        if nodes is None:
            with self._lock, Session(self._engine) as s:
                if self._nodes is not None:  # built by the request that held the lock (the first ones come together)
                    return self._nodes
                self._signature = self._current_signature()
                self._checked = time.monotonic()
                rows = s.execute(select(*NODE_COLUMNS)).all()
                nodes = {row[0]: Node(*row) for row in rows}
                self._nodes = nodes
                self._few = {}
        return nodes

    def _alone(self, code: str) -> tuple[bool, Node | None]:
        """(True, ``code``'s division or None when there is none), read by itself, while the tree is not loaded
        and few codes were asked for; else (False, None): ask the tree."""
        with self._lock:
            if self._nodes is not None:
                return False, None
            now = time.monotonic()
            kept = self._few.get(code)
            if kept is not None and now - kept[1] <= self.RECHECK_SECONDS:
                return True, kept[0]
            if len(self._few) >= self.FEW:
                return False, None
            with Session(self._engine) as s:
                row = s.execute(select(*NODE_COLUMNS).where(t.Division.code == code)).first()
            if row is None:  # read again when asked again, as the tree looks again for a code it lacks
                return True, None
            node = Node(*row)
            self._few[code] = (node, now)
            return True, node

    def name_matches(self, node: Node, q: str) -> bool:
        """What a user types to find a division: part of its full name, the start of its code, or (Latin letters)
        the start of its name's pinyin or initials (``sx``, ``shaxian`` find 沙县区), as person search."""
        if q in node.full_name or node.code.startswith(q):
            return True
        low = q.lower().replace(" ", "")
        if not is_pinyin_query(low):
            return False
        keys = self._keys.get(node.name)
        if keys is None:
            keys = self._keys[node.name] = place_keys(node.name)
        return keys[0].startswith(low) or keys[1].startswith(low)

    @property
    def home_counties(self) -> frozenset[str]:
        """County prefixes this registry manages in detail: those with townships loaded."""
        nodes = self.nodes
        cached = getattr(self, "_home", None)
        if cached is None or cached[0] is not nodes:
            cached = (nodes, frozenset(n.code[:6] for n in nodes.values() if n.level == "township"))
            self._home = cached
        return cached[1]

    def get(self, code: str | None) -> Node | None:
        if not code:
            return None
        if self._nodes is None:
            answered, alone = self._alone(code)
            if answered:
                return alone
        node = self.nodes.get(code)
        if node is None and self._stale():  # a code we have not seen: maybe just loaded elsewhere
            self.invalidate()
            node = self.nodes.get(code)
        return node

    def name(self, code: str | None) -> str | None:
        node = self.get(code)
        return node.full_name if node else None

    def check(
        self, code: str | None, field: str, *, levels: Iterable[str] | None = None, current: bool = False
    ) -> list[FieldError]:
        """Errors for a code that a record points at (unknown, wrong level, retired)."""
        if code is None:
            return []
        node = self.get(code)
        if node is None:
            return [field_error(field, "unknown_division", f"行政区划代码 {code} 不存在", f"unknown division code {code}")]
        if levels is not None and node.level not in set(levels):
            wanted = "/".join(levels)
            return [
                field_error(
                    field,
                    "division_level",
                    f"{node.full_name} 是{node.level}级，此处需要 {wanted} 级",
                    f"{code} is a {node.level}; {wanted} is needed here",
                )
            ]
        if current and node.retired:
            return [
                field_error(
                    field, "retired_division", f"行政区划 {code} 已撤销（{node.valid_to}年）", f"division {code} was retired in {node.valid_to}"
                )
            ]
        return []

    def check_acting(self, actor: Actor, code: str | None, field: str, unit: tuple[str, str]) -> list[FieldError]:
        """Errors for the unit an action is done in the name of (a sender, a service provider): named (a
        nationwide user has no unit of its own), a known division, and inside the caller's jurisdiction.
        ``unit`` names it in Chinese and English (发件单位 / sender)."""
        zh, en = unit
        if code is None:
            return [field_error(field, "required", f"请指定{zh}", f"{field} is required: name the {en}")]
        errors = self.check(code, field)
        if not errors and actor.prefix and not actor.covers(code):
            errors.append(field_error(field, "outside_jurisdiction", f"{zh}不在您的管辖范围内",
                                      f"the {en} is outside your jurisdiction"))
        return errors


def normalize_code(code: str) -> str:
    return pad12(code.strip())


def load(session: Session, rows: Iterable[DivisionRow]) -> tuple[int, int]:
    """Insert or update divisions; parents before children so full names can be built."""
    rows = sorted(rows, key=lambda r: (LEVELS.index(r.level), r.code))
    existing = {d.code: d for d in session.execute(select(t.Division)).scalars()}
    inserted = updated = 0
    full: dict[str, str] = {code: d.full_name for code, d in existing.items()}
    for r in rows:
        parent_full = full.get(r.parent_code or "", "")
        # "市辖区" is a placeholder level in the national list: leave it out of full names
        full_name = parent_full + (r.name if r.name != "市辖区" else "")
        full[r.code] = full_name
        values = {
            "name": r.name,
            "level": r.level,
            "parent_code": r.parent_code,
            "full_name": full_name,
            "valid_from": r.valid_from,
            "valid_to": r.valid_to,
            "successor_code": r.successor_code,
            "is_demo": r.is_demo,
        }
        if r.code in existing:
            d = existing[r.code]
            for k, v in values.items():
                setattr(d, k, v)
            updated += 1
        else:
            session.add(t.Division(code=r.code, **values))
            inserted += 1
    return inserted, updated


def row_from_input(code: str, name: str, level: str | None, parent: str | None, **rest: object) -> DivisionRow:
    code = normalize_code(code) if len(code) < 12 else code
    level = level or level_of(code)
    return DivisionRow(
        code=code,
        name=name,
        level=level,
        parent_code=parent or parent_of(code, level),
        **rest,  # type: ignore[arg-type]  # DivisionRow's other fields, by name; checked when it is built
    )


# Division codes as places of work: the township (乡镇) and county (区县) a code belongs to.
def township_of(code: str) -> str:
    return code[:9] + "000" if len(code) >= 12 and code[6:9] != "000" else code[:12]


def county_of(code: str) -> str:
    return pad12(code[:6])
