"""Finding persons: by ID number (whole, or last digits with the reveal right), name, pinyin or initials, place,
status, category, arrival dates and direction; keyset pages, so deep pages cost what the first does."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, exists, false, func, not_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import True_

from flowpop.registry.kernel import history
from flowpop.registry.kernel.auth import Actor, code_range
from flowpop.registry.kernel.counties import in_counties, same_county
from flowpop.registry.kernel.errors import Invalid, field_error
from flowpop.registry.kernel.paging import decode_cursor, encode_cursor
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.kernel.validation import years_before
from flowpop.registry.people import floating, present
from flowpop.registry.store import tables as t
from flowpop.rules.divisions_source import prefix_of
from flowpop.rules.idnumber import forms, mask, normalize
from flowpop.rules.names import clean_name
from flowpop.types import Page, Person, PersonFilters, PersonListFilters

SORTS = {"id": t.Person.id, "name": t.Person.name_pinyin, "arrived_on": t.Person.arrived_on, "updated_at": t.Person.updated_at}
# the type of each sort's value in a cursor (by id: the id is the whole key)
CURSOR_KINDS: dict[str, type[str] | type[dt.date]] = {"name": str, "arrived_on": dt.date, "updated_at": dt.datetime}
ID_CHARS = re.compile(r"^[0-9X]+$")
LATIN = re.compile(r"^[a-z]+$")


def _prefix_range(column: SQLColumnExpression[str], text: str) -> ColumnElement[bool]:
    return and_(column >= text, column < text + "\uffff")


def whole_number(text: str) -> str | None:
    """The text as a whole ID number (18 characters, or a legacy 15 digits) if _text_filter searches it as one."""
    compact = normalize(text)
    if not ID_CHARS.match(compact) or compact.isalpha():
        return None
    return compact if len(compact) == 18 or (len(compact) == 15 and compact.isdigit()) else None


def lookups(actor: Actor, query: PersonFilters) -> list[tuple[str, str]]:
    """(field, number) for every whole ID number a caller without the reveal right looks up."""
    return whole_number_lookups(actor, (("q", query.q), ("id_number", query.id_number), ("name", query.name)))


def whole_number_lookups(actor: Actor, wanted: Iterable[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """(field, number) for every whole ID number among (field, typed text) that a caller without the reveal
    right looks up (persons, messages). Each answer says whether a guess is right, and some 16,000 guesses
    rebuild a number from its masked form: every one is written to the access log (log_lookups), so an
    auditor sees the guessing."""
    if actor.can("reveal"):
        return []
    return [(field, number) for field, text in wanted if text and (number := whole_number(text))]


def log_lookups(session: Session, actor: Actor, looked_up: list[tuple[str, str]], entity: str, ids: list[int],
                has_more: bool) -> None:
    """One `lookup` access-log row for a search with whole numbers in it: the numbers masked, what it found."""
    found = f"{len(ids)}{'+' if has_more else ''} found"
    history.log_access(session, actor, "lookup", entity, ids,
                       detail="; ".join(f"{field}={mask(number)}" for field, number in looked_up) + f"; {found}")


def is_id_text(text: str) -> bool:
    """Whether typed text is (part of) an ID number: digits and X, not letters alone ("xx" is initials, 徐霞)."""
    compact = normalize(text)
    return bool(ID_CHARS.match(compact)) and not compact.isalpha()


def partial_id_needs_reveal(field: str) -> Invalid:
    # a tail search answers "does a number end like this?": a character at a time it rebuilds a number
    return Invalid([field_error(field, "partial_id_needs_reveal",
                                "按部分身份证号查找需要查看完整号码的权限，请输入完整的18位号码",
                                "searching by part of an ID number needs the reveal right; type the whole 18-character number")])


def _text_filter(q: str, actor: Actor, field: str = "q") -> ColumnElement[bool]:
    """What a user types in one box: an ID number or its tail, pinyin or initials, or Chinese characters."""
    compact = normalize(q)
    if is_id_text(q):
        if len(compact) == 18 or (len(compact) == 15 and compact.isdigit()):  # either form of one number
            return t.Person.id_number.in_(forms(compact))
        if not actor.can("reveal"):
            raise partial_id_needs_reveal(field)
        if len(compact) < 4:
            raise Invalid([field_error(field, "too_short", "按身份证号查找至少输入末4位", "type at least the last 4 characters of an ID number")])
        return _prefix_range(t.Person.id_rev, compact[::-1])
    low = q.strip().lower().replace(" ", "")
    if LATIN.match(low):
        return or_(_prefix_range(t.Person.name_pinyin, low), _prefix_range(t.Person.name_initials, low))
    name = clean_name(q)
    return _prefix_range(t.Person.name, name)


def _after(column: Any, descending: bool, value: Any, last_id: int) -> ColumnElement[bool]:
    """Rows after (value, id) in an order that puts NULL values last."""
    ident = t.Person.id
    if column is ident:
        return ident < last_id if descending else ident > last_id
    if value is None:
        return and_(column.is_(None), ident < last_id if descending else ident > last_id)
    beyond = column < value if descending else column > value
    tie = and_(column == value, ident < last_id if descending else ident > last_id)
    if not column.nullable:
        # the plain bound in front lets the store start its walk of the sort index at the cursor (PostgreSQL
        # does not take a range from the OR alone and read the index from its first entry)
        return and_(column <= value if descending else column >= value, or_(beyond, tie))
    return or_(beyond, tie, column.is_(None))


def _scope(prefix: str, direction: str | None, *, broad: bool = False) -> ColumnElement[bool]:
    """``broad``: a county or more on SQLite, whose planner (without range statistics) would walk the
    code index and sort thousands of rows; written as an expression it walks the sort order instead."""
    residence = t.Person.residence_code.concat("") if broad else t.Person.residence_code
    household = t.Person.household_code.concat("") if broad else t.Person.household_code
    res = code_range(residence, prefix)
    hh = code_range(household, prefix)
    if not prefix:
        return and_(res, hh)
    if direction == "inflow":
        return and_(res, not_(hh))
    if direction == "outflow":
        return and_(hh, or_(t.Person.residence_code.is_(None), not_(res)))
    if direction == "local":
        return and_(res, hh)
    if direction == "other":  # neither lives nor belongs here
        return and_(not_(hh), or_(t.Person.residence_code.is_(None), not_(res)))
    return or_(res, hh)


def person_conditions(reg: Registry, actor: Actor, query: PersonFilters) -> tuple[ColumnElement[bool], str | None]:
    """The WHERE clause for a query as this caller may see it (search, bulk changes and exports share it)."""
    prefix = actor.prefix
    view_prefix: str | None = prefix
    if query.division:
        node = reg.divisions.get(query.division)
        if node is None:
            raise Invalid([field_error("division", "unknown_division", f"行政区划代码 {query.division} 不存在", f"unknown division {query.division}")])
        wanted = prefix_of(node.code, node.level)
        if wanted.startswith(prefix):
            view_prefix = wanted
        elif not prefix.startswith(wanted):
            view_prefix = None  # disjoint from the caller's jurisdiction: nothing to see
    if query.direction and not view_prefix and view_prefix is not None:
        raise Invalid([field_error("direction", "direction_needs_place", "按流入/流出筛选需指定区划",
                                   "inflow/outflow needs a division (you have no single jurisdiction)")])
    conditions: list[ColumnElement[bool]] = []
    if view_prefix is None:
        conditions.append(false())
    else:
        broad = reg.engine.dialect.name == "sqlite" and 0 < len(view_prefix) <= 6 and not (query.q or query.name
                                                                                          or query.id_number)
        conditions.append(_scope(view_prefix, query.direction, broad=broad))
        if query.direction in ("inflow", "local") and reg.engine.dialect.name != "sqlite":
            # living here: a person is in the county of her current residence (the shards to ask, on Citus; SQLite
            # has none, and its planner would take the county index for the walk in the sort order)
            conditions.append(in_counties(reg, t.Person, view_prefix))
        if prefix and (view_prefix != prefix or query.direction == "other"):
            conditions.append(_scope(prefix, None))  # never beyond the caller's jurisdiction
    if query.q:
        conditions.append(_text_filter(query.q, actor))
    if query.id_number:
        conditions.append(_text_filter(normalize(query.id_number), actor, "id_number"))
    if query.name:
        conditions.append(_text_filter(query.name, actor, "name"))
    if query.status:
        conditions.append(t.Person.status == query.status)
    if query.category:
        conditions.append(t.Person.category == query.category)
    if query.key_target is not None:
        day = today()
        oldest, youngest = years_before(day, 50), years_before(day, 15)
        target = and_(t.Person.category == "married_female", t.Person.birth_date > oldest, t.Person.birth_date <= youngest)
        conditions.append(target if query.key_target else not_(target))
    if query.floating is not None:
        day = today()
        reason = floating.reason_counted(t.Stay.reason)
        # every reason counted: a current stay is enough (current_stay_id always names a stay), without the EXISTS
        # whose two equalities (id, county) PostgreSQL takes for independent: it then hashes every stay and sorts
        # the area instead of walking the sort index (20k demo, a county's first page: 0.2 -> 47 ms)
        current = t.Person.current_stay_id.is_not(None) if isinstance(reason, True_) else exists().where(
            t.Stay.id == t.Person.current_stay_id, same_county(t.Stay, t.Person), reason)
        counted = and_(t.Person.status == "active", floating.away(reg, t.Person.household_code, t.Person.residence_code),
                       floating.long_enough(t.Person.arrived_on, day), current)
        conditions.append(counted if query.floating else not_(counted))
    if query.arrived_from:
        conditions.append(t.Person.arrived_on >= query.arrived_from)
    if query.arrived_to:
        conditions.append(t.Person.arrived_on <= query.arrived_to)
    if query.expected_return_before:
        conditions.append(exists().where(t.Stay.id == t.Person.current_stay_id, same_county(t.Stay, t.Person),
                                         t.Stay.status == "open",
                                         t.Stay.expected_return_on < query.expected_return_before))
    return and_(*conditions), view_prefix


def needs_writing(actor: Actor, query: PersonListFilters) -> bool:
    """A search that writes to the access log: a reveal, or a whole-number lookup without the reveal right."""
    return query.reveal or bool(lookups(actor, query))


def search_persons(reg: Registry, session: Session, actor: Actor, query: PersonListFilters) -> Page[Person]:
    actor.require("read")
    if query.reveal:
        actor.require("reveal")
    descending = query.sort.startswith("-")
    key = query.sort.lstrip("-")
    if key not in SORTS:
        raise Invalid([field_error("sort", "unknown_sort", f"不支持的排序：{query.sort}", f"unknown sort {query.sort}; use {', '.join(SORTS)}")])
    column = SORTS[key]
    where, view_prefix = person_conditions(reg, actor, query)
    prefix = actor.prefix
    stmt = select(t.Person).where(where)
    if query.cursor:
        value, last_id = decode_cursor(query.cursor, CURSOR_KINDS.get(key))
        stmt = stmt.where(_after(column, descending, value, last_id))
    # NULLS LAST only where there can be NULLs: on PostgreSQL `id DESC NULLS LAST` is not the primary key
    # read backwards (that is DESC NULLS FIRST), and it sorted a whole county instead of reading 50 rows
    order: list[ColumnElement[Any]] = [column.desc() if descending else column.asc()]
    if column.nullable:
        order = [order[0].nulls_last()]
    if column is not t.Person.id:
        order.append(t.Person.id.desc() if descending else t.Person.id.asc())
    rows = list(session.execute(stmt.order_by(*order).limit(query.limit + 1)).scalars())
    has_more = len(rows) > query.limit
    rows = rows[: query.limit]
    total = session.execute(select(func.count()).select_from(t.Person).where(where)).scalar_one() if query.with_total else None
    next_cursor = None
    if has_more and rows:
        last = rows[-1]
        next_cursor = encode_cursor([history.jsonable(getattr(last, column.key)), last.id])
    if query.reveal and rows:
        history.log_access(session, actor, "reveal", "person", [r.id for r in rows], detail="list")
    if looked_up := lookups(actor, query):  # the route gave a writing session for it (needs_writing)
        log_lookups(session, actor, looked_up, "person", [r.id for r in rows], has_more)
    shown_prefix = view_prefix if query.division and view_prefix else prefix
    data = [present.person(reg, actor, r, reveal=query.reveal, prefix=shown_prefix) for r in rows]
    return Page[Person](data=data, next_cursor=next_cursor, has_more=has_more, total=total)
