"""`heima worker`: background work that must not run inside requests.

Today it prunes expired tokens and old sign-in failures; alert delivery, escalation and the
missing-data sweep join it as the alerting work lands. Several workers may run at once: every
job here is idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta

import asyncpg

from backend.clock import Clock, system_clock
from backend.maintenance.service import prune
from backend.settings import Settings

log = logging.getLogger("heima.worker")
HOUSEKEEPING_INTERVAL_SECONDS = 300


async def run_housekeeping(pool: asyncpg.Pool, settings: Settings, clock: Clock) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await prune(conn, clock(), timedelta(seconds=settings.login_failure_window_seconds))


async def run_worker(settings: Settings, dsn: str, clock: Clock = system_clock) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    log.info("worker.started")
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
        await pool.close()
        log.info("worker.stopped")
