"""flowpop.Client and flowpop.AsyncClient: the same surface, sync and async.

    client = flowpop.Client()                 # embedded: a local registry file
    client = flowpop.Client(url=..., token=...)  # a `flowpop serve` server
    for p in client.persons.list(q="zhangs", direction="inflow"):
        print(p.name, p.id_number)           # masked unless reveal=True
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import httpx
from tenacity import AsyncRetrying, Retrying

from flowpop import calls
from flowpop._base import Call, decode, headers, retry_kwargs, transport_error
from flowpop._embedded import EmbeddedTransport, async_transport, close_app, open_app
from flowpop.config import Settings, resolve
from flowpop.pagination import AsyncPager, SyncPager
from flowpop.types import (
    AccessLogEntry,
    BulkResult,
    Campaign,
    CampaignItem,
    CampaignProgress,
    Certificate,
    Changeset,
    ChangesetPreview,
    Declaration,
    Division,
    DivisionImportResult,
    Employer,
    ExchangeImportResult,
    HistoryEntry,
    House,
    HouseResidents,
    ImportResult,
    InboxFigures,
    InboxSummary,
    LateDeclaration,
    Me,
    Message,
    MessageDetail,
    Page,
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

EMBEDDED_BASE = "http://flowpop.embedded"


def _values(data: Any, fields: dict[str, Any]) -> Any:
    if data is None:
        return fields
    if isinstance(data, dict):
        return {**data, **fields}
    return data  # a contract model


# ------------------------------------------------------------------------------------------ sync


class _Sync:
    def __init__(self, client: Client) -> None:
        self._c = client


class Persons(_Sync):
    def list(self, q: str | None = None, **filters: Any) -> SyncPager[Person]:
        """Filters: id_number, name, division, status, category, key_target, arrived_from, arrived_to,
        direction (inflow/outflow/local), sort, limit (page size), with_total, reveal."""
        return SyncPager(lambda cursor: self._c._run(calls.list_persons(cursor, q=q, **filters)))

    def get(self, person_id: int, *, reveal: bool = False) -> PersonDetail:
        return self._c._run(calls.get_person(person_id, reveal))

    def create(self, data: Any = None, /, *, idempotency_key: str | None = None, **fields: Any) -> PersonDetail:
        return self._c._run(calls.create_person(_values(data, fields), idempotency_key))

    def update(self, person_id: int, *, version: int, **fields: Any) -> PersonDetail:
        return self._c._run(calls.update_person(person_id, {"version": version, **fields}))

    def deregister(self, person_id: int, *, version: int, reason: str, date: dt.date | None = None) -> PersonDetail:
        return self._c._run(calls.person_status(person_id, "deregister", version, reason, date))

    def archive(self, person_id: int, *, version: int, reason: str) -> PersonDetail:
        return self._c._run(calls.person_status(person_id, "archive", version, reason, None))

    def restore(self, person_id: int, *, version: int, reason: str) -> PersonDetail:
        return self._c._run(calls.person_status(person_id, "restore", version, reason, None))

    def history(self, person_id: int) -> list[HistoryEntry]:
        return self._c._run(calls.person_history(person_id))

    def import_file(self, data: bytes, *, filename: str = "", dry_run: bool = False, skip_bad: bool = False,
                    mapping: dict[str, str] | None = None) -> ImportResult:
        """Import a legacy CSV (UTF-8 or GB18030) or XLSX file; see ImportResult.problems for bad rows."""
        return self._c._run(calls.import_table(data, filename=filename, dry_run=dry_run, skip_bad=skip_bad,
                                                 mapping=mapping))

    def export(self, format: str = "csv", *, reveal: bool = False, **filters: Any) -> bytes:
        """csv (UTF-8 with BOM), csv-gb18030, xlsx or jsonl; masked unless reveal; logged."""
        return self._c._run(calls.export_persons(format, reveal, **filters))

    def add_certificate(self, person_id: int, **fields: Any) -> Certificate:
        """A 婚育证明 shown (and verified, with verified_on); verifying notifies the household side."""
        return self._c._run(calls.add_certificate(person_id, fields))

    def certificates(self, person_id: int) -> list[Certificate]:
        return self._c._run(calls.list_certificates(person_id))

    def record_service(self, person_id: int, **fields: Any) -> ServiceRecord:
        """A service for a key target; notifies the household side when it lies in another county."""
        return self._c._run(calls.record_service(person_id, fields))

    def services(self, person_id: int) -> list[ServiceRecord]:
        return self._c._run(calls.list_services(person_id))


class Stays(_Sync):
    def list(self, person_id: int) -> list[Stay]:
        return self._c._run(calls.list_stays(person_id))

    def get(self, stay_id: int) -> Stay:
        return self._c._run(calls.get_stay(stay_id))

    def create(self, data: Any = None, /, *, idempotency_key: str | None = None, **fields: Any) -> Stay:
        return self._c._run(calls.create_stay(_values(data, fields), idempotency_key))

    def update(self, stay_id: int, *, version: int, **fields: Any) -> Stay:
        return self._c._run(calls.update_stay(stay_id, {"version": version, **fields}))

    def close(self, stay_id: int, *, version: int, reason: str, date: dt.date | None = None) -> Stay:
        return self._c._run(calls.close_stay(stay_id, version, reason, date))

    def transfer(self, stay_id: int, *, version: int, to_residence_code: str, reason: str,
                 residence_address: str | None = None) -> Message:
        """Ask another township to take the stay over; it moves when they accept (迁入申请/移交)."""
        return self._c._run(calls.transfer_stay(stay_id, {"version": version, "to_residence_code": to_residence_code,
                                                          "reason": reason, "residence_address": residence_address}))


class Divisions(_Sync):
    def list(self, **filters: Any) -> list[Division]:
        """Filters: parent, level, q, include_retired, limit."""
        return self._c._run(calls.list_divisions(**filters))

    def get(self, code: str) -> Division:
        return self._c._run(calls.get_division(code))

    def import_rows(self, rows: list[dict[str, Any]]) -> DivisionImportResult:
        return self._c._run(calls.import_divisions(rows))


class Users(_Sync):
    def list(self) -> list[User]:
        return self._c._run(calls.list_users())

    def create(self, **fields: Any) -> User:
        return self._c._run(calls.create_user(fields))

    def disable(self, username: str) -> User:
        return self._c._run(calls.set_user_disabled(username, True))

    def enable(self, username: str) -> User:
        return self._c._run(calls.set_user_disabled(username, False))


class Tokens(_Sync):
    def list(self) -> list[Token]:
        return self._c._run(calls.list_tokens())

    def create(self, **fields: Any) -> TokenCreated:
        return self._c._run(calls.create_token(fields))

    def revoke(self, token_id: int) -> Token:
        return self._c._run(calls.revoke_token(token_id))


class Audit(_Sync):
    def access_log(self, limit: int = 100, *, action: str | None = None, username: str | None = None,
                   before: int | None = None) -> list[AccessLogEntry]:
        """Newest first; narrowed by action (reveal, export, lookup, …) or user; ``before`` an entry id pages back."""
        return self._c._run(calls.access_log(limit, action, username, before))


class Inbox(_Sync):
    """The daily inbox (信息交换): list by due date, act on messages, acknowledge in bulk."""

    def list(self, **filters: Any) -> SyncPager[Message]:
        """Filters: box (in/out/all), status (open/all/a status), kind, overdue, q, division, limit."""
        return SyncPager(lambda cursor: self._c._run(calls.list_inbox(cursor, **filters)))

    def summary(self) -> InboxSummary:
        return self._c._run(calls.inbox_summary())

    def figures(self, level: str = "township") -> list[InboxFigures]:
        return self._c._run(calls.inbox_figures(level))

    def get(self, message_id: int) -> MessageDetail:
        return self._c._run(calls.get_message(message_id))

    def send(self, *, idempotency_key: str | None = None, **fields: Any) -> Message:
        """Sent once even when retried: the same Idempotency-Key (one is made when none is given) answers as the first."""
        return self._c._run(calls.send_message(fields, idempotency_key))

    def act(self, message_id: int, action: str, *, version: int, **fields: Any) -> MessageDetail:
        """read, verify, return, escalate, close, match (person_id=), forward (to_code=), reply (facts=, text=,
        update_person=), accept, refuse (reason=), register (person=)."""
        return self._c._run(calls.message_action(message_id, action, {"version": version, **fields}))

    def acknowledge(self, ids: list[int]) -> BulkResult:
        return self._c._run(calls.acknowledge(ids))

    def sheet(self, message_id: int) -> str:
        return self._c._run(calls.verification_sheet(message_id))


class Exchange(_Sync):
    def export(self, *, include_sent: bool = False) -> str:
        return self._c._run(calls.export_outbox(include_sent))

    def import_batch(self, text: str) -> ExchangeImportResult:
        return self._c._run(calls.import_batch(text))


class Houses(_Sync):
    """Houses and landlords (以房管人)."""

    def import_file(self, data: bytes, *, filename: str = "", dry_run: bool = False, skip_bad: bool = False,
                    mapping: dict[str, str] | None = None) -> ImportResult:
        """Import a house list (CSV in UTF-8 or GB18030, or XLSX); bad rows come back in .problems."""
        return self._c._run(calls.import_table(data, filename=filename, dry_run=dry_run, skip_bad=skip_bad,
                                                 mapping=mapping, what="houses"))

    def list(self, **filters: Any) -> list[House]:
        """Filters: q (code, address fragment or landlord), division, use, vacant, over_capacity, limit, after."""
        return self._c._run(calls.list_houses(**filters))

    def create(self, **fields: Any) -> House:
        return self._c._run(calls.create_house(fields))

    def get(self, code: str) -> HouseResidents:
        """The house with its rooms: who lives there, and who is registered there."""
        return self._c._run(calls.house_residents(code))

    def update(self, code: str, *, version: int, **fields: Any) -> House:
        return self._c._run(calls.update_house(code, {"version": version, **fields}))

    def declare(self, code: str, **fields: Any) -> Declaration:
        return self._c._run(calls.declare_tenant(code, fields))

    def notice(self, code: str) -> str:
        return self._c._run(calls.landlord_notice(code))

    def late_declarations(self, **filters: Any) -> list[LateDeclaration]:
        return self._c._run(calls.late_declarations(**filters))


class Employers(_Sync):

    def import_file(self, data: bytes, *, filename: str = "", dry_run: bool = False, skip_bad: bool = False,
                    mapping: dict[str, str] | None = None) -> ImportResult:
        """Import a employer list (CSV in UTF-8 or GB18030, or XLSX); bad rows come back in .problems."""
        return self._c._run(calls.import_table(data, filename=filename, dry_run=dry_run, skip_bad=skip_bad,
                                                 mapping=mapping, what="employers"))

    def list(self, **filters: Any) -> list[Employer]:
        """Filters: q (credit code or name), needs_agreement, limit."""
        return self._c._run(calls.list_employers(**filters))

    def create(self, **fields: Any) -> Employer:
        return self._c._run(calls.create_employer(fields))

    def get(self, code: str) -> Employer:
        return self._c._run(calls.get_employer(code))

    def update(self, code: str, *, version: int, **fields: Any) -> Employer:
        return self._c._run(calls.update_employer(code, {"version": version, **fields}))

    def roster(self, code: str) -> list[Person]:
        return self._c._run(calls.employer_roster(code))


class Changesets(_Sync):
    """Bulk changes: plan (and preview), apply all-or-nothing or in resumable chunks, revert."""

    def plan(self, *, operation: str, selection: dict[str, Any], reason: str, values: dict[str, Any] | None = None,
             chunk_size: int | None = None) -> ChangesetPreview:
        return self._c._run(calls.plan_changeset({"operation": operation, "selection": selection, "reason": reason,
                                                  "values": values or {}, "chunk_size": chunk_size}))

    def list(self, limit: int = 100) -> list[Changeset]:
        return self._c._run(calls.list_changesets(limit))

    def get(self, cs_id: str) -> ChangesetPreview:
        return self._c._run(calls.get_changeset(cs_id))

    def apply(self, cs_id: str, *, skip_failing: bool = False, max_chunks: int | None = None) -> Changeset:
        return self._c._run(calls.apply_changeset(cs_id, {"skip_failing": skip_failing, "max_chunks": max_chunks}))

    def revert(self, cs_id: str) -> Changeset:
        return self._c._run(calls.revert_changeset(cs_id))


class Inspections(_Sync):
    """Quarterly inspection campaigns (季度清查)."""

    def create(self, **fields: Any) -> Campaign:
        return self._c._run(calls.create_campaign(fields))

    def list(self) -> list[Campaign]:
        return self._c._run(calls.list_campaigns())

    def assign(self, campaign_id: int, assignments: list[dict[str, str]]) -> Campaign:
        return self._c._run(calls.assign_campaign(campaign_id, assignments))

    def items(self, campaign_id: int, **filters: Any) -> list[CampaignItem]:
        return self._c._run(calls.campaign_items(campaign_id, **filters))

    def record(self, campaign_id: int, item_id: int, *, version: int, outcome: str, **fields: Any) -> CampaignItem:
        return self._c._run(calls.record_outcome(campaign_id, item_id, {"version": version, "outcome": outcome, **fields}))

    def found(self, campaign_id: int, **person: Any) -> CampaignItem:
        return self._c._run(calls.newly_found(campaign_id, person))

    def progress(self, campaign_id: int) -> CampaignProgress:
        return self._c._run(calls.campaign_progress(campaign_id))

    def close(self, campaign_id: int) -> Campaign:
        return self._c._run(calls.close_campaign(campaign_id))

    def checklist(self, campaign_id: int, division: str, format: str = "html") -> bytes:
        return self._c._run(calls.checklist(campaign_id, division, format))


class Reports(_Sync):
    """Rates against targets, trends, and data-quality checks."""

    def rates(self, period: str, *, level: str = "township", division: str | None = None) -> RatesReport:
        return self._c._run(calls.rates(period, level, division))

    def trend(self, quarters: list[str], *, division: str | None = None) -> list[RatesReport]:
        return self._c._run(calls.rates_trend(quarters, division))

    def rate_records(self, key: str, period: str, *, division: str | None = None) -> list[Person]:
        return self._c._run(calls.rate_records(key, period, division))

    def quality(self) -> QualityReport:
        return self._c._run(calls.quality())

    def quality_persons(self, key: str, *, division: str | None = None, limit: int | None = None) -> list[Person]:
        """The persons behind a check, lowest id first; limit up to 5000 (the registry's default is 500)."""
        return self._c._run(calls.quality_persons(key, division, limit))

    def quality_fix(self, key: str, *, division: str | None = None) -> ChangesetPreview:
        return self._c._run(calls.quality_fix(key, division))


class Client:
    """Synchronous client. With no URL configured it opens the embedded registry."""

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

    def me(self) -> Me:
        return self._run(calls.me())

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The raw response, for anything the typed surface does not cover."""
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise transport_error(exc) from exc

    def _run(self, call: Call) -> Any:
        for attempt in Retrying(**retry_kwargs(self.settings, call)):
            with attempt:
                response = self.request(call.method, call.path, params=call.params, json=call.json,
                                        content=call.content, headers=call.headers)
                return decode(call, response)
        raise AssertionError("unreachable")

    def close(self) -> None:
        transport = self._http._transport
        self._http.close()
        if isinstance(transport, EmbeddedTransport):
            transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


# ------------------------------------------------------------------------------------------ async


class _Async:
    def __init__(self, client: AsyncClient) -> None:
        self._c = client


class AsyncPersons(_Async):
    def list(self, q: str | None = None, **filters: Any) -> AsyncPager[Person]:
        async def fetch(cursor: str | None) -> Page[Person]:
            return await self._c._run(calls.list_persons(cursor, q=q, **filters))

        return AsyncPager(fetch)

    async def get(self, person_id: int, *, reveal: bool = False) -> PersonDetail:
        return await self._c._run(calls.get_person(person_id, reveal))

    async def create(self, data: Any = None, /, *, idempotency_key: str | None = None, **fields: Any) -> PersonDetail:
        return await self._c._run(calls.create_person(_values(data, fields), idempotency_key))

    async def update(self, person_id: int, *, version: int, **fields: Any) -> PersonDetail:
        return await self._c._run(calls.update_person(person_id, {"version": version, **fields}))

    async def deregister(self, person_id: int, *, version: int, reason: str, date: dt.date | None = None) -> PersonDetail:
        return await self._c._run(calls.person_status(person_id, "deregister", version, reason, date))

    async def archive(self, person_id: int, *, version: int, reason: str) -> PersonDetail:
        return await self._c._run(calls.person_status(person_id, "archive", version, reason, None))

    async def restore(self, person_id: int, *, version: int, reason: str) -> PersonDetail:
        return await self._c._run(calls.person_status(person_id, "restore", version, reason, None))

    async def history(self, person_id: int) -> list[HistoryEntry]:
        return await self._c._run(calls.person_history(person_id))

    async def import_file(self, data: bytes, *, filename: str = "", dry_run: bool = False, skip_bad: bool = False,
                          mapping: dict[str, str] | None = None) -> ImportResult:
        return await self._c._run(calls.import_table(data, filename=filename, dry_run=dry_run, skip_bad=skip_bad,
                                                       mapping=mapping))

    async def export(self, format: str = "csv", *, reveal: bool = False, **filters: Any) -> bytes:
        return await self._c._run(calls.export_persons(format, reveal, **filters))

    async def add_certificate(self, person_id: int, **fields: Any) -> Certificate:
        return await self._c._run(calls.add_certificate(person_id, fields))

    async def certificates(self, person_id: int) -> list[Certificate]:
        return await self._c._run(calls.list_certificates(person_id))

    async def record_service(self, person_id: int, **fields: Any) -> ServiceRecord:
        return await self._c._run(calls.record_service(person_id, fields))

    async def services(self, person_id: int) -> list[ServiceRecord]:
        return await self._c._run(calls.list_services(person_id))


class AsyncStays(_Async):
    async def list(self, person_id: int) -> list[Stay]:
        return await self._c._run(calls.list_stays(person_id))

    async def get(self, stay_id: int) -> Stay:
        return await self._c._run(calls.get_stay(stay_id))

    async def create(self, data: Any = None, /, *, idempotency_key: str | None = None, **fields: Any) -> Stay:
        return await self._c._run(calls.create_stay(_values(data, fields), idempotency_key))

    async def update(self, stay_id: int, *, version: int, **fields: Any) -> Stay:
        return await self._c._run(calls.update_stay(stay_id, {"version": version, **fields}))

    async def close(self, stay_id: int, *, version: int, reason: str, date: dt.date | None = None) -> Stay:
        return await self._c._run(calls.close_stay(stay_id, version, reason, date))

    async def transfer(self, stay_id: int, *, version: int, to_residence_code: str, reason: str,
                       residence_address: str | None = None) -> Message:
        return await self._c._run(calls.transfer_stay(stay_id, {"version": version, "to_residence_code": to_residence_code,
                                                                "reason": reason, "residence_address": residence_address}))


class AsyncDivisions(_Async):
    async def list(self, **filters: Any) -> list[Division]:
        return await self._c._run(calls.list_divisions(**filters))

    async def get(self, code: str) -> Division:
        return await self._c._run(calls.get_division(code))

    async def import_rows(self, rows: list[dict[str, Any]]) -> DivisionImportResult:
        return await self._c._run(calls.import_divisions(rows))


class AsyncUsers(_Async):
    async def list(self) -> list[User]:
        return await self._c._run(calls.list_users())

    async def create(self, **fields: Any) -> User:
        return await self._c._run(calls.create_user(fields))

    async def disable(self, username: str) -> User:
        return await self._c._run(calls.set_user_disabled(username, True))

    async def enable(self, username: str) -> User:
        return await self._c._run(calls.set_user_disabled(username, False))


class AsyncTokens(_Async):
    async def list(self) -> list[Token]:
        return await self._c._run(calls.list_tokens())

    async def create(self, **fields: Any) -> TokenCreated:
        return await self._c._run(calls.create_token(fields))

    async def revoke(self, token_id: int) -> Token:
        return await self._c._run(calls.revoke_token(token_id))


class AsyncAudit(_Async):
    async def access_log(self, limit: int = 100, *, action: str | None = None, username: str | None = None,
                         before: int | None = None) -> list[AccessLogEntry]:
        return await self._c._run(calls.access_log(limit, action, username, before))


class AsyncInbox(_Async):
    def list(self, **filters: Any) -> AsyncPager[Message]:
        async def fetch(cursor: str | None) -> Page[Message]:
            return await self._c._run(calls.list_inbox(cursor, **filters))

        return AsyncPager(fetch)

    async def summary(self) -> InboxSummary:
        return await self._c._run(calls.inbox_summary())

    async def figures(self, level: str = "township") -> list[InboxFigures]:
        return await self._c._run(calls.inbox_figures(level))

    async def get(self, message_id: int) -> MessageDetail:
        return await self._c._run(calls.get_message(message_id))

    async def send(self, *, idempotency_key: str | None = None, **fields: Any) -> Message:
        return await self._c._run(calls.send_message(fields, idempotency_key))

    async def act(self, message_id: int, action: str, *, version: int, **fields: Any) -> MessageDetail:
        return await self._c._run(calls.message_action(message_id, action, {"version": version, **fields}))

    async def acknowledge(self, ids: list[int]) -> BulkResult:
        return await self._c._run(calls.acknowledge(ids))

    async def sheet(self, message_id: int) -> str:
        return await self._c._run(calls.verification_sheet(message_id))


class AsyncExchange(_Async):
    async def export(self, *, include_sent: bool = False) -> str:
        return await self._c._run(calls.export_outbox(include_sent))

    async def import_batch(self, text: str) -> ExchangeImportResult:
        return await self._c._run(calls.import_batch(text))


class AsyncHouses(_Async):

    async def import_file(self, data: bytes, *, filename: str = "", dry_run: bool = False, skip_bad: bool = False,
                    mapping: dict[str, str] | None = None) -> ImportResult:
        """Import a house list (CSV in UTF-8 or GB18030, or XLSX); bad rows come back in .problems."""
        return await self._c._run(calls.import_table(data, filename=filename, dry_run=dry_run, skip_bad=skip_bad,
                                                 mapping=mapping, what="houses"))

    async def list(self, **filters: Any) -> list[House]:
        return await self._c._run(calls.list_houses(**filters))

    async def create(self, **fields: Any) -> House:
        return await self._c._run(calls.create_house(fields))

    async def get(self, code: str) -> HouseResidents:
        return await self._c._run(calls.house_residents(code))

    async def update(self, code: str, *, version: int, **fields: Any) -> House:
        return await self._c._run(calls.update_house(code, {"version": version, **fields}))

    async def declare(self, code: str, **fields: Any) -> Declaration:
        return await self._c._run(calls.declare_tenant(code, fields))

    async def notice(self, code: str) -> str:
        return await self._c._run(calls.landlord_notice(code))

    async def late_declarations(self, **filters: Any) -> list[LateDeclaration]:
        return await self._c._run(calls.late_declarations(**filters))


class AsyncEmployers(_Async):

    async def import_file(self, data: bytes, *, filename: str = "", dry_run: bool = False, skip_bad: bool = False,
                    mapping: dict[str, str] | None = None) -> ImportResult:
        """Import a employer list (CSV in UTF-8 or GB18030, or XLSX); bad rows come back in .problems."""
        return await self._c._run(calls.import_table(data, filename=filename, dry_run=dry_run, skip_bad=skip_bad,
                                                 mapping=mapping, what="employers"))

    async def list(self, **filters: Any) -> list[Employer]:
        return await self._c._run(calls.list_employers(**filters))

    async def create(self, **fields: Any) -> Employer:
        return await self._c._run(calls.create_employer(fields))

    async def get(self, code: str) -> Employer:
        return await self._c._run(calls.get_employer(code))

    async def update(self, code: str, *, version: int, **fields: Any) -> Employer:
        return await self._c._run(calls.update_employer(code, {"version": version, **fields}))

    async def roster(self, code: str) -> list[Person]:
        return await self._c._run(calls.employer_roster(code))


class AsyncChangesets(_Async):
    async def plan(self, *, operation: str, selection: dict[str, Any], reason: str, values: dict[str, Any] | None = None,
                   chunk_size: int | None = None) -> ChangesetPreview:
        return await self._c._run(calls.plan_changeset({"operation": operation, "selection": selection, "reason": reason,
                                                        "values": values or {}, "chunk_size": chunk_size}))

    async def list(self, limit: int = 100) -> list[Changeset]:
        return await self._c._run(calls.list_changesets(limit))

    async def get(self, cs_id: str) -> ChangesetPreview:
        return await self._c._run(calls.get_changeset(cs_id))

    async def apply(self, cs_id: str, *, skip_failing: bool = False, max_chunks: int | None = None) -> Changeset:
        return await self._c._run(calls.apply_changeset(cs_id, {"skip_failing": skip_failing, "max_chunks": max_chunks}))

    async def revert(self, cs_id: str) -> Changeset:
        return await self._c._run(calls.revert_changeset(cs_id))


class AsyncInspections(_Async):
    async def create(self, **fields: Any) -> Campaign:
        return await self._c._run(calls.create_campaign(fields))

    async def list(self) -> list[Campaign]:
        return await self._c._run(calls.list_campaigns())

    async def assign(self, campaign_id: int, assignments: list[dict[str, str]]) -> Campaign:
        return await self._c._run(calls.assign_campaign(campaign_id, assignments))

    async def items(self, campaign_id: int, **filters: Any) -> list[CampaignItem]:
        return await self._c._run(calls.campaign_items(campaign_id, **filters))

    async def record(self, campaign_id: int, item_id: int, *, version: int, outcome: str, **fields: Any) -> CampaignItem:
        return await self._c._run(calls.record_outcome(campaign_id, item_id, {"version": version, "outcome": outcome, **fields}))

    async def found(self, campaign_id: int, **person: Any) -> CampaignItem:
        return await self._c._run(calls.newly_found(campaign_id, person))

    async def progress(self, campaign_id: int) -> CampaignProgress:
        return await self._c._run(calls.campaign_progress(campaign_id))

    async def close(self, campaign_id: int) -> Campaign:
        return await self._c._run(calls.close_campaign(campaign_id))

    async def checklist(self, campaign_id: int, division: str, format: str = "html") -> bytes:
        return await self._c._run(calls.checklist(campaign_id, division, format))


class AsyncReports(_Async):
    async def rates(self, period: str, *, level: str = "township", division: str | None = None) -> RatesReport:
        return await self._c._run(calls.rates(period, level, division))

    async def trend(self, quarters: list[str], *, division: str | None = None) -> list[RatesReport]:
        return await self._c._run(calls.rates_trend(quarters, division))

    async def rate_records(self, key: str, period: str, *, division: str | None = None) -> list[Person]:
        return await self._c._run(calls.rate_records(key, period, division))

    async def quality(self) -> QualityReport:
        return await self._c._run(calls.quality())

    async def quality_persons(self, key: str, *, division: str | None = None, limit: int | None = None) -> list[Person]:
        return await self._c._run(calls.quality_persons(key, division, limit))

    async def quality_fix(self, key: str, *, division: str | None = None) -> ChangesetPreview:
        return await self._c._run(calls.quality_fix(key, division))


class AsyncClient:
    """Asynchronous client with the same surface as :class:`Client`."""

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
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings or resolve(url=url, token=token, db=db, profile=profile, timeout=timeout,
                                            max_retries=max_retries)
        if transport is None and self.settings.embedded:
            transport = async_transport(open_app(self.settings.db or ""))
        base = self.settings.url or EMBEDDED_BASE
        self._http = httpx.AsyncClient(base_url=base, headers=headers(self.settings), timeout=self.settings.timeout,
                                       transport=transport)
        self.persons = AsyncPersons(self)
        self.stays = AsyncStays(self)
        self.divisions = AsyncDivisions(self)
        self.users = AsyncUsers(self)
        self.tokens = AsyncTokens(self)
        self.audit = AsyncAudit(self)
        self.inbox = AsyncInbox(self)
        self.exchange = AsyncExchange(self)
        self.houses = AsyncHouses(self)
        self.employers = AsyncEmployers(self)
        self.changesets = AsyncChangesets(self)
        self.inspections = AsyncInspections(self)
        self.reports = AsyncReports(self)

    async def me(self) -> Me:
        return await self._run(calls.me())

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise transport_error(exc) from exc

    async def _run(self, call: Call) -> Any:
        async for attempt in AsyncRetrying(**retry_kwargs(self.settings, call)):
            with attempt:
                response = await self.request(call.method, call.path, params=call.params, json=call.json,
                                              content=call.content, headers=call.headers)
                return decode(call, response)
        raise AssertionError("unreachable")

    async def close(self) -> None:
        transport = self._http._transport
        await self._http.aclose()
        if isinstance(transport, httpx.ASGITransport):
            close_app(transport.app)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()
