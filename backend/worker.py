"""`heima worker`: background work that must not run inside requests.

It prunes expired tokens and old sign-in failures, and the access-log rows and push receipts that
outlived their retention periods (docs/operations.md), and beside that runs the alerting loop
(alerting/worker.py): push delivery, escalation and the missing-data sweep. Several workers may
run at once: every job here is idempotent or claims its work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta
from pathlib import Path

import asyncpg

from alerting.worker import run_alerting
from backend.clock import Clock, system_clock
from backend.maintenance.service import prune, prune_expired
from backend.settings import Settings

log = logging.getLogger("heima.worker")
HOUSEKEEPING_INTERVAL_SECONDS = 300
# The delivery loop goes round at least every HEIMA_DELIVERY_POLL_SECONDS; a heartbeat older than
# a few rounds (and never less than this) means the loop is stuck or the process is gone.
MIN_HEARTBEAT_AGE_SECONDS = 30


def heartbeat_limit(settings: Settings) -> float:
    return max(MIN_HEARTBEAT_AGE_SECONDS, 3 * settings.delivery_poll_seconds)


def check_heartbeat(path: Path, now: float, max_age: float) -> tuple[bool, str]:
    """`heima worker-health`: whether the worker's delivery loop went round within `max_age`
    seconds of `now` (Unix time), and what to tell the operator."""
    try:
        age = now - path.stat().st_mtime
    except FileNotFoundError:
        return False, f"no heartbeat at {path}: the worker has not started, or writes it elsewhere"
    if age > max_age:
        return False, f"the worker's delivery loop last went round {age:.0f} s ago (limit {max_age:.0f} s)"
    return True, f"the worker's delivery loop went round {max(age, 0):.0f} s ago"


async def run_housekeeping(pool: asyncpg.Pool, settings: Settings, clock: Clock) -> None:
    now = clock()
    async with pool.acquire() as conn, conn.transaction():
        await prune(conn, now, timedelta(seconds=settings.login_failure_window_seconds))
    pruned = await prune_expired(pool, settings, now)
    if pruned.access_log or pruned.push_attempts:
        log.info(
            "worker.retention.pruned",
            extra={"access_log_rows": pruned.access_log, "push_attempt_rows": pruned.push_attempts},
        )


async def run_worker(settings: Settings, dsn: str, clock: Clock = system_clock) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    log.info("worker.started")
    alerting = asyncio.create_task(run_alerting(settings, dsn, stop, clock))

    def alerting_ended(task: asyncio.Task[None]) -> None:
        # Its loop survives database restarts by itself; anything else ends the process, so that
        # the supervisor restarts it rather than leaving a worker that no longer delivers.
        if not task.cancelled() and task.exception() is not None:
            log.error("worker.alerting.crashed", exc_info=task.exception())
            stop.set()

    alerting.add_done_callback(alerting_ended)
    try:
        while not stop.is_set():
            try:
                await run_housekeeping(pool, settings, clock)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                # The database may be restarting; try again next round rather than exit.
                log.warning("worker.housekeeping.failed", extra={"error": type(exc).__name__})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), HOUSEKEEPING_INTERVAL_SECONDS)
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await alerting
        await pool.close()
        log.info("worker.stopped")
    if not alerting.cancelled() and alerting.exception() is not None:
        raise SystemExit(1)
