"""Quarterly inspection (季度清查): a campaign fixes the stays and rented houses in scope; assistants
record what they find door to door, and each outcome does its registry effect in one transaction."""

from __future__ import annotations

import html
import io
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, insert, literal, select
from sqlalchemy.orm import Session

from flowpop.registry.kernel import history
from flowpop.registry.kernel.auth import Actor, code_range
from flowpop.registry.kernel.counties import in_counties, person_stays, same_county
from flowpop.registry.kernel.divisions import township_of
from flowpop.registry.kernel.errors import Conflict, Invalid, NotFound, field_error
from flowpop.registry.kernel.registry import Registry, today
from flowpop.registry.kernel.versioning import compare_and_set, expect_version
from flowpop.registry.messaging import messages
from flowpop.registry.people import access, certificates, persons, stays
from flowpop.registry.places import houses
from flowpop.registry.store import tables as t
from flowpop.registry.store.chunks import in_chunks
from flowpop.registry.store.distribution import county_sql
from flowpop.rules import cells
from flowpop.rules.divisions_source import prefix_of
from flowpop.rules.idnumber import mask
from flowpop.types import (
    Assignment,
    Campaign,
    CampaignCreate,
    CampaignItem,
    CampaignProgress,
    HouseUpdate,
    NewFound,
    OutcomeRecord,
    PersonUpdate,
    Progress,
    StatusChange,
    StayUpdate,
)

STAY_OUTCOMES = {"present", "corrected", "left", "not_found", "certificate_missing"}
HOUSE_OUTCOMES = {"present", "corrected", "not_found"}
PERSON_KEYS = set(PersonUpdate.model_fields) - {"version", "change_reason"}
STAY_KEYS = set(StayUpdate.model_fields) - {"version", "change_reason"}


def _present(reg: Registry, row: t.Campaign, total: int = 0, done: int = 0) -> Campaign:
    return Campaign(id=row.id, quarter=row.quarter, jurisdiction_code=row.jurisdiction_code,
                    jurisdiction_name=reg.divisions.name(row.jurisdiction_code), name=row.name, status=row.status,
                    created_at=row.created_at, created_by=row.created_by, closed_at=row.closed_at, items=total, done=done)


def _load(session: Session, actor: Actor, campaign_id: int) -> t.Campaign:
    row = session.get(t.Campaign, campaign_id)
    if row is None or not _overlaps(actor, row):
        raise NotFound("campaign", campaign_id)
    return row


def _overlaps(actor: Actor, row: t.Campaign) -> bool:
    """A campaign concerns everyone whose jurisdiction lies inside its area or contains it."""
    area = prefix_of(row.jurisdiction_code)
    return area.startswith(actor.prefix) or actor.prefix.startswith(area)


def create(reg: Registry, session: Session, actor: Actor, data: CampaignCreate) -> Campaign:
    actor.require("deregister")
    errors = reg.divisions.check(data.jurisdiction_code, "jurisdiction_code", levels=("county", "township", "village"),
                                 current=True)
    if not errors and actor.prefix and not actor.covers(data.jurisdiction_code):
        errors.append(field_error("jurisdiction_code", "outside_jurisdiction", "不在您的管辖范围内", "outside your jurisdiction"))
    if errors:
        raise Invalid(errors)
    clash = session.execute(select(t.Campaign.id).where(t.Campaign.quarter == data.quarter,
                                                        t.Campaign.jurisdiction_code == data.jurisdiction_code)).first()
    if clash:
        raise Conflict("campaign_exists", f"该辖区 {data.quarter} 的清查已建立（{clash[0]}）", f"campaign exists ({clash[0]})")
    node = reg.divisions.get(data.jurisdiction_code)
    assert node is not None
    row = t.Campaign(quarter=data.quarter, jurisdiction_code=data.jurisdiction_code, status="open", created_by=actor.username,
                     name=data.name or f"{data.quarter} {node.name}季度清查")
    session.add(row)
    session.flush()
    prefix = prefix_of(node.code, node.level)
    stay_rows = (
        select(literal(row.id), literal("stay"), t.Stay.person_id, t.Stay.id, t.Stay.house_code, t.Stay.residence_code,
               t.Stay.grid_code, literal(1), county_sql(t.Stay.residence_code))
        .join(t.Person, person_stays())
        # an open stay is where its person lives: in the county of its residence
        .where(code_range(t.Stay.residence_code, prefix), in_counties(reg, t.Stay, prefix), t.Stay.status == "open",
               t.Person.status == "active")
        .order_by(t.Stay.id)  # items numbered in the same order on every store
    )
    cols = ["campaign_id", "kind", "person_id", "stay_id", "house_code", "village_code", "grid_code", "version", "county"]
    session.execute(insert(t.CampaignItem).from_select(cols, stay_rows))
    house_rows = (
        select(literal(row.id), literal("house"), literal(None), literal(None), t.House.code, t.House.division_code,
               t.House.grid_code, literal(1), county_sql(t.House.division_code))
        .where(code_range(t.House.division_code, prefix), in_counties(reg, t.House, prefix), t.House.use == "rented",
               t.House.status == "active")
        .order_by(t.House.code)
    )
    session.execute(insert(t.CampaignItem).from_select(cols, house_rows))
    total = session.execute(select(func.count()).where(t.CampaignItem.campaign_id == row.id)).scalar_one()
    return _present(reg, row, total, 0)


def list_campaigns(reg: Registry, session: Session, actor: Actor) -> list[Campaign]:
    actor.require("read")
    rows = session.execute(select(t.Campaign).order_by(t.Campaign.quarter.desc(), t.Campaign.id)).scalars().all()
    visible = [r for r in rows if _overlaps(actor, r)]
    counts = _counts(reg, session, actor, [r.id for r in visible])
    return [_present(reg, r, *counts.get(r.id, (0, 0))) for r in visible]


def _counts(reg: Registry, session: Session, actor: Actor, campaign_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Items and items done per campaign, within the caller's area only (as progress counts them)."""
    if not campaign_ids:
        return {}
    rows = session.execute(
        select(t.CampaignItem.campaign_id, func.count(), func.count(t.CampaignItem.outcome))
        .where(t.CampaignItem.campaign_id.in_(campaign_ids), code_range(t.CampaignItem.village_code, actor.prefix),
               in_counties(reg, t.CampaignItem, actor.prefix))
        .group_by(t.CampaignItem.campaign_id)).all()
    return {cid: (n, done) for cid, n, done in rows}


def assign(reg: Registry, session: Session, actor: Actor, campaign_id: int, assignments: list[Assignment]) -> Campaign:
    actor.require("deregister")
    row = _load(session, actor, campaign_id)
    errors = []
    for i, a in enumerate(assignments):
        errors += reg.divisions.check(a.division_code, f"assignments.{i}.division_code", levels=("village", "grid"))
        if not a.division_code.startswith(prefix_of(row.jurisdiction_code)):
            errors.append(field_error(f"assignments.{i}.division_code", "outside_campaign", "不在本次清查范围内",
                                      "outside this campaign"))
        if session.execute(select(t.User.id).where(t.User.username == a.username)).first() is None:
            errors.append(field_error(f"assignments.{i}.username", "unknown_user", "用户不存在", "no such user"))
    if errors:
        raise Invalid(errors)
    for a in assignments:
        session.execute(t.CampaignAssignment.__table__.delete().where(
            t.CampaignAssignment.campaign_id == campaign_id, t.CampaignAssignment.division_code == a.division_code))
        session.add(t.CampaignAssignment(campaign_id=campaign_id, division_code=a.division_code, username=a.username))
    session.flush()
    return _present(reg, row, *_counts(reg, session, actor, [row.id]).get(row.id, (0, 0)))


def _assignees(session: Session, campaign_id: int) -> dict[str, str]:
    return dict(session.execute(select(t.CampaignAssignment.division_code, t.CampaignAssignment.username)
                                .where(t.CampaignAssignment.campaign_id == campaign_id)).all())


def _assignee(assignments: dict[str, str], village: str, grid: str | None) -> str | None:
    return assignments.get(grid or "") or assignments.get(village)


def items(reg: Registry, session: Session, actor: Actor, campaign_id: int, *, village: str | None = None,
          grid: str | None = None, pending: bool | None = None, assignee: str | None = None, after: int | None = None,
          limit: int = 100) -> list[CampaignItem]:
    """In village/grid order for a checklist; by id when paging with `after` (0 for the first page)."""
    actor.require("read")
    _load(session, actor, campaign_id)
    assignments = _assignees(session, campaign_id)
    CI, P, S, H = t.CampaignItem, t.Person, t.Stay, t.House
    # the item's person, stay and house where they share its county (nearly always: an item takes its village's,
    # a stay's person lives there, a house is in it); one whose person has moved since is read by key after
    stmt = (select(CI, P.id, P.name, P.id_number, S.id, S.residence_address, H.code, H.address)
            .outerjoin(P, and_(P.id == CI.person_id, same_county(P, CI)))
            .outerjoin(S, and_(S.id == CI.stay_id, same_county(S, CI)))
            .outerjoin(H, and_(H.code == CI.house_code, same_county(H, CI)))
            .where(t.CampaignItem.campaign_id == campaign_id, t.CampaignItem.id > (after or 0)))
    if actor.prefix:
        stmt = stmt.where(code_range(t.CampaignItem.village_code, actor.prefix),
                          in_counties(reg, t.CampaignItem, actor.prefix))
    if village:
        stmt = stmt.where(t.CampaignItem.village_code == village)
    if grid:
        stmt = stmt.where(t.CampaignItem.grid_code == grid)
    if pending is True:
        stmt = stmt.where(t.CampaignItem.outcome.is_(None))
    elif pending is False:
        stmt = stmt.where(t.CampaignItem.outcome.is_not(None))
    if assignee:
        mine = [code for code, user in assignments.items() if user == assignee]
        if not mine:
            return []
        stmt = stmt.where(t.CampaignItem.village_code.in_(mine) | t.CampaignItem.grid_code.in_(mine))
    rows = session.execute(stmt.order_by(t.CampaignItem.village_code, t.CampaignItem.grid_code, t.CampaignItem.id)
                           .limit(limit)).all() if after is None else \
        session.execute(stmt.order_by(t.CampaignItem.id).limit(limit)).all()
    missed = [r[0] for r in rows if (r[0].person_id is not None and r[1] is None)
              or (r[0].stay_id is not None and r[4] is None) or (r[0].house_code is not None and r[6] is None)]
    people, addresses = _details(session, missed)
    out = []
    for item, pid, name, number, sid, stay_address, code, house_address in rows:
        if pid is None:
            name, number = people.get(item.person_id or 0, (None, None))
        if sid is None:
            stay_address = addresses.get(("stay", item.stay_id))
        if code is None:
            house_address = addresses.get(("house", item.house_code))
        out.append(_item(item, name, number, stay_address or house_address, assignments))
    return out


def _details(session: Session, rows: Sequence[t.CampaignItem]) -> tuple[dict[int, tuple[str, str]],
                                                                         dict[tuple[str, Any], str | None]]:
    """The names, ID numbers and addresses of items whose person, stay or house is not in the item's county (the
    person moved since the campaign began): read by key, from any county."""
    people: dict[int, tuple[str, str]] = {}
    for ids in in_chunks(sorted({r.person_id for r in rows if r.person_id is not None})):
        people.update({pid: (name, number) for pid, name, number in session.execute(
            select(t.Person.id, t.Person.name, t.Person.id_number).where(t.Person.id.in_(ids)))})
    addresses: dict[tuple[str, Any], str | None] = {}
    for ids in in_chunks(sorted({r.stay_id for r in rows if r.stay_id is not None})):
        addresses.update({("stay", sid): address for sid, address in session.execute(
            select(t.Stay.id, t.Stay.residence_address).where(t.Stay.id.in_(ids)))})
    for codes in in_chunks(sorted({r.house_code for r in rows if r.house_code is not None})):
        addresses.update({("house", code): address for code, address in session.execute(
            select(t.House.code, t.House.address).where(t.House.code.in_(codes)))})
    return people, addresses


def _item(row: t.CampaignItem, name: str | None, number: str | None, address: str | None,
          assignments: dict[str, str]) -> CampaignItem:
    return CampaignItem(id=row.id, kind=row.kind, person_id=row.person_id, name=name, id_number=mask(number),
                        stay_id=row.stay_id, house_code=row.house_code, address=address, village_code=row.village_code,
                        grid_code=row.grid_code, assignee=_assignee(assignments, row.village_code, row.grid_code),
                        outcome=row.outcome, detail=row.detail or {}, recorded_at=row.recorded_at,
                        recorded_by=row.recorded_by, version=row.version)


def record(reg: Registry, session: Session, actor: Actor, campaign_id: int, item_id: int, data: OutcomeRecord) -> CampaignItem:
    """One outcome and its effect: corrected → the fixes; left → deregistered; not found → 查无此人 to the
    household side; certificate missing → a reminder notice with a deadline."""
    actor.require("write")
    campaign = _load(session, actor, campaign_id)
    if campaign.status != "open":
        raise Conflict("campaign_closed", "清查已结束", "the campaign is closed")
    item = session.get(t.CampaignItem, item_id)
    if item is None or item.campaign_id != campaign_id or (actor.prefix and not actor.covers(item.village_code)):
        raise NotFound("item", item_id)
    expect_version(item, data.version, entity="item")
    allowed = STAY_OUTCOMES if item.kind == "stay" else HOUSE_OUTCOMES
    if data.outcome not in allowed:
        raise Invalid([field_error("outcome", "bad_outcome", "该清查对象不能记录此结果", f"{data.outcome} does not apply here")])
    detail: dict[str, Any] = {"note": data.note} if data.note else {}
    reason = f"{campaign.quarter} 季度清查"
    if item.kind == "stay":
        detail.update(_stay_effect(reg, session, actor, item, data, reason))
    elif data.outcome == "corrected":
        house = houses.load(session, actor, item.house_code or "")
        houses.update_house(reg, session, actor, house.code, HouseUpdate(version=house.version, change_reason=reason,
                                                                         **data.changes))
        detail["corrected"] = sorted(data.changes)
    compare_and_set(session, item, data.version, {"outcome": data.outcome, "detail": detail, "recorded_at": t.utcnow(),
                                                  "recorded_by": actor.username}, entity="item")
    session.refresh(item)
    return items(reg, session, actor, campaign_id, after=item.id - 1, limit=1)[0]


def _stay_effect(reg: Registry, session: Session, actor: Actor, item: t.CampaignItem, data: OutcomeRecord,
                 reason: str) -> dict[str, Any]:
    person = access.load_person(session, actor, item.person_id or 0)
    stay = session.get(t.Stay, item.stay_id)
    if data.outcome == "corrected":
        unknown = set(data.changes) - PERSON_KEYS - {f"stay.{k}" for k in STAY_KEYS}
        if unknown or not data.changes:
            raise Invalid([field_error("changes", "bad_changes", "请列出更正的人员或流动记录字段（流动记录字段加 stay. 前缀）",
                                       "list the corrected person fields, and stay fields as stay.<field>")])
        person_changes = {k: v for k, v in data.changes.items() if not k.startswith("stay.")}
        stay_changes = {k[5:]: v for k, v in data.changes.items() if k.startswith("stay.")}
        if person_changes:
            persons.update_person(reg, session, actor, person.id,
                                  PersonUpdate(version=person.version, change_reason=reason, **person_changes))
        if stay_changes and stay is not None:
            stays.update_stay(reg, session, actor, stay.id, StayUpdate(version=stay.version, change_reason=reason, **stay_changes))
        return {"corrected": sorted(data.changes)}
    if data.outcome == "left":
        persons.change_status(reg, session, actor, person.id, "deregister",
                              StatusChange(version=person.version, reason=reason + "：已离开", date=data.date))
        return {"left_on": (data.date or today()).isoformat()}
    if data.outcome == "not_found":
        message = messages.new_message(
            reg, session, actor, kind="not_found", sender_code=township_of(item.village_code),
            addressee_code=township_of(person.household_code), subject=messages.subject_of(person, stay),
            stay_id=item.stay_id, person_id=person.id, text=reason + "：现居住地查无此人",
            items={"checked_on": today().isoformat(), "residence_code": item.village_code})
        return {"message_uid": message.uid}
    if data.outcome == "certificate_missing":
        reminder = certificates.remind(reg, session, actor, person, reason)
        return {"reminder_id": reminder.id, "deadline": reminder.deadline.isoformat()}
    return {}


def new_found(reg: Registry, session: Session, actor: Actor, campaign_id: int, data: NewFound) -> CampaignItem:
    """Someone living here unregistered: registered now and counted as newly found."""
    actor.require("write")
    campaign = _load(session, actor, campaign_id)
    if campaign.status != "open":
        raise Conflict("campaign_closed", "清查已结束", "the campaign is closed")
    if data.person.stay is None or not data.person.stay.residence_code.startswith(prefix_of(campaign.jurisdiction_code)):
        raise Invalid([field_error("person.stay.residence_code", "outside_campaign", "新发现人员须登记在本次清查范围内",
                                   "a newly found person must be registered within the campaign's area")])
    created = persons.create(reg, session, actor, data.person)
    stay = created.stays[0]
    row = t.CampaignItem(campaign_id=campaign_id, kind="stay", person_id=created.id, stay_id=stay.id,
                         house_code=stay.house_code, village_code=stay.residence_code, grid_code=stay.grid_code,
                         outcome="new_found", detail={}, recorded_at=t.utcnow(), recorded_by=actor.username, version=1)
    session.add(row)
    session.flush()
    return items(reg, session, actor, campaign_id, after=row.id - 1, limit=1)[0]


def progress(reg: Registry, session: Session, actor: Actor, campaign_id: int) -> CampaignProgress:
    actor.require("read")
    campaign = _load(session, actor, campaign_id)
    assignments = _assignees(session, campaign_id)
    rows = session.execute(
        select(t.CampaignItem.village_code, t.CampaignItem.grid_code, t.CampaignItem.outcome, func.count())
        # a township or village sees the progress of its own area only, not its neighbours'
        .where(t.CampaignItem.campaign_id == campaign_id, code_range(t.CampaignItem.village_code, actor.prefix),
               in_counties(reg, t.CampaignItem, actor.prefix))
        .group_by(t.CampaignItem.village_code, t.CampaignItem.grid_code, t.CampaignItem.outcome)
    ).all()
    by_village: dict[str, Counter[str]] = defaultdict(Counter)
    by_user: dict[str, Counter[str]] = defaultdict(Counter)
    for village, grid, outcome, n in rows:
        key = outcome or "pending"
        by_village[village][key] += n
        by_user[_assignee(assignments, village, grid) or "（未分配）"][key] += n

    def table(groups: dict[str, Counter[str]], names: bool) -> list[Progress]:
        out = []
        for key in sorted(groups):
            c = groups[key]
            total = sum(c.values())
            out.append(Progress(key=key, name=reg.divisions.name(key) if names else None, total=total,
                                done=total - c.get("pending", 0), by_outcome=dict(c)))
        return out

    total = sum(n for *_, n in rows)
    done = sum(n for _, _, outcome, n in rows if outcome)
    return CampaignProgress(campaign=_present(reg, campaign, total, done), by_village=table(by_village, True),
                            by_assignee=table(by_user, False))


def close(reg: Registry, session: Session, actor: Actor, campaign_id: int) -> Campaign:
    actor.require("deregister")
    row = _load(session, actor, campaign_id)
    if row.status == "closed":
        raise Conflict("campaign_closed", "清查已结束", "the campaign is already closed")
    row.status, row.closed_at = "closed", t.utcnow()
    return progress(reg, session, actor, campaign_id).campaign


def checklist(reg: Registry, session: Session, actor: Actor, campaign_id: int, village: str, fmt: str) -> bytes:
    """The door-to-door list for one village (or grid), as HTML, XLSX or plain text."""
    campaign = _load(session, actor, campaign_id)
    is_grid = len(village) > 12
    rows = items(reg, session, actor, campaign_id, village=None if is_grid else village, grid=village if is_grid else None,
                 limit=100_000)
    title = f"{campaign.name} 入户核查清单 — {reg.divisions.name(village) or village}"
    head = ["序号", "类型", "姓名", "身份证号", "住址/房屋", "网格", "结果（在住属实/已更正/已离开/查无此人/缺婚育证明）", "备注"]
    lines = [[str(i), "人员" if r.kind == "stay" else "出租屋", r.name or "", r.id_number or "",
              " ".join(x for x in (r.address, r.house_code) if x), r.grid_code or "", "", ""]
             for i, r in enumerate(rows, start=1)]
    # names and addresses leave in a file: logged (committed) before it is sent, like an export
    with reg.writing() as log:
        history.log_access(log, actor, "export", "person", [r.person_id for r in rows if r.person_id],
                           detail=f"checklist, campaign {campaign_id}, {village}, {fmt}, {len(rows)} items")
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("核查清单")
        sheet.append(cells.xlsx_row(sheet, [title]))
        sheet.append(head)
        for line in lines:
            sheet.append(cells.xlsx_row(sheet, line))
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    if fmt == "html":
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in line) + "</tr>" for line in lines)
        return (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{html.escape(title)}</title>'
                "<style>table{border-collapse:collapse}td,th{border:1px solid #333;padding:4px}</style>"
                f"<h1>{html.escape(title)}</h1><table><tr>{''.join(f'<th>{h}</th>' for h in head)}</tr>{body}</table>"
                "<p>核查人：________　日期：____年__月__日</p></html>").encode()
    text = [cells.text_cell(title), "", cells.text_row(head)] + [cells.text_row(line) for line in lines] + \
        ["", "核查人：________　日期：____年__月__日"]
    return ("\n".join(text) + "\n").encode()


def due_reminders(session: Session, prefix: str) -> int:
    return session.execute(select(func.count()).select_from(t.Reminder)
                           .join(t.Person, and_(t.Person.id == t.Reminder.person_id, same_county(t.Person, t.Reminder)))
                           .where(t.Reminder.resolved_on.is_(None), t.Reminder.deadline < today(),
                                  code_range(t.Person.residence_code, prefix))).scalar_one()

