"""Exchange with other registries: the outbox leaves as a JSON Lines batch file, batches from
elsewhere enter the inbox. A message's uid travels with it, so importing a batch twice changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flowpop.registry.inbox import envelopes, trust
from flowpop.registry.inbox.records import FIELDS, FORMAT, Record, known_uids, receive_batch
from flowpop.registry.kernel import area, history
from flowpop.registry.kernel.auth import Actor, code_range
from flowpop.registry.kernel.errors import ApiError
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.messaging import messages
from flowpop.registry.store import tables as t
from flowpop.registry.store.chunks import IN_LIMIT
from flowpop.types import (
    TEXT_FAULTS,
    ExchangeImportResult,
    text_fault,
)


def export(reg: Registry, session: Session, actor: Actor, *, include_sent: bool = False) -> str:
    """The outbox as JSON Lines; marks the messages exported. Full ID numbers leave: logged as an export."""
    actor.require("export")
    stmt = select(t.Message).where(t.Message.external.is_(True), code_range(t.Message.sender_code, actor.prefix))
    if not include_sent:
        stmt = stmt.where(t.Message.exported_at.is_(None))
    rows = list(session.execute(stmt.order_by(t.Message.id)).scalars())
    lines = []
    ident = session.get(t.ExchangeIdentity, 1)  # with a key, each line is a signed envelope (inbox.envelopes)
    for r in rows:
        record: dict[str, Any] = {"format": FORMAT, **{k: getattr(r, k) for k in FIELDS}}
        record["created_at"] = r.created_at.isoformat()
        record["due_on"] = r.due_on.isoformat() if r.due_on else None
        if ident is not None:
            record = envelopes.seal(ident, r.sender_code, records=[record])
        lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True))
    if rows:
        now = t.utcnow()
        session.execute(update(t.Message).where(t.Message.id.in_([r.id for r in rows]), t.Message.exported_at.is_(None))
                        .values(exported_at=now).execution_options(synchronize_session=False))
        history.log_access(session, actor, "export", "message", [r.id for r in rows], detail=f"exchange batch, {len(rows)} messages")
    return "".join(line + "\n" for line in lines)


def _problem(line_no: int, zh: str, en: str, uid: str | None = None, field: str | None = None,
             code: str | None = None) -> dict[str, Any]:
    """A refused line: its number, uid and field where known, why as a pair (message, message_en), and for a
    refused envelope the refusal's code (unsigned_envelope, unknown_key, bad_signature, wrong_division, ...)."""
    return {"line": line_no, "uid": uid, "message": zh, "message_en": en, **({"field": field} if field else {}),
            **({"code": code} if code else {})}


def _refusal(line_no: int, rec: dict[str, Any], exc: PydanticError) -> dict[str, Any]:
    """The line's first bad field, named; its uid only when it is one (the answer must carry it)."""
    err = exc.errors()[0]
    ctx = err.get("ctx") or {}
    where = ".".join([*(str(p) for p in err["loc"]), *([str(ctx["path"])] if ctx.get("path") else [])])
    uid = rec.get("uid")
    ok_uid = uid if isinstance(uid, str) and len(uid) <= 40 and text_fault(uid) is None else None
    fault = TEXT_FAULTS.get(err["type"])
    zh = ctx.get("problem_zh") or (fault[0] if fault else "缺少字段" if err["type"] == "missing" else "取值无效")
    en = ctx.get("problem") or err["msg"]
    return _problem(line_no, f"{where}：{zh}", f"{where}: {en}", ok_uid, where)


MAX_LINE = 8 * 1024 * 1024  # characters: the largest valid line (500 entries of 2000 characters, \u-escaped) fits
CHUNK = IN_LIMIT  # lines read, looked up (one IN of their uids) and written together (fewer when they are long)
MAX_REJECTED = 10_000  # past this, the file is no batch of messages: refused whole, its refusals not kept


def _lines(path: Path) -> Iterator[tuple[int, str | None]]:
    """A batch file's lines, numbered, read one by one (a line too long to be a message comes as None)."""
    try:
        with path.open(encoding="utf-8-sig", newline=None) as f:
            line_no = 0
            while line := f.readline(MAX_LINE):
                line_no += 1
                if len(line) == MAX_LINE and not line.endswith("\n"):
                    while (rest := f.readline(MAX_LINE)) and not rest.endswith("\n"):
                        pass
                    yield line_no, None
                else:
                    yield line_no, line
    except UnicodeDecodeError as exc:  # nothing of the batch is written: the transaction is rolled back
        raise ApiError("bad_encoding", "批次文件须为 UTF-8 编码", "batch files must be UTF-8") from exc


def _chunks(path: Path) -> Iterator[list[tuple[int, str | None]]]:
    chunk: list[tuple[int, str | None]] = []
    size = 0
    for line_no, line in _lines(path):
        chunk.append((line_no, line))
        size += len(line or "")
        if len(chunk) == CHUNK or size >= MAX_LINE:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def import_batch(reg: Registry, session: Session, actor: Actor, path: Path) -> ExchangeImportResult:
    """Messages addressed to places in this registry enter the inbox; others are rejected with a reason.
    The batch file is read a chunk of lines at a time, never whole in memory."""
    actor.require("write")
    inserted = skipped = 0
    rejected: list[dict[str, Any]] = []
    seen: set[str] = set()
    own = area.own_area(reg)
    signed_only = trust.signed_only(session)  # peers registered: the exchange is signed, files too
    for chunk in _chunks(path):
        records: list[tuple[int, dict[str, Any]]] = []
        for line_no, line in chunk:
            if line is None:
                rejected.append(_problem(line_no, f"行过长（最多 {MAX_LINE} 个字符）", f"line too long ({MAX_LINE} characters at most)"))
                continue
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except (json.JSONDecodeError, RecursionError) as exc:
                reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
                rejected.append(_problem(line_no, f"JSON 格式错误：{reason}", f"invalid JSON: {reason}"))
                continue
            if isinstance(rec, dict) and rec.get("format") == ENVELOPE:
                result = _envelope_line(reg, session, actor, line_no, rec)
                if isinstance(result, dict):
                    rejected.append(result)
                else:
                    inserted += result.inserted
                    skipped += result.skipped
                continue
            if not isinstance(rec, dict) or rec.get("format") != FORMAT:
                rejected.append(_problem(line_no, f"不是 {FORMAT} 记录", f"not a {FORMAT} record"))
                continue
            if signed_only:
                uid = rec.get("uid")
                rejected.append(_problem(
                    line_no, "未签名的记录，拒收：本库与其他库之间只收签名信封（对方库有交换密钥时 flowpop inbox export 写出）",
                    "unsigned record refused: this registry takes signed envelopes only from other registries "
                    "(flowpop inbox export writes them where the sender has an exchange key)",
                    uid if isinstance(uid, str) and len(uid) <= 40 else None, code="unsigned_envelope"))
                continue
            records.append((line_no, rec))
        known = known_uids(session, [rec for _, rec in records])
        batch: list[t.Message] = []
        for line_no, rec in records:
            try:
                msg = Record.model_validate(rec)
            except PydanticError as exc:
                rejected.append(_refusal(line_no, rec, exc))
                continue
            uid = msg.uid
            addressee = msg.addressee_code
            if reg.divisions.get(addressee) is None or not area.inside(own, addressee):
                rejected.append(_problem(line_no, f"收件单位 {addressee} 不在本系统", f"addressee {addressee} is not served here", uid))
                continue
            if actor.prefix and not actor.covers(addressee):
                rejected.append(_problem(line_no, "收件单位不在您的管辖范围内", "addressee outside your jurisdiction", uid))
                continue
            if uid in seen or uid in known:
                skipped += 1
                continue
            seen.add(uid)
            batch.append(messages.new_message(
                reg, session, actor, kind=msg.kind, topic=msg.topic, sender_code=msg.sender_code, addressee_code=addressee,
                subject=msg.subject.model_dump(mode="json", exclude_none=True), items=msg.items or {}, text=msg.text,
                thread_uid=msg.thread_uid, in_reply_to=msg.in_reply_to, uid=uid, created_at=msg.created_at,
                imported=True, batch=True,
            ))
            inserted += 1
        if batch:
            receive_batch(reg, session, actor, batch)
        if len(rejected) > MAX_REJECTED:
            raise ApiError("too_many_rejected", f"批次中超过 {MAX_REJECTED} 行无法接收，整批未导入",
                           f"more than {MAX_REJECTED} lines of the batch refused: nothing imported", status=422)
    return ExchangeImportResult(inserted=inserted, skipped=skipped, rejected=rejected)


ENVELOPE = "flowpop.envelope/1"


def _envelope_line(reg: Registry, session: Session, actor: Actor, line_no: int, rec: dict[str, Any]) -> Any:
    """A signed envelope carried in a file: checked and applied as one posted online, in a savepoint (a refused
    one writes nothing and is logged); a refusal comes back as the line's problem."""
    records = [r for r in rec.get("records") or [] if isinstance(r, dict)]
    if actor.prefix and not all(isinstance(r.get("addressee_code"), str) and actor.covers(r["addressee_code"])
                                for r in records):
        return _problem(line_no, "收件单位不在您的管辖范围内", "addressee outside your jurisdiction")
    try:
        with session.begin_nested():
            return envelopes.receive(reg, session, rec)
    except ApiError as exc:
        envelopes.refusal_logged(reg, exc, f"file line {line_no}", rec, session)
        uid = next((r.get("uid") for r in rec.get("records") or [] if isinstance(r, dict)), None)
        return _problem(line_no, exc.message, exc.message_en, uid if isinstance(uid, str) and len(uid) <= 40 else None,
                        code=exc.code)
