# Generated from flowpop/_async/client.py by scripts/unasync_client.py: do not edit; edit the source and rerun.
"""The client and its resources, written once.

This file is the source: ``flowpop/_sync/client.py`` is generated from it by ``scripts/unasync_client.py``
(unasync: ``async``/``await`` dropped, ``AsyncX`` names made ``X``), so the two cannot drift;
``tests/sdk/test_typed.py`` fails when the generated file is stale. Edit here, then run the script.

    client = flowpop.Client()                    # embedded: a local registry file
    client = flowpop.Client(url=..., token=...)  # a `flowpop serve` server
    for p in client.persons.list("zhangs", direction="inflow"):
        print(p.name, p.id_number)              # masked unless reveal=True
"""

from __future__ import annotations

import builtins
import copy
import dataclasses
import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Unpack, cast

import httpx
from tenacity import Retrying

from flowpop import calls
from flowpop._base import (
    APIResponse,
    BoundMethod,
    Call,
    P,
    T,
    finish,
    headers,
    retry_kwargs,
    transport_error,
)
from flowpop._embedded import EmbeddedTransport, open_app
from flowpop._params import (
    CampaignCreateParams,
    CampaignItemParams,
    CertificateParams,
    DeclarationParams,
    DivisionListParams,
    DivisionParams,
    EmployerCreateParams,
    EmployerListParams,
    EmployerUpdateParams,
    HouseCreateParams,
    HouseListParams,
    HouseUpdateParams,
    LateDeclarationParams,
    MessageActionParams,
    MessageCreateParams,
    MessageListParams,
    OutcomeParams,
    PersonCreateParams,
    PersonListParams,
    PersonUpdateParams,
    PersonWhere,
    PlanValues,
    SelectionParams,
    ServiceParams,
    StayCreateParams,
    StayUpdateParams,
    TokenCreateParams,
    UserCreateParams,
    checked,
    checked_plan,
    checked_rows,
)
from flowpop.config import Settings, resolve
from flowpop.errors import from_response
from flowpop.pagination import SyncPager
from flowpop.types import (
    AccessLogEntry,
    BulkResult,
    CalendarYearInfo,
    Campaign,
    CampaignCreate,
    CampaignItem,
    CampaignItemFilters,
    CampaignProgress,
    Certificate,
    CertificateCreate,
    ChangeOperation,
    Changeset,
    ChangesetPreview,
    ComanagementReport,
    Declaration,
    DeclarationCreate,
    Division,
    DivisionFilters,
    DivisionImportResult,
    DivisionIn,
    Employer,
    EmployerCreate,
    EmployerFilters,
    EmployerUpdate,
    EnvelopeResult,
    ExchangeIdentity,
    ExchangeImportResult,
    ExchangePeer,
    ExchangeSyncResult,
    ExportFormat,
    ForwardAction,
    HistoryEntry,
    HolidayNotice,
    House,
    HouseCreate,
    HouseFilters,
    HouseResidents,
    HouseUpdate,
    ImportBatchStatus,
    ImportResult,
    InboxFigures,
    InboxSummary,
    InspectionOutcome,
    LateDeclaration,
    LateDeclarationFilters,
    MatchAction,
    Me,
    MergeValues,
    Message,
    MessageActionName,
    MessageCreate,
    MessageDetail,
    MessageFilters,
    NotFoundAnswer,
    NotFoundLoop,
    OutcomeRecord,
    Page,
    PeriodClosed,
    Person,
    PersonCreate,
    PersonDetail,
    PersonExportFilters,
    PersonListFilters,
    PersonUpdate,
    QualityReport,
    RatesReport,
    RegisterFromMessage,
    ReplyAction,
    Selection,
    ServiceCreate,
    ServiceRecord,
    Stay,
    StayCreate,
    StayUpdate,
    Token,
    TokenCreate,
    TokenCreated,
    User,
    UserCreate,
)

EMBEDDED_BASE = "http://flowpop.embedded"


def _values(data: Any, fields: dict[str, Any]) -> Any:
    """A contract model as given, or the keyword fields (a model and fields together are refused)."""
    if data is None:
        return fields
    if fields:
        raise TypeError("give either a contract model or keyword fields, not both")
    return data


class _Resource:
    def __init__(self, client: Client) -> None:
        self._c = client


class Persons(_Resource):
    def list(self, q: str | None = None, **filters: Unpack[PersonListParams]) -> SyncPager[Person]:
        """Search: q is an ID number (its last digits with the reveal right), a name, pinyin or initials; the other
        filters are PersonListFilters' (division, status, direction, key_target, …, sort, limit, with_total,
        reveal). Pages are fetched as iteration reaches them."""
        wanted = {"q": q, **checked("persons.list", dict(filters), PersonListFilters, besides=("q", "cursor"))}

        def fetch(cursor: str | None) -> Page[Person]:
            return self._c._run(calls.list_persons(cursor, wanted))

        return SyncPager(fetch)

    def get(self, person_id: int, *, reveal: bool = False) -> PersonDetail:
        return self._c._run(calls.get_person(person_id, reveal))

    def create(self, data: PersonCreate | None = None, /, *, idempotency_key: str | None = None,
                     **fields: Unpack[PersonCreateParams]) -> PersonDetail:
        values = _values(data, checked("persons.create", dict(fields), PersonCreate))
        return self._c._run(calls.create_person(values, idempotency_key))

    def update(self, person_id: int, *, version: int, **fields: Unpack[PersonUpdateParams]) -> PersonDetail:
        """Only the fields given change; one given as None is cleared."""
        values = checked("persons.update", dict(fields), PersonUpdate, besides=("version",))
        return self._c._run(calls.update_person(person_id, {"version": version, **values}))

    def deregister(self, person_id: int, *, version: int, reason: str, date: dt.date | None = None) -> PersonDetail:
        return self._c._run(calls.person_status(person_id, "deregister", version, reason, date))

    def archive(self, person_id: int, *, version: int, reason: str) -> PersonDetail:
        return self._c._run(calls.person_status(person_id, "archive", version, reason, None))

    def restore(self, person_id: int, *, version: int, reason: str) -> PersonDetail:
        return self._c._run(calls.person_status(person_id, "restore", version, reason, None))

    def history(self, person_id: int) -> builtins.list[HistoryEntry]:
        return self._c._run(calls.person_history(person_id))

    def import_file(self, data: bytes, *, filename: str = "", dry_run: bool = False, skip_bad: bool = False,
                          mapping: dict[str, str] | None = None, accept_identity_changes: bool = False,
                          batch: str | None = None) -> ImportResult:
        """Import a legacy CSV (UTF-8 or GB18030), XLSX, XLS or ODS file; see ImportResult.problems for bad rows.
        A known ID number with another name, sex or birth date is a conflict unless accept_identity_changes.
        ``batch`` (8-40 letters, digits, - or _) names the import, to follow it with import_status meanwhile."""
        return self._c._run(calls.import_table(data, filename=filename, dry_run=dry_run,
                                                     skip_bad=skip_bad, mapping=mapping,
                                                     accept_identity_changes=accept_identity_changes, batch=batch))

    def import_status(self, batch: str) -> ImportBatchStatus:
        """A running (or finished, or interrupted) import's progress and counts."""
        return self._c._run(calls.import_status(batch))

    def export(self, format: ExportFormat | str = "csv", *, reveal: bool = False, q: str | None = None,
                     **filters: Unpack[PersonWhere]) -> bytes:
        """csv (UTF-8 with BOM), csv-gb18030, xlsx or jsonl, held in memory (see export_to for a file); masked
        unless reveal; logged. Filters as PersonFilters."""
        return self._c._run(self._export(format, reveal, q, dict(filters), "persons.export"))

    def export_to(self, path: str | os.PathLike[str], *, format: ExportFormat | str = "csv", reveal: bool = False,
                        q: str | None = None, **filters: Unpack[PersonWhere]) -> int:
        """As export, written to ``path`` chunk by chunk as it arrives (through ``path``.part, renamed when
        complete); answers the bytes written."""
        return self._c._download(self._export(format, reveal, q, dict(filters), "persons.export_to"), path)

    def _export(self, format: str, reveal: bool, q: str | None, filters: dict[str, Any], where: str) -> Call:
        wanted = {"q": q, **checked(where, filters, PersonExportFilters, besides=("q", "format", "reveal"))}
        return calls.export_persons(format, reveal, wanted)

    def add_certificate(self, person_id: int, **fields: Unpack[CertificateParams]) -> Certificate:
        """A 婚育证明 shown (and verified, with verified_on); verifying notifies the household side."""
        values = checked("persons.add_certificate", dict(fields), CertificateCreate)
        return self._c._run(calls.add_certificate(person_id, values))

    def certificates(self, person_id: int) -> builtins.list[Certificate]:
        return self._c._run(calls.list_certificates(person_id))

    def record_service(self, person_id: int, **fields: Unpack[ServiceParams]) -> ServiceRecord:
        """A service for a key target; notifies the household side when it lies in another county."""
        values = checked("persons.record_service", dict(fields), ServiceCreate)
        return self._c._run(calls.record_service(person_id, values))

    def services(self, person_id: int) -> builtins.list[ServiceRecord]:
        return self._c._run(calls.list_services(person_id))


class Stays(_Resource):
    def list(self, person_id: int) -> builtins.list[Stay]:
        return self._c._run(calls.list_stays(person_id))

    def get(self, stay_id: int) -> Stay:
        return self._c._run(calls.get_stay(stay_id))

    def create(self, data: StayCreate | None = None, /, *, idempotency_key: str | None = None,
                     **fields: Unpack[StayCreateParams]) -> Stay:
        values = _values(data, checked("stays.create", dict(fields), StayCreate))
        return self._c._run(calls.create_stay(values, idempotency_key))

    def update(self, stay_id: int, *, version: int, **fields: Unpack[StayUpdateParams]) -> Stay:
        values = checked("stays.update", dict(fields), StayUpdate, besides=("version",))
        return self._c._run(calls.update_stay(stay_id, {"version": version, **values}))

    def close(self, stay_id: int, *, version: int, reason: str, date: dt.date | None = None) -> Stay:
        return self._c._run(calls.close_stay(stay_id, version, reason, date))

    def transfer(self, stay_id: int, *, version: int, to_residence_code: str, reason: str,
                       residence_address: str | None = None) -> Message:
        """Ask another township to take the stay over; it moves when they accept (迁入申请/移交)."""
        values = {"version": version, "to_residence_code": to_residence_code, "reason": reason,
                  "residence_address": residence_address}
        return self._c._run(calls.transfer_stay(stay_id, values))


class Divisions(_Resource):
    def list(self, **filters: Unpack[DivisionListParams]) -> builtins.list[Division]:
        """Filters as DivisionFilters: parent, level, q, include_retired, limit."""
        wanted = checked("divisions.list", dict(filters), DivisionFilters)
        return self._c._run(calls.list_divisions(wanted))

    def get(self, code: str) -> Division:
        return self._c._run(calls.get_division(code))

    def import_rows(self, rows: Sequence[DivisionIn | DivisionParams]) -> DivisionImportResult:
        """Rows as DivisionIn (a model or its fields); a misspelt field is refused before the request, naming it."""
        checked_rows("divisions.import_rows", rows)
        return self._c._run(calls.import_divisions(builtins.list(rows)))


class Users(_Resource):
    def list(self) -> builtins.list[User]:
        return self._c._run(calls.list_users())

    def create(self, **fields: Unpack[UserCreateParams]) -> User:
        return self._c._run(calls.create_user(checked("users.create", dict(fields), UserCreate)))

    def disable(self, username: str) -> User:
        return self._c._run(calls.set_user_disabled(username, True))

    def enable(self, username: str) -> User:
        return self._c._run(calls.set_user_disabled(username, False))


class Tokens(_Resource):
    def list(self) -> builtins.list[Token]:
        return self._c._run(calls.list_tokens())

    def create(self, **fields: Unpack[TokenCreateParams]) -> TokenCreated:
        """The secret is in the answer's ``token``, shown once."""
        return self._c._run(calls.create_token(checked("tokens.create", dict(fields), TokenCreate)))

    def revoke(self, token_id: int) -> Token:
        return self._c._run(calls.revoke_token(token_id))


class Audit(_Resource):
    def access_log(self, limit: int = 100, *, action: str | None = None, username: str | None = None,
                         before: int | None = None) -> builtins.list[AccessLogEntry]:
        """Newest first; narrowed by action (reveal, export, lookup, …) or user; ``before`` an entry id pages back."""
        return self._c._run(calls.access_log(limit, action, username, before))


class Inbox(_Resource):
    """The daily inbox (信息交换): list by due date, act on messages, acknowledge in bulk."""

    def list(self, **filters: Unpack[MessageListParams]) -> SyncPager[Message]:
        """Filters as MessageFilters: box (in/out/all), status (open/all/a status), kind, overdue, q, division, limit."""
        wanted = checked("inbox.list", dict(filters), MessageFilters, besides=("cursor",))

        def fetch(cursor: str | None) -> Page[Message]:
            return self._c._run(calls.list_inbox(cursor, wanted))

        return SyncPager(fetch)

    def summary(self) -> InboxSummary:
        return self._c._run(calls.inbox_summary())

    def figures(self, level: str = "township") -> builtins.list[InboxFigures]:
        return self._c._run(calls.inbox_figures(level))

    def not_found_loop(self) -> NotFoundLoop:
        """The 查无此人 loop in your area: raised here, addressed here, answered by outcome, closed with the person."""
        return self._c._run(calls.not_found_loop())

    def get(self, message_id: int) -> MessageDetail:
        return self._c._run(calls.get_message(message_id))

    def send(self, data: MessageCreate | None = None, /, *, idempotency_key: str | None = None,
                   **fields: Unpack[MessageCreateParams]) -> Message:
        """Sent once even when retried: the same Idempotency-Key (one is made when none is given) answers as the first."""
        values = _values(data, checked("inbox.send", dict(fields), MessageCreate))
        return self._c._run(calls.send_message(values, idempotency_key))

    def act(self, message_id: int, action: MessageActionName | str, *, version: int,
                  **fields: Unpack[MessageActionParams]) -> MessageDetail:
        """read, verify, return, escalate, close, match (person_id=), forward (to_code=), reply (facts=, text=,
        update_person=), resolve a 查无此人 (outcome=, date=, residence_code=, residence_address=, text=), accept,
        refuse (reason=), register (person=)."""
        values = checked("inbox.act", dict(fields), MatchAction, ForwardAction, ReplyAction, RegisterFromMessage,
                         NotFoundAnswer, besides=("version",))
        return self._c._run(calls.message_action(message_id, action, {"version": version, **values}))

    def acknowledge(self, ids: builtins.list[int]) -> BulkResult:
        return self._c._run(calls.acknowledge(ids))

    def sheet(self, message_id: int) -> str:
        return self._c._run(calls.verification_sheet(message_id))


class Exchange(_Resource):
    def export(self, *, include_sent: bool = False) -> str:
        return self._c._run(calls.export_outbox(include_sent))

    def import_batch(self, text: str) -> ExchangeImportResult:
        return self._c._run(calls.import_batch(text))

    def key(self) -> ExchangeIdentity:
        """This registry's signing key (public key, fingerprint); NotFoundError when none was created."""
        return self._c._run(calls.exchange_key())

    def create_key(self) -> ExchangeIdentity:
        """Create this registry's Ed25519 key pair (kept in the registry); ConflictError when it has one."""
        return self._c._run(calls.create_exchange_key())

    def peers(self) -> builtins.list[ExchangePeer]:
        return self._c._run(calls.list_peers())

    def add_peer(self, name: str, *, url: str, key: str, serves: builtins.list[str]) -> ExchangePeer:
        """Add a peer registry (or relay), or replace the one of that name."""
        return self._c._run(calls.add_peer({"name": name, "url": url, "key": key, "serves": serves}))

    def sync(self, *, retry_now: bool = False, if_ready: bool = False) -> ExchangeSyncResult:
        """One delivery round: pending envelopes to their peers (``retry_now``: those backing off too).
        ``if_ready``: a registry without its key or peers answers an idle round instead of refusing (what a
        console open on an embedded registry runs on its timer)."""
        return self._c._run(calls.exchange_sync(retry_now, if_ready))

    def send_envelope(self, envelope: dict[str, Any]) -> EnvelopeResult:
        """Deliver a signed envelope here (what a peer's delivery does)."""
        return self._c._run(calls.send_envelope(envelope))


class Houses(_Resource):
    """Houses and landlords (以房管人)."""

    def import_file(self, data: bytes, *, filename: str = "", dry_run: bool = False, skip_bad: bool = False,
                          mapping: dict[str, str] | None = None) -> ImportResult:
        """Import a house list (CSV in UTF-8 or GB18030, or XLSX); bad rows come back in .problems."""
        return self._c._run(calls.import_table(data, filename=filename, dry_run=dry_run,
                                                     skip_bad=skip_bad, mapping=mapping, what="houses"))

    def list(self, **filters: Unpack[HouseListParams]) -> builtins.list[House]:
        """Filters as HouseFilters: q (code, address fragment or landlord), division, use, vacant, over_capacity,
        limit, after."""
        return self._c._run(calls.list_houses(checked("houses.list", dict(filters), HouseFilters)))

    def create(self, data: HouseCreate | None = None, /, **fields: Unpack[HouseCreateParams]) -> House:
        values = _values(data, checked("houses.create", dict(fields), HouseCreate))
        return self._c._run(calls.create_house(values))

    def get(self, code: str) -> HouseResidents:
        """The house with its rooms: who lives there, and who is registered there."""
        return self._c._run(calls.house_residents(code))

    def update(self, code: str, *, version: int, **fields: Unpack[HouseUpdateParams]) -> House:
        values = checked("houses.update", dict(fields), HouseUpdate, besides=("version",))
        return self._c._run(calls.update_house(code, {"version": version, **values}))

    def declare(self, code: str, **fields: Unpack[DeclarationParams]) -> Declaration:
        values = checked("houses.declare", dict(fields), DeclarationCreate)
        return self._c._run(calls.declare_tenant(code, values))

    def notice(self, code: str) -> str:
        return self._c._run(calls.landlord_notice(code))

    def late_declarations(self, **filters: Unpack[LateDeclarationParams]) -> builtins.list[LateDeclaration]:
        wanted = checked("houses.late_declarations", dict(filters), LateDeclarationFilters)
        return self._c._run(calls.late_declarations(wanted))


class Employers(_Resource):
    def import_file(self, data: bytes, *, filename: str = "", dry_run: bool = False, skip_bad: bool = False,
                          mapping: dict[str, str] | None = None) -> ImportResult:
        """Import an employer list (CSV in UTF-8 or GB18030, or XLSX); bad rows come back in .problems."""
        return self._c._run(calls.import_table(data, filename=filename, dry_run=dry_run,
                                                     skip_bad=skip_bad, mapping=mapping, what="employers"))

    def list(self, **filters: Unpack[EmployerListParams]) -> builtins.list[Employer]:
        """Filters as EmployerFilters: q (credit code or name), needs_agreement, limit."""
        return self._c._run(calls.list_employers(checked("employers.list", dict(filters), EmployerFilters)))

    def create(self, data: EmployerCreate | None = None, /, **fields: Unpack[EmployerCreateParams]) -> Employer:
        values = _values(data, checked("employers.create", dict(fields), EmployerCreate))
        return self._c._run(calls.create_employer(values))

    def get(self, code: str) -> Employer:
        return self._c._run(calls.get_employer(code))

    def update(self, code: str, *, version: int, **fields: Unpack[EmployerUpdateParams]) -> Employer:
        values = checked("employers.update", dict(fields), EmployerUpdate, besides=("version",))
        return self._c._run(calls.update_employer(code, {"version": version, **values}))

    def roster(self, code: str) -> builtins.list[Person]:
        return self._c._run(calls.employer_roster(code))


class Changesets(_Resource):
    """Bulk changes: plan (and preview), apply all-or-nothing or in resumable chunks, revert."""

    def plan(self, *, operation: ChangeOperation | str, selection: Selection | SelectionParams, reason: str,
                   values: PlanValues | MergeValues | None = None, chunk_size: int | None = None) -> ChangesetPreview:
        """ChangesetCreate: ``selection`` a Selection (filters as PersonFilters, ids or id_numbers), ``values``
        the operation's (set: BULK_SETTABLE fields; deregister/archive/restore: date; move: residence_code,
        grid_code, house_code, room, over_capacity_ok; merge: MergeValues). A key outside them is refused
        before the request, naming it."""
        checked_plan("changesets.plan", operation, selection, values)
        payload = {"operation": operation, "selection": selection, "reason": reason, "values": values or {},
                   "chunk_size": chunk_size}
        return self._c._run(calls.plan_changeset(payload))

    def list(self, limit: int = 100) -> builtins.list[Changeset]:
        return self._c._run(calls.list_changesets(limit))

    def get(self, cs_id: str) -> ChangesetPreview:
        return self._c._run(calls.get_changeset(cs_id))

    def apply(self, cs_id: str, *, skip_failing: bool = False, max_chunks: int | None = None) -> Changeset:
        options = {"skip_failing": skip_failing, "max_chunks": max_chunks}
        return self._c._run(calls.apply_changeset(cs_id, options))

    def revert(self, cs_id: str) -> Changeset:
        return self._c._run(calls.revert_changeset(cs_id))


class Inspections(_Resource):
    """Quarterly inspection campaigns (季度清查)."""

    def create(self, **fields: Unpack[CampaignCreateParams]) -> Campaign:
        return self._c._run(calls.create_campaign(checked("inspections.create", dict(fields), CampaignCreate)))

    def list(self) -> builtins.list[Campaign]:
        return self._c._run(calls.list_campaigns())

    def assign(self, campaign_id: int, assignments: builtins.list[dict[str, str]]) -> Campaign:
        return self._c._run(calls.assign_campaign(campaign_id, assignments))

    def items(self, campaign_id: int, **filters: Unpack[CampaignItemParams]) -> builtins.list[CampaignItem]:
        """Filters as CampaignItemFilters: village, grid, pending, assignee, after, limit."""
        wanted = checked("inspections.items", dict(filters), CampaignItemFilters)
        return self._c._run(calls.campaign_items(campaign_id, wanted))

    def record(self, campaign_id: int, item_id: int, *, version: int, outcome: InspectionOutcome,
                     **fields: Unpack[OutcomeParams]) -> CampaignItem:
        values = checked("inspections.record", dict(fields), OutcomeRecord, besides=("version", "outcome"))
        return self._c._run(calls.record_outcome(campaign_id, item_id,
                                                       {"version": version, "outcome": outcome, **values}))

    def found(self, campaign_id: int, data: PersonCreate | None = None, /,
                    **person: Unpack[PersonCreateParams]) -> CampaignItem:
        """Someone found living here who was not registered: registered now, counted in the campaign."""
        values = _values(data, checked("inspections.found", dict(person), PersonCreate))
        return self._c._run(calls.newly_found(campaign_id, values))

    def progress(self, campaign_id: int) -> CampaignProgress:
        return self._c._run(calls.campaign_progress(campaign_id))

    def close(self, campaign_id: int) -> Campaign:
        return self._c._run(calls.close_campaign(campaign_id))

    def checklist(self, campaign_id: int, division: str, format: str = "html") -> bytes:
        return self._c._run(calls.checklist(campaign_id, division, format))


class Calendar(_Resource):
    """Working days: which years the holiday calendar covers, and the State Council's notice for a new year."""

    def year(self, year: int) -> CalendarYearInfo:
        return self._c._run(calls.calendar_year(year))

    def load(self, notice: HolidayNotice) -> CalendarYearInfo:
        """Store a year's notice (rules.workdays.read_notice reads the file); open deadlines are recomputed."""
        return self._c._run(calls.load_calendar_year(notice))


class Reports(_Resource):
    """Rates against targets, trends, and data-quality checks."""

    def rates(self, period: str, *, level: str = "township", division: str | None = None) -> RatesReport:
        return self._c._run(calls.rates(period, level, division))

    def close_month(self, month: str) -> PeriodClosed:
        """Freeze a month past its cut-off (the 12th, 03:00 Beijing time): its figures no longer change."""
        return self._c._run(calls.close_month(month))

    def trend(self, quarters: builtins.list[str], *, division: str | None = None) -> builtins.list[RatesReport]:
        return self._c._run(calls.rates_trend(quarters, division))

    def rate_records(self, key: str, period: str, *, division: str | None = None,
                           limit: int | None = None) -> builtins.list[Person]:
        return self._c._run(calls.rate_records(key, period, division, limit))

    def comanagement(self, *, by: Literal["county", "pair"] = "county",
                           division: str | None = None) -> ComanagementReport:
        """Co-management (共管) as registration, per county or pair of counties: inflows and outflows registered,
        the gap, 漏管 against its target (seed 000's 市内跨县 measure when ``division`` is a city)."""
        return self._c._run(calls.comanagement(by, division))

    def comanagement_records(self, kind: str, *, county: str | None = None, household: str | None = None,
                                   residence: str | None = None, division: str | None = None,
                                   limit: int | None = None) -> builtins.list[Person]:
        """The people behind a number: ``kind`` is both, inflow, outflow, missing_inflow, missing_outflow or
        unmanaged; ``county`` the county whose side it is, ``household``/``residence`` a pair of counties."""
        return self._c._run(calls.comanagement_records(kind, {
            "county": county, "household": household, "residence": residence, "division": division, "limit": limit}))

    def quality(self) -> QualityReport:
        return self._c._run(calls.quality())

    def quality_persons(self, key: str, *, division: str | None = None, limit: int | None = None) -> builtins.list[Person]:
        """The persons behind a check, lowest id first; limit up to 5000 (the registry's default is 500)."""
        return self._c._run(calls.quality_persons(key, division, limit))

    def quality_fix(self, key: str, *, division: str | None = None) -> ChangesetPreview:
        return self._c._run(calls.quality_fix(key, division))


def _raw(method: BoundMethod[P, T]) -> BoundMethod[P, APIResponse[T]]:
    """A method of a raw client's resource, typed as it answers: that client's ``_run`` gives the APIResponse."""
    return cast(BoundMethod[P, APIResponse[T]], method)


class RawPersons:
    """Persons's methods answering an APIResponse."""

    def __init__(self, r: Persons) -> None:
        self.get = _raw(r.get)
        self.create = _raw(r.create)
        self.update = _raw(r.update)
        self.deregister = _raw(r.deregister)
        self.archive = _raw(r.archive)
        self.restore = _raw(r.restore)
        self.history = _raw(r.history)
        self.import_file = _raw(r.import_file)
        self.import_status = _raw(r.import_status)
        self.export = _raw(r.export)
        self.add_certificate = _raw(r.add_certificate)
        self.certificates = _raw(r.certificates)
        self.record_service = _raw(r.record_service)
        self.services = _raw(r.services)


class RawStays:
    """Stays's methods answering an APIResponse."""

    def __init__(self, r: Stays) -> None:
        self.list = _raw(r.list)
        self.get = _raw(r.get)
        self.create = _raw(r.create)
        self.update = _raw(r.update)
        self.close = _raw(r.close)
        self.transfer = _raw(r.transfer)


class RawDivisions:
    """Divisions's methods answering an APIResponse."""

    def __init__(self, r: Divisions) -> None:
        self.list = _raw(r.list)
        self.get = _raw(r.get)
        self.import_rows = _raw(r.import_rows)


class RawUsers:
    """Users's methods answering an APIResponse."""

    def __init__(self, r: Users) -> None:
        self.list = _raw(r.list)
        self.create = _raw(r.create)
        self.disable = _raw(r.disable)
        self.enable = _raw(r.enable)


class RawTokens:
    """Tokens's methods answering an APIResponse."""

    def __init__(self, r: Tokens) -> None:
        self.list = _raw(r.list)
        self.create = _raw(r.create)
        self.revoke = _raw(r.revoke)


class RawAudit:
    """Audit's methods answering an APIResponse."""

    def __init__(self, r: Audit) -> None:
        self.access_log = _raw(r.access_log)


class RawInbox:
    """Inbox's methods answering an APIResponse."""

    def __init__(self, r: Inbox) -> None:
        self.summary = _raw(r.summary)
        self.figures = _raw(r.figures)
        self.not_found_loop = _raw(r.not_found_loop)
        self.get = _raw(r.get)
        self.send = _raw(r.send)
        self.act = _raw(r.act)
        self.acknowledge = _raw(r.acknowledge)
        self.sheet = _raw(r.sheet)


class RawExchange:
    """Exchange's methods answering an APIResponse."""

    def __init__(self, r: Exchange) -> None:
        self.export = _raw(r.export)
        self.import_batch = _raw(r.import_batch)
        self.key = _raw(r.key)
        self.create_key = _raw(r.create_key)
        self.peers = _raw(r.peers)
        self.add_peer = _raw(r.add_peer)
        self.sync = _raw(r.sync)
        self.send_envelope = _raw(r.send_envelope)


class RawHouses:
    """Houses's methods answering an APIResponse."""

    def __init__(self, r: Houses) -> None:
        self.import_file = _raw(r.import_file)
        self.list = _raw(r.list)
        self.create = _raw(r.create)
        self.get = _raw(r.get)
        self.update = _raw(r.update)
        self.declare = _raw(r.declare)
        self.notice = _raw(r.notice)
        self.late_declarations = _raw(r.late_declarations)


class RawEmployers:
    """Employers's methods answering an APIResponse."""

    def __init__(self, r: Employers) -> None:
        self.import_file = _raw(r.import_file)
        self.list = _raw(r.list)
        self.create = _raw(r.create)
        self.get = _raw(r.get)
        self.update = _raw(r.update)
        self.roster = _raw(r.roster)


class RawChangesets:
    """Changesets's methods answering an APIResponse."""

    def __init__(self, r: Changesets) -> None:
        self.plan = _raw(r.plan)
        self.list = _raw(r.list)
        self.get = _raw(r.get)
        self.apply = _raw(r.apply)
        self.revert = _raw(r.revert)


class RawInspections:
    """Inspections's methods answering an APIResponse."""

    def __init__(self, r: Inspections) -> None:
        self.create = _raw(r.create)
        self.list = _raw(r.list)
        self.assign = _raw(r.assign)
        self.items = _raw(r.items)
        self.record = _raw(r.record)
        self.found = _raw(r.found)
        self.progress = _raw(r.progress)
        self.close = _raw(r.close)
        self.checklist = _raw(r.checklist)


class RawCalendar:
    """Calendar's methods answering an APIResponse."""

    def __init__(self, r: Calendar) -> None:
        self.year = _raw(r.year)
        self.load = _raw(r.load)


class RawReports:
    """Reports's methods answering an APIResponse."""

    def __init__(self, r: Reports) -> None:
        self.rates = _raw(r.rates)
        self.close_month = _raw(r.close_month)
        self.trend = _raw(r.trend)
        self.rate_records = _raw(r.rate_records)
        self.comanagement = _raw(r.comanagement)
        self.comanagement_records = _raw(r.comanagement_records)
        self.quality = _raw(r.quality)
        self.quality_persons = _raw(r.quality_persons)
        self.quality_fix = _raw(r.quality_fix)


class RawResponses:
    """``client.with_raw_response.persons.get(1)``: the same calls, answering an ``APIResponse[PersonDetail]``
    (status, headers, ``request_id``, ``.parse()`` → the PersonDetail) instead of the parsed value. Errors still
    raise. Pagers (persons.list, inbox.list) and export_to, which writes a file, have no raw form."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self.persons = RawPersons(client.persons)
        self.stays = RawStays(client.stays)
        self.divisions = RawDivisions(client.divisions)
        self.users = RawUsers(client.users)
        self.tokens = RawTokens(client.tokens)
        self.audit = RawAudit(client.audit)
        self.inbox = RawInbox(client.inbox)
        self.exchange = RawExchange(client.exchange)
        self.houses = RawHouses(client.houses)
        self.employers = RawEmployers(client.employers)
        self.changesets = RawChangesets(client.changesets)
        self.inspections = RawInspections(client.inspections)
        self.reports = RawReports(client.reports)
        self.calendar = RawCalendar(client.calendar)

    def me(self) -> APIResponse[Me]:
        return cast(APIResponse[Me], self._client.me())


class Client:
    """The registry's API. With no URL configured it opens the embedded registry (a local file)."""

    def __init__(
        self,
        *,
        url: str | None = None,
        token: str | None = None,
        db: str | os.PathLike[str] | None = None,
        profile: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        settings: Settings | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings or resolve(url=url, token=token, db=db, profile=profile, timeout=timeout,
                                            max_retries=max_retries)
        if transport is None and self.settings.embedded:
            transport = EmbeddedTransport(open_app(self.settings.db or ""))
        base = self.settings.url or EMBEDDED_BASE
        self._http = httpx.Client(base_url=base, headers=headers(self.settings), timeout=self.settings.timeout,
                                       transport=transport)
        self._owner = True  # copies made by with_options share the connection and leave closing it to this one
        self._raw = False
        self._mount()

    def _mount(self) -> None:
        self.persons = Persons(self)
        self.stays = Stays(self)
        self.divisions = Divisions(self)
        self.users = Users(self)
        self.tokens = Tokens(self)
        self.audit = Audit(self)
        self.inbox = Inbox(self)
        self.exchange = Exchange(self)
        self.houses = Houses(self)
        self.employers = Employers(self)
        self.changesets = Changesets(self)
        self.inspections = Inspections(self)
        self.reports = Reports(self)
        self.calendar = Calendar(self)

    def _copy(self, *, settings: Settings | None = None, raw: bool | None = None) -> Client:
        other = copy.copy(self)
        other.settings = settings or self.settings
        other._raw = self._raw if raw is None else raw
        other._owner = False
        other._mount()
        return other

    def with_options(self, *, timeout: float | None = None, max_retries: int | None = None) -> Client:
        """A copy with another timeout (seconds) or retry count, sharing this client's connection:
        ``client.with_options(timeout=5, max_retries=0).persons.get(1)``."""
        changes: dict[str, Any] = {}
        if timeout is not None:
            changes["timeout"] = float(timeout)
        if max_retries is not None:
            if max_retries < 0:
                raise ValueError("max_retries must be 0 or more")
            changes["max_retries"] = int(max_retries)
        return self._copy(settings=dataclasses.replace(self.settings, **changes))

    @property
    def with_raw_response(self) -> RawResponses:
        """The same resources answering an APIResponse: ``client.with_raw_response.persons.get(1).request_id``."""
        return RawResponses(self._copy(raw=True))

    def me(self) -> Me:
        return self._run(calls.me())

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The raw response, for anything the typed surface does not cover."""
        kwargs.setdefault("timeout", self.settings.timeout)
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise transport_error(exc) from exc

    def _run(self, call: Call) -> Any:
        for attempt in Retrying(**retry_kwargs(self.settings, call)):
            with attempt:
                response = self.request(call.method, call.path, params=call.params, json=call.json,
                                              content=call.content, headers=call.headers)
                return finish(call, response, raw=self._raw)
        raise AssertionError("unreachable")

    def _download(self, call: Call, path: str | os.PathLike[str]) -> int:
        """The answer's body written to ``path`` as it arrives; retried as any read is (a retry starts the file
        over). Written to ``path``.part first, so that a failed download leaves no partial file at ``path``."""
        target = Path(path)
        part = target.with_name(target.name + ".part")
        for attempt in Retrying(**retry_kwargs(self.settings, call)):
            with attempt:
                written = 0
                try:
                    with self._http.stream(call.method, call.path, params=call.params, headers=call.headers,
                                                 timeout=self.settings.timeout) as response:
                        if response.status_code >= 400:
                            response.read()
                            raise from_response(response)
                        with part.open("wb") as fh:
                            for chunk in response.iter_bytes():
                                fh.write(chunk)
                                written += len(chunk)
                except httpx.TransportError as exc:
                    part.unlink(missing_ok=True)
                    raise transport_error(exc) from exc
                except BaseException:
                    part.unlink(missing_ok=True)
                    raise
                part.replace(target)
                return written
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._owner:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
