"""The alerting half of `heima worker`: push delivery, re-notification and escalation, meetings about to start, and
the sweep (missing data, whole days, the family's reminders).

    upload commits alert + pending deliveries + NOTIFY heima_alerts
      → LISTEN wakes a worker (or its poll, every `delivery_poll_seconds`, finds them)
      → claim: a lease committed before sending (alerting/delivery.py)
      → send to each of the clinician's subscriptions (alerting/push/sender.py)
      → record the outcome while the lease holds; stamp the alert's first push

Any number of workers may run: deliveries are claimed with FOR UPDATE SKIP LOCKED and leased,
re-notification moves an alert's step (or its repeat count) with a compare-and-set, and the sweep takes a per-patient
advisory lock and marks each (rule, patient, gap) it raises. NOTIFY is only a wake-up: a worker
that was not listening (or whose LISTEN connection dropped) finds the same rows by polling, so
neither a lost notification nor Redis being down loses a push (docs/reliability.md, D4).

Decisions about time (due, backoff, repeats and escalation, missing data) use the injected clock,
so tests move it instead of sleeping and drive single rounds with `run_once`; the latency stamps use real
time. The push stages of heima_alert_latency_seconds are observed here and served on the worker's
own /metrics (`worker_metrics_port`), with the worker's health: when each loop last went round,
the deliveries not yet settled and the age of the oldest, pushes by outcome, sweeps. Each round of
the delivery loop also touches the heartbeat file that `heima worker-health` (compose's health
check) reads: the worker is the only path from an alert to a phone, so a stuck one must show.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
from prometheus_client import Counter, Gauge, start_http_server

from alerting import delivery
from alerting.notify import meetings, renotify
from alerting.push.sender import Pusher, PushNotConfigured
from alerting.service import NOTIFY_CHANNEL
from alerting.sweep import sweep_all
from backend.clock import Clock, system_clock
from backend.db import connect, create_pool
from backend.observability import Metrics, current_metrics
from backend.settings import Settings, SettingsError
from backend.tracing import tracer_from_settings

log = logging.getLogger("heima.alerting.worker")

# What a worker survives by trying again later: the database restarting (docs/reliability.md, F7:
# asyncpg's InternalClientError after a fast restart is none of the others), or a slow statement.
TRANSIENT = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)
LISTEN_RETRY_SECONDS = 5.0
# On shutdown, sends in flight get this long to finish and record; the rest are left to their
# leases (sent again by the next worker: at least once).
SHUTDOWN_GRACE_SECONDS = 5.0


class WorkerMetrics:
    """The worker's registry: the push stages of the alert latency, and what the worker did."""

    def __init__(self) -> None:
        base = Metrics()  # the same heima_alert_latency_seconds (name, buckets) as the API's
        self.base = base  # also heima_rule_failures_total, which the sweep adds to (alerting/failures.py)
        self.registry = base.registry
        self.alert_latency = base.alert_latency
        self.push_attempts = Counter(
            "heima_push_attempts_total", "Web Push attempts by outcome", ["outcome"], registry=self.registry
        )
        self.escalations = Counter(
            "heima_alert_escalations_total", "Alert escalations by step", ["step"], registry=self.registry
        )
        self.repeats = Counter(
            "heima_alert_repeats_total",
            "Unacknowledged alerts pushed again to the same circle, by severity",
            ["severity"],
            registry=self.registry,
        )
        self.unreachable = Gauge(
            "heima_alerts_unreachable",
            "Open alerts nobody could be told of: no push subscription, or every push failed",
            registry=self.registry,
        )
        self.swept = Counter(
            "heima_sweep_alerts_total", "Alerts the sweep raised or made more severe", registry=self.registry
        )
        self.sweeps = Counter("heima_worker_sweeps_total", "Missing-data sweeps run", registry=self.registry)
        self.last_loop = Gauge(
            "heima_worker_last_loop_timestamp_seconds",
            "When each loop of the worker (delivery, schedule) last went round, Unix time",
            ["loop"],
            registry=self.registry,
        )
        self.pending = Gauge(
            "heima_worker_deliveries_pending",
            "Push deliveries not settled yet (pending or sending)",
            registry=self.registry,
        )
        self.oldest_pending = Gauge(
            "heima_worker_oldest_pending_delivery_age_seconds",
            "Age of the oldest push delivery not settled yet (0: none)",
            registry=self.registry,
        )
        self.base = base


@dataclass(frozen=True, slots=True)
class Round:
    """What one `run_once` did."""

    escalated: list[renotify.Escalation]
    swept: int
    claimed: int
    repeated: list[renotify.Repeat]
    meeting_pushes: int = 0


class AlertWorker:
    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: Settings,
        *,
        pusher: Pusher | None,
        clock: Clock = system_clock,
        wall: Clock = system_clock,
        metrics: WorkerMetrics | None = None,
    ) -> None:
        longest_send = settings.push_connect_timeout_seconds + 2 * settings.push_read_timeout_seconds
        if settings.delivery_lease_seconds <= longest_send:
            # A lease shorter than one send hands a delivery to a second worker while the first
            # is still sending it: every slow push service would get every alert twice.
            raise SettingsError(f"HEIMA_DELIVERY_LEASE_SECONDS must exceed one send ({longest_send} s)")
        self.pool = pool
        self.settings = settings
        self.pusher = pusher
        self.clock = clock
        self.wall = wall
        self.metrics = metrics or WorkerMetrics()
        self.policy = delivery.Policy.from_settings(settings)

    # -- delivery --------------------------------------------------------------------------------

    async def claim(self) -> list[delivery.Claimed]:
        async with self.pool.acquire() as conn:
            return await delivery.claim(conn, self.clock(), self.settings.delivery_batch_size, self.policy)

    async def process(self, batch: Sequence[delivery.Claimed]) -> delivery.Recorded | None:
        """Send a claimed batch and record what happened. None when the outcome could not be
        written (the database went away): the leases run out and another attempt follows."""
        assert self.pusher is not None
        attempts = await delivery.send(self.pusher, batch, self.policy, self.clock, self.wall)
        try:
            async with self.pool.acquire() as conn:
                recorded = await delivery.record(conn, batch, attempts, self.clock(), self.policy)
        except TRANSIENT as exc:
            log.warning("alerting.delivery.record_failed", extra={"error": type(exc).__name__})
            return None
        for attempt in attempts:
            self.metrics.push_attempts.labels(delivery.outcome_name(attempt.outcome)).inc()
        for first in recorded.first_pushes:
            if first.sent_at is not None:
                self._observe("push_sent", first.sent_at - first.received_at)
            if first.accepted_at is not None:
                self._observe("push_accepted", first.accepted_at - first.received_at)
        return recorded

    def _observe(self, stage: str, elapsed: timedelta) -> None:
        self.metrics.alert_latency.labels(stage).observe(max(elapsed.total_seconds(), 0.0))

    async def deliver(self) -> int:
        """Claim, send and record one batch; how many deliveries were claimed."""
        if self.pusher is None:
            return 0  # push is not configured: the rows wait, the worklist has the alerts
        batch = await self.claim()
        if batch:
            await self.process(batch)
        return len(batch)

    # -- re-notification, escalation and the missing-data sweep ----------------------------------

    async def renotify(self) -> renotify.Renotified:
        """Repeat or escalate every unacknowledged alert that is due (alerting/notify/renotify.py)."""
        default_high = timedelta(seconds=self.settings.escalation_after_seconds)
        async with self.pool.acquire() as conn:
            done = await renotify.renotify_due(conn, self.clock(), default_high)
        for step in done.escalated:
            self.metrics.escalations.labels(str(step.step)).inc()
        for repeat in done.repeated:
            self.metrics.repeats.labels(repeat.severity).inc()
        return done

    async def escalate(self) -> list[renotify.Escalation]:
        """`renotify`, answering the escalations it made."""
        return (await self.renotify()).escalated

    async def announce_meetings(self) -> int:
        """Queue "starting soon" pushes for the meetings about to start (alerting/notify/meetings.py)."""
        async with self.pool.acquire() as conn:
            return await meetings.announce_starting(conn, self.clock())

    async def sweep(self) -> int:
        """Every followed patient's missing-data and whole-day rules now (alerting/sweep.py); how
        many alerts it raised or made more severe."""
        counting = current_metrics.set(self.metrics.base)
        try:
            async with self.pool.acquire() as conn:
                raised = await sweep_all(conn, self.clock())
        finally:
            current_metrics.reset(counting)
        self.metrics.swept.inc(raised)
        self.metrics.sweeps.inc()
        return raised

    # -- health ----------------------------------------------------------------------------------

    async def observe_backlog(self) -> None:
        """The deliveries not settled yet, and the pool, for /metrics."""
        async with self.pool.acquire() as conn:
            pending, oldest_age = await delivery.backlog(conn, self.clock())
            unreachable = await renotify.count_unreachable(conn)
        self.metrics.unreachable.set(unreachable)
        self.metrics.pending.set(pending)
        self.metrics.oldest_pending.set(oldest_age)
        self.metrics.base.refresh(self.pool)

    def went_round(self, loop: str) -> None:
        """A loop finished a round: its gauge, and for delivery the heartbeat file, say when."""
        self.metrics.last_loop.labels(loop).set(self.wall().timestamp())
        if loop == "delivery":
            try:
                beat = self.settings.worker_heartbeat_path
                beat.touch()
                # Stamped with this process's clock, the clock `heima worker-health` compares it
                # with, rather than left to the file system's (a skewed or faked process clock
                # would otherwise read a live worker as dead).
                now = time.time()
                os.utime(beat, (now, now))
            except OSError as exc:
                log.warning("alerting.worker.heartbeat_failed", extra={"error": type(exc).__name__})

    # -- rounds ----------------------------------------------------------------------------------

    async def run_once(self) -> Round:
        """One round of everything, for tests and scripts: repeat and escalate what is due, sweep, then send
        until nothing due is left (retries scheduled later wait for a later round)."""
        renotified = await self.renotify()
        announced = await self.announce_meetings()
        raised = await self.sweep()
        claimed = 0
        while (count := await self.deliver()) > 0:
            claimed += count
            if count < self.settings.delivery_batch_size:
                break
        await self.observe_backlog()
        return Round(renotified.escalated, raised, claimed, renotified.repeated, announced)

    async def run(self, stop: asyncio.Event, dsn: str) -> None:
        """Until `stop` is set. Two loops side by side, so that a long sweep never holds up a push:
        delivery wakes on NOTIFY (or every poll interval) and keeps up to `delivery_concurrency`
        batches sending; the other escalates every poll interval and sweeps every
        `sweep_interval_seconds`, waking delivery when it wrote deliveries."""
        wake = asyncio.Event()
        log.info("alerting.worker.started", extra={"push": self.pusher is not None})
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._deliver_loop(stop, wake, _Listener(dsn, wake.set)))
                group.create_task(self._schedule_loop(stop, wake))
        finally:
            log.info("alerting.worker.stopped")

    async def _deliver_loop(self, stop: asyncio.Event, wake: asyncio.Event, listener: _Listener) -> None:
        slots = asyncio.Semaphore(self.settings.delivery_concurrency)
        sending: set[asyncio.Task[object]] = set()
        try:
            while not stop.is_set():
                wake.clear()
                await listener.ensure()
                try:
                    await self._claim_into(slots, sending)
                except TRANSIENT as exc:
                    # The database may be restarting: the next round tries again.
                    log.warning("alerting.delivery.claim_failed", extra={"error": type(exc).__name__})
                self.went_round("delivery")
                await _first_of(wake.wait(), stop.wait(), within=self.settings.delivery_poll_seconds)
        finally:
            await listener.close()
            if sending:
                _, late = await asyncio.wait(sending, timeout=SHUTDOWN_GRACE_SECONDS)
                for task in late:
                    task.cancel()

    async def _schedule_loop(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        next_sweep = loop.time()
        while not stop.is_set():
            try:
                done = await self.renotify()
                if done.escalated or done.repeated:
                    wake.set()
                if await self.announce_meetings():
                    wake.set()
                if loop.time() >= next_sweep:
                    next_sweep = loop.time() + self.settings.sweep_interval_seconds
                    if await self.sweep():
                        wake.set()
                await self.observe_backlog()
            except TRANSIENT as exc:
                log.warning("alerting.worker.schedule_failed", extra={"error": type(exc).__name__})
            except Exception:
                # A mistake in escalation or a sweep must not stop the pushes: logged, and tried
                # again next interval.
                log.exception("alerting.worker.schedule_crashed")
            self.went_round("schedule")
            await _first_of(stop.wait(), within=self.settings.delivery_poll_seconds)

    async def _claim_into(self, slots: asyncio.Semaphore, sending: set[asyncio.Task[object]]) -> None:
        """Claim batches while there are free slots and due rows; each batch sends in a task of
        its own, so a slow push service holds up its own batch only."""
        if self.pusher is None:
            return
        while True:
            await slots.acquire()
            try:
                batch = await self.claim()
            except BaseException:
                slots.release()
                raise
            if not batch:
                slots.release()
                return
            task: asyncio.Task[object] = asyncio.create_task(self.process(batch))
            sending.add(task)

            def done(finished: asyncio.Task[object]) -> None:
                sending.discard(finished)
                slots.release()
                if not finished.cancelled() and finished.exception() is not None:
                    log.error("alerting.delivery.batch_crashed", exc_info=finished.exception())

            task.add_done_callback(done)
            if len(batch) < self.settings.delivery_batch_size:
                return


class _Listener:
    """LISTEN heima_alerts on a connection of its own, reconnecting when it drops. A wake-up only:
    whatever is missed while it is down, the poll finds."""

    def __init__(self, dsn: str, on_notify: Callable[[], None]) -> None:
        self._dsn = dsn
        self._on_notify = on_notify
        self._conn: asyncpg.Connection | None = None
        self._retry_at = 0.0

    def _heard(self, *_: object) -> None:
        self._on_notify()

    async def ensure(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            return
        loop = asyncio.get_running_loop()
        if loop.time() < self._retry_at:
            return
        try:
            conn = await asyncio.wait_for(connect(self._dsn), LISTEN_RETRY_SECONDS)
            await conn.add_listener(NOTIFY_CHANNEL, self._heard)
            # A dropped connection wakes the loop at once, to listen again and look for what it
            # may have missed, rather than at the next poll.
            conn.add_termination_listener(self._heard)
        except TRANSIENT as exc:
            self._retry_at = loop.time() + LISTEN_RETRY_SECONDS
            log.warning("alerting.worker.listen_failed", extra={"error": type(exc).__name__})
            return
        if self._conn is not None:
            log.info("alerting.worker.listening_again")
        self._conn = conn
        self._heard()  # notifications may have been missed while not listening: look now

    async def close(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            with contextlib.suppress(*TRANSIENT):
                await asyncio.wait_for(self._conn.close(), 2)


async def _first_of(*waits: object, within: float) -> None:
    tasks = [asyncio.ensure_future(w) for w in waits]  # type: ignore[arg-type]
    try:
        await asyncio.wait(tasks, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


async def run_alerting(settings: Settings, dsn: str, stop: asyncio.Event, clock: Clock = system_clock) -> None:
    """`heima worker`'s alerting loop, beside housekeeping (backend/worker.py)."""
    metrics = WorkerMetrics()
    tracer = tracer_from_settings(settings)
    server = None
    if settings.worker_metrics_port:
        server, _ = start_http_server(settings.worker_metrics_port, registry=metrics.registry)
    try:
        pusher: Pusher | None = Pusher.from_settings(settings, clock=clock, tracer=tracer)
    except PushNotConfigured as exc:
        # Escalation and the sweep still run; deliveries wait in the outbox, and the worklist
        # (GET /alerts) has every alert regardless.
        log.warning("alerting.worker.push_not_configured", extra={"reason": str(exc)})
        pusher = None
    pool = await create_pool(dsn, min_size=1, max_size=settings.delivery_concurrency + 2, tracer=tracer)
    try:
        async with contextlib.AsyncExitStack() as stack:
            if pusher is not None:
                await stack.enter_async_context(pusher)
            worker = AlertWorker(pool, settings, pusher=pusher, clock=clock, metrics=metrics)
            await worker.run(stop, dsn)
    finally:
        await pool.close()
        if server is not None:
            server.shutdown()
            server.server_close()
