"""Signed envelopes (issue 13 items 2-3): what one registry sends another, online (POST /v1/exchange/envelopes)
or in a JSON Lines file (one envelope a line; `flowpop inbox export/import`).

    {"format": "flowpop.envelope/1", "registry": <sender registry id>, "key": <sender public key>,
     "division": <the sender's division: the messages' sender, or the side whose state changed>,
     "to": <the destination division: a relay passes on, unchanged, what is for a place outside its own area>,
     "records": [<message records, as inbox.records.Record>], "states": [<state changes of messages exchanged with
     the receiver, either way: by the addressee of what the receiver sent, by the sender of what it received>],
     "created_at": <ISO 8601 UTC>, "nonce": <random hex>, "signature": <Ed25519 over the rest, RFC 8785>}

The receiver checks, before anything is written: the signature against the key of a registered peer, that the
peer serves the division the envelope claims and every record's sender (a record), or every changed message's
side there (a state: its addressee, or its sender), that each record is addressed inside its own area, and that
an envelope signed longer ago than the replay window brings no message not received yet (``replay_window``). A
refusal is logged (access log and the server's log) and nothing of the envelope is written; receipt is
idempotent by message uid, a state change already applied changes nothing, and a state never moves a message back
(``merged``)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, StringConstraints
from pydantic import ValidationError as PydanticError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flowpop.registry.inbox import trust
from flowpop.registry.inbox.records import Record, known_uids, receive_batch
from flowpop.registry.kernel import area, history
from flowpop.registry.kernel import settings as settings_mod
from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.errors import ApiError
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.messaging import messages, outbox
from flowpop.registry.store import tables as t
from flowpop.types import Code, EnvelopeResult, MessageStatus, Model

FORMAT = "flowpop.envelope/1"
MAX_RECORDS = 500
log = logging.getLogger("flowpop.exchange")

Uid = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class State(Model):
    """A message's state at its addressee, travelling back to its sender."""

    model_config = ConfigDict(extra="ignore")
    uid: Uid
    status: MessageStatus
    outcome: Annotated[str, StringConstraints(max_length=20)] | None = None
    read_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    version: int = 1


class Envelope(Model):
    model_config = ConfigDict(extra="ignore")  # what later versions add
    format: Literal["flowpop.envelope/1"]
    registry: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    key: Annotated[str, StringConstraints(max_length=64)]
    division: Code
    to: Code | None = None  # the destination: a relay passes on what is for a place outside its own area
    records: list[dict[str, Any]] = []
    states: list[State] = []
    created_at: str
    nonce: Annotated[str, StringConstraints(min_length=8, max_length=64)]
    signature: str


def seal(
    ident: t.ExchangeIdentity,
    division: str,
    *,
    records: list[dict[str, Any]] | None = None,
    states: list[dict[str, Any]] | None = None,
    to: str | None = None,
) -> dict[str, Any]:
    envelope = {
        "format": FORMAT,
        "registry": ident.registry_id,
        "key": ident.public_key,
        "division": division,
        **({"to": to} if to else {}),
        "records": records or [],
        "states": states or [],
        "created_at": t.utcnow().isoformat() + "Z",
        "nonce": secrets.token_hex(16),
    }
    return trust.sign(ident, envelope)


def _problem(exc: PydanticError, where: str) -> ApiError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    return ApiError(
        "malformed_envelope",
        f"信封格式错误：{where}{loc}：{err['msg']}",
        f"malformed envelope: {where}{loc}: {err['msg']}",
        status=422,
    )


def parse(body: bytes | str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ApiError(
            "malformed_envelope", f"信封不是 JSON：{exc}", f"the envelope is not JSON: {exc}", status=422
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ApiError("malformed_envelope", f"不是 {FORMAT} 信封", f"not a {FORMAT} envelope", status=422)
    return data


def receive(reg: Registry, session: Session, data: dict[str, Any]) -> EnvelopeResult:
    """Check and apply one envelope in ``session``; raises ApiError (nothing written by it) when refused."""
    peer = trust.signer(session, data)  # unsigned, unknown key, forged: refused before the content is read
    try:
        env = Envelope.model_validate(data)
    except PydanticError as exc:
        raise _problem(exc, "") from None
    if len(env.records) > MAX_RECORDS:
        raise ApiError(
            "malformed_envelope",
            f"信封最多 {MAX_RECORDS} 条消息",
            f"{MAX_RECORDS} records per envelope at most",
            status=422,
        )
    wrong = trust.refused(
        "wrong_division",
        f"发件库（{peer.name}）未登记为 {env.division} 的服务方，拒收",
        f"the sender ({peer.name}) is not registered as serving {env.division}: refused",
    )
    if not trust.serves(peer, env.division):
        raise wrong
    own = area.own_area(reg)
    if env.to and not area.inside(own, env.to):
        return _relay(session, peer, env.to, data)
    records = []
    for i, rec in enumerate(env.records):
        try:
            records.append(Record.model_validate(rec))
        except PydanticError as exc:
            raise _problem(exc, f"records.{i}.") from None
    for msg in records:
        if not trust.serves(peer, msg.sender_code):
            raise trust.refused(
                "wrong_division",
                f"消息 {msg.uid} 的发件单位 {msg.sender_code} 不由发件库（{peer.name}）服务，拒收",
                f"message {msg.uid}: its sender {msg.sender_code} is not served by {peer.name}: refused",
            )
        if reg.divisions.get(msg.addressee_code) is None or not area.inside(own, msg.addressee_code):
            raise ApiError(
                "not_served_here",
                f"消息 {msg.uid} 的收件单位 {msg.addressee_code} 不在本库辖区",
                f"message {msg.uid}: addressee {msg.addressee_code} is not served here",
                status=422,
            )
    actor = Actor(None, f"exchange:{peer.name}"[:64], "admin", None)
    known = known_uids(session, [{"uid": m.uid} for m in records])
    if (age := _age(env.created_at)) > replay_window() and any(m.uid not in known for m in records):
        raise trust.refused(
            "stale_envelope",
            f"信封签于 {age.days} 天前，超过重放窗口（{replay_window().days} 天），且其中有本库未收过的消息：拒收"
            "（请发件库重新导出或重发）",
            f"the envelope was signed {age.days} days ago, beyond the replay window ({replay_window().days} days), "
            "and carries messages not received here: refused (ask the sender to export or send them again)",
        )
    batch, skipped = [], 0
    for msg in records:
        if msg.uid in known:
            skipped += 1
            continue
        known.add(msg.uid)
        batch.append(
            messages.new_message(
                reg,
                session,
                actor,
                kind=msg.kind,
                topic=msg.topic,
                sender_code=msg.sender_code,
                addressee_code=msg.addressee_code,
                subject=msg.subject.model_dump(mode="json", exclude_none=True),
                items=msg.items or {},
                text=msg.text,
                thread_uid=msg.thread_uid,
                in_reply_to=msg.in_reply_to,
                uid=msg.uid,
                created_at=msg.created_at,
                imported=True,
                batch=True,
            )
        )
    if batch:
        receive_batch(reg, session, actor, batch)
        outbox.received(session, [m.uid for m in batch])
    applied = _apply_states(session, actor, peer, env.states)
    return EnvelopeResult(inserted=len(batch), skipped=skipped, states=applied)


def replay_window() -> dt.timedelta:
    """How old a signed envelope may be and still bring messages not received yet (settings: [exchange]
    replay_window_days). Older ones are replays, or files kept too long; what they carry that is here already is
    received again as nothing (idempotent by uid)."""
    return dt.timedelta(days=settings_mod.load().replay_window_days)


def _age(created_at: str) -> dt.timedelta:
    try:
        moment = dt.datetime.fromisoformat(created_at)
    except ValueError:
        raise ApiError(
            "malformed_envelope",
            "信封格式错误：created_at 不是 ISO 8601 时间",
            "malformed envelope: created_at is not an ISO 8601 timestamp",
            status=422,
        ) from None
    moment = moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment
    return t.utcnow() - moment


def _relay(session: Session, signer: t.ExchangePeer, to: str, data: dict[str, Any]) -> EnvelopeResult:
    """An envelope for a place outside the own area, from a registered peer, signed by it: passed on unchanged
    (its signature is its sender's) to the peer serving ``to``, through the outbox (at least once, in order)."""
    onward = trust.peer_for(session, to)
    if onward is None or onward.id == signer.id:
        raise ApiError(
            "not_served_here",
            f"收件单位 {to} 不在本库辖区，也无对端服务",
            f"{to} is neither served here nor by a peer of this registry",
            status=422,
        )
    outbox.forward(session, to, data)
    return EnvelopeResult(inserted=0, skipped=0, states=0, forwarded=1)


# how far a message has come: a state never moves it back (both sides acting at once converge on the furthest)
PROGRESS = {"new": 0, "read": 1, "forwarded": 1, "escalated": 1, "matched": 2, "verifying": 3, "answered": 4,
            "returned": 4, "closed": 5}
STATE_FIELDS = ("outcome", "read_at", "answered_at", "closed_at")


def merged(row: t.Message, state: State) -> dict[str, Any]:
    """The message's state after ``state`` from the other side: the further status (the other side's on a tie),
    each time and the outcome as the other side has it, else as here."""
    status = state.status if PROGRESS.get(state.status, 0) >= PROGRESS.get(row.status, 0) else row.status
    values: dict[str, Any] = {"status": status}
    for key in STATE_FIELDS:
        theirs = getattr(state, key)
        if isinstance(theirs, dt.datetime) and theirs.tzinfo:
            theirs = theirs.astimezone(dt.UTC).replace(tzinfo=None)
        values[key] = theirs if theirs is not None else getattr(row, key)
    return values


def _apply_states(session: Session, actor: Actor, peer: t.ExchangePeer, states: list[State]) -> int:
    """State changes of messages exchanged with ``peer``, both ways: of a message sent from here, by its addressee
    there (received, matched, answered, ...), and of a message received from there, by its sender (closed when
    it acknowledged the reply, ...). What is applied is not sent back (its mirror moves with it)."""
    if not states:
        return 0
    rows = {
        r.uid: r
        for r in session.execute(
            select(t.Message).where(t.Message.uid.in_([s.uid for s in states]))
        ).scalars()
    }
    mirrors = {
        m.message_uid: m
        for m in session.execute(
            select(t.ExchangeMirror).where(t.ExchangeMirror.message_uid.in_(list(rows)))
        ).scalars()
    }
    applied = 0
    for state in states:
        row = rows.get(state.uid)
        if row is None or not (row.imported or row.external):
            raise ApiError(
                "unknown_message",
                f"状态变更所指消息 {state.uid} 不是与对方交换的消息",
                f"state change for message {state.uid}, which was not exchanged with another registry",
                status=422,
            )
        other = row.sender_code if row.imported else row.addressee_code  # the side that changed it
        if not trust.serves(peer, other):
            raise trust.refused(
                "wrong_division",
                f"消息 {row.uid} 的对方单位 {other} 不由 {peer.name} 服务，拒收",
                f"message {row.uid}: its other side {other} is not served by {peer.name}: refused",
            )
        values = merged(row, state)
        before = {k: getattr(row, k) for k in values}
        if before == values:
            continue
        version = row.version
        session.execute(
            update(t.Message)
            .where(t.Message.id == row.id)
            .values(**values, version=t.Message.version + 1)
            .execution_options(synchronize_session="fetch")
        )
        mirror = mirrors.get(row.uid)
        if mirror is None:  # a message sent before its mirror was kept: from now on
            mirror = t.ExchangeMirror(message_uid=row.uid, sent_version=version + 1)
            session.add(mirror)
            mirrors[row.uid] = mirror
        elif mirror.sent_version >= version:  # nothing of this side's waits to leave: this change stays here
            mirror.sent_version = version + 1
        history.record(
            session,
            actor,
            entity="message",
            entity_id=row.id,
            person_id=row.matched_person_id if row.imported else row.sender_person_id,
            action="exchange_state",
            changes={
                "status": [before["status"], values["status"]],
                "outcome": [before["outcome"], values["outcome"]],
            },
            reason=f"exchange: {peer.name}",
            scope_code=row.addressee_code if row.imported else row.sender_code,
        )
        applied += 1
    return applied


def refusal_logged(
    reg: Registry, exc: ApiError, where: str, data: dict[str, Any] | None, session: Session | None = None
) -> None:
    """A refused envelope: in the access log (in ``session``, else a transaction of its own: the envelope's was
    rolled back) and the server's log."""
    key = data.get("key") if isinstance(data, dict) else None
    detail = f"{where}: {exc.code}: {exc.message_en}; key={str(key)[:16] if key else '-'}"[:500]
    log.warning("exchange envelope refused (%s)", detail)
    who = Actor(None, "exchange", "admin", None)
    if session is not None:
        history.log_access(session, who, "exchange_refused", "envelope", [], detail=detail)
        return
    with reg.writing() as own:
        history.log_access(own, who, "exchange_refused", "envelope", [], detail=detail)


def receive_bytes(reg: Registry, body: bytes, where: str = "http") -> EnvelopeResult:
    """POST /v1/exchange/envelopes: one envelope, all of it or nothing."""
    data: dict[str, Any] | None = None
    try:
        data = parse(body)
        with reg.writing() as session:
            return receive(reg, session, data)
    except ApiError as exc:
        refusal_logged(reg, exc, where, data)
        raise
