"""GET /alerts/stream: the dashboards' live feed of new and changed alerts (alerting/live.py)."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator
from typing import Annotated

import asyncpg
import msgspec
from litestar import Request, Response, Router, get, post
from litestar.datastructures import Cookie, State
from litestar.params import FromQuery, HeaderParameter
from litestar.response import Stream

from alerting.live import SIGNED_OUT, AlertHub, LiveAlert, Subscriber, hub_of, queries, sse
from backend.access.service import (
    STREAM_TICKET_COOKIE,
    STREAM_TICKET_TTL_SECONDS,
    Access,
    Caller,
    SignedIn,
    issue_stream_ticket,
)
from backend.clock import Clock
from backend.db import DbConnection

log = logging.getLogger("heima.alerting.live")

HEARTBEAT_SECONDS = 15.0
RETRY_MS = 5000  # how long the browser's EventSource waits before it reconnects
LOG_TIMEOUT_SECONDS = 5.0
RESOURCE = "alerts"
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@post("/alerts/stream/ticket", opt={"access": Access.CLINICIAN}, status_code=204)
async def stream_ticket(request: Request, conn: DbConnection, caller: SignedIn, state: State) -> Response[None]:
    """The way in for a browser's `EventSource`, which cannot send an Authorization header: sets a
    single-use ticket, valid for 30 s, as an HttpOnly, SameSite=Strict cookie scoped to the
    stream's path (Secure over https). Open `GET /alerts/stream` (with credentials) within that
    time; the stream takes the ticket and clears the cookie. Ask for a new ticket to reconnect."""
    ticket = await issue_stream_ticket(conn, caller, state.secrets)
    return Response(None, status_code=204, cookies=[_ticket_cookie(request, ticket, STREAM_TICKET_TTL_SECONDS)])


def _ticket_cookie(request: Request, value: str, max_age: int) -> Cookie:
    return Cookie(
        key=STREAM_TICKET_COOKIE,
        value=value,
        max_age=max_age,
        path=request.url.path.removesuffix("/ticket"),
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="strict",
    )


@get("/alerts/stream", opt={"access": Access.CLINICIAN, "stream_ticket": True})
async def stream_alerts(
    request: Request,
    caller: SignedIn,
    state: State,
    last_event_id: Annotated[str | None, HeaderParameter(name="Last-Event-ID", max_length=200)] = None,
    once: FromQuery[bool] = False,
) -> Stream:
    """Server-sent events: `alert` (the alert as the worklist lists it) whenever an alert of a
    patient of your units is raised or changes, committed; a comment every 15 s. Listening starts
    with the first comment; re-read GET /alerts then, and on every reconnect (a reconnect with a
    `Last-Event-ID` starts with a `resync` event). `once=true` answers the opening comment and
    ends (for probes). A browser signs in with the cookie of `POST /alerts/stream/ticket` instead
    of a bearer token."""
    # The request's transaction (it resolved the caller) commits when this returns, before the
    # stream starts: a stream holds no database connection while it waits.
    opening = f"retry: {RETRY_MS}\n".encode() + sse(None, comment="heima alerts")
    # A ticket is spent once used: the browser is told to forget it.
    spent = [_ticket_cookie(request, "", 0)] if STREAM_TICKET_COOKIE in request.cookies else []
    if once:
        return Stream(_once(opening), media_type="text/event-stream", headers=HEADERS, cookies=spent)
    # Listening before the response starts: a browser's EventSource reports itself open (and the
    # dashboard re-reads GET /alerts) as soon as the headers arrive, so a change committed after
    # that must already reach this stream.
    hub = hub_of(state)
    principal = caller.principal
    subscriber = await hub.subscribe(principal.id, principal.session_id, principal.unit_ids)
    events = _events(hub, subscriber, state.db_pool, state.clock, caller, opening, resync=last_event_id is not None)
    # Should the response never start (the client gone at once), the generator's `finally` never
    # runs: unsubscribing when it is collected covers that (unsubscribe is idempotent).
    weakref.finalize(events, hub.unsubscribe, subscriber)
    return Stream(events, media_type="text/event-stream", headers=HEADERS, cookies=spent)


async def _once(opening: bytes) -> AsyncIterator[bytes]:
    yield opening


async def _events(
    hub: AlertHub,
    subscriber: Subscriber,
    pool: asyncpg.Pool,
    clock: Clock,
    caller: Caller,
    opening: bytes,
    *,
    resync: bool,
) -> AsyncIterator[bytes]:
    try:
        yield opening
        if resync:
            # We keep no history: whatever happened while the dashboard was away is in GET /alerts.
            yield sse("resync", b"{}")
        while True:
            event = await _next(subscriber)
            if event is None:
                # The sign-in is checked again on every heartbeat too, should a revocation's
                # notification have gone astray.
                await hub.recheck([subscriber])
                if not subscriber.closed:
                    yield sse(None, comment="heartbeat")
                    continue
                event = subscriber
            if isinstance(event, Subscriber):
                # Closed by the hub: with a reason, the dashboard is told why; without one (a gap),
                # it reconnects and re-reads.
                if subscriber.ended is not None:
                    yield sse("end", msgspec.json.encode({"reason": subscriber.ended}))
                return
            if not await _logged(pool, clock, caller, event):
                yield sse("end", msgspec.json.encode({"reason": SIGNED_OUT}))
                return
            yield sse("alert", msgspec.json.encode(event), event_id=f"{event.id}.{event.occurrences}.{event.status}")
    finally:
        hub.unsubscribe(subscriber)


async def _next(subscriber: Subscriber) -> LiveAlert | Subscriber | None:
    """The next event; None when a heartbeat is due; the subscriber itself when it was closed."""
    try:
        async with asyncio.timeout(HEARTBEAT_SECONDS):
            event = await subscriber.queue.get()
    except TimeoutError:
        return None
    return subscriber if event is None else event


async def _logged(pool: asyncpg.Pool, clock: Clock, caller: Caller, event: LiveAlert) -> bool:
    """An event shows something of the patient's: one allowed access-log row each, written before
    it is sent (Normen), and only while the stream's sign-in still holds. No row, no event: the
    stream ends (a dashboard whose row failed re-reads GET /alerts, which logs its own reads)."""
    principal = caller.principal
    try:
        async with asyncio.timeout(LOG_TIMEOUT_SECONDS), pool.acquire() as conn:
            logged = await conn.fetchval(
                queries.insert_live_access_log,
                clock(),
                principal.id,
                principal.role,
                event.patient_id,
                RESOURCE,
                caller.request_id,
                principal.session_id,
                caller.client_request_id,
            )
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        log.exception("alerting.live.access_log_failed", extra={"alert_id": str(event.id)})
        return False
    return logged is not None


router = Router(path="/", tags=["alerts"], route_handlers=[stream_ticket, stream_alerts])
