"""/v1/me, /v1/divisions, /v1/calendar, /v1/users, /v1/tokens, /v1/access-log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from flowpop.registry.api.deps import Caller, Reg
from flowpop.registry.kernel import divisions, history, users
from flowpop.registry.kernel.errors import Invalid, NotFound, field_error
from flowpop.registry.messaging import holidays
from flowpop.rules.divisions_source import pad12
from flowpop.rules.names import is_pinyin_query
from flowpop.types import (
    AccessLogEntry,
    AccessLogFilters,
    CalendarYearInfo,
    Division,
    DivisionFilters,
    DivisionImport,
    DivisionImportResult,
    HolidayNotice,
    Me,
    Token,
    TokenCreate,
    TokenCreated,
    User,
    UserCreate,
)

router = APIRouter(prefix="/v1")


@router.get("/me", response_model=Me, tags=["users"])
def get_me(reg: Reg, who: Caller) -> Me:
    return users.me(reg, who)


def _division(node: divisions.Node) -> Division:
    return Division(code=node.code, name=node.name, level=node.level, parent_code=node.parent_code,
                    full_name=node.full_name, valid_from=node.valid_from, valid_to=node.valid_to,
                    successor_code=node.successor_code, is_demo=node.is_demo, retired=node.retired)


@router.get("/divisions", response_model=list[Division], tags=["divisions"])
def list_divisions(reg: Reg, who: Caller, filters: Annotated[DivisionFilters, Query()]) -> list[Division]:
    parent, level, q, limit = filters.parent, filters.level, filters.q, filters.limit
    include_retired = filters.include_retired
    who.require("read")
    parent_code = pad12(parent) if parent else None
    out = []
    for node in reg.divisions.nodes.values():
        if parent_code is not None and node.parent_code != parent_code:
            continue
        if level and node.level != level:
            continue
        if q and not reg.divisions.name_matches(node, q):
            continue
        if node.retired and not include_retired:
            continue
        out.append(node)
    if q and is_pinyin_query(q.lower().replace(" ", "")):  # initials match many names (sx: 沙县, 市辖区): own places first
        home = reg.divisions.home_counties
        out.sort(key=lambda n: (n.code[:6] not in home, n.code))
    else:
        out.sort(key=lambda n: n.code)
    return [_division(n) for n in out[:limit]]


@router.get("/divisions/{code}", response_model=Division, tags=["divisions"])
def get_division(code: str, reg: Reg, who: Caller) -> Division:
    who.require("read")
    node = reg.divisions.get(pad12(code) if len(code) < 12 else code)
    if node is None:
        raise NotFound("division", code)
    return _division(node)


@router.post("/divisions/import", response_model=DivisionImportResult, tags=["divisions"])
def import_divisions(body: DivisionImport, reg: Reg, who: Caller) -> DivisionImportResult:
    who.require("divisions")
    rows = []
    errors = []
    for i, r in enumerate(body.rows):
        row = divisions.row_from_input(r.code, r.name, r.level, r.parent_code, valid_from=r.valid_from,
                                       valid_to=r.valid_to, successor_code=r.successor_code, is_demo=r.is_demo)
        if who.prefix and not row.code.startswith(who.prefix):
            errors.append(field_error(f"rows.{i}.code", "outside_jurisdiction", "不在您的管辖范围内", "outside your jurisdiction"))
        rows.append(row)
    if errors:
        raise Invalid(errors)
    known = set(reg.divisions.nodes) | {r.code for r in rows}
    errors = [field_error(f"rows.{i}.parent_code", "unknown_parent", f"上级区划 {r.parent_code} 不存在", f"unknown parent {r.parent_code}")
              for i, r in enumerate(rows) if r.parent_code and r.parent_code not in known]
    if errors:
        raise Invalid(errors)
    with reg.writing() as session:
        inserted, updated = divisions.load(session, rows)
    reg.divisions.invalidate()
    return DivisionImportResult(inserted=inserted, updated=updated)


Year = Annotated[int, Path(ge=2000, le=2999)]


@router.get("/calendar/{year}", response_model=CalendarYearInfo, tags=["divisions"])
def get_calendar_year(year: Year, reg: Reg, who: Caller) -> CalendarYearInfo:
    """Where the year's working days come from; provisional when no notice or package covers it."""
    with reg.reading() as session:
        return holidays.show(reg, session, who, year)


@router.put("/calendar/{year}", response_model=CalendarYearInfo, tags=["divisions"])
def load_calendar_year(year: Year, notice: HolidayNotice, reg: Reg, who: Caller) -> CalendarYearInfo:
    """Load the State Council's holiday notice for a year; open deadlines touching it are recomputed."""
    if notice.year != year:
        raise Invalid([field_error("year", "year_mismatch", "通知年份与路径不一致", "the notice's year is not the path's")])
    with reg.writing() as session:
        return holidays.load(reg, session, who, notice)


@router.get("/users", response_model=list[User], tags=["users"])
def list_users(reg: Reg, who: Caller) -> list[User]:
    with reg.reading() as session:
        return users.list_users(reg, session, who)


@router.post("/users", response_model=User, status_code=201, tags=["users"])
def create_user(body: UserCreate, reg: Reg, who: Caller) -> User:
    if body.jurisdiction_code and len(body.jurisdiction_code) == 6:
        body.jurisdiction_code = pad12(body.jurisdiction_code)
    with reg.writing() as session:
        return users.create(reg, session, who, body)


@router.post("/users/{username}/disable", response_model=User, tags=["users"])
def disable_user(username: str, reg: Reg, who: Caller) -> User:
    with reg.writing() as session:
        return users.set_disabled(reg, session, who, username, True)


@router.post("/users/{username}/enable", response_model=User, tags=["users"])
def enable_user(username: str, reg: Reg, who: Caller) -> User:
    with reg.writing() as session:
        return users.set_disabled(reg, session, who, username, False)


@router.get("/tokens", response_model=list[Token], tags=["users"])
def list_tokens(reg: Reg, who: Caller) -> list[Token]:
    with reg.reading() as session:
        return users.list_tokens(reg, session, who)


@router.post("/tokens", response_model=TokenCreated, status_code=201, tags=["users"])
def create_token(body: TokenCreate, reg: Reg, who: Caller) -> TokenCreated:
    with reg.writing() as session:
        return users.create_token(reg, session, who, body)


@router.delete("/tokens/{token_id}", response_model=Token, tags=["users"])
def revoke_token(token_id: int, reg: Reg, who: Caller) -> Token:
    with reg.writing() as session:
        return users.revoke_token(reg, session, who, token_id)


@router.get("/access-log", response_model=list[AccessLogEntry], tags=["audit"])
def access_log(reg: Reg, who: Caller, filters: Annotated[AccessLogFilters, Query()]) -> list[AccessLogEntry]:
    with reg.reading() as session:
        rows = history.access_entries(session, who, **filters.model_dump())
        return [AccessLogEntry.model_validate(r) for r in rows]
