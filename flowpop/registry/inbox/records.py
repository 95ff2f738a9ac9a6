"""A message as a record of the exchange between registries (one line of a batch file, one of a signed envelope's
``records``): its typed form, checked before anything is written, and its entry into the inbox. Shared by the batch
files (`exchange`) and the signed envelopes (`envelopes`), both above it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError
from sqlalchemy import select
from sqlalchemy.orm import Session

from flowpop.registry.inbox import transfers
from flowpop.registry.kernel import history
from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.messaging import matching
from flowpop.registry.messaging.outbox import FIELDS as FIELDS  # re-exported; defined once there
from flowpop.registry.messaging.outbox import FORMAT as FORMAT
from flowpop.registry.people import other_side
from flowpop.registry.store import tables as t
from flowpop.types import Code, FreeJson, MessageKind, Model, Subject


def _timestamp(value: object) -> object:
    """created_at as ISO 8601 text (stored naive, in UTC) — never a number read as a Unix time."""
    if not isinstance(value, str):
        raise PydanticCustomError("datetime_format", "must be an ISO 8601 timestamp")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise PydanticCustomError("datetime_format", "must be an ISO 8601 timestamp") from exc
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


Uid = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Text = Annotated[str, StringConstraints(max_length=2000)]


class _Subject(Subject):
    model_config = ConfigDict(extra="ignore")  # another registry may know more about the person


class Record(Model):
    """One line of a batch, typed before anything is written: text only where text is expected, bounded free
    parts (the same contract as a message sent here), nothing the store or an answer cannot carry."""

    model_config = ConfigDict(extra="ignore")  # due_on and what later versions add

    uid: Uid
    kind: MessageKind
    topic: Annotated[str, StringConstraints(max_length=30)] | None = None
    thread_uid: Uid | None = None
    in_reply_to: Uid | None = None
    sender_code: Code
    addressee_code: Code
    subject: _Subject
    items: FreeJson | None = None
    text: Text | None = None
    created_at: Annotated[dt.datetime, BeforeValidator(_timestamp)] | None = None


def receive_batch(reg: Registry, session: Session, actor: Actor, batch: list[t.Message]) -> None:
    matching.apply_many(session, reg.divisions, batch)
    session.flush()
    other_side.noted(session, actor, batch)  # the other registry's registration of a stay held here too
    transfers.accepted(reg, session, actor, batch)  # a transfer sent from here, accepted there: the stay follows
    now = t.utcnow()
    session.execute(
        t.HistoryEntry.__table__.insert(),
        [
            history.entry(
                actor,
                entity="message",
                entity_id=m.id,
                person_id=None,
                action="receive",
                changes={"kind": [None, m.kind], "from": [None, m.sender_code]},
                reason="exchange batch",
                scope_code=m.addressee_code,
                at=now,
            )
            for m in batch
        ],
    )


def known_uids(session: Session, records: list[dict[str, Any]]) -> set[str]:
    """Which of a chunk's uids are already here (one query per chunk instead of one per line)."""
    uids = [rec["uid"] for rec in records if isinstance(rec.get("uid"), str)]
    if not uids:
        return set()
    return set(session.execute(select(t.Message.uid).where(t.Message.uid.in_(uids))).scalars())
