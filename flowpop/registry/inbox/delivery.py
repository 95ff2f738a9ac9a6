"""Delivery of the outbox (issue 13 item 2): each pending envelope goes to the peer serving its addressee (the
longest prefix wins), in the order it was queued, at least once. A round (``deliver``) first queues the state
changes of received messages, then posts what is due: a 2xx marks it delivered; a refusal (4xx) marks it
refused, kept with the reason and not sent again; no answer or a 5xx leaves it pending with its next attempt
backed off exponentially (and that peer's later envelopes wait, so that order holds); when the peer answers
again, what was backing off is due at once. Within one attempt,
tenacity retries a dropped connection or a 5xx a few times, shortly.

`flowpop exchange sync` runs one round (cron-friendly); `flowpop serve` runs rounds continuously (Courier)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from flowpop.registry.inbox import envelopes, trust
from flowpop.registry.kernel.errors import ApiError
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.messaging import outbox
from flowpop.registry.store import tables as t
from flowpop.types import ExchangeSyncResult

log = logging.getLogger("flowpop.exchange")
PATH = "/v1/exchange/envelopes"
BACKOFF_MAX = 300.0  # seconds between attempts at most
UNROUTED_WAIT = dt.timedelta(seconds=60)  # a place no peer serves: looked at again after this
ROUND = 5000  # outbox rows per round at most
BATCH = (
    200  # rows in one envelope at most (consecutive rows for one peer, of one kind, division and destination)
)


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(BACKOFF_MAX, 2.0 ** max(0, attempts - 1)))


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code >= 500


def _post(client: httpx.Client, url: str, envelope: dict[str, Any]) -> httpx.Response:
    for attempt in Retrying(
        stop=stop_after_attempt(3),
        wait=wait_exponential(multiplier=0.2, max=2),
        retry=retry_if_exception(_retryable),
        reraise=True,
    ):
        with attempt:
            response = client.post(url + PATH, json=envelope)
            if response.status_code >= 500:
                response.raise_for_status()
            return response
    raise AssertionError("unreachable")  # Retrying re-raises the last error


def _why(response: httpx.Response) -> str:
    try:
        body = response.json()
        return f"{response.status_code} {body.get('code')}: {body.get('message_en') or body.get('title')}"[
            :500
        ]
    except ValueError:
        return f"{response.status_code} {response.text[:200]}"


def deliver(
    reg: Registry, *, retry_now: bool = False, client: httpx.Client | None = None
) -> ExchangeSyncResult:
    """One round. ``retry_now``: what waits for its back-off is tried now too (an admin's sync after an outage)."""
    with reg.writing() as session:
        ident = trust.identity_row(session)
        if ident is None:
            raise ApiError(
                "no_exchange_key",
                "本库尚无交换密钥：先运行 flowpop exchange key",
                "this registry has no exchange key yet: run flowpop exchange key first",
                status=409,
            )
        outbox.queue_states(session)
    now = t.utcnow()
    with reg.reading() as session:
        stmt = select(t.ExchangeOutbox).where(t.ExchangeOutbox.status == "pending")
        if not retry_now:
            stmt = stmt.where(t.ExchangeOutbox.next_attempt_at <= now)
        due = list(session.execute(stmt.order_by(t.ExchangeOutbox.id).limit(ROUND)).scalars())
        routes = {code: trust.peer_for(session, code) for code in {r.route_code for r in due}}
        session.expunge_all()
    counts = {"delivered": 0, "refused": 0, "failed": 0}
    unrouted = 0
    errors: list[str] = []
    plan: dict[str, tuple[t.ExchangePeer, list[list[t.ExchangeOutbox]]]] = {}
    # a row joins the open envelope of its kind, division and destination, even past others' rows (records and
    # states interleave: a reply and its request's state), unless a later envelope holds a row of the same
    # message: each message's rows still leave in the order they were queued
    open_group: dict[tuple[str, tuple[str, str, str]], int] = {}
    last_of: dict[tuple[str, str], int] = {}
    for row in due:
        peer = routes[row.route_code]
        # no peer serves it: it waits for the directory (no failure of delivery), looked at again in a while
        if peer is None:
            unrouted += 1
            _mark(reg, [row], "pending", f"no peer serves {row.route_code}", delay=UNROUTED_WAIT)
            continue
        groups = plan.setdefault(peer.name, (peer, []))[1]
        at = open_group.get((peer.name, _key(row)), -1)
        if (
            at >= 0
            and len(groups[at]) < BATCH
            and row.what != "forward"
            and last_of.get((peer.name, row.message_uid), -1) <= at
        ):
            groups[at].append(row)
        else:
            groups.append([row])
            at = open_group[(peer.name, _key(row))] = len(groups) - 1
        last_of[(peer.name, row.message_uid)] = at
    own = client is None
    http = client or httpx.Client(timeout=10.0)
    try:
        for peer, groups in plan.values():
            for group in groups:
                if not _send(reg, http, ident, peer, group, counts, errors):
                    break  # the peer does not answer: its later envelopes wait, so that order holds
    finally:
        if own:
            http.close()
    with reg.reading() as session:
        pending = session.execute(
            select(func.count()).select_from(t.ExchangeOutbox).where(t.ExchangeOutbox.status == "pending")
        ).scalar_one()
    return ExchangeSyncResult(
        delivered=counts["delivered"],
        refused=counts["refused"],
        failed=counts["failed"],
        pending=pending,
        unrouted=unrouted,
        errors=errors[:20],
    )


def _key(row: t.ExchangeOutbox) -> tuple[str, str, str]:
    return row.what, str(row.payload.get("division")), row.route_code


def _envelope(ident: t.ExchangeIdentity, group: list[t.ExchangeOutbox]) -> dict[str, Any]:
    first = group[0]
    if first.what == "forward":  # a relay's: passed on as it came, its sender's signature intact
        return dict(first.payload["envelope"])
    items = [row.payload[first.what] for row in group]
    body = {"records": items} if first.what == "record" else {"states": items}
    return envelopes.seal(ident, first.payload["division"], to=first.route_code, **body)


def _send(
    reg: Registry,
    http: httpx.Client,
    ident: t.ExchangeIdentity,
    peer: t.ExchangePeer,
    group: list[t.ExchangeOutbox],
    counts: dict[str, int],
    errors: list[str],
) -> bool:
    """Post one envelope of ``group``; False when the peer did not answer. A batch the peer refuses is sent again
    one by one, so that one bad message does not hold back the others."""
    try:
        response = _post(http, peer.url, _envelope(ident, group))
    except httpx.HTTPError as exc:
        counts["failed"] += len(group)
        error = f"{peer.name}: {type(exc).__name__}: {exc}"[:500]
        errors.append(error)
        _mark(reg, group, "pending", error, retry=True, peer=peer.name)
        _unanswered.add((reg.url, peer.name))
        return False
    if response.is_success:
        counts["delivered"] += len(group)
        _mark(reg, group, "delivered", None, peer=peer.name)
        if (reg.url, peer.name) in _unanswered:  # it answers again: what waits for its back-off is due now
            _unanswered.discard((reg.url, peer.name))
            _due_now(reg, peer.name)
        return True
    if len(group) > 1:
        return all(_send(reg, http, ident, peer, [row], counts, errors) for row in group)
    counts["refused"] += 1
    error = f"{peer.name}: {_why(response)}"
    errors.append(error)
    _mark(reg, group, "refused", error, peer=peer.name)
    return True


_unanswered: set[tuple[str, str]] = set()  # (registry, peer) found not answering here: its envelopes back off


def _due_now(reg: Registry, peer: str) -> None:
    now = t.utcnow()
    with reg.writing() as session:
        session.execute(
            update(t.ExchangeOutbox)
            .where(
                t.ExchangeOutbox.status == "pending",
                t.ExchangeOutbox.peer == peer,
                t.ExchangeOutbox.next_attempt_at > now,
            )
            .values(next_attempt_at=now)
        )


def _mark(
    reg: Registry,
    rows: list[t.ExchangeOutbox],
    status: str,
    error: str | None,
    *,
    retry: bool = False,
    delay: dt.timedelta | None = None,
    peer: str | None = None,
) -> None:
    now = t.utcnow()
    values: dict[str, Any] = {"status": status, "last_error": error, "peer": peer}
    if status == "delivered":
        values["delivered_at"] = now
    if retry:
        attempts = max(row.attempts for row in rows) + 1
        values["attempts"] = t.ExchangeOutbox.attempts + 1
        values["next_attempt_at"] = now + backoff(attempts)
    if delay is not None:
        values["next_attempt_at"] = now + delay
    with reg.writing() as session:
        session.execute(
            update(t.ExchangeOutbox).where(t.ExchangeOutbox.id.in_([row.id for row in rows])).values(**values)
        )


class Courier(threading.Thread):
    """Delivery rounds while a server runs: at once when a transaction of this process that queued something
    commits (outbox.QUEUED), and every ``interval`` seconds besides (FLOWPOP_EXCHANGE_INTERVAL, default 5: what
    another process queued, back-offs come due, state changes swept by ``queue_states``). Commits close together
    leave together: a round waits ``GATHER`` seconds after its wake-up."""

    GATHER = 0.02

    def __init__(self, reg: Registry, interval: float) -> None:
        super().__init__(name="flowpop-exchange", daemon=True)
        self.reg, self.interval = reg, interval
        self.stopped, self.wake = threading.Event(), threading.Event()

    def _committed(self, session: Session) -> None:
        if session.info.pop(outbox.QUEUED, False) and session.get_bind().engine.pool is self.reg.engine.pool:
            self.wake.set()

    @staticmethod
    def _forget(session: Session, *_: Any) -> None:
        session.info.pop(outbox.QUEUED, None)

    def stop(self) -> None:
        self.stopped.set()
        self.wake.set()

    def run(self) -> None:
        event.listen(Session, "after_commit", self._committed)
        event.listen(Session, "after_rollback", self._forget)
        try:
            with httpx.Client(timeout=10.0) as client:
                self._rounds(client)
        finally:
            event.remove(Session, "after_commit", self._committed)
            event.remove(Session, "after_rollback", self._forget)

    def _rounds(self, client: httpx.Client) -> None:
        while not self.stopped.is_set():
            if self.wake.wait(self.interval):
                self.stopped.wait(self.GATHER)
            self.wake.clear()
            if self.stopped.is_set():
                return
            try:
                with self.reg.reading() as session:
                    if trust.identity_row(session) is None:
                        continue
                result = deliver(self.reg, client=client)
                if result.delivered or result.failed or result.refused:
                    log.info(
                        "exchange round: %d delivered, %d refused, %d failed, %d pending",
                        result.delivered,
                        result.refused,
                        result.failed,
                        result.pending,
                    )
                if result.delivered and result.pending:
                    self.wake.set()  # more may be due (a round takes ROUND rows at most): the next round at once
            except Exception:  # a round that fails is logged; the next one tries again
                log.exception("exchange round failed")


def attach(app: Any) -> None:
    """Run a Courier beside the app while it serves (`flowpop serve`)."""
    interval = float(os.environ.get("FLOWPOP_EXCHANGE_INTERVAL") or 5)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        courier = Courier(app.state.registry, interval)
        courier.start()
        try:
            async with inner(a) as state:
                yield state
        finally:
            courier.stop()
            courier.join(timeout=15)

    app.router.lifespan_context = lifespan
