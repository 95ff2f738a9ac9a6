"""/v1/exchange/key, /v1/exchange/peers, /v1/exchange/sync (the administrator's) and /v1/exchange/envelopes
(another registry's: authenticated by the envelope's signature, not by a token)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from flowpop.registry.api.deps import Caller, Reg
from flowpop.registry.inbox import delivery, envelopes, trust
from flowpop.types import (
    EnvelopeResult,
    ExchangeIdentity,
    ExchangePeer,
    ExchangePeerCreate,
    ExchangeSyncResult,
)

router = APIRouter(prefix="/v1", tags=["exchange"])


@router.get("/exchange/key", response_model=ExchangeIdentity)
def get_key(reg: Reg, who: Caller) -> ExchangeIdentity:
    with reg.reading() as session:
        return trust.identity(reg, session, who)


@router.post("/exchange/key", response_model=ExchangeIdentity, status_code=201)
def create_key(reg: Reg, who: Caller) -> ExchangeIdentity:
    """Create this registry's Ed25519 key pair (kept in the registry); answers the public key and fingerprint."""
    with reg.writing() as session:
        return trust.create_key(reg, session, who)


@router.get("/exchange/peers", response_model=list[ExchangePeer])
def list_peers(reg: Reg, who: Caller) -> list[ExchangePeer]:
    with reg.reading() as session:
        return trust.peers(session, who)


@router.post("/exchange/peers", response_model=ExchangePeer, status_code=201)
def add_peer(body: ExchangePeerCreate, reg: Reg, who: Caller) -> ExchangePeer:
    """Add a peer (or replace the one of that name): its URL, public key and the division prefixes it serves."""
    with reg.writing() as session:
        return trust.add_peer(session, who, body)


@router.post("/exchange/sync", response_model=ExchangeSyncResult)
async def sync(reg: Reg, who: Caller, retry_now: bool = False, if_ready: bool = False) -> ExchangeSyncResult:
    """One delivery round now: state changes queued, due envelopes posted to their peers. ``if_ready``: without a
    key or a peer, an idle round (nothing sent, what waits counted) instead of 409."""
    trust.require_admin(who)
    if if_ready:
        with reg.reading() as session:
            idle = trust.idle_round(session)
        if idle is not None:
            return idle
    return await run_in_threadpool(delivery.deliver, reg, retry_now=retry_now)


@router.post(
    "/exchange/envelopes",
    response_model=EnvelopeResult,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
        "security": [],  # no token: the envelope's signature is the credential
    },
)
async def receive_envelope(request: Request, reg: Reg) -> EnvelopeResult:
    """A signed envelope from another registry: checked (signature, the sender's key registered for the division
    it claims, addressees served here) and applied whole, or refused (logged) with nothing written."""
    body = await request.body()
    return await run_in_threadpool(envelopes.receive_bytes, reg, body)
