"""Co-management across registries (issue 13 item 4): the other side of a cross-county stay is often another
registry. Each side's registration of a stay tells the other side (通报 ``stay_registered``, messaging.messages);
when that notice comes through the exchange, the receiving registry records the other side's registration on its
own open stay of the same person (same ID number, 18- or 15-digit form) between the same two counties, in the
stay's column of the sender's side (people.sides.SIDES). A stay registered here after the other side's notice
came finds it in the inbox. The other side's stay ending (``stay_ended``, ``deregistered``) takes its
registration off again. Both registries then count the stay as co-managed (county.comanagement).

Only notices that came from another registry (``imported``) count: within one registry both sides register the
same record (people.stays.join)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from flowpop.registry.kernel import history, id_numbers
from flowpop.registry.kernel.auth import Actor, code_range
from flowpop.registry.kernel.counties import person_stays
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.people.sides import SIDES
from flowpop.registry.store import tables as t
from flowpop.rules import idnumber

REGISTERED = "stay_registered"
ENDED = frozenset({"stay_ended", "deregistered"})
TOPICS = (REGISTERED, *sorted(ENDED))


def sender_side(subject: dict[str, Any], sender_code: str | None) -> str | None:
    """Which side's registration the sender's notice is: the residence county's inflow or the household
    county's outflow; None for a stay within one county or a sender on neither side."""
    res, hh = str(subject.get("residence_code") or ""), str(subject.get("household_code") or "")
    if len(res) < 6 or len(hh) < 6 or res[:6] == hh[:6] or not sender_code:
        return None
    if sender_code[:6] == res[:6]:
        return "inflow"
    if sender_code[:6] == hh[:6]:
        return "outflow"
    return None


def _numbers(subject: dict[str, Any]) -> list[str]:
    said = idnumber.normalize(str(subject.get("id_number") or ""))
    return idnumber.forms(said) if said else []


def _open_stays(session: Session, numbers: list[str], subject: dict[str, Any]) -> list[t.Stay]:
    """This registry's open stays of the person between the notice's two counties."""
    res, hh = str(subject["residence_code"])[:6], str(subject["household_code"])[:6]
    return list(session.execute(
        select(t.Stay).join(t.Person, person_stays())
        .where(id_numbers.among(session, id_numbers.holders(session, numbers)), t.Stay.status == "open",
               func.substr(t.Stay.residence_code, 1, 6) == res, func.substr(t.Stay.household_code, 1, 6) == hh)
        .order_by(t.Stay.id)
    ).scalars())


def _set(session: Session, actor: Actor, stay: t.Stay, side: str, registered: bool, uid: str) -> bool:
    column = SIDES[side]
    if (getattr(stay, column) is not None) == registered:
        return False
    value = t.utcnow() if registered else None
    done = session.execute(
        update(t.Stay).where(t.Stay.id == stay.id, getattr(t.Stay, column).is_(None) if registered
                             else getattr(t.Stay, column).is_not(None))
        .values({column: value, "version": t.Stay.version + 1})
        .execution_options(synchronize_session="fetch")
    ).rowcount  # type: ignore[attr-defined]  # an UPDATE returns a CursorResult, typed as Result
    if not done:
        return False
    side_zh = "流入地" if side == "inflow" else "户籍地"
    history.record(session, actor, entity="stay", entity_id=stay.id, person_id=stay.person_id,
                   action="register" if registered else "unregister",
                   changes={column: [None, history.jsonable(value)] if registered else ["set", None]},
                   reason=f"对方库{side_zh}{'已登记' if registered else '记录已结束'}（交换消息 {uid}）",
                   scope_code=stay.residence_code if side == "outflow" else stay.household_code)
    return True


def noted(session: Session, actor: Actor, batch: list[t.Message]) -> int:
    """Notices received from another registry: each side's registration (or its end) recorded on the matching
    open stays here. Answers how many stays changed."""
    changed = 0
    for msg in batch:
        if not msg.imported or msg.kind != "notification" or msg.topic not in TOPICS:
            continue
        subject = msg.subject or {}
        side, numbers = sender_side(subject, msg.sender_code), _numbers(subject)
        if side is None or not numbers:
            continue
        for stay in _open_stays(session, numbers, subject):
            changed += _set(session, actor, stay, side, msg.topic == REGISTERED, msg.uid)
    return changed


def on_insert(session: Session, actor: Actor, person: t.Person, stay: t.Stay) -> None:
    """A stay registered here: the other side's registration of it, when its notice came already (the last notice
    of that side about the person between these counties is a registration, not an end)."""
    if not stay.residence_code or not stay.household_code or stay.residence_code[:6] == stay.household_code[:6]:
        return
    numbers = idnumber.forms(person.id_number) if person.id_number else []
    if not numbers:
        return
    rows = session.execute(
        select(t.Message.uid, t.Message.topic, t.Message.sender_code, t.Message.subject)
        .where(t.Message.imported.is_(True), t.Message.kind == "notification", t.Message.topic.in_(TOPICS),
               t.Message.subject_id_number.in_(numbers))
        .order_by(t.Message.created_at, t.Message.id)
    ).all()
    last: dict[str, tuple[str, str]] = {}
    for uid, topic, sender, subject in rows:
        subject = subject or {}
        if (str(subject.get("residence_code") or "")[:6], str(subject.get("household_code") or "")[:6]) != (
                stay.residence_code[:6], stay.household_code[:6]):
            continue
        side = sender_side(subject, sender)
        if side is not None:
            last[side] = (uid, topic)
    for side, (uid, topic) in last.items():
        if topic == REGISTERED:
            session.flush()
            _set(session, actor, stay, side, True, uid)


def counted(reg: Registry, session: Session, household: Any, residence: Any) -> Any:
    """SQL: a cross-county stay whose two sides are both known here (co-management counts only these): each
    county served here (townships loaded) or by a peer registry, whose registrations its notices tell (one side
    at least served here)."""
    home = sorted(reg.divisions.home_counties) or [""]
    prefixes = sorted({p for serves in session.execute(select(t.ExchangePeer.serves)).scalars() for p in serves or []})

    def known(column: Any) -> Any:
        return or_(func.substr(column, 1, 6).in_(home), *(code_range(column, p) for p in prefixes))

    return and_(known(household), known(residence),
                or_(func.substr(household, 1, 6).in_(home), func.substr(residence, 1, 6).in_(home)))
