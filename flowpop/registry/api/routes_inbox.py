"""/v1/inbox, /v1/exchange, /v1/stays/{id}/transfer and /v1/persons/{id}/services (they raise messages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from flowpop.registry.api import idempotency
from flowpop.registry.api.deps import Caller, Reg
from flowpop.registry.api.idempotency import IdemKey
from flowpop.registry.api.uploads import spooled_body
from flowpop.registry.inbox import exchange
from flowpop.registry.inbox import views as inbox_views
from flowpop.registry.inbox import workflow as inbox
from flowpop.registry.people import services, stays
from flowpop.types import (
    BulkAck,
    BulkResult,
    ExchangeImportResult,
    ForwardAction,
    InboxFigures,
    InboxSummary,
    MatchAction,
    Message,
    MessageAction,
    MessageCreate,
    MessageDetail,
    MessageFilters,
    NotFoundAnswer,
    NotFoundLoop,
    Page,
    RegisterFromMessage,
    ReplyAction,
    ServiceCreate,
    ServiceRecord,
    TransferCreate,
)

router = APIRouter(prefix="/v1", tags=["inbox"])


@router.get("/inbox", response_model=Page[Message])
def list_inbox(reg: Reg, who: Caller, filters: Annotated[MessageFilters, Query()]) -> Page[Message]:
    with (reg.writing() if inbox_views.needs_writing(who, filters) else reg.reading()) as session:
        return inbox_views.list_messages(reg, session, who, filters)


@router.get("/inbox/summary", response_model=InboxSummary)
def inbox_summary(reg: Reg, who: Caller) -> InboxSummary:
    with reg.reading() as session:
        return inbox_views.summary(reg, session, who)


@router.get("/inbox/figures", response_model=list[InboxFigures])
def inbox_figures(reg: Reg, who: Caller, level: Literal["county", "township", "village"] = "township") -> list[InboxFigures]:
    with reg.reading() as session:
        return inbox_views.figures(reg, session, who, level)


@router.get("/inbox/not-found", response_model=NotFoundLoop)
def not_found_loop(reg: Reg, who: Caller) -> NotFoundLoop:
    """The 查无此人 loop in the caller's area: raised here, addressed here, and how each ended."""
    with reg.reading() as session:
        return inbox_views.not_found_loop(reg, session, who)


@router.post("/inbox", response_model=Message, status_code=201)
def send_message(body: MessageCreate, reg: Reg, who: Caller, key: IdemKey = None) -> Message | JSONResponse:
    """With an Idempotency-Key, a retry of the same message answers as the first send did and sends nothing more."""
    return idempotency.run(reg, who, key, "/v1/inbox", body,
                           lambda s: inbox_views.present(reg, who, inbox.send(reg, s, who, body)))


@router.post("/inbox/ack", response_model=BulkResult)
def acknowledge(body: BulkAck, reg: Reg, who: Caller) -> BulkResult:
    with reg.writing() as session:
        done, skipped = inbox.acknowledge(reg, session, who, body.ids)
    return BulkResult(done=done, skipped=skipped)


@router.get("/inbox/{message_id:int}", response_model=MessageDetail)
def get_message(message_id: int, reg: Reg, who: Caller) -> MessageDetail:
    with reg.reading() as session:
        return inbox_views.get(reg, session, who, message_id)


@router.get("/inbox/{message_id:int}/sheet", response_class=HTMLResponse)
def verification_sheet(message_id: int, reg: Reg, who: Caller) -> HTMLResponse:
    with reg.reading() as session:
        return HTMLResponse(inbox_views.sheet(reg, session, who, message_id))


def _simple(action: str) -> Callable[..., MessageDetail]:
    def handler(message_id: int, body: MessageAction, reg: Reg, who: Caller) -> MessageDetail:
        with reg.writing() as session:
            inbox.act(reg, session, who, message_id, action, body.version, body.reason)
            return inbox_views.get(reg, session, who, message_id)

    handler.__name__ = f"{action}_message"
    return handler


for _action in ("read", "verify", "return", "escalate", "close"):
    router.add_api_route(f"/inbox/{{message_id:int}}/{_action}", _simple(_action), methods=["POST"],
                         response_model=MessageDetail, name=f"{_action}_message")


@router.post("/inbox/{message_id:int}/match", response_model=MessageDetail)
def match_message(message_id: int, body: MatchAction, reg: Reg, who: Caller) -> MessageDetail:
    with reg.writing() as session:
        inbox.match(reg, session, who, message_id, body.version, body.person_id)
        return inbox_views.get(reg, session, who, message_id)


@router.post("/inbox/{message_id:int}/forward", response_model=MessageDetail)
def forward_message(message_id: int, body: ForwardAction, reg: Reg, who: Caller) -> MessageDetail:
    with reg.writing() as session:
        inbox.forward(reg, session, who, message_id, body.version, body.to_code, body.reason)
        return inbox_views.get(reg, session, who, message_id)


@router.post("/inbox/{message_id:int}/reply", response_model=MessageDetail)
def reply_message(message_id: int, body: ReplyAction, reg: Reg, who: Caller) -> MessageDetail:
    with reg.writing() as session:
        inbox.reply(reg, session, who, message_id, body.version, body.facts, body.text, body.update_person)
        return inbox_views.get(reg, session, who, message_id)


@router.post("/inbox/{message_id:int}/resolve", response_model=MessageDetail)
def resolve_not_found(message_id: int, body: NotFoundAnswer, reg: Reg, who: Caller) -> MessageDetail:
    """Answer a 查无此人 by what the household side does to its outflow record: returned, moved or present."""
    with reg.writing() as session:
        inbox.resolve_not_found(reg, session, who, message_id, body)
        return inbox_views.get(reg, session, who, message_id)


@router.post("/inbox/{message_id:int}/accept", response_model=MessageDetail)
def accept_transfer(message_id: int, body: MessageAction, reg: Reg, who: Caller) -> MessageDetail:
    with reg.writing() as session:
        inbox.decide_transfer(reg, session, who, message_id, body.version, True, body.reason)
        return inbox_views.get(reg, session, who, message_id)


@router.post("/inbox/{message_id:int}/refuse", response_model=MessageDetail)
def refuse_transfer(message_id: int, body: MessageAction, reg: Reg, who: Caller) -> MessageDetail:
    with reg.writing() as session:
        inbox.decide_transfer(reg, session, who, message_id, body.version, False, body.reason)
        return inbox_views.get(reg, session, who, message_id)


@router.post("/inbox/{message_id:int}/register", response_model=MessageDetail)
def register_from_message(message_id: int, body: RegisterFromMessage, reg: Reg, who: Caller) -> MessageDetail:
    """引用建档: create a local record from the message and match the message to it."""
    with reg.writing() as session:
        inbox.register(reg, session, who, message_id, body.version, body.person)
        return inbox_views.get(reg, session, who, message_id)


@router.post("/stays/{stay_id}/transfer", response_model=Message, status_code=201, tags=["stays"])
def transfer_stay(stay_id: int, body: TransferCreate, reg: Reg, who: Caller) -> Message:
    with reg.writing() as session:
        row = stays.request_transfer(reg, session, who, stay_id, body.version, body.to_residence_code,
                                     body.residence_address, body.reason)
        return inbox_views.present(reg, who, row)


@router.post("/persons/{person_id}/services", response_model=ServiceRecord, status_code=201, tags=["services"])
def record_service(person_id: int, body: ServiceCreate, reg: Reg, who: Caller) -> ServiceRecord:
    with reg.writing() as session:
        return services.record(reg, session, who, person_id, body)


@router.get("/persons/{person_id}/services", response_model=list[ServiceRecord], tags=["services"])
def list_services(person_id: int, reg: Reg, who: Caller) -> list[ServiceRecord]:
    with reg.writing() as session:  # the read is logged
        return services.list_for(reg, session, who, person_id)


@router.get("/exchange/outbox", response_class=PlainTextResponse, tags=["exchange"],
            responses={200: {"content": {"application/x-ndjson": {}}, "description": "JSON Lines"}})
def export_outbox(reg: Reg, who: Caller, include_sent: bool = False) -> PlainTextResponse:
    with reg.writing() as session:
        text = exchange.export(reg, session, who, include_sent=include_sent)
    return PlainTextResponse(text, media_type="application/x-ndjson")


@router.post("/exchange/import", response_model=ExchangeImportResult, tags=["exchange"])
async def import_batch(request: Request, reg: Reg, who: Caller) -> ExchangeImportResult:
    """The body is a JSON Lines batch file (UTF-8); it goes to disk as it arrives and is read line by line."""
    async with spooled_body(request) as path:

        def run() -> ExchangeImportResult:
            with reg.writing() as session:
                return exchange.import_batch(reg, session, who, path)

        return await run_in_threadpool(run)
