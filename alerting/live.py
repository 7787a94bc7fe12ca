"""The live feed of the dashboards: new and changed alerts, pushed to the clinicians of the
patients' units as they commit (GET /alerts/stream, alerting/live_routes.py).

How a change travels, and why this way rather than a Redis publish:

- The code that changes an alert (`acknowledge_alert`, `resolve_alert`, the missing-data
  resolution, the worker when an alert's pushes settle and whether anybody could be told may
  have changed) calls `announce(conn, alert_ids)` in its own transaction; `record_decisions`, on the
  path of every upload, makes the same NOTIFY within its own statement (one round trip fewer, P1).
  That is a `pg_notify` on `heima_alerts_live`, which PostgreSQL delivers **only when the
  transaction commits** and never when it rolls back (docs/architecture.md, habit 7). A Redis
  publish from the service would go out before the commit (and announce alerts a rollback then
  erased); publishing after the commit would need a hook around every request and around the
  worker's sweeps, which raise missing-data alerts outside any request. NOTIFY covers all of
  them, from any process.
- Each `heima serve` process that has at least one open stream holds one LISTEN connection (the
  `AlertHub`, created on the first stream and closed with the last). PostgreSQL delivers each
  notification to every listening process, which is the cross-process fan-out the issue asked
  Redis for; the request path makes no Redis call at all, so Redis down or slow (docs/reliability.md,
  R8) cannot slow an upload nor lose a live event. A separate channel from `heima_alerts` keeps
  acknowledgements from waking the push worker.
- On a notification the hub reads the alerts once (one query per notification per process, not
  per stream), with the units the patient is enrolled in now, and hands each event to the streams
  of clinicians of one of those units: the worklist's rule, checked per event against the
  `unit_ids` captured when the stream was opened.

NOTIFY is a hint, not a log: a stream that was down (or a hub whose LISTEN connection dropped)
misses events. The dashboard re-reads `GET /alerts` when it (re)connects; a stream reopened with
a `Last-Event-ID` starts with a `resync` event saying so. An overflowing stream is closed for the
same reason: the client reconnects and re-reads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from backend.clock import Clock
from backend.db import connect, load_queries

log = logging.getLogger("heima.alerting.live")

CHANNEL = "heima_alerts_live"
# A NOTIFY payload must stay under 8000 bytes: 100 ids of 36 characters each is about 4 kB.
_IDS_PER_NOTIFY = 100
# Events a slow stream may have queued before it is closed (and the dashboard re-reads).
QUEUE_LIMIT = 256
READ_TIMEOUT_SECONDS = 5.0

queries = load_queries(__file__)


class LiveAlert(msgspec.Struct, frozen=True):
    """One `alert` event: the alert as the worklist lists it (a subset; GET /alerts has the rest)."""

    id: UUID
    patient_id: UUID
    rule: str
    severity: str
    status: str
    title: str
    # In bokmål: null for an alert raised before Heima wrote titles in bokmål (show `title`).
    title_nb: str | None
    raised_at: datetime
    last_seen_at: datetime
    occurrences: int
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    # Whether anybody could be told, as on GET /alerts: `unreachable` is shown on the worklist.
    reach: str


async def announce(conn: asyncpg.Connection, alert_ids: Iterable[UUID | str]) -> None:
    """Tell the live streams these alerts are new or changed, when (and if) `conn`'s transaction
    commits. Cheap: nothing leaves the database until the commit."""
    ids = list(dict.fromkeys(str(alert_id) for alert_id in alert_ids))
    for start in range(0, len(ids), _IDS_PER_NOTIFY):
        payload = msgspec.json.encode({"alert_ids": ids[start : start + _IDS_PER_NOTIFY]}).decode()
        await conn.execute(queries.notify_live, payload)


class Subscriber:
    """One open stream: whose sign-in it is, the clinician's units at connect time and the events
    waiting for it. `ended` says why the hub ended it (None: a gap, reconnect and re-read)."""

    def __init__(self, user_id: UUID, session_id: UUID, unit_ids: Iterable[UUID]) -> None:
        self.user_id = user_id
        self.session_id = session_id
        self.unit_ids = frozenset(unit_ids)
        self.queue: asyncio.Queue[LiveAlert | None] = asyncio.Queue(QUEUE_LIMIT + 1)
        self.closed = False
        self.ended: str | None = None

    def offer(self, event: LiveAlert) -> None:
        if self.closed:
            return
        if self.queue.qsize() >= QUEUE_LIMIT:
            self.close()  # too slow: better a reconnect and a re-read than a silent gap
            return
        self.queue.put_nowait(event)

    def close(self, reason: str | None = None) -> None:
        if not self.closed:
            self.closed = True
            self.ended = reason
            self.queue.put_nowait(None)


# Why the hub ends a stream (the `end` event's reason): the sign-in is over (logged out, revoked,
# the account disabled), so a reconnect gets 401; or the clinician's units changed, so a reconnect
# follows the new ones.
SIGNED_OUT = "signed-out"
UNITS_CHANGED = "units-changed"


class AlertHub:
    """This process's open streams and the one LISTEN connection that feeds them (per app)."""

    def __init__(self, pool: asyncpg.Pool, dsn: str, clock: Clock) -> None:
        self._pool = pool
        self._dsn = dsn
        self._clock = clock
        self._subscribers: set[Subscriber] = set()
        self._listener: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    async def subscribe(self, user_id: UUID, session_id: UUID, unit_ids: Iterable[UUID]) -> Subscriber:
        """Listening once this returns: a change committed after it reaches the subscriber, and so
        does the end of its sign-in."""
        subscriber = Subscriber(user_id, session_id, unit_ids)
        self._subscribers.add(subscriber)
        try:
            async with self._lock:
                if self._listener is None:
                    listener = await connect(self._dsn)
                    await listener.add_listener(CHANNEL, self._notified)
                    listener.add_termination_listener(self._lost)
                    self._listener = listener
        except BaseException:
            self.unsubscribe(subscriber)
            raise
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Synchronous, so that it also runs in full in a cancelled stream's `finally`."""
        subscriber.closed = True
        self._subscribers.discard(subscriber)
        if not self._subscribers and self._listener is not None:
            listener, self._listener = self._listener, None
            listener.terminate()

    def _lost(self, _conn: asyncpg.Connection) -> None:
        # The LISTEN connection died (PostgreSQL restarted): events may have been missed, so every
        # stream ends and its dashboard reconnects and re-reads; the next stream listens anew.
        if _conn is self._listener:
            self._listener = None
            log.warning("alerting.live.listener_lost", extra={"streams": len(self._subscribers)})
            for subscriber in list(self._subscribers):
                subscriber.close()

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            message = msgspec.json.decode(payload)
            if "user_ids" in message:
                # A sign-in ended, an account was disabled or units changed (migration 0011).
                work = self._recheck_users({UUID(i) for i in message["user_ids"]})
            else:
                work = self._fan_out([UUID(i) for i in message["alert_ids"]])
        except (msgspec.DecodeError, KeyError, TypeError, ValueError, AttributeError):
            log.warning("alerting.live.bad_payload")
            return
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _recheck_users(self, user_ids: set[UUID]) -> None:
        await self.recheck([s for s in list(self._subscribers) if s.user_id in user_ids])

    async def recheck(self, subscribers: Sequence[Subscriber]) -> None:
        """End the streams whose sign-in no longer holds or whose clinician's units changed. When
        the database cannot say, they end too (the dashboards reconnect and are checked anew)."""
        if not subscribers:
            return
        try:
            async with asyncio.timeout(READ_TIMEOUT_SECONDS), self._pool.acquire() as conn:
                rows = await conn.fetch(queries.select_live_sessions, [s.session_id for s in subscribers])
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            log.warning("alerting.live.recheck_failed", exc_info=True)
            for subscriber in subscribers:
                subscriber.close()
            return
        units_of = {row["session_id"]: frozenset(row["unit_ids"]) for row in rows}
        for subscriber in subscribers:
            units = units_of.get(subscriber.session_id)
            if units is None:
                subscriber.close(SIGNED_OUT)
            elif units != subscriber.unit_ids:
                subscriber.close(UNITS_CHANGED)

    async def _fan_out(self, alert_ids: Sequence[UUID]) -> None:
        if not self._subscribers:
            return
        try:
            async with asyncio.timeout(READ_TIMEOUT_SECONDS), self._pool.acquire() as conn:
                rows = await conn.fetch(queries.select_live_alerts, list(alert_ids), self._clock())
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            # The dashboards miss this change until they re-read; nothing else depends on it.
            log.exception("alerting.live.read_failed", extra={"alert_ids": [str(i) for i in alert_ids]})
            return
        for row in rows:
            event = LiveAlert(
                id=row["id"],
                patient_id=row["patient_id"],
                rule=row["rule_code"],
                severity=row["severity"],
                status=row["status"],
                title=row["title"],
                title_nb=row["title_nb"],
                raised_at=row["raised_at"],
                last_seen_at=row["last_seen_at"],
                occurrences=row["occurrences"],
                acknowledged_at=row["acknowledged_at"],
                resolved_at=row["resolved_at"],
                reach=row["reach"],
            )
            units = set(row["unit_ids"])
            for subscriber in list(self._subscribers):
                if not subscriber.unit_ids.isdisjoint(units):
                    subscriber.offer(event)


def hub_of(state: Any) -> AlertHub:
    """The app's hub, made on first use (the app's lifespan made the pool before any request)."""
    hub: AlertHub | None = getattr(state, "alert_hub", None)
    if hub is None:
        hub = AlertHub(state.db_pool, state.settings.database_url, state.clock)
        state.alert_hub = hub
    return hub


def sse(
    event: str | None, data: bytes | None = None, *, event_id: str | None = None, comment: str | None = None
) -> bytes:
    """One server-sent event (or comment), with its blank-line terminator."""
    lines: list[bytes] = []
    if comment is not None:
        lines.append(b": " + comment.encode())
    if event_id is not None:
        lines.append(b"id: " + event_id.encode())
    if event is not None:
        lines.append(b"event: " + event.encode())
    if data is not None:
        lines.append(b"data: " + data)
    return b"\n".join(lines) + b"\n\n"
