"""The inbox (信息交换): messages raised by the registry and by users, and what a place does with them.

Status moves only along allowed steps:
new → read → matched → verifying → answered → closed; returned; forwarded (within one's
jurisdiction); escalated (to the county). Every step is one transaction with its history entry.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flowpop.labels import label
from flowpop.registry.inbox import transfers
from flowpop.registry.kernel import area, history
from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.divisions import county_of
from flowpop.registry.kernel.errors import ApiError, Conflict, Invalid, field_error
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.kernel.versioning import compare_and_set, expect_version
from flowpop.registry.messaging import deadlines, messages
from flowpop.registry.messaging.kinds import (
    ACKNOWLEDGEABLE,
    REQUESTS,
    UNREAD,
)
from flowpop.registry.people import access, persons, stays
from flowpop.registry.store import tables as t
from flowpop.registry.store.chunks import by_county
from flowpop.rules import idnumber
from flowpop.types import MessageActionName, NotFoundAnswer, Skipped, StayCreate

# action → (statuses it may start from, status it leads to, kinds it applies to; None = all)
STEPS: dict[str, tuple[frozenset[str], str, frozenset[str] | None]] = {
    "read": (UNREAD, "read", None),
    "match": (deadlines.OPEN, "matched", None),
    "verify": (frozenset({"read", "matched"}), "verifying", REQUESTS | {"transfer"}),
    "reply": (deadlines.OPEN, "answered", REQUESTS - {"not_found"}),
    # 查无此人: answered only with what the household side did to its outflow record (resolve_not_found)
    "resolve": (deadlines.OPEN, "answered", frozenset({"not_found"})),
    "accept": (deadlines.OPEN, "answered", frozenset({"transfer"})),
    "refuse": (deadlines.OPEN, "answered", frozenset({"transfer"})),
    "forward": (deadlines.OPEN - {"verifying"}, "forwarded", None),
    "return": (deadlines.OPEN, "returned", None),
    "escalate": (deadlines.OPEN, "escalated", None),
    "close": (deadlines.OPEN | {"answered"}, "closed", None),
}
ACKNOWLEDGE = "acknowledge"  # not a step of one message: POST /v1/inbox/ack closes many
ACTIONS = (*STEPS, ACKNOWLEDGE)
# why a bulk acknowledgement skips an id it cannot see (no id in the words: the skips are told in groups)
NOT_FOUND = ("找不到该消息（或不在您的管辖范围内）", "message not found (or outside your jurisdiction)")


def refusal(actor: Actor, kind: str, status: str, addressee_code: str, action: str) -> ApiError | None:
    """Why ``actor`` may not take ``action`` on a message of this kind and status now, or None: the one rule the
    steps, the bulk acknowledgement and ``allowed_actions`` all ask (visibility and the write right are checked
    before it)."""
    if actor.prefix and not actor.covers(addressee_code):
        return ApiError("not_addressee", "只有收件方可以处理该消息", "only the addressee can act on this message", status=403)
    kinds: frozenset[str] | None
    if action == ACKNOWLEDGE:
        allowed_from, kinds = deadlines.OPEN, ACKNOWLEDGEABLE
    else:
        allowed_from, _, kinds = STEPS[action]
    # told in the vocabulary's words (flowpop.labels), not codes: a bulk acknowledgement passes them on
    act_zh, act_en = label("message_action", action, "zh"), label("message_action", action, "en")
    if kinds is not None and kind not in kinds:
        return Conflict("wrong_kind", f"“{act_zh}”不适用于{label('message_kind', kind, 'zh')}",
                        f"'{act_en}' does not apply to a message of kind {label('message_kind', kind, 'en')}")
    if status not in allowed_from:
        return Conflict("bad_transition", f"消息状态为“{label('message_status', status, 'zh')}”，不能执行“{act_zh}”",
                        f"message is {label('message_status', status, 'en')}; '{act_en}' is not allowed now")
    return None


def allowed_actions(actor: Actor, row: t.Message) -> list[MessageActionName]:
    """What ``actor`` may do with this message next, in STEPS order ("acknowledge" last): nothing without the
    write right or for a message addressed elsewhere."""
    if not actor.can("write"):
        return []
    return cast(list[MessageActionName],
                [a for a in ACTIONS if refusal(actor, row.kind, row.status, row.addressee_code, a) is None])


def _step(session: Session, actor: Actor, row: t.Message, action: str, version: int, values: dict[str, Any],
          reason: str | None = None) -> None:
    target = STEPS[action][1]
    if (refused := refusal(actor, row.kind, row.status, row.addressee_code, action)) is not None:
        raise refused
    expect_version(row, version, entity="message")
    before = row.status
    compare_and_set(session, row, version, {"status": target, **values}, entity="message")
    history.record(session, actor, entity="message", entity_id=row.id, person_id=row.matched_person_id,
                   action=action, changes={"status": [before, target], **{k: [None, history.jsonable(v)] for k, v in values.items()
                                                                          if k not in ("read_at", "answered_at", "closed_at")}},
                   reason=reason, scope_code=row.addressee_code)


def act(reg: Registry, session: Session, actor: Actor, message_id: int, action: str, version: int,
        reason: str | None = None) -> t.Message:
    """The steps that need nothing but a reason: read, verify, return, escalate, close."""
    actor.require("write")
    row = messages.load(session, actor, message_id)
    values: dict[str, Any] = {}
    if action == "read":
        values["read_at"] = t.utcnow()
    elif action == "close":
        values["closed_at"] = t.utcnow()
    elif action in ("return", "escalate") and not reason:
        raise Invalid([field_error("reason", "required", "请填写原因", "a reason is required")])
    elif action == "escalate":
        values["addressee_code"] = county_of(row.addressee_code)
    _step(session, actor, row, action, version, values, reason)
    if action == "close" and row.in_reply_to:
        _close_original(session, actor, row.in_reply_to)
    return row


def _close_original(session: Session, actor: Actor, uid: str) -> None:
    original = session.execute(select(t.Message).where(t.Message.uid == uid)).scalar_one_or_none()
    if original is not None and original.status == "answered":
        # the shared compare-and-set: a change made since the original was read answers 409, not a second close
        compare_and_set(session, original, original.version, {"status": "closed", "closed_at": t.utcnow()},
                        entity="message")
        history.record(session, actor, entity="message", entity_id=original.id, person_id=original.matched_person_id,
                       action="close", changes={"status": ["answered", "closed"]}, reason="reply acknowledged",
                       scope_code=original.addressee_code)


def match(reg: Registry, session: Session, actor: Actor, message_id: int, version: int, person_id: int) -> t.Message:
    actor.require("write")
    row = messages.load(session, actor, message_id)
    access.load_person(session, actor, person_id)
    _step(session, actor, row, "match", version, {"matched_person_id": person_id, "match_score": None}, "manual")
    return row


def register(reg: Registry, session: Session, actor: Actor, message_id: int, version: int, person: Any) -> t.Message:
    """引用建档: a local record made from the message, matched to it; a number the message carries must be the one given."""
    actor.require("write")
    row = messages.load(session, actor, message_id)
    said = idnumber.normalize(str((row.subject or {}).get("id_number") or ""))
    given = idnumber.normalize(person.id_number or "")
    if said and given not in idnumber.forms(said):  # a legacy 15-digit number and its upgrade are one number
        raise Invalid([field_error("person.id_number", "differs_from_message", "身份证号与消息中的不符",
                                   "the ID number differs from the message's")])
    created = persons.create(reg, session, actor, person)
    return match(reg, session, actor, message_id, version, created.id)


def forward(reg: Registry, session: Session, actor: Actor, message_id: int, version: int, to_code: str,
            reason: str | None) -> t.Message:
    actor.require("write")
    row = messages.load(session, actor, message_id)
    errors = reg.divisions.check(to_code, "to_code")
    if not errors and (not to_code.startswith(row.addressee_code.rstrip("0")[:6]) or (actor.prefix and not actor.covers(to_code))):
        errors.append(field_error("to_code", "outside_jurisdiction", "只能转给本辖区内的下级单位",
                                  "forward only to a division within your jurisdiction"))
    if errors:
        raise Invalid(errors)
    _step(session, actor, row, "forward", version, {"addressee_code": to_code}, reason)
    return row


def reply(reg: Registry, session: Session, actor: Actor, message_id: int, version: int, facts: dict[str, Any],
          text: str | None, update_person: Any = None) -> t.Message:
    """Answer a request with the verified facts; optionally correct the local record in the same step."""
    actor.require("write")
    row = messages.load(session, actor, message_id)
    if update_person is not None:
        if row.matched_person_id is None:
            raise Conflict("not_matched", "请先配对本地记录", "match the message to a local record first")
        persons.update_person(reg, session, actor, row.matched_person_id, update_person)
    _step(session, actor, row, "reply", version, {"answered_at": t.utcnow(), "outcome": "answered"}, text)
    messages.new_message(reg, session, actor, kind="assist_reply", sender_code=row.addressee_code, addressee_code=row.sender_code,
                subject=row.subject, items=facts, text=text, thread_uid=row.thread_uid, in_reply_to=row.uid,
                person_id=row.matched_person_id)
    return row


def resolve_not_found(reg: Registry, session: Session, actor: Actor, message_id: int, data: NotFoundAnswer) -> t.Message:
    """The household side answers a 查无此人 (seed 000: 流入地经过核实确实查找不到的要通知户籍地删除流出登记记录) by what
    it does to its outflow record, in the same transaction: returned → the stay ends on ``date``; moved → it ends
    and a new stay is registered at the new residence (whose side is told, 通报); present → kept, disputed. The
    answer goes back to the residence side as a reply carrying the outcome."""
    actor.require("write")
    row = messages.load(session, actor, message_id)
    if (refused := refusal(actor, row.kind, row.status, row.addressee_code, "resolve")) is not None:
        raise refused
    day = data.date or today()
    if data.outcome == "moved" and not data.residence_code:
        raise Invalid([field_error("residence_code", "required", "请填写新的现居住地", "give the new residence")])
    if data.outcome != "moved" and (data.residence_code or data.residence_address):
        raise Invalid([field_error("residence_code", "not_accepted", "只有“已迁往他处”需要新的现居住地",
                                   "only an answer of moved takes a new residence")])
    stay = session.get(t.Stay, row.stay_id) if row.stay_id is not None else None
    if stay is None and row.matched_person_id is not None:  # from another registry: the matched record's stay
        person = access.load_person(session, actor, row.matched_person_id)
        stay = session.get(t.Stay, person.current_stay_id) if person.current_stay_id else None
    if data.outcome != "present" and (stay is None or stay.status != "open"):
        raise Conflict("stay_not_open", "该流出记录已结束，无需更正", "the outflow record is no longer open")
    outcome = data.outcome  # kinds.NOT_FOUND_OUTCOMES, kept as the message's outcome
    _step(session, actor, row, "resolve", data.version, {"answered_at": t.utcnow(), "outcome": outcome},
          data.text or label("message_outcome", outcome, "zh"))
    facts: dict[str, Any] = {"outcome": outcome, "date": day.isoformat() if data.outcome != "present" else None}
    if stay is not None and data.outcome != "present":
        why = f"查无此人核实：{label('not_found_outcome', data.outcome, 'zh')}（消息 {row.id}）"
        stays.close(reg, session, actor, stay.id, stay.version, why, day, notify=False)
        if data.outcome == "moved":
            created = stays.create(reg, session, actor, StayCreate(
                person_id=stay.person_id, household_code=stay.household_code, household_address=stay.household_address,
                residence_code=data.residence_code or "", residence_address=data.residence_address, reason=stay.reason,
                left_home_on=stay.left_home_on, arrived_on=day, occupation=stay.occupation))
            facts |= {"new_stay_id": created.id, "residence_code": data.residence_code,
                      "residence_address": data.residence_address}
    messages.new_message(reg, session, actor, kind="assist_reply", sender_code=row.addressee_code,
                         addressee_code=row.sender_code, subject=row.subject, items=facts, text=data.text,
                         thread_uid=row.thread_uid, in_reply_to=row.uid, person_id=row.matched_person_id,
                         stay_id=row.stay_id)
    return row


def decide_transfer(reg: Registry, session: Session, actor: Actor, message_id: int, version: int, accept: bool,
                    reason: str | None) -> t.Message:
    """The receiving side accepts (the stay moves here now) or refuses (nothing moves)."""
    actor.require("write")
    row = messages.load(session, actor, message_id)
    if not accept and not reason:
        raise Invalid([field_error("reason", "required", "拒绝须说明原因", "a refusal needs a reason")])
    action = "accept" if accept else "refuse"
    _step(session, actor, row, action, version, {"answered_at": t.utcnow(), "outcome": "accepted" if accept else "refused"},
          reason)
    if accept and row.stay_id is None and row.imported:  # from another registry: the stay registered here
        transfers.take_over(reg, session, actor, row)
    elif accept and row.stay_id is not None:
        stays.move(reg, session, actor, row.stay_id, row.items["to_residence_code"], row.items.get("residence_address"),
                   f"transfer {row.uid}")
    messages.new_message(reg, session, actor, kind="notification", topic="transfer_" + ("accepted" if accept else "refused"),
                sender_code=row.addressee_code, addressee_code=row.sender_code, subject=row.subject,
                items={"transfer": row.uid, "outcome": "accepted" if accept else "refused", "reason": reason},
                thread_uid=row.thread_uid, in_reply_to=row.uid, person_id=row.matched_person_id, stay_id=row.stay_id)
    return row


def acknowledge(reg: Registry, session: Session, actor: Actor, ids: list[int]) -> tuple[int, list[Skipped]]:
    """Bulk acknowledge (接收) notifications and replies: one statement, one history row each. A message left
    alone is reported with its code and why, in Chinese and English (the words a refusal of it alone gives)."""
    actor.require("write")
    rows = session.execute(
        select(t.Message.id, t.Message.county, t.Message.kind, t.Message.status, t.Message.addressee_code,
               t.Message.sender_code, t.Message.version, t.Message.matched_person_id, t.Message.in_reply_to)
        .where(t.Message.id.in_(ids))
    ).all()
    found = {r.id: r for r in rows}
    skipped: list[Skipped] = []
    good: list[Any] = []
    for i in ids:
        r = found.get(i)
        if r is None or not (not actor.prefix or actor.covers(r.addressee_code) or actor.covers(r.sender_code)):
            skipped.append(Skipped(id=i, code="not_found", message=NOT_FOUND[0], message_en=NOT_FOUND[1]))
        elif (refused := refusal(actor, r.kind, r.status, r.addressee_code, ACKNOWLEDGE)) is not None:
            skipped.append(Skipped(id=i, code=refused.code, message=refused.message, message_en=refused.message_en))
        else:
            good.append(r)
    if not good:
        return 0, skipped
    now = t.utcnow()
    for county, chunk in by_county((r.county, r.id) for r in good):
        session.execute(
            update(t.Message).where(t.Message.county == county, t.Message.id.in_(chunk),
                                    t.Message.status.in_(deadlines.OPEN))
            .values(status="closed", closed_at=now, version=t.Message.version + 1)
            .execution_options(synchronize_session=False)
        )
    counties = history.person_counties(session, (r.matched_person_id for r in good))
    session.execute(
        t.HistoryEntry.__table__.insert(),
        [history.entry(actor, entity="message", entity_id=r.id, person_id=r.matched_person_id, action="ack",
                       changes={"status": [r.status, "closed"]}, scope_code=r.addressee_code, at=now,
                       county=counties[r.matched_person_id]) for r in good],
    )
    for r in good:
        if r.in_reply_to:
            _close_original(session, actor, r.in_reply_to)
    return len(good), skipped


def send(reg: Registry, session: Session, actor: Actor, data: Any) -> t.Message:
    """A user raises a request (协查), not-found (查无此人), dispute (申诉) or notification by hand."""
    actor.require("write")
    errors = area.check_place(reg, data.addressee_code, "addressee_code", village=False)
    sender = data.sender_code or actor.jurisdiction_code
    errors += reg.divisions.check_acting(actor, sender, "sender_code", ("发件单位", "sender"))
    if data.kind == "notification" and not data.topic:
        errors.append(field_error("topic", "required", "通报须指定事项", "a notification needs a topic"))
    if data.person_id is None and (data.subject is None or not (data.subject.id_number or data.subject.name)):
        errors.append(field_error("subject", "required", "请指定人员（本地记录或身份证号/姓名）",
                                  "name the person: a local record, or an ID number or name"))
    if errors:
        raise Invalid(errors)
    person = access.load_person(session, actor, data.person_id) if data.person_id is not None else None
    subject = messages.subject_of(person) if person is not None else data.subject.model_dump(mode="json", exclude_none=True)
    addressee = data.addressee_code
    if data.kind == "dispute":
        addressee = county_of(addressee)
    # a key target's 协查 runs from her registration: event_on keeps its day (deadlines.sent_late)
    stay = session.get(t.Stay, person.current_stay_id) if person is not None and person.current_stay_id else None
    event_on = deadlines.key_target_registered_on(person, stay, t.utcnow().date(), sender or "") \
        if data.kind == "assist_request" and person is not None else None
    return messages.new_message(reg, session, actor, kind=data.kind, topic=data.topic, sender_code=sender or "", event_on=event_on,
                       addressee_code=addressee, subject=subject, items=data.items, text=data.text,
                       person_id=person.id if person else None,
                       # a 查无此人 is about the stay it found empty: it closes with it (messages.close_with_subject)
                       stay_id=person.current_stay_id if person is not None and data.kind == "not_found" else None)
