"""Users, their roles and jurisdictions, and their tokens (kept hashed)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from flowpop.registry.kernel import area, history
from flowpop.registry.kernel.auth import ASSIGNABLE, Actor, hash_token, new_token_secret
from flowpop.registry.kernel.errors import Conflict, Forbidden, Invalid, NotFound, field_error
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.store import tables as t
from flowpop.types import Me, Token, TokenCreate, TokenCreated, User, UserCreate


def present(reg: Registry, row: t.User) -> User:
    return User(
        id=row.id, username=row.username, display_name=row.display_name, role=row.role,
        jurisdiction_code=row.jurisdiction_code, jurisdiction_name=reg.divisions.name(row.jurisdiction_code),
        disabled=row.disabled, created_at=row.created_at,
    )


def me(reg: Registry, actor: Actor) -> Me:
    return Me(
        id=actor.user_id or 0, username=actor.username, display_name="本机管理员" if actor.embedded else actor.username,
        role=actor.role, jurisdiction_code=actor.jurisdiction_code,
        jurisdiction_name=reg.divisions.name(actor.jurisdiction_code), disabled=False,
        created_at=dt.datetime(2000, 1, 1), permissions=sorted(actor.permissions), embedded=actor.embedded,
        own_area=list(area.own_area(reg)),
    )


def _manages(actor: Actor, row: t.User) -> bool:
    if not actor.prefix:
        return True
    return bool(row.jurisdiction_code) and actor.covers(row.jurisdiction_code)


def create(reg: Registry, session: Session, actor: Actor, data: UserCreate) -> User:
    actor.require("users")
    errors = []
    if data.role not in ASSIGNABLE.get(actor.role, frozenset()):
        raise Forbidden(f"assign role {data.role}")
    if data.jurisdiction_code is None and data.role != "admin":
        errors.append(field_error("jurisdiction_code", "required", "须指定管辖区划", "a jurisdiction is required"))
    errors += reg.divisions.check(data.jurisdiction_code, "jurisdiction_code", current=True)
    if not errors and data.jurisdiction_code and actor.prefix and not actor.covers(data.jurisdiction_code):
        errors.append(field_error("jurisdiction_code", "outside_jurisdiction", "该区划不在您的管辖范围内", "outside your jurisdiction"))
    if data.role == "admin" and actor.prefix:
        raise Forbidden("assign role admin")
    if errors:
        raise Invalid(errors)
    if session.execute(select(t.User.id).where(t.User.username == data.username)).first():
        raise Conflict("username_taken", f"用户名 {data.username} 已存在", f"username {data.username} is taken")
    row = t.User(username=data.username, display_name=data.display_name, role=data.role,
                 jurisdiction_code=data.jurisdiction_code, disabled=False)
    session.add(row)
    session.flush()
    history.record(session, actor, entity="user", entity_id=row.id, person_id=None, action="create",
                   changes={"username": [None, row.username], "role": [None, row.role],
                            "jurisdiction_code": [None, row.jurisdiction_code]}, scope_code=row.jurisdiction_code)
    return present(reg, row)


def list_users(reg: Registry, session: Session, actor: Actor) -> list[User]:
    actor.require("users")
    rows = session.execute(select(t.User).order_by(t.User.username)).scalars()
    return [present(reg, r) for r in rows if _manages(actor, r)]


def _find(session: Session, actor: Actor, username: str) -> t.User:
    row = session.execute(select(t.User).where(t.User.username == username)).scalar_one_or_none()
    if row is None or not _manages(actor, row):
        raise NotFound("user", username)
    return row


def set_disabled(reg: Registry, session: Session, actor: Actor, username: str, disabled: bool) -> User:
    actor.require("users")
    row = _find(session, actor, username)
    if row.disabled != disabled:
        row.disabled = disabled
        history.record(session, actor, entity="user", entity_id=row.id, person_id=None,
                       action="disable" if disabled else "enable", changes={"disabled": [not disabled, disabled]},
                       scope_code=row.jurisdiction_code)
    return present(reg, row)


def create_token(reg: Registry, session: Session, actor: Actor, data: TokenCreate) -> TokenCreated:
    if data.username != actor.username:
        actor.require("users")
    row = _find(session, actor, data.username) if data.username != actor.username or actor.user_id else None
    if row is None:
        raise Invalid([field_error("username", "unknown_user", "本机管理员无需令牌；请为具体用户创建", "create tokens for a named user")])
    if row.disabled:
        raise Conflict("user_disabled", "用户已停用", "user is disabled")
    secret = new_token_secret()
    expires = t.utcnow() + dt.timedelta(days=data.expires_days) if data.expires_days else None
    tok = t.Token(user_id=row.id, name=data.name, token_hash=hash_token(secret), prefix=secret[:10], expires_at=expires)
    session.add(tok)
    session.flush()
    history.record(session, actor, entity="token", entity_id=tok.id, person_id=None, action="create",
                   changes={"user": [None, row.username], "name": [None, tok.name]}, scope_code=row.jurisdiction_code)
    return TokenCreated(**_token(tok, row.username).model_dump(), token=secret)


def _token(tok: t.Token, username: str) -> Token:
    return Token(id=tok.id, user_id=tok.user_id, username=username, name=tok.name, prefix=tok.prefix,
                 created_at=tok.created_at, expires_at=tok.expires_at, revoked_at=tok.revoked_at, last_used_at=tok.last_used_at)


def list_tokens(reg: Registry, session: Session, actor: Actor) -> list[Token]:
    rows = session.execute(select(t.Token, t.User).join(t.User, t.User.id == t.Token.user_id).order_by(t.Token.id)).all()
    out = []
    for tok, user in rows:
        if user.id == actor.user_id or (actor.can("users") and _manages(actor, user)):
            out.append(_token(tok, user.username))
    return out


def revoke_token(reg: Registry, session: Session, actor: Actor, token_id: int) -> Token:
    row = session.execute(select(t.Token, t.User).join(t.User, t.User.id == t.Token.user_id).where(t.Token.id == token_id)).first()
    if row is None:
        raise NotFound("token", token_id)
    tok, user = row
    if user.id != actor.user_id and not (actor.can("users") and _manages(actor, user)):
        raise NotFound("token", token_id)
    if tok.revoked_at is None:
        tok.revoked_at = t.utcnow()
        history.record(session, actor, entity="token", entity_id=tok.id, person_id=None, action="revoke",
                       changes={"revoked": [False, True]}, scope_code=user.jurisdiction_code)
    return _token(tok, user.username)
