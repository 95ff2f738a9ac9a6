"""/v1/campaigns (quarterly inspection), /v1/rates, /v1/quality and certificates."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from flowpop.registry.api.deps import Caller, Reg
from flowpop.registry.bulk import changesets
from flowpop.registry.county import closing, comanagement, inspections, quality, rates
from flowpop.registry.kernel.errors import Invalid, field_error
from flowpop.registry.people import access, certificates, present, survivors
from flowpop.registry.store import tables as t
from flowpop.types import (
    Assignment,
    Campaign,
    CampaignCreate,
    CampaignItem,
    CampaignItemFilters,
    CampaignProgress,
    Certificate,
    CertificateCreate,
    ChangesetCreate,
    ChangesetPreview,
    ComanagementFilters,
    ComanagementRecordFilters,
    ComanagementReport,
    NewFound,
    OutcomeRecord,
    PeriodClosed,
    Person,
    QualityPersonFilters,
    QualityReport,
    RateRecordFilters,
    RatesReport,
    Selection,
)

router = APIRouter(prefix="/v1")
CHECKLIST_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Period = Annotated[str, Query(pattern=r"^\d{4}(Q[1-4]|-\d{2})$", description="2026Q4 or 2026-11")]
DivisionQ = Annotated[str | None, Query(pattern=r"^\d{12}(\d{3})?$")]


class Assignments(BaseModel):
    assignments: list[Assignment]


@router.post("/campaigns", response_model=Campaign, status_code=201, tags=["inspection"])
def create_campaign(body: CampaignCreate, reg: Reg, who: Caller) -> Campaign:
    with reg.writing() as session:
        return inspections.create(reg, session, who, body)


@router.get("/campaigns", response_model=list[Campaign], tags=["inspection"])
def list_campaigns(reg: Reg, who: Caller) -> list[Campaign]:
    with reg.reading() as session:
        return inspections.list_campaigns(reg, session, who)


@router.post("/campaigns/{campaign_id}/assign", response_model=Campaign, tags=["inspection"])
def assign(campaign_id: int, body: Assignments, reg: Reg, who: Caller) -> Campaign:
    with reg.writing() as session:
        return inspections.assign(reg, session, who, campaign_id, body.assignments)


@router.get("/campaigns/{campaign_id}/items", response_model=list[CampaignItem], tags=["inspection"])
def campaign_items(campaign_id: int, reg: Reg, who: Caller,
                   filters: Annotated[CampaignItemFilters, Query()]) -> list[CampaignItem]:
    with reg.reading() as session:
        return inspections.items(reg, session, who, campaign_id, **filters.model_dump())


@router.post("/campaigns/{campaign_id}/items/{item_id}", response_model=CampaignItem, tags=["inspection"])
def record_outcome(campaign_id: int, item_id: int, body: OutcomeRecord, reg: Reg, who: Caller) -> CampaignItem:
    with reg.writing() as session:
        return inspections.record(reg, session, who, campaign_id, item_id, body)


@router.post("/campaigns/{campaign_id}/found", response_model=CampaignItem, status_code=201, tags=["inspection"])
def newly_found(campaign_id: int, body: NewFound, reg: Reg, who: Caller) -> CampaignItem:
    with reg.writing() as session:
        return inspections.new_found(reg, session, who, campaign_id, body)


@router.get("/campaigns/{campaign_id}/progress", response_model=CampaignProgress, tags=["inspection"])
def campaign_progress(campaign_id: int, reg: Reg, who: Caller) -> CampaignProgress:
    with reg.reading() as session:
        return inspections.progress(reg, session, who, campaign_id)


@router.post("/campaigns/{campaign_id}/close", response_model=Campaign, tags=["inspection"])
def close_campaign(campaign_id: int, reg: Reg, who: Caller) -> Campaign:
    with reg.writing() as session:
        return inspections.close(reg, session, who, campaign_id)


@router.get("/campaigns/{campaign_id}/checklist", tags=["inspection"], response_class=Response, responses={
    200: {"description": "the checklist", "content": {"text/html": {}, "text/plain": {}, CHECKLIST_XLSX: {}}}})
def checklist(campaign_id: int, reg: Reg, who: Caller, division: Annotated[str, Query(pattern=r"^\d{12}(\d{3})?$")],
              format: Literal["html", "xlsx", "text"] = "html") -> Response:
    media = {"html": "text/html; charset=utf-8", "text": "text/plain; charset=utf-8", "xlsx": CHECKLIST_XLSX}[format]
    with reg.reading() as session:
        return Response(inspections.checklist(reg, session, who, campaign_id, division, format), media_type=media)


@router.get("/rates", response_model=RatesReport, tags=["reports"])
def get_rates(reg: Reg, who: Caller, period: Period, level: Literal["county", "township", "village"] = "township",
              division: DivisionQ = None) -> RatesReport:
    """A closed month (past the 12th, 03:00 Beijing time) answers its frozen figures (frozen_at)."""
    closing.ensure(reg, who, period)
    with reg.reading() as session:
        return closing.report(reg, session, who, period, level, division)


@router.post("/rates/close", response_model=PeriodClosed, tags=["reports"])
def close_month(reg: Reg, who: Caller, month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="2026-11")]
                ) -> PeriodClosed:
    """Freeze a month past its cut-off (the 12th, 03:00 Beijing time); its first query would do the same."""
    closing.close(reg, who, month)
    with reg.reading() as session:
        row = closing.frozen(session, month)
        assert row is not None
        start, end, _ = rates.period_bounds(month)
        return PeriodClosed(period=month, start=start, end=end, closed_at=row.closed_at, closed_by=row.closed_by)


@router.get("/rates/trend", response_model=list[RatesReport], tags=["reports"])
def get_trend(reg: Reg, who: Caller, quarters: Annotated[list[str], Query(max_length=12)], division: DivisionQ = None
              ) -> list[RatesReport]:
    with reg.reading() as session:
        return rates.trend(reg, session, who, quarters, division)


@router.get("/rates/{key}/records", response_model=list[Person], tags=["reports"])
def rate_records(key: str, reg: Reg, who: Caller, filters: Annotated[RateRecordFilters, Query()]) -> list[Person]:
    """The records behind a rate's gap."""
    closing.ensure(reg, who, filters.period)
    with reg.reading() as session:
        ids = closing.shortfall(reg, session, who, key, filters.period, filters.division, filters.limit)
        return _persons(reg, session, who, ids)


@router.get("/comanagement", response_model=ComanagementReport, tags=["reports"])
def get_comanagement(reg: Reg, who: Caller, filters: Annotated[ComanagementFilters, Query()]) -> ComanagementReport:
    """Co-management (共管) as registration: per county or pair of counties, inflows and outflows registered,
    the gap, 漏管 against its target."""
    with reg.reading() as session:
        return comanagement.report(reg, session, who, filters.by, filters.division)


@router.get("/comanagement/records", response_model=list[Person], tags=["reports"])
def comanagement_records(reg: Reg, who: Caller, filters: Annotated[ComanagementRecordFilters, Query()]) -> list[Person]:
    """The people behind a co-management number (e.g. missing_inflow of a county)."""
    with reg.reading() as session:
        ids = comanagement.records(reg, session, who, filters.kind, county=filters.county, household=filters.household,
                                   residence=filters.residence, division=filters.division, limit=filters.limit)
        by_id = {p.id: p for p in _persons(reg, session, who, ids)}
        return [by_id[i] for i in ids if i in by_id]


@router.get("/quality", response_model=QualityReport, tags=["reports"])
def get_quality(reg: Reg, who: Caller) -> QualityReport:
    with reg.reading() as session:
        return quality.run(reg, session, who)


@router.get("/quality/{key}/persons", response_model=list[Person], tags=["reports"])
def quality_persons(key: str, reg: Reg, who: Caller, filters: Annotated[QualityPersonFilters, Query()]) -> list[Person]:
    with reg.reading() as session:
        return _persons(reg, session, who, quality.persons_behind(reg, session, who, key, filters.division, filters.limit))


@router.post("/quality/{key}/fix", response_model=ChangesetPreview, status_code=201, tags=["reports"])
def quality_fix(key: str, reg: Reg, who: Caller, division: DivisionQ = None) -> ChangesetPreview:
    """Plan the changeset that fixes a check, where one does (preview it, then apply it under /v1/changesets)."""
    fix = quality.CHECKS.get(key, (None, None, None))[2]
    if fix not in ("upgrade_id15", "merge"):
        raise Invalid([field_error("key", "not_fixable", "该检查项不能自动修复", "this check has no automatic fix")])
    with reg.writing() as session:
        ids = quality.persons_behind(reg, session, who, key, division, limit=2_000_000)
        reason = f"质量检查修复：{key}"
        if fix == "merge":
            groups = survivors.merge_groups(session, ids)
            data = ChangesetCreate(operation="merge", selection=Selection(ids=[x for g in groups for x in g] or [0]),
                                   values={"groups": groups, "archive_open_stays": True},
                                   reason=reason)
        else:
            data = ChangesetCreate(operation="upgrade_id15", selection=Selection(ids=ids or [0]), reason=reason)
        return changesets.plan(reg, session, who, data)


@router.post("/persons/{person_id}/certificates", response_model=Certificate, status_code=201, tags=["services"])
def add_certificate(person_id: int, body: CertificateCreate, reg: Reg, who: Caller) -> Certificate:
    with reg.writing() as session:
        return certificates.add(reg, session, who, person_id, body)


@router.get("/persons/{person_id}/certificates", response_model=list[Certificate], tags=["services"])
def list_certificates(person_id: int, reg: Reg, who: Caller) -> list[Certificate]:
    with reg.reading() as session:
        access.load_person(session, who, person_id)
        return certificates.list_for(session, person_id)


def _persons(reg: Reg, session: Session, who: Caller, ids: list[int]) -> list[Person]:
    from sqlalchemy import select

    rows = session.execute(select(t.Person).where(t.Person.id.in_(ids[:5000])).order_by(t.Person.id)).scalars()
    return [present.person(reg, who, r) for r in rows]
