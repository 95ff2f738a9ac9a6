"""Reading the inbox: lists by due date, one message with its thread, the day's summary,
per-jurisdiction figures, and the printable verification sheet (核实表)."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from flowpop.labels import label
from flowpop.registry.inbox import workflow as inbox
from flowpop.registry.kernel.auth import Actor, code_range
from flowpop.registry.kernel.errors import Invalid, field_error
from flowpop.registry.kernel.paging import decode_cursor, encode_cursor
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.messaging import deadlines, kinds, matching, messages
from flowpop.registry.people.search import (
    LATIN,
    is_id_text,
    log_lookups,
    partial_id_needs_reveal,
    whole_number,
    whole_number_lookups,
)
from flowpop.registry.store import tables as t
from flowpop.rules.divisions_source import prefix_of
from flowpop.rules.idnumber import mask
from flowpop.types import (
    Candidate,
    InboxFigures,
    InboxSummary,
    Message,
    MessageDetail,
    MessageFilters,
    NotFoundCounts,
    NotFoundLoop,
    Page,
)

OPEN = tuple(deadlines.OPEN)


def present(reg: Registry, actor: Actor, row: t.Message) -> Message:
    day = today()
    subject = dict(row.subject or {})
    if subject.get("id_number"):
        subject["id_number"] = mask(subject["id_number"])
    if "birth_date" in subject:
        subject = _year_only(subject)
    overdue = deadlines.overdue(row, day)
    cal = deadlines.calendar(reg)
    acc_code, acc_side = deadlines.accountable(row) if overdue else (None, None)
    box_in = not actor.prefix or actor.covers(row.addressee_code)
    box_out = bool(actor.prefix) and actor.covers(row.sender_code)
    # matching ran over the receiving side's records: what it found is the addressee's alone
    found = (row.candidates or []) if box_in else []
    return Message(
        id=row.id, uid=row.uid, kind=row.kind, topic=row.topic, thread_uid=row.thread_uid,
        in_reply_to=row.in_reply_to, sender_code=row.sender_code, sender_name=reg.divisions.name(row.sender_code),
        addressee_code=row.addressee_code, addressee_name=reg.divisions.name(row.addressee_code),
        box="both" if box_in and box_out else "in" if box_in else "out" if box_out else "other",
        subject=subject, items=row.items or {}, text=row.text, stay_id=row.stay_id, status=row.status,
        outcome=row.outcome, matched_person_id=row.matched_person_id if box_in else None,
        match_score=row.match_score if box_in else None,
        candidates=[Candidate(**_year_only(c)) for c in found], assignee=row.assignee, event_on=row.event_on,
        created_at=row.created_at, due_on=row.due_on, overdue=overdue, sent_late=deadlines.sent_late(row, cal),
        working_days_left=deadlines.working_days_left(row, day, cal),
        due_provisional=deadlines.provisional(row, cal), accountable_code=acc_code,
        accountable_side=acc_side, external=row.external, exported_at=row.exported_at, version=row.version,
        allowed_actions=inbox.allowed_actions(actor, row),
    )


def _year_only(values: dict[str, Any]) -> dict[str, Any]:
    """The birth year instead of the birth date (with region, sex and check character it rebuilds a masked
    number) and no age (it goes up on the birthday)."""
    born = matching.parse_date(values.get("birth_date"))
    return {**values, "birth_date": None, "birth_year": born.year if born else None, "age": None}


def lookups(actor: Actor, query: MessageFilters) -> list[tuple[str, str]]:
    """Whole ID numbers looked up without the reveal right: logged as person search logs them (a message's
    subject is a person, and a found message says the guess was right)."""
    return whole_number_lookups(actor, (("q", query.q),))


def needs_writing(actor: Actor, query: MessageFilters) -> bool:
    return bool(lookups(actor, query))


def _box(actor: Actor, box: str, prefix: str) -> ColumnElement[bool]:
    if box == "out":
        return code_range(t.Message.sender_code, prefix)
    if box == "all":
        return or_(code_range(t.Message.sender_code, prefix), code_range(t.Message.addressee_code, prefix))
    return and_(code_range(t.Message.addressee_code, prefix), t.Message.external.is_(False))


def list_messages(reg: Registry, session: Session, actor: Actor, query: MessageFilters) -> Page[Message]:
    """The messages the contract's filters pick for ``actor``, soonest due first."""
    actor.require("read")
    prefix = actor.prefix
    if query.division:
        node = reg.divisions.get(query.division)
        if node is None:
            raise Invalid([field_error("division", "unknown_division", "行政区划不存在", "unknown division")])
        wanted = prefix_of(node.code, node.level)
        if not wanted.startswith(prefix):
            raise Invalid([field_error("division", "outside_jurisdiction", "该区划不在您的管辖范围内", "outside your jurisdiction")])
        prefix = wanted
    conds = [_box(actor, query.box, prefix)]
    if query.status in (None, "open"):
        conds.append(t.Message.status.in_(OPEN))
    elif query.status != "all":
        conds.append(t.Message.status == query.status)
    if query.kind:
        conds.append(t.Message.kind == query.kind)
    day = today()
    if query.overdue is True:
        conds += [t.Message.status.in_(OPEN), t.Message.due_on < day]
    elif query.overdue is False:
        conds.append(or_(t.Message.due_on >= day, t.Message.due_on.is_(None), t.Message.status.not_in(OPEN)))
    if query.q:
        text = query.q.strip()
        number = whole_number(text)
        if number is None and is_id_text(text) and not actor.can("reveal"):
            raise partial_id_needs_reveal("q")  # as in person search: no number rebuilt a character at a time
        found = [t.Message.subject_name.startswith(text, autoescape=True),
                 t.Message.subject_id_number == (number or text.upper())]
        low = text.lower().replace(" ", "")
        if LATIN.match(low):  # pinyin or initials of the subject's name (zhangsan, zs), as in person search
            found += [and_(column >= low, column < low + "\uffff")  # a prefix range, as person search's
                      for column in (t.Message.subject_pinyin, t.Message.subject_initials)]
        conds.append(or_(*found))
    # due date first (NULLs last), then id; keyset on (due_on, id)
    far = dt.date(9999, 12, 31)
    due = func.coalesce(t.Message.due_on, far)
    stmt = select(t.Message).where(and_(*conds))
    if query.cursor:
        value, last_id = decode_cursor(query.cursor, dt.date)
        last_due = value or far
        stmt = stmt.where(or_(due > last_due, and_(due == last_due, t.Message.id > last_id)))
    rows = list(session.execute(stmt.order_by(due, t.Message.id).limit(query.limit + 1)).scalars())
    has_more = len(rows) > query.limit
    rows = rows[: query.limit]
    cursor = encode_cursor([rows[-1].due_on.isoformat() if rows[-1].due_on else None, rows[-1].id]) if has_more else None
    if looked_up := lookups(actor, query):  # the route gave a writing session for it (needs_writing)
        log_lookups(session, actor, looked_up, "message", [r.id for r in rows], has_more)
    return Page[Message](data=[present(reg, actor, r) for r in rows], next_cursor=cursor, has_more=has_more)


def get(reg: Registry, session: Session, actor: Actor, message_id: int) -> MessageDetail:
    actor.require("read")
    row = messages.load(session, actor, message_id)
    thread = session.execute(select(t.Message).where(t.Message.thread_uid == row.thread_uid).order_by(t.Message.id)).scalars()
    base = present(reg, actor, row)
    return MessageDetail(**base.model_dump(), thread=[present(reg, actor, m) for m in thread if messages.visible(actor, m)])


def summary(reg: Registry, session: Session, actor: Actor) -> InboxSummary:
    actor.require("read")
    day = today()
    inbox_where = and_(_box(actor, "in", actor.prefix), t.Message.status.in_(OPEN))
    row = session.execute(
        select(
            func.count(),
            func.sum(case((t.Message.status.in_(tuple(kinds.UNREAD)), 1), else_=0)),
            func.sum(case((t.Message.due_on < day, 1), else_=0)),
            func.sum(case((t.Message.due_on == day, 1), else_=0)),
        ).where(inbox_where)
    ).one()
    by_kind = dict(session.execute(select(t.Message.kind, func.count()).where(inbox_where).group_by(t.Message.kind)).all())
    unsent = session.execute(
        select(func.count()).where(t.Message.external.is_(True), t.Message.exported_at.is_(None),
                                   code_range(t.Message.sender_code, actor.prefix))
    ).scalar_one()
    return InboxSummary(open=row[0] or 0, new=row[1] or 0, overdue=row[2] or 0, due_today=row[3] or 0,
                        by_kind={k: int(v) for k, v in by_kind.items()}, outbox_unsent=unsent)


def figures(reg: Registry, session: Session, actor: Actor, level: str = "township") -> list[InboxFigures]:
    """Received, answered and answered-on-time per division below the caller (100% targets)."""
    actor.require("read")
    width = {"county": 6, "township": 9, "village": 12}.get(level)
    if width is None:
        raise Invalid([field_error("level", "bad_level", "只能按县、乡镇或村统计", "level must be county, township or village")])
    day = today()
    dialect = session.get_bind().dialect.name  # answered by the due day in Beijing time
    group = func.substr(t.Message.addressee_code, 1, width)
    is_notice = t.Message.kind.in_(tuple(kinds.ACKNOWLEDGEABLE))
    # a 查无此人 closed with its subject (its stay or person ended meanwhile) is nobody's answer and nobody's lateness
    is_request = and_(t.Message.kind.in_(tuple(kinds.ANSWER_COUNTED)),
                      or_(t.Message.outcome.is_(None), t.Message.outcome != kinds.SUBJECT_ENDED))
    answered = t.Message.status.in_(tuple(kinds.ANSWERED))
    rows = session.execute(
        select(
            group,
            func.sum(case((is_notice, 1), else_=0)),
            func.sum(case((and_(is_notice, t.Message.status == "closed"), 1), else_=0)),
            func.sum(case((is_request, 1), else_=0)),
            func.sum(case((and_(is_request, answered), 1), else_=0)),
            func.sum(case((and_(is_request, answered, deadlines.local_day(t.Message.answered_at, dialect) <= t.Message.due_on), 1), else_=0)),
            func.sum(case((and_(t.Message.status.in_(OPEN), t.Message.due_on < day), 1), else_=0)),
        ).where(code_range(t.Message.addressee_code, actor.prefix), t.Message.external.is_(False)).group_by(group)
    ).all()
    out = []
    for code, received, acked, requests, done, on_time, overdue in rows:
        full = code.ljust(12, "0")
        out.append(InboxFigures(
            division_code=full, division_name=reg.divisions.name(full), received=received or 0, acknowledged=acked or 0,
            requests=requests or 0, answered=done or 0, answered_on_time=on_time or 0, overdue=overdue or 0,
            received_rate=_rate(acked, received), answered_rate=_rate(done, requests), on_time_rate=_rate(on_time, requests),
        ))
    return sorted(out, key=lambda f: f.division_code)


def _rate(part: Any, whole: Any) -> float | None:
    return round((part or 0) / whole, 4) if whole else None
def not_found_loop(reg: Registry, session: Session, actor: Actor) -> NotFoundLoop:
    """The 查无此人 loop in the caller's area, measured: raised here (as the residence side) and addressed here (as
    the household side) — how many, open, overdue, answered by outcome, closed with their subject, closed otherwise."""
    actor.require("read")
    day = today()
    overdue = case((and_(t.Message.status.in_(OPEN), t.Message.due_on < day), 1), else_=0)

    def counts(where: ColumnElement[bool]) -> NotFoundCounts:
        rows = session.execute(
            select(t.Message.status, t.Message.outcome, func.count(), func.sum(overdue))
            .where(t.Message.kind == "not_found", where).group_by(t.Message.status, t.Message.outcome)
        ).all()
        out = NotFoundCounts(raised=0, open=0, overdue=0, answered=dict.fromkeys(kinds.NOT_FOUND_OUTCOMES, 0),
                             closed_with_subject=0, closed_otherwise=0)
        for status, outcome, n, late in rows:
            out.raised += n
            out.overdue += int(late or 0)
            if status in deadlines.OPEN:
                out.open += n
            elif outcome == kinds.SUBJECT_ENDED:
                out.closed_with_subject += n
            elif outcome in out.answered:
                out.answered[outcome] += n
            else:
                out.closed_otherwise += n
        return out

    return NotFoundLoop(raised_here=counts(code_range(t.Message.sender_code, actor.prefix)),
                        addressed_here=counts(_box(actor, "in", actor.prefix)))




def sheet(reg: Registry, session: Session, actor: Actor, message_id: int) -> str:
    """A printable verification sheet (核实表) for the field check, as HTML."""
    m = get(reg, session, actor, message_id)
    subj = m.subject
    rows = [
        ("消息类型", label("message_kind", m.kind, "zh")), ("发件单位", m.sender_name or m.sender_code),
        ("收件单位", m.addressee_name or m.addressee_code), ("办理期限", m.due_on.isoformat() if m.due_on else ""),
        ("姓名", subj.get("name", "")), ("公民身份号码", subj.get("id_number", "")), ("出生年份", subj.get("birth_year", "")),
        ("户籍地", reg.divisions.name(subj.get("household_code")) or subj.get("household_code", "")),
        ("户籍地址", subj.get("household_address", "")),
        ("现居住地", reg.divisions.name(subj.get("residence_code")) or subj.get("residence_code", "")),
        ("现居住地址", subj.get("residence_address", "")),
        ("协查事项", "；".join(f"{k}：{v}" for k, v in m.items.items()) or (m.text or "")),
    ]
    body = "\n".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v or ''))}</td></tr>" for k, v in rows)
    checks = "\n".join(f"<tr><th>{html.escape(k)}</th><td>□ 属实　□ 不属实　□ 查无此人　更正：________</td></tr>"
                       for k in ("本人在住", "现居住地址", "婚育情况", "联系电话"))
    return f"""<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>流动人口信息核实表 {m.id}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;width:100%}}
th,td{{border:1px solid #333;padding:6px;text-align:left}}th{{width:9em;background:#eee}}</style>
<h1>流动人口信息核实表</h1><p>编号：{m.id}　线索：{html.escape(m.uid)}</p>
<table>{body}</table><h2>核实结果</h2><table>{checks}</table>
<p>核实人：__________　核实日期：____年__月__日　单位（盖章）：__________</p></html>"""
