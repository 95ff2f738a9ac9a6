"""The API's operations as calls, built once and shared by the sync and async clients."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel

from flowpop._base import Call, body, clean_params, creating
from flowpop.types import (
    AccessLogEntry,
    BulkResult,
    CalendarYearInfo,
    Campaign,
    CampaignItem,
    CampaignProgress,
    Certificate,
    Changeset,
    ChangesetPreview,
    ComanagementReport,
    Declaration,
    Division,
    DivisionImportResult,
    Employer,
    EnvelopeResult,
    ExchangeIdentity,
    ExchangeImportResult,
    ExchangePeer,
    ExchangeSyncResult,
    HistoryEntry,
    HolidayNotice,
    House,
    HouseResidents,
    ImportBatchStatus,
    ImportResult,
    InboxFigures,
    InboxSummary,
    LateDeclaration,
    Me,
    Message,
    MessageDetail,
    NotFoundLoop,
    Page,
    PeriodClosed,
    Person,
    PersonDetail,
    QualityReport,
    RatesReport,
    ServiceRecord,
    Stay,
    Token,
    TokenCreated,
    User,
)


def _date(value: dt.date | str | None) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else value


def list_persons(cursor: str | None, filters: dict[str, Any]) -> Call:
    filters = {k: _date(v) if isinstance(v, dt.date) else v for k, v in filters.items()}
    return Call("GET", "/v1/persons", params=clean_params({**filters, "cursor": cursor}), model=Page[Person])


def get_person(person_id: int, reveal: bool = False) -> Call:
    return Call("GET", f"/v1/persons/{int(person_id)}", params=clean_params({"reveal": reveal or None}), model=PersonDetail)


def create_person(values: dict[str, Any] | BaseModel, idempotency_key: str | None) -> Call:
    return creating(Call("POST", "/v1/persons", json=body(values), model=PersonDetail), idempotency_key)


def update_person(person_id: int, values: dict[str, Any]) -> Call:
    return Call("PATCH", f"/v1/persons/{int(person_id)}", json=body(values, drop_none=False), model=PersonDetail)


def person_status(person_id: int, action: str, version: int, reason: str, date: dt.date | None) -> Call:
    payload = body({"version": version, "reason": reason, "date": date})
    return Call("POST", f"/v1/persons/{int(person_id)}/{action}", json=payload, model=PersonDetail)


def person_history(person_id: int) -> Call:
    return Call("GET", f"/v1/persons/{int(person_id)}/history", model=list[HistoryEntry])


def list_stays(person_id: int) -> Call:
    return Call("GET", "/v1/stays", params={"person_id": str(int(person_id))}, model=list[Stay])


def get_stay(stay_id: int) -> Call:
    return Call("GET", f"/v1/stays/{int(stay_id)}", model=Stay)


def create_stay(values: dict[str, Any] | BaseModel, idempotency_key: str | None) -> Call:
    return creating(Call("POST", "/v1/stays", json=body(values), model=Stay), idempotency_key)


def update_stay(stay_id: int, values: dict[str, Any]) -> Call:
    return Call("PATCH", f"/v1/stays/{int(stay_id)}", json=body(values, drop_none=False), model=Stay)


def close_stay(stay_id: int, version: int, reason: str, date: dt.date | None) -> Call:
    payload = body({"version": version, "reason": reason, "date": date})
    return Call("POST", f"/v1/stays/{int(stay_id)}/close", json=payload, model=Stay)


def list_divisions(filters: dict[str, Any]) -> Call:
    return Call("GET", "/v1/divisions", params=clean_params(filters), model=list[Division])


def get_division(code: str) -> Call:
    return Call("GET", f"/v1/divisions/{code}", model=Division)


def import_divisions(rows: list[Any]) -> Call:
    """Rows as DivisionIn models or their fields."""
    return Call("POST", "/v1/divisions/import", json=body({"rows": rows}), model=DivisionImportResult)


def me() -> Call:
    return Call("GET", "/v1/me", model=Me)


def list_users() -> Call:
    return Call("GET", "/v1/users", model=list[User])


def create_user(values: dict[str, Any]) -> Call:
    return Call("POST", "/v1/users", json=body(values), model=User)


def set_user_disabled(username: str, disabled: bool) -> Call:
    return Call("POST", f"/v1/users/{username}/{'disable' if disabled else 'enable'}", model=User)


def list_tokens() -> Call:
    return Call("GET", "/v1/tokens", model=list[Token])


def create_token(values: dict[str, Any]) -> Call:
    return Call("POST", "/v1/tokens", json=body(values), model=TokenCreated)


def revoke_token(token_id: int) -> Call:
    return Call("DELETE", f"/v1/tokens/{int(token_id)}", model=Token)


def access_log(limit: int = 100, action: str | None = None, username: str | None = None,
               before: int | None = None) -> Call:
    return Call("GET", "/v1/access-log", params=clean_params({"limit": limit, "action": action, "username": username,
                                                              "before": before}), model=list[AccessLogEntry])


# ---------------------------------------------------------------- inbox and exchange


def list_inbox(cursor: str | None, filters: dict[str, Any]) -> Call:
    return Call("GET", "/v1/inbox", params=clean_params({**filters, "cursor": cursor}), model=Page[Message])


def inbox_summary() -> Call:
    return Call("GET", "/v1/inbox/summary", model=InboxSummary)


def inbox_figures(level: str) -> Call:
    return Call("GET", "/v1/inbox/figures", params={"level": level}, model=list[InboxFigures])


def not_found_loop() -> Call:
    return Call("GET", "/v1/inbox/not-found", model=NotFoundLoop)


def get_message(message_id: int) -> Call:
    return Call("GET", f"/v1/inbox/{int(message_id)}", model=MessageDetail)


def send_message(values: dict[str, Any] | BaseModel, idempotency_key: str | None = None) -> Call:
    return creating(Call("POST", "/v1/inbox", json=body(values), model=Message), idempotency_key)


def message_action(message_id: int, action: str, values: dict[str, Any]) -> Call:
    return Call("POST", f"/v1/inbox/{int(message_id)}/{action}", json=body(values), model=MessageDetail)


def acknowledge(ids: list[int]) -> Call:
    return Call("POST", "/v1/inbox/ack", json={"ids": [int(i) for i in ids]}, model=BulkResult)


def verification_sheet(message_id: int) -> Call:
    return Call("GET", f"/v1/inbox/{int(message_id)}/sheet", model=str)


def transfer_stay(stay_id: int, values: dict[str, Any]) -> Call:
    return Call("POST", f"/v1/stays/{int(stay_id)}/transfer", json=body(values), model=Message)


def export_outbox(include_sent: bool) -> Call:
    return Call("GET", "/v1/exchange/outbox", params=clean_params({"include_sent": include_sent or None}), model=str)


def import_batch(text: str) -> Call:
    return Call("POST", "/v1/exchange/import", content=text.encode("utf-8"), model=ExchangeImportResult,
                headers={"Content-Type": "application/x-ndjson"})


def exchange_key() -> Call:
    return Call("GET", "/v1/exchange/key", model=ExchangeIdentity)


def create_exchange_key() -> Call:
    return Call("POST", "/v1/exchange/key", model=ExchangeIdentity)


def list_peers() -> Call:
    return Call("GET", "/v1/exchange/peers", model=list[ExchangePeer])


def add_peer(values: dict[str, Any]) -> Call:
    return Call("POST", "/v1/exchange/peers", json=body(values), model=ExchangePeer)


def exchange_sync(retry_now: bool, if_ready: bool = False) -> Call:
    return Call("POST", "/v1/exchange/sync", params=clean_params({"retry_now": retry_now or None, "if_ready": if_ready or None}),
                model=ExchangeSyncResult)


def send_envelope(envelope: dict[str, Any]) -> Call:
    return Call("POST", "/v1/exchange/envelopes", json=envelope, model=EnvelopeResult)


def record_service(person_id: int, values: dict[str, Any]) -> Call:
    return Call("POST", f"/v1/persons/{int(person_id)}/services", json=body(values), model=ServiceRecord)


def list_services(person_id: int) -> Call:
    return Call("GET", f"/v1/persons/{int(person_id)}/services", model=list[ServiceRecord])


# ---------------------------------------------------------------- houses and employers


def list_houses(filters: dict[str, Any]) -> Call:
    return Call("GET", "/v1/houses", params=clean_params(filters), model=list[House])


def create_house(values: dict[str, Any] | BaseModel) -> Call:
    return Call("POST", "/v1/houses", json=body(values), model=House)


def house_residents(code: str) -> Call:
    return Call("GET", f"/v1/houses/{code}", model=HouseResidents)


def update_house(code: str, values: dict[str, Any]) -> Call:
    return Call("PATCH", f"/v1/houses/{code}", json=body(values, drop_none=False), model=House)


def declare_tenant(code: str, values: dict[str, Any]) -> Call:
    return Call("POST", f"/v1/houses/{code}/declarations", json=body(values), model=Declaration)


def landlord_notice(code: str) -> Call:
    return Call("GET", f"/v1/houses/{code}/notice", model=str)


def late_declarations(filters: dict[str, Any]) -> Call:
    return Call("GET", "/v1/declarations/late", params=clean_params(filters), model=list[LateDeclaration])


def list_employers(filters: dict[str, Any]) -> Call:
    return Call("GET", "/v1/employers", params=clean_params(filters), model=list[Employer])


def create_employer(values: dict[str, Any] | BaseModel) -> Call:
    return Call("POST", "/v1/employers", json=body(values), model=Employer)


def get_employer(code: str) -> Call:
    return Call("GET", f"/v1/employers/{code}", model=Employer)


def update_employer(code: str, values: dict[str, Any]) -> Call:
    return Call("PATCH", f"/v1/employers/{code}", json=body(values, drop_none=False), model=Employer)


def employer_roster(code: str) -> Call:
    return Call("GET", f"/v1/employers/{code}/roster", model=list[Person])


# ---------------------------------------------------------------- bulk changes


def plan_changeset(values: dict[str, Any]) -> Call:
    return Call("POST", "/v1/changesets", json=body(values), model=ChangesetPreview)


def list_changesets(limit: int) -> Call:
    return Call("GET", "/v1/changesets", params={"limit": str(limit)}, model=list[Changeset])


def get_changeset(cs_id: str) -> Call:
    return Call("GET", f"/v1/changesets/{cs_id}", model=ChangesetPreview)


def apply_changeset(cs_id: str, values: dict[str, Any]) -> Call:
    return Call("POST", f"/v1/changesets/{cs_id}/apply", json=body(values), model=Changeset)


def revert_changeset(cs_id: str) -> Call:
    return Call("POST", f"/v1/changesets/{cs_id}/revert", model=Changeset)


# ---------------------------------------------------------------- files


def import_table(data: bytes, *, filename: str, dry_run: bool, skip_bad: bool, mapping: dict[str, str] | None,
                 what: str = "persons", accept_identity_changes: bool = False, batch: str | None = None) -> Call:
    params = clean_params({"filename": filename, "dry_run": dry_run or None, "skip_bad": skip_bad or None,
                           "mapping": json.dumps(mapping, ensure_ascii=False) if mapping else None,
                           "accept_identity_changes": accept_identity_changes or None, "batch": batch})
    return Call("POST", f"/v1/imports/{what}", params=params, content=data, model=ImportResult,
                headers={"Content-Type": "application/octet-stream"})


def import_status(batch: str) -> Call:
    return Call("GET", f"/v1/imports/batches/{quote(batch, safe='')}", model=ImportBatchStatus)


def export_persons(fmt: str, reveal: bool, filters: dict[str, Any]) -> Call:
    return Call("GET", "/v1/exports/persons", params=clean_params({"format": fmt, "reveal": reveal or None, **filters}),
                model=bytes)


# ---------------------------------------------------------------- inspection, rates, quality, certificates


def create_campaign(values: dict[str, Any] | BaseModel) -> Call:
    return Call("POST", "/v1/campaigns", json=body(values), model=Campaign)


def list_campaigns() -> Call:
    return Call("GET", "/v1/campaigns", model=list[Campaign])


def assign_campaign(campaign_id: int, assignments: list[dict[str, str]]) -> Call:
    return Call("POST", f"/v1/campaigns/{int(campaign_id)}/assign", json={"assignments": assignments}, model=Campaign)


def campaign_items(campaign_id: int, filters: dict[str, Any]) -> Call:
    return Call("GET", f"/v1/campaigns/{int(campaign_id)}/items", params=clean_params(filters), model=list[CampaignItem])


def record_outcome(campaign_id: int, item_id: int, values: dict[str, Any]) -> Call:
    return Call("POST", f"/v1/campaigns/{int(campaign_id)}/items/{int(item_id)}", json=body(values), model=CampaignItem)


def newly_found(campaign_id: int, person: dict[str, Any] | BaseModel) -> Call:
    return Call("POST", f"/v1/campaigns/{int(campaign_id)}/found", json={"person": body(person)}, model=CampaignItem)


def campaign_progress(campaign_id: int) -> Call:
    return Call("GET", f"/v1/campaigns/{int(campaign_id)}/progress", model=CampaignProgress)


def close_campaign(campaign_id: int) -> Call:
    return Call("POST", f"/v1/campaigns/{int(campaign_id)}/close", model=Campaign)


def checklist(campaign_id: int, division: str, fmt: str) -> Call:
    return Call("GET", f"/v1/campaigns/{int(campaign_id)}/checklist", params={"division": division, "format": fmt},
                model=bytes)


def rates(period: str, level: str, division: str | None) -> Call:
    return Call("GET", "/v1/rates", params=clean_params({"period": period, "level": level, "division": division}),
                model=RatesReport)


def calendar_year(year: int) -> Call:
    return Call("GET", f"/v1/calendar/{year}", model=CalendarYearInfo)


def load_calendar_year(notice: HolidayNotice) -> Call:
    return Call("PUT", f"/v1/calendar/{notice.year}", json=notice.model_dump(mode="json"), model=CalendarYearInfo)


def close_month(month: str) -> Call:
    return Call("POST", "/v1/rates/close", params={"month": month}, model=PeriodClosed)


def rates_trend(quarters: list[str], division: str | None) -> Call:
    params: dict[str, Any] = {"quarters": quarters}
    if division:
        params["division"] = division
    return Call("GET", "/v1/rates/trend", params=params, model=list[RatesReport])


def rate_records(key: str, period: str, division: str | None, limit: int | None = None) -> Call:
    return Call("GET", f"/v1/rates/{key}/records",
                params=clean_params({"period": period, "division": division, "limit": limit}),
                model=list[Person])


def comanagement(by: str, division: str | None) -> Call:
    return Call("GET", "/v1/comanagement", params=clean_params({"by": by, "division": division}),
                model=ComanagementReport)


def comanagement_records(kind: str, filters: dict[str, Any]) -> Call:
    return Call("GET", "/v1/comanagement/records", params=clean_params({"kind": kind, **filters}), model=list[Person])


def quality() -> Call:
    return Call("GET", "/v1/quality", model=QualityReport)


def quality_persons(key: str, division: str | None, limit: int | None = None) -> Call:
    return Call("GET", f"/v1/quality/{key}/persons", params=clean_params({"division": division, "limit": limit}),
                model=list[Person])


def quality_fix(key: str, division: str | None) -> Call:
    return Call("POST", f"/v1/quality/{key}/fix", params=clean_params({"division": division}), model=ChangesetPreview)


def add_certificate(person_id: int, values: dict[str, Any]) -> Call:
    return Call("POST", f"/v1/persons/{int(person_id)}/certificates", json=body(values), model=Certificate)


def list_certificates(person_id: int) -> Call:
    return Call("GET", f"/v1/persons/{int(person_id)}/certificates", model=list[Certificate])
