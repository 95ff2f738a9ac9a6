"""The demo's working day on top of its people and houses: employers (with and without responsibility
agreements), residence permits, marriage-and-childbearing certificates, an inbox with every kind of
message (some matched, some overdue), a closed inspection campaign for last quarter and one in progress.

Messages and inspection outcomes go through the registry's own services, so their effects (matching,
deadlines, deregistrations, not-found notices, reminders) are the real ones. The demo is one city's registry
and holds only what such a registry would: permits, verifications and services where its own area lies (the
counties with villages loaded, kernel.area); a message from a place outside it arrives as received through
the exchange by file import (imported, with its receipt in the history); a message to a place outside it
waits in the durable outbox (no peer is configured) and nothing marks it acknowledged or answered there;
each side's registration of a stay only where that side is in the own area."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, bindparam, false, func, or_, select, update
from stdnum.cn import uscc

from flowpop.registry.county import inspections
from flowpop.registry.inbox.records import receive_batch
from flowpop.registry.kernel import area
from flowpop.registry.kernel.auth import Actor, local_admin
from flowpop.registry.kernel.counties import person_stays
from flowpop.registry.kernel.divisions import county_of, township_of
from flowpop.registry.kernel.errors import ApiError
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.messaging import deadlines, messages, outbox
from flowpop.registry.store import tables as t
from flowpop.rules import beijing
from flowpop.types import CampaignCreate, OutcomeRecord

Progress = Callable[[str, int, int], None]
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
TRADES = ("纺织", "机械", "食品", "建材", "物流", "电子", "家具", "竹木制品", "汽车配件", "餐饮管理", "建筑工程", "化工")
WORDS = ("恒达", "鑫源", "明辉", "永盛", "金沙", "华兴", "东升", "鼎新", "瑞丰", "嘉禾", "宏远", "翠湖", "三元", "闽中", "沙溪")


def _quarter(day: dt.date, back: int = 0) -> tuple[str, dt.date]:
    q = (day.month - 1) // 3 - back
    year = day.year + q // 4
    q %= 4
    return f"{year}Q{q + 1}", dt.date(year, 3 * q + 1, 1)


def _credit_code(rng: random.Random, county: str) -> str:
    body = "91" + county + "MA" + "".join(rng.choice(USCC_CHARS) for _ in range(7))
    return body + uscc.calc_check_digit(body)


def _in(column: Any, own: tuple[str, ...]) -> Any:
    """``column`` holds a code in the own area (what this registry holds down to villages)."""
    return or_(*(column.like(prefix + "%") for prefix in own)) if own else false()


def add(reg: Registry, seed: int, report: Progress | None = None) -> dict[str, int]:
    rng = random.Random(seed * 7919 + 1)
    counts: dict[str, int] = {}
    actor = local_admin()
    day = today()
    own = area.own_area(reg)
    with reg.writing() as session:
        counts["employers"] = _employers(session, rng)
        counts["permits"] = _permits(session, rng, day, own)
        counts["certificates"] = _certificates(session, rng, day, own)
        counts["services"] = _checkups(session, rng, day, own)
    if report:
        report("operations", 1, 3)
    counts.update(_inbox(reg, actor, rng, day))
    if report:
        report("operations", 2, 3)
    counts.update(_campaigns(reg, actor, rng, day))
    if report:
        report("operations", 3, 3)
    return counts


def _employers(session: Any, rng: random.Random) -> int:
    townships = session.execute(select(t.Division.code).where(t.Division.level == "township", t.Division.is_demo.is_(True))
                                .order_by(t.Division.code)).scalars().all()
    if not townships:
        return 0
    rows = []
    for i in range(max(6, min(60, len(townships) * 2))):
        township = rng.choice(townships)
        signed = dt.date(2020 + rng.randrange(6), rng.randrange(1, 13), rng.randrange(1, 28)) if i % 3 else None
        rows.append({"uscc": _credit_code(rng, township[:6]), "status": "active", "version": 1,
                     "name": f"三明{rng.choice(WORDS)}{rng.choice(TRADES)}有限公司（演示）", "division_code": township,
                     "address": f"{rng.choice(WORDS)}工业园{rng.randrange(1, 40)}号", "contact_name": "办公室",
                     "contact_phone": f"0598-{rng.randrange(5000000, 8999999)}", "agreement_signed_on": signed})
    session.execute(t.Employer.__table__.insert(), rows)
    # workers: open work stays in the employer's county
    stays = session.execute(select(t.Stay.id, t.Stay.residence_code).where(t.Stay.status == "open", t.Stay.reason == "work")
                            .order_by(t.Stay.id)).all()
    by_county: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_county.setdefault(r["division_code"][:6], []).append(r)
    links = []
    for sid, residence in stays:
        options = by_county.get(residence[:6])
        if options and rng.random() < 0.45:
            employer = options[0] if rng.random() < 0.35 else rng.choice(options)
            links.append({"b_id": sid, "code": employer["uscc"], "name": employer["name"]})
    if links:
        session.execute(update(t.Stay.__table__).where(t.Stay.__table__.c.id == bindparam("b_id"))
                        .values(employer_code=bindparam("code"), employer=bindparam("name")), links)
    return len(rows)


def _permits(session: Any, rng: random.Random, day: dt.date, own: tuple[str, ...]) -> int:
    """Residence permits of the people living in the own area (a permit elsewhere is that place's)."""
    stays = session.execute(select(t.Stay.id, t.Stay.arrived_on).where(
        t.Stay.status == "open", func.substr(t.Stay.household_code, 1, 6) != func.substr(t.Stay.residence_code, 1, 6),
        _in(t.Stay.residence_code, own),
        t.Stay.arrived_on <= day - dt.timedelta(days=182)).order_by(t.Stay.id)).all()
    rows = []
    for sid, arrived in stays:
        if rng.random() < 0.78:
            issued = arrived + dt.timedelta(days=rng.randrange(20, 120))
            issued = min(issued, day)
            # most renewed and valid; some lapsed
            expires = day + dt.timedelta(days=rng.randrange(20, 900)) if rng.random() < 0.88 else \
                day - dt.timedelta(days=rng.randrange(1, 300))
            rows.append({"b_id": sid, "num": f"闽三居{issued.year}{rng.randrange(10**7):07d}", "issued": issued,
                         "expires": expires})
    if rows:
        session.execute(update(t.Stay.__table__).where(t.Stay.__table__.c.id == bindparam("b_id")).values(
            permit_number=bindparam("num"), permit_issued_on=bindparam("issued"), permit_expires_on=bindparam("expires")),
            rows)
    return len(rows)


def _certificates(session: Any, rng: random.Random, day: dt.date, own: tuple[str, ...]) -> int:
    """Certificates of married women of childbearing age; shown (verified) at a residence in the own area only:
    a verification elsewhere is that place's record."""
    oldest, youngest = day.replace(year=day.year - 50), day.replace(year=day.year - 15)
    people = session.execute(select(t.Person.id, t.Person.household_code, t.Person.arrived_on, t.Person.residence_code,
                                    t.Person.county).where(
        t.Person.status == "active", t.Person.category == "married_female", t.Person.birth_date > oldest,
        t.Person.birth_date <= youngest, t.Person.residence_code.is_not(None)).order_by(t.Person.id)).all()
    rows = []
    for pid, household, arrived, residence, county in people:
        if rng.random() < 0.86:
            issued = (arrived or day) - dt.timedelta(days=rng.randrange(3, 40))
            # shown at the residence township within days of arrival, mostly inside the 10 days (seed 001 第十二条)
            shown_from = max(issued, arrived or day)
            verified = min(day, shown_from + dt.timedelta(days=rng.randrange(1, 14))) if rng.random() < 0.8 else None
            if not area.inside(own, residence):
                verified = None
            rows.append({"person_id": pid, "county": county, "number": f"婚育{issued.year}{rng.randrange(10**6):06d}",
                         "issued_by_code": household, "issued_on": issued, "expires_on": issued + dt.timedelta(days=1095),
                         "verified_on": verified, "verified_by_code": (residence[:9] + "000") if verified else None})
    if rows:
        session.execute(t.Certificate.__table__.insert(), rows)
    return len(rows)


def _checkups(session: Any, rng: random.Random, day: dt.date, own: tuple[str, ...]) -> int:
    """孕环情检查 for key targets living away from home in the own area (every 6 months, seed 001 第十八条): most
    checked within the last six months, some overdue, some never (county.duties counts them). A check-up
    elsewhere is that place's record."""
    oldest, youngest = day.replace(year=day.year - 50), day.replace(year=day.year - 15)
    people = session.execute(select(t.Person.id, t.Person.current_stay_id, t.Person.residence_code, t.Person.county).where(
        t.Person.status == "active", t.Person.category == "married_female", t.Person.birth_date > oldest,
        t.Person.birth_date <= youngest, t.Person.residence_code.is_not(None),
        func.substr(t.Person.residence_code, 1, 6) != func.substr(t.Person.household_code, 1, 6),
        _in(t.Person.residence_code, own)).order_by(t.Person.id)).all()
    rows = []
    for pid, stay_id, residence, county in people:
        r = rng.random()
        if r < 0.1:
            continue  # never checked
        last = day - dt.timedelta(days=rng.randrange(190, 300) if r < 0.2 else rng.randrange(0, 175))
        for provided in (last, last - dt.timedelta(days=rng.randrange(170, 190))):
            rows.append({"person_id": pid, "county": county, "stay_id": stay_id, "kind": "checkup", "provided_on": provided,
                         "provider_code": residence[:9] + "000", "created_by": "demo"})
    if rows:
        session.execute(t.ServiceRecord.__table__.insert(), rows)
    return len(rows)


def _pick_township(reg: Registry, width: int = 9) -> str | None:
    """The township (or village) with the most residents: the demo's 'our office'."""
    with reg.reading() as session:
        place = func.substr(t.Person.residence_code, 1, width)
        row = session.execute(select(place, func.count()).where(t.Person.residence_code.like("350404%"))
                              .group_by(place).order_by(func.count().desc(), place).limit(1)).first()
    return row[0].ljust(12, "0") if row else None


def _inbox(reg: Registry, actor: Actor, rng: random.Random, day: dt.date) -> dict[str, int]:
    """A working day for the busiest township: every kind of message, some matched, some overdue. A message from
    a place outside the own area came through the exchange, by a batch file imported (imported, matched among
    our records, its receipt in the history, as inbox.exchange.import_batch leaves it); one between places of the
    own area is local. Our answers to requests from elsewhere wait in the outbox."""
    home = _pick_township(reg)
    if home is None:
        return {"messages": 0}
    own = area.own_area(reg)
    made = 0
    with reg.writing() as session:
        residents = session.execute(select(t.Person).where(t.Person.residence_code.like(home[:9] + "%"),
                                                           t.Person.status == "active").order_by(t.Person.id).limit(400)).scalars().all()
        locals_out = session.execute(select(t.Person).where(t.Person.household_code.like(home[:6] + "%"),
                                                            t.Person.residence_code.is_not(None),
                                                            ~t.Person.residence_code.like(home[:6] + "%"))
                                     .order_by(t.Person.id).limit(60)).scalars().all()
        neighbours = session.execute(select(t.Division.code).where(t.Division.level == "township", t.Division.is_demo.is_(True),
                                                                   t.Division.code != home).order_by(t.Division.code).limit(12)).scalars().all()
        if not residents or not neighbours:
            return {"messages": 0}
        received: list[t.Message] = []

        def at(days_ago: int) -> dt.datetime:
            return dt.datetime.combine(day - dt.timedelta(days=days_ago), dt.time(9, rng.randrange(60)))

        def send(kind: str, person: t.Person, sender: str, addressee: str, days_ago: int, stay_id: int | None = None,
                 **extra: Any) -> t.Message:
            elsewhere = not area.inside(own, sender)  # received from another registry: a record carries no ids of ours
            row = messages.new_message(reg, session, actor, kind=kind, sender_code=sender, addressee_code=addressee,
                                       subject=messages.subject_of(person), person_id=None if elsewhere else person.id,
                                       stay_id=None if elsewhere else stay_id, created_at=at(days_ago),
                                       uid=str(uuid.UUID(int=rng.getrandbits(128))), imported=elsewhere, batch=elsewhere,
                                       **extra)
            if elsewhere:
                received.append(row)
            return row

        for p in rng.sample(residents, min(25, len(residents))):  # assistance requests from the household side
            send("assist_request", p, p.household_code[:6] + "000000", home, rng.choice((1, 2, 5, 9, 18, 25, 30)),
                 items={"核实事项": ["是否在住", "现居住地址", "婚育情况"]})
            made += 1
        for p in rng.sample(residents, min(40, len(residents))):  # notifications from other places
            send("notification", p, rng.choice(neighbours), home, rng.choice((0, 1, 3, 8, 16, 24)),
                 topic=rng.choice(("stay_registered", "certificate_verified", "service_provided", "deregistered")),
                 items={"事项日期": (day - dt.timedelta(days=rng.randrange(1, 20))).isoformat()})
            made += 1
        for p in locals_out[:15]:  # not found at the stated residence
            send("not_found", p, township_of(p.residence_code or home), home, rng.choice((2, 6, 12, 20)),
                 text="现居住地查无此人", stay_id=p.current_stay_id)  # about that stay (a local one closes with it)
            made += 1
        # the residence side elsewhere registered some of our outflow and told us (通报), through the exchange
        away = [p for p in locals_out[15:] if not area.inside(own, p.residence_code)]
        for p in away[:10]:
            send("notification", p, township_of(p.residence_code or home), township_of(p.household_code),
                 rng.choice((1, 4, 11, 30)), topic="stay_registered",
                 items={"arrived_on": p.arrived_on.isoformat() if p.arrived_on else None})
            made += 1
        # transfers into our township from another township of our county (移交, as stays.request_transfer sends
        # them: from the stay's township to the target's, the stay moving to one of our villages when accepted)
        movers = session.execute(select(t.Person).where(
            t.Person.residence_code.like(home[:6] + "%"), ~t.Person.residence_code.like(home[:9] + "%"),
            t.Person.status == "active", t.Person.current_stay_id.is_not(None)).order_by(t.Person.id).limit(6)).scalars().all()
        villages = session.execute(select(t.Division.code).where(
            t.Division.level == "village", t.Division.code.like(home[:9] + "%"), t.Division.valid_to.is_(None),
            t.Division.successor_code.is_(None)).order_by(t.Division.code)).scalars().all()
        for p in movers:
            stay = session.get(t.Stay, p.current_stay_id)
            if stay is None or stay.status != "open" or not villages:
                continue
            send("transfer", p, township_of(stay.residence_code), home, rng.choice((0, 1, 3, 6)), stay_id=stay.id,
                 items={"from_residence_code": stay.residence_code, "to_residence_code": rng.choice(villages),
                        "residence_address": None})
            made += 1
        for p in residents[:3]:  # disputes go to the county
            send("dispute", p, rng.choice(neighbours), county_of(home), rng.choice((1, 4)),
                 text="对移交结果有异议，请县级裁定")
            made += 1
        session.flush()
        if received:  # the batch's receipt: matched among our records, one history row each
            receive_batch(reg, session, actor, received)
        # a realistic morning: some read, some matched by hand, some already answered (the answer sent back: to a
        # place elsewhere it waits in the outbox)
        rows = session.execute(select(t.Message).where(t.Message.addressee_code == home).order_by(t.Message.id)).scalars().all()
        morning = dt.datetime.combine(day, dt.time(8, 30))
        answered: list[t.Message] = []
        for m in rows:
            r = rng.random()
            age = (day - m.created_at.date()).days
            if m.kind == "assist_request" and age >= 5 and r < 0.55:
                m.status, m.outcome = "answered", "answered"
                m.answered_at = min(morning, m.created_at + dt.timedelta(days=rng.choice((2, 4, 6, 25))))
                answered.append(m)
            elif m.kind == "notification" and r < 0.35:
                m.status, m.closed_at = "closed", m.created_at + dt.timedelta(days=1)
            elif m.kind in ("assist_request", "not_found") and r < 0.3:
                m.status, m.read_at = "read", m.created_at + dt.timedelta(hours=3)
            elif m.kind == "assist_request" and r < 0.5 and m.matched_person_id:
                m.status = "matched"
        for m in answered:  # the answer (协查回复), as inbox.workflow.reply sends it
            messages.new_message(reg, session, actor, kind="assist_reply", sender_code=m.addressee_code,
                                 addressee_code=m.sender_code, subject=m.subject,
                                 items={"是否在住": "在住", "现居住地址": (m.subject or {}).get("residence_address")},
                                 thread_uid=m.thread_uid, in_reply_to=m.uid, person_id=m.matched_person_id,
                                 created_at=m.answered_at, uid=str(uuid.UUID(int=rng.getrandbits(128))))
            made += 1
        made += _registration_notices(reg, session, actor, rng, day, own)
        _side_registrations(session, own)
    return {"messages": made, "received": len(received), "inbox_township": int(home)}


def _side_registrations(session: Any, own: tuple[str, ...]) -> None:
    """Each side's registration of the stays across counties (co-management counts registrations, seed 000), where
    that side is in the own area: a registration elsewhere is that registry's, not known here. Of the stays between
    the own area's counties both sides registered most, some one side only (漏管), a deterministic share per stay
    (its id) so the demo's random draws are untouched."""
    s = t.Stay
    cross = func.substr(s.household_code, 1, 6) != func.substr(s.residence_code, 1, 6)
    lives_here, home_here = _in(s.residence_code, own), _in(s.household_code, own)
    session.execute(update(s).where(cross, lives_here).values(inflow_registered_at=s.created_at)
                    .execution_options(synchronize_session=False))
    session.execute(update(s).where(cross, home_here).values(outflow_registered_at=s.created_at)
                    .execution_options(synchronize_session=False))
    within = and_(cross, lives_here, home_here)
    session.execute(update(s).where(within, s.id % 17 == 3).values(outflow_registered_at=None)  # inflow only
                    .execution_options(synchronize_session=False))
    session.execute(update(s).where(within, s.id % 23 == 5).values(inflow_registered_at=None)  # outflow only
                    .execution_options(synchronize_session=False))


def _registration_notices(reg: Registry, session: Any, actor: Actor, rng: random.Random, day: dt.date,
                          own: tuple[str, ...]) -> int:
    """Stays across counties were announced to the other side when registered (通报, messages.on_stay): the side
    in the own area tells the other. Between the own area's counties the household side acknowledged most
    (receipt: the co-management rate counts registrations, _side_registrations); to a place elsewhere the notice
    left through the exchange — with its outbox row as messages.new_message writes it (the first through it, the
    others in bulk alike: new_message one by one would double the build's time), pending while no peer serves that
    place, and never acknowledged here (only a state from that registry could say it was)."""
    lives_here, home_here = _in(t.Stay.residence_code, own), _in(t.Stay.household_code, own)
    stays = session.execute(
        select(t.Stay.id, t.Stay.person_id, t.Stay.residence_code, t.Stay.household_code, t.Stay.created_at,
               t.Stay.arrived_on, t.Stay.reason, t.Person.name, t.Person.id_number, t.Person.birth_date)
        .join(t.Person, person_stays())
        .where(t.Stay.status == "open", or_(lives_here, home_here),
               func.substr(t.Stay.household_code, 1, 6) != func.substr(t.Stay.residence_code, 1, 6))
        .order_by(t.Stay.id)).all()
    rows = []
    out: list[dict[str, Any]] = []  # to places elsewhere
    for sid, pid, residence, household, created, arrived, reason, name, number, born in stays:
        uid = str(uuid.UUID(int=rng.getrandbits(128)))
        sent = created or dt.datetime.combine(day, dt.time(9))
        here = area.inside(own, residence)
        if here:
            sender, addressee = township_of(residence), township_of(household)
        else:  # the household side registered the outflow (流出登记) and tells the residence side
            sender, addressee = township_of(household), township_of(residence)
        subject = {"id_number": number, "name": name, "birth_date": born.isoformat(), "household_code": household,
                   "residence_code": residence}
        items = {"arrived_on": arrived.isoformat(), "reason": reason, "returned_on": None}
        if not (here and area.inside(own, household)):
            out.append({"uid": uid, "sender_code": sender, "addressee_code": addressee, "subject": subject,
                        "items": items, "stay_id": sid, "person_id": pid, "created_at": sent})
            continue
        acked = rng.random() < (0.97 if (day - sent.date()).days > 30 else 0.6)
        row = {
            "uid": uid, "kind": "notification", "topic": "stay_registered", "thread_uid": uid, "in_reply_to": None,
            "sender_code": sender, "addressee_code": addressee,
            "subject": subject, "subject_id_number": number, "subject_name": name, "subject_birth_date": born,
            "items": items, "text": None,
            "stay_id": sid, "sender_person_id": pid, "status": "closed" if acked else "new", "outcome": None,
            "matched_person_id": pid, "match_score": 98, "candidates": [],
            "assignee": None, "event_on": sent.date(),
            "created_at": sent, "due_on": sent.date() + dt.timedelta(days=21), "read_at": None, "answered_at": None,
            "closed_at": sent + dt.timedelta(days=rng.randrange(1, 10)) if acked else None, "external": False,
            "exported_at": None, "imported": False, "version": 1,
        }
        rows.append(row)
    for start in range(0, len(rows), 5000):
        session.execute(t.Message.__table__.insert(), rows[start:start + 5000])
    _sent_elsewhere(reg, session, actor, out)
    return len(rows) + len(out)


def _sent_elsewhere(reg: Registry, session: Any, actor: Actor, notices: list[dict[str, Any]]) -> None:
    """Notices to places outside the own area: the first through messages.new_message (the message, its outbox
    row and whatever else the registry writes with a sent message), the others in bulk as it wrote that one."""
    if not notices:
        return
    first, *rest = notices
    written = messages.new_message(reg, session, actor, kind="notification", topic="stay_registered",
                                   event_on=first["created_at"].date(), batch=True, **first)
    session.flush()
    mirrored = session.get(t.ExchangeMirror, written.uid) is not None
    cal = deadlines.calendar(reg)
    now = t.utcnow()
    rows, queued, mirrors = [], [], []
    for n in rest:
        sent, subject = n["created_at"], n["subject"]
        row = {"uid": n["uid"], "kind": "notification", "topic": "stay_registered", "thread_uid": n["uid"],
               "in_reply_to": None, "sender_code": n["sender_code"], "addressee_code": n["addressee_code"],
               "subject": subject, "subject_id_number": subject["id_number"], "subject_name": subject["name"],
               "subject_birth_date": dt.date.fromisoformat(subject["birth_date"]), "items": n["items"], "text": None,
               "stay_id": n["stay_id"], "sender_person_id": n["person_id"], "status": "new", "outcome": None,
               "matched_person_id": None, "match_score": None, "candidates": [], "assignee": None,
               "event_on": sent.date(), "created_at": sent,
               "due_on": deadlines.due_on("notification", beijing.day_of(sent), cal), "read_at": None,
               "answered_at": None, "closed_at": None, "external": True, "exported_at": None, "imported": False,
               "version": 1}
        rows.append(row)
        record = {"format": outbox.FORMAT, **{k: row[k] for k in outbox.FIELDS}, "created_at": sent.isoformat(),
                  "due_on": row["due_on"].isoformat()}  # outbox.record_of's
        queued.append({"message_uid": n["uid"], "what": "record", "route_code": n["addressee_code"],
                       "payload": {"division": n["sender_code"], "record": record}, "status": "pending",
                       "attempts": 0, "next_attempt_at": now, "created_at": now})
        if mirrored:
            mirrors.append({"message_uid": n["uid"], "sent_version": 1})
    for table, values in ((t.Message, rows), (t.ExchangeOutbox, queued), (t.ExchangeMirror, mirrors)):
        for start in range(0, len(values), 5000):
            session.execute(table.__table__.insert(), values[start:start + 5000])


def _campaigns(reg: Registry, actor: Actor, rng: random.Random, day: dt.date) -> dict[str, int]:
    """Last quarter's inspection, closed; this quarter's, under way (in the busiest village, so the demo stays quick)."""
    home = _pick_township(reg, width=12)
    if home is None:
        return {"campaigns": 0}
    outcomes = ["present"] * 88 + ["corrected"] * 4 + ["left"] * 3 + ["not_found"] * 2 + ["certificate_missing"] * 3
    done = 0
    for back, share in ((1, 0.97), (0, 0.4)):
        quarter, start = _quarter(day, back)
        with reg.writing() as session:
            try:
                campaign = inspections.create(reg, session, actor, CampaignCreate(quarter=quarter, jurisdiction_code=home))
            except ApiError:
                continue
            items = session.execute(select(t.CampaignItem.id, t.CampaignItem.kind, t.CampaignItem.version)
                                    .where(t.CampaignItem.campaign_id == campaign.id).order_by(t.CampaignItem.id)).all()
        for item_id, kind, version in items:
            if rng.random() > share:
                continue
            outcome = rng.choice(outcomes) if kind == "stay" else "present"
            changes = {"stay.residence_address": "核实后的新地址（演示）"} if outcome == "corrected" else {}
            with reg.writing() as session:
                try:
                    inspections.record(reg, session, actor, campaign.id, item_id,
                                       OutcomeRecord(version=version, outcome=outcome, changes=changes))
                    done += 1
                except ApiError:
                    session.rollback()
        if back:
            recorded = dt.datetime.combine(start + dt.timedelta(days=40), dt.time(10))
            with reg.writing() as session:
                inspections.close(reg, session, actor, campaign.id)
                session.execute(update(t.Campaign).where(t.Campaign.id == campaign.id).values(
                    created_at=dt.datetime.combine(start + dt.timedelta(days=10), dt.time(9)),
                    closed_at=dt.datetime.combine(start + dt.timedelta(days=75), dt.time(17))))
                session.execute(update(t.CampaignItem).where(t.CampaignItem.campaign_id == campaign.id,
                                                             t.CampaignItem.recorded_at.is_not(None))
                                .values(recorded_at=recorded))
    return {"campaigns": 2, "outcomes": done}
