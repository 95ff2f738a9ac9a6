"""Who is calling, and what their role and jurisdiction let them do."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, select, true, update
from sqlalchemy.orm import Session

from flowpop.registry.kernel.errors import Forbidden, Unauthorized
from flowpop.registry.store import tables as t
from flowpop.rules.divisions_source import prefix_of

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "village_assistant": frozenset({"read", "write"}),
    "township_operator": frozenset({"read", "write", "deregister", "archive", "restore", "reveal"}),
    "county_admin": frozenset(
        {"read", "write", "deregister", "archive", "restore", "reveal", "export", "users", "audit", "divisions", "bulk"}
    ),
    "city_viewer": frozenset({"read"}),
    "auditor": frozenset({"read", "audit"}),
    "admin": frozenset(
        {"read", "write", "deregister", "archive", "restore", "reveal", "export", "users", "audit", "divisions", "bulk"}
    ),
}
# A manager may hand out only roles of no more power than their own.
ASSIGNABLE: dict[str, frozenset[str]] = {
    "admin": frozenset(ROLE_PERMISSIONS),
    "county_admin": frozenset({"village_assistant", "township_operator", "county_admin", "city_viewer", "auditor"}),
}

LOCAL_ADMIN = "local"


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    role: str
    jurisdiction_code: str | None
    embedded: bool = False

    @property
    def prefix(self) -> str:
        """Every code in the jurisdiction's subtree starts with this; '' for nationwide."""
        return prefix_of(self.jurisdiction_code) if self.jurisdiction_code else ""

    @property
    def permissions(self) -> frozenset[str]:
        return ROLE_PERMISSIONS[self.role]

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise Forbidden(permission)

    def covers(self, code: str | None) -> bool:
        return bool(code and code.startswith(self.prefix))


def code_range(column: SQLColumnExpression[str | None], prefix: str) -> ColumnElement[bool]:
    """``column LIKE prefix%`` as an index-friendly range (codes are digits)."""
    if not prefix:
        return true()
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < upper)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token_secret() -> str:
    return "fp_" + secrets.token_urlsafe(32)


def actor_for_token(session: Session, secret: str) -> tuple[Actor, int | None]:
    """The token's user, and the token's id when its last use should be recorded."""
    row = session.execute(
        select(t.Token, t.User).join(t.User, t.User.id == t.Token.user_id).where(t.Token.token_hash == hash_token(secret))
    ).first()
    if row is None:
        raise Unauthorized()
    token, user = row
    now = t.utcnow()
    if token.revoked_at or user.disabled or (token.expires_at and token.expires_at < now):
        raise Unauthorized()
    # coarse, so that reads do not write on every request
    stale = token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5)
    return Actor(user.id, user.username, user.role, user.jurisdiction_code), token.id if stale else None


def touch_token(session: Session, token_id: int) -> None:
    session.execute(update(t.Token).where(t.Token.id == token_id).values(last_used_at=t.utcnow()))


def local_admin() -> Actor:
    return Actor(None, LOCAL_ADMIN, "admin", None, embedded=True)
