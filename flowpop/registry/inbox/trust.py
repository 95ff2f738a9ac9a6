"""Trust between registries (issue 13 item 3): this registry's Ed25519 key pair, the directory of peers (who
serves which division prefix, with their public keys), and signing and checking envelopes.

The key pair is kept in the registry (table exchange_identity, one row): a server's workers, the CLI and a
backup all find it there, and whoever can read the registry can read the ID numbers the key protects anyway.
Public keys travel as base64 of the raw 32 bytes; a fingerprint is "SHA256:" + base64 of their SHA-256, as
OpenSSH shows keys. What a signature covers is the envelope without its ``signature`` member, canonicalized by
RFC 8785 (JSON Canonicalization Scheme)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flowpop.registry.kernel import area
from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.errors import ApiError, Conflict, Forbidden, Invalid, NotFound, field_error
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.store import tables as t
from flowpop.types import ExchangeIdentity, ExchangePeer, ExchangePeerCreate, ExchangeSyncResult


def require_admin(actor: Actor) -> None:
    """Keys and peers are the whole registry's: its administrator's (no jurisdiction) alone."""
    actor.require("users")
    if actor.prefix:
        raise Forbidden("exchange")


def fingerprint(public_key: str) -> str:
    digest = hashlib.sha256(base64.b64decode(public_key)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def _raw_public(key: Ed25519PublicKey) -> str:
    return base64.b64encode(
        key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    ).decode()


def load_public(text: str) -> Ed25519PublicKey | None:
    """A public key as base64 of its raw 32 bytes, or None when it is none."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        return Ed25519PublicKey.from_public_bytes(raw) if len(raw) == 32 else None
    except (binascii.Error, ValueError):
        return None


def identity_row(session: Session) -> t.ExchangeIdentity | None:
    return session.get(t.ExchangeIdentity, 1)


def present_identity(reg: Registry, row: t.ExchangeIdentity) -> ExchangeIdentity:
    return ExchangeIdentity(
        registry_id=row.registry_id,
        public_key=row.public_key,
        fingerprint=fingerprint(row.public_key),
        own_area=list(area.own_area(reg)),
        created_at=row.created_at,
    )


def identity(reg: Registry, session: Session, actor: Actor) -> ExchangeIdentity:
    actor.require("read")
    row = identity_row(session)
    if row is None:
        raise NotFound("exchange key", 1)
    return present_identity(reg, row)


def create_key(reg: Registry, session: Session, actor: Actor) -> ExchangeIdentity:
    """Create this registry's key pair (once: replacing a key its peers have registered would cut them off)."""
    require_admin(actor)
    if identity_row(session) is not None:
        raise Conflict(
            "key_exists",
            "本库已有交换密钥（flowpop exchange key --show 显示公钥）",
            "this registry has an exchange key already (flowpop exchange key --show prints it)",
        )
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    row = t.ExchangeIdentity(
        id=1,
        registry_id=str(uuid.uuid4()),
        private_key=pem,
        public_key=_raw_public(private.public_key()),
        created_at=t.utcnow(),
    )
    session.add(row)
    session.flush()
    return present_identity(reg, row)


def private_key(row: t.ExchangeIdentity) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(row.private_key.encode(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


# ---------------------------------------------------------------- peers


def present_peer(row: t.ExchangePeer) -> ExchangePeer:
    return ExchangePeer(
        name=row.name,
        url=row.url,
        public_key=row.public_key,
        fingerprint=fingerprint(row.public_key),
        serves=list(row.serves),
        created_at=row.created_at,
    )


def add_peer(session: Session, actor: Actor, data: ExchangePeerCreate) -> ExchangePeer:
    """Add a peer, or replace the one of that name (a new address, key or area)."""
    require_admin(actor)
    errors = []
    if load_public(data.key) is None:
        errors.append(
            field_error(
                "key",
                "bad_key",
                "公钥应为 Ed25519 公钥（32 字节）的 base64 文本",
                "the key must be an Ed25519 public key: base64 of its 32 bytes",
            )
        )
    mine = identity_row(session)
    if mine is not None and mine.public_key == data.key.strip():
        errors.append(field_error("key", "own_key", "这是本库自己的公钥", "this is this registry's own key"))
    if errors:
        raise Invalid(errors)
    row = session.execute(select(t.ExchangePeer).where(t.ExchangePeer.name == data.name)).scalar_one_or_none()
    if row is None:
        row = t.ExchangePeer(name=data.name, created_at=t.utcnow())
        session.add(row)
    row.url, row.public_key, row.serves = (
        str(data.url).rstrip("/"),
        data.key.strip(),
        sorted(set(data.serves)),
    )
    session.flush()
    return present_peer(row)


def peers(session: Session, actor: Actor) -> list[ExchangePeer]:
    actor.require("read")
    return [
        present_peer(r)
        for r in session.execute(select(t.ExchangePeer).order_by(t.ExchangePeer.name)).scalars()
    ]


def signed_only(session: Session) -> bool:
    """Does this registry take only signed envelopes from other registries in files too? Once it has peers: the
    plain records of a file (flowpop.message/1, what a registry without a key exports) are refused then, as an
    unsigned envelope online is. A registry with no peer still takes them (file exchange without keys)."""
    return session.execute(select(t.ExchangePeer.id).limit(1)).first() is not None


def idle_round(session: Session) -> ExchangeSyncResult | None:
    """A delivery round's answer when there is nobody to deliver to (no key, or no peer): nothing sent, what waits
    in the outbox counted as pending and unrouted; None when a round can run."""
    if identity_row(session) is not None and session.execute(select(t.ExchangePeer.id).limit(1)).first():
        return None
    waiting = session.execute(
        select(func.count()).select_from(t.ExchangeOutbox).where(t.ExchangeOutbox.status == "pending")
    ).scalar_one()
    return ExchangeSyncResult(delivered=0, refused=0, failed=0, pending=waiting, unrouted=waiting)


def peer_for(session: Session, code: str) -> t.ExchangePeer | None:
    """The peer serving ``code``: the longest prefix wins (a county's own registry before the province's relay)."""
    best: tuple[int, t.ExchangePeer] | None = None
    for row in session.execute(select(t.ExchangePeer)).scalars():
        for prefix in row.serves:
            if code.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), row)
    return best[1] if best else None


def serves(row: t.ExchangePeer, code: str | None) -> bool:
    return code is not None and any(code.startswith(prefix) for prefix in row.serves)


# ---------------------------------------------------------------- signatures


def signed_bytes(envelope: dict[str, Any]) -> bytes:
    return rfc8785.dumps({k: v for k, v in envelope.items() if k != "signature"})


def sign(row: t.ExchangeIdentity, envelope: dict[str, Any]) -> dict[str, Any]:
    signature = private_key(row).sign(signed_bytes(envelope))
    return {**envelope, "signature": base64.b64encode(signature).decode()}


def refused(code: str, zh: str, en: str, status: int = 403) -> ApiError:
    return ApiError(code, zh, en, status=status)


def signer(session: Session, envelope: dict[str, Any]) -> t.ExchangePeer:
    """The registered peer whose key signed ``envelope``; refused when unsigned, unknown or forged."""
    signature, key = envelope.get("signature"), envelope.get("key")
    if not isinstance(signature, str) or not signature:
        raise refused("unsigned_envelope", "信封未签名，拒收", "the envelope is not signed: refused", 401)
    if not isinstance(key, str):
        raise refused(
            "unknown_key", "信封未注明发件库公钥，拒收", "the envelope names no sender key: refused", 401
        )
    row = session.execute(select(t.ExchangePeer).where(t.ExchangePeer.public_key == key)).scalars().first()
    public = load_public(key)
    if row is None or public is None:
        raise refused(
            "unknown_key",
            f"发件库公钥 {key[:12]}… 未登记（flowpop exchange peer add）",
            f"the sender's key {key[:12]}… is not registered here (flowpop exchange peer add)",
        )
    try:
        public.verify(base64.b64decode(signature, validate=True), signed_bytes(envelope))
    except (InvalidSignature, binascii.Error, ValueError, TypeError):
        raise refused(
            "bad_signature",
            "信封签名无效（内容被改动或非该库所签），拒收",
            "the envelope's signature does not verify (altered, or not signed by that registry): refused",
        ) from None
    return row
