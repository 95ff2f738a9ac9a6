"""Exchange with other registries: the outbox leaves as a JSON Lines batch file, batches from
elsewhere enter the inbox. A message's uid travels with it, so importing a batch twice changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flowpop.registry import history, inbox, matching
from flowpop.registry import tables as t
from flowpop.registry.auth import Actor, code_range
from flowpop.registry.core import Registry
from flowpop.types import ExchangeImportResult

FORMAT = "flowpop.message/1"
FIELDS = ("uid", "kind", "topic", "thread_uid", "in_reply_to", "sender_code", "addressee_code", "subject", "items", "text")
KINDS = {"assist_request", "assist_reply", "notification", "transfer", "not_found", "dispute"}


def export(reg: Registry, session: Session, actor: Actor, *, include_sent: bool = False) -> str:
    """The outbox as JSON Lines; marks the messages exported. Full ID numbers leave: logged as an export."""
    actor.require("export")
    stmt = select(t.Message).where(t.Message.external.is_(True), code_range(t.Message.sender_code, actor.prefix))
    if not include_sent:
        stmt = stmt.where(t.Message.exported_at.is_(None))
    rows = list(session.execute(stmt.order_by(t.Message.id)).scalars())
    lines = []
    for r in rows:
        record: dict[str, Any] = {"format": FORMAT, **{k: getattr(r, k) for k in FIELDS}}
        record["created_at"] = r.created_at.isoformat()
        record["due_on"] = r.due_on.isoformat() if r.due_on else None
        lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True))
    if rows:
        now = t.utcnow()
        session.execute(update(t.Message).where(t.Message.id.in_([r.id for r in rows]), t.Message.exported_at.is_(None))
                        .values(exported_at=now).execution_options(synchronize_session=False))
        history.log_access(session, actor, "export", "message", [r.id for r in rows], detail=f"exchange batch, {len(rows)} messages")
    return "".join(line + "\n" for line in lines)


def _problem(line_no: int, reason: str, uid: str | None = None) -> dict[str, Any]:
    return {"line": line_no, "uid": uid, "reason": reason}


def import_batch(reg: Registry, session: Session, actor: Actor, text: str) -> ExchangeImportResult:
    """Messages addressed to places in this registry enter the inbox; others are rejected with a reason."""
    actor.require("write")
    inserted = skipped = 0
    rejected: list[dict[str, Any]] = []
    seen: set[str] = set()
    lines = text.splitlines()
    known = _known_uids(session, lines)
    batch: list[t.Message] = []
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            rejected.append(_problem(line_no, f"JSON 格式错误 / invalid JSON: {exc.msg}"))
            continue
        if not isinstance(rec, dict) or rec.get("format") != FORMAT:
            rejected.append(_problem(line_no, f"不是 {FORMAT} 记录 / not a {FORMAT} record"))
            continue
        uid = rec.get("uid")
        missing = [k for k in ("uid", "kind", "sender_code", "addressee_code", "subject") if not rec.get(k)]
        if missing:
            rejected.append(_problem(line_no, f"缺少字段 / missing: {', '.join(missing)}", uid))
            continue
        if rec["kind"] not in KINDS or not isinstance(rec["subject"], dict) or not isinstance(rec.get("items") or {}, dict):
            rejected.append(_problem(line_no, "类型或内容无效 / bad kind, subject or items", uid))
            continue
        addressee = str(rec["addressee_code"])
        if reg.divisions.get(addressee) is None or addressee[:6] not in reg.divisions.home_counties:
            rejected.append(_problem(line_no, f"收件单位 {addressee} 不在本系统 / addressee is not served here", uid))
            continue
        if actor.prefix and not actor.covers(addressee):
            rejected.append(_problem(line_no, "收件单位不在您的管辖范围内 / addressee outside your jurisdiction", uid))
            continue
        if uid in seen or uid in known:
            skipped += 1
            continue
        seen.add(uid)
        try:
            created = dt.datetime.fromisoformat(rec["created_at"]) if rec.get("created_at") else None
        except ValueError:
            rejected.append(_problem(line_no, "created_at 日期无效 / bad created_at", uid))
            continue
        batch.append(inbox.new_message(
            reg, session, actor, kind=rec["kind"], topic=rec.get("topic"), sender_code=str(rec["sender_code"])[:15],
            addressee_code=addressee, subject=rec["subject"], items=rec.get("items") or {}, text=rec.get("text"),
            thread_uid=rec.get("thread_uid"), in_reply_to=rec.get("in_reply_to"), uid=uid, created_at=created,
            imported=True, batch=True,
        ))
        inserted += 1
    if batch:
        matching.apply_many(session, reg.divisions, batch)
        session.flush()
        now = t.utcnow()
        session.execute(t.HistoryEntry.__table__.insert(), [
            {"at": now, "entity": "message", "entity_id": m.id, "person_id": None, "action": "receive",
             "user_id": actor.user_id, "username": actor.username, "reason": "exchange batch",
             "changes": {"kind": [None, m.kind], "from": [None, m.sender_code]}, "changeset_id": None,
             "scope_code": m.addressee_code} for m in batch])
    return ExchangeImportResult(inserted=inserted, skipped=skipped, rejected=rejected)


def _known_uids(session: Session, lines: list[str]) -> set[str]:
    """Which of a batch's uids are already here (one query per 900 instead of one per line)."""
    uids = []
    for line in lines:
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and isinstance(rec.get("uid"), str):
            uids.append(rec["uid"])
    known: set[str] = set()
    for i in range(0, len(uids), 900):
        known.update(session.execute(select(t.Message.uid).where(t.Message.uid.in_(uids[i:i + 900]))).scalars())
    return known
