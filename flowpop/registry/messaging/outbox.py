"""The durable outbox of the online exchange (issue 13 item 2): what waits to leave for another registry.

A message addressed outside the own area gets its row here in the same transaction as the message (called from
messaging.messages.new_message); a state change of a message exchanged with a peer (received from it, or sent to
it) is queued by ``queue_states``
(the delivery round sweeps the messages whose version moved past the one last queued: the state itself is the
durable part, so a bulk acknowledgement or any other path that changes it is caught). ``inbox.delivery`` sends them;
it sits here, below the inbox, so that a message is written with its outbox row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flowpop.registry.store import tables as t

FORMAT = "flowpop.message/1"
# A message's fields carried by a record of the exchange; inbox.records (above) takes them from here.
FIELDS = (
    "uid",
    "kind",
    "topic",
    "thread_uid",
    "in_reply_to",
    "sender_code",
    "addressee_code",
    "subject",
    "items",
    "text",
)


def record_of(row: t.Message) -> dict[str, Any]:
    """A message as a record of the exchange (inbox.records.Record's fields), as `inbox export` writes it."""
    rec: dict[str, Any] = {"format": FORMAT, **{k: getattr(row, k) for k in FIELDS}}
    rec["created_at"] = (row.created_at or t.utcnow()).isoformat()
    rec["due_on"] = row.due_on.isoformat() if row.due_on else None
    return rec


def state_of(row: t.Message) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {
        "uid": row.uid,
        "status": row.status,
        "outcome": row.outcome,
        "read_at": iso(row.read_at),
        "answered_at": iso(row.answered_at),
        "closed_at": iso(row.closed_at),
        "version": row.version,
    }


QUEUED = "exchange_queued"  # in a session's info: something was queued; the courier is woken at its commit


def _queued(session: Session) -> None:
    session.info[QUEUED] = True


def _row(uid: str, what: str, route: str, division: str, body: dict[str, Any]) -> t.ExchangeOutbox:
    now = t.utcnow()
    return t.ExchangeOutbox(
        message_uid=uid,
        what=what,
        route_code=route,
        payload={"division": division, what: body},
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )


def forward(session: Session, to: str, envelope: dict[str, Any]) -> None:
    """A relay's: another registry's signed envelope, passed on as it came."""
    uid = next((r.get("uid") for r in envelope.get("records") or [] if isinstance(r, dict)), None)
    uid = uid or next((s.get("uid") for s in envelope.get("states") or [] if isinstance(s, dict)), None)
    now = t.utcnow()
    _queued(session)
    session.add(
        t.ExchangeOutbox(
            message_uid=str(uid or "-")[:40],
            what="forward",
            route_code=to,
            payload={"envelope": envelope},
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


def queue_message(session: Session, row: t.Message) -> None:
    """The message leaves with the transaction that raised it (it is not flushed yet: its record is taken now).
    Its state as the record carries it (version 1) is its mirror's: what this side does to it later (closing it
    when the reply is acknowledged, ...) travels to the addressee as a state."""
    session.add(_row(row.uid, "record", row.addressee_code, row.sender_code, record_of(row)))
    session.add(t.ExchangeMirror(message_uid=row.uid, sent_version=row.version or 1))
    _queued(session)


def received(session: Session, uids: list[str]) -> None:
    """Messages that came from a peer: their state will travel back (first as the receipt, version 1)."""
    known = set(
        session.execute(
            select(t.ExchangeMirror.message_uid).where(t.ExchangeMirror.message_uid.in_(uids))
        ).scalars()
    )
    session.add_all(t.ExchangeMirror(message_uid=uid, sent_version=0) for uid in uids if uid not in known)
    _queued(session)  # the receipt leaves at the next round


def queue_states(session: Session, limit: int = 5000) -> int:
    """Queue the state of every exchanged message that changed here since its state was last queued: a received
    one's (the receipt too) to its sender, a sent one's to its addressee."""
    M, R = t.Message, t.ExchangeMirror
    rows = session.execute(
        select(M, R.sent_version)
        .join(R, R.message_uid == M.uid)
        .where(R.sent_version < M.version)
        .order_by(M.id)
        .limit(limit)
    ).all()
    for msg, _sent in rows:
        route, division = (msg.sender_code, msg.addressee_code) if msg.imported else (msg.addressee_code, msg.sender_code)
        session.add(_row(msg.uid, "state", route, division, state_of(msg)))
        session.execute(update(R).where(R.message_uid == msg.uid).values(sent_version=msg.version))
    return len(rows)
