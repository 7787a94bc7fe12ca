"""The worker's own loop: NOTIFY wakes it, polling finds what no notification announced, a dropped
LISTEN connection is replaced, /metrics shows the push stages, and `heima worker` runs it all and
stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import aiohttp
import asyncpg

from alerting.worker import run_alerting
from backend.clock import FrozenClock, system_clock
from tests.alerting.push.conftest import STAND_IN_PORT, SUBJECT
from tests.alerting.push.support import StandInPushService
from tests.helpers import app_client, database
from tests.localhost import free_port
from tests.worker.support import deliveries, fever, open_hospital, open_ward, payloads

HEIMA = Path(sys.executable).parent / "heima"
LISTENERS = """select pid from pg_stat_activity
               where datname = current_database() and query ilike 'LISTEN %heima_alerts%'"""


async def until(condition: Callable[[], object], within: float = 5.0) -> None:
    """Wait for something another task (the worker's loop) or process does."""
    async with asyncio.timeout(within):
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)


async def listeners(db: asyncpg.Connection) -> set[int]:
    return {row["pid"] for row in await db.fetch(LISTENERS)}


async def until_listening(db: asyncpg.Connection, other_than: set[int] | frozenset[int] = frozenset()) -> int:
    async with asyncio.timeout(5):
        while True:
            if found := await listeners(db) - other_than:
                [pid] = found
                return pid
            await asyncio.sleep(0.01)


async def running(worker, dsn: str) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    return stop, asyncio.create_task(worker.run(stop, dsn))


async def test_notify_wakes_the_worker_at_once(wclient, hospital, stand_in, make_worker, wdb, worker_database_url):
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    worker = await make_worker(delivery_poll_seconds=3600)  # only a notification can wake it in time
    stop, task = await running(worker, worker_database_url)
    try:
        await until_listening(wdb)
        alert_id = await fever(wclient, ward)
        await until(lambda: stand_in.received)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    assert payloads(stand_in) == [{"type": "alert", "alert_id": alert_id, "severity": "high"}]
    assert [row["status"] for row in await deliveries(wdb, alert_id)] == ["sent"]
    assert await listeners(wdb) == set()  # stopped: its LISTEN connection is closed


async def test_polling_finds_a_delivery_no_notification_announced(
    wclient, hospital, stand_in, make_worker, wdb, worker_database_url, wclock
):
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    alert_id = await fever(wclient, ward)
    await wdb.execute("update push_deliveries set status = 'cancelled' where alert_id = $1", uuid.UUID(alert_id))
    worker = await make_worker(delivery_poll_seconds=1)
    stop, task = await running(worker, worker_database_url)
    try:
        await until_listening(wdb)
        # Written without pg_notify, as if the notification had been lost.
        await wdb.execute(
            """insert into push_deliveries (id, alert_id, user_id, status, severity, next_attempt_at, created_at)
               values ($1, $2, $3, 'pending', 'high', $4, $4)""",
            uuid.uuid4(),
            uuid.UUID(alert_id),
            uuid.UUID(ward.nurses[0].id),
            wclock.now,
        )
        await until(lambda: stand_in.received, within=3)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    assert len(payloads(stand_in)) == 1


async def test_a_dropped_listen_connection_is_replaced(
    wclient, hospital, stand_in, make_worker, wdb, worker_database_url
):
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    worker = await make_worker(delivery_poll_seconds=3600)
    stop, task = await running(worker, worker_database_url)
    try:
        first = await until_listening(wdb)
        await wdb.execute("select pg_terminate_backend($1)", first)
        await until_listening(wdb, other_than={first})
        await fever(wclient, ward)
        await until(lambda: stand_in.received)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


async def test_the_workers_metrics_show_the_push_stages(
    wclient, hospital, stand_in, wdb, worker_settings, worker_database_url, wclock
):
    port = free_port()
    settings = replace(worker_settings, worker_metrics_port=port, delivery_poll_seconds=3600)
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    stop = asyncio.Event()
    task = asyncio.create_task(run_alerting(settings, worker_database_url, stop, wclock))
    try:
        await until_listening(wdb)
        await fever(wclient, ward)
        async with aiohttp.ClientSession() as session, asyncio.timeout(5):
            text = ""
            while 'stage="push_accepted"} 1.0' not in text:  # observed once the outcome is recorded
                await asyncio.sleep(0.01)
                async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
                    text = await response.text()
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    assert 'heima_alert_latency_seconds_count{stage="push_sent"} 1.0' in text
    assert 'heima_alert_latency_seconds_count{stage="push_accepted"} 1.0' in text
    assert 'heima_alert_latency_seconds_bucket{le="0.05",stage="push_accepted"}' in text
    assert 'heima_push_attempts_total{outcome="delivered"} 1.0' in text


async def test_heima_worker_delivers_and_stops_on_sigterm(new_database, worker_settings, worker_vapid_keys, tmp_path):
    # `heima worker` is a process of its own on the real clock, and it prunes what has expired by
    # that clock: it gets a database of its own, and the API that writes the alert runs on a clock
    # frozen at the real now, so the alert is as fresh for the worker as for the test.
    database_url = await new_database()
    settings = replace(worker_settings, database_url=database_url)
    clock = FrozenClock(system_clock())
    stand_in = await StandInPushService(
        vapid_public_key=worker_vapid_keys[1], subject=SUBJECT, clock=clock, port=STAND_IN_PORT
    ).start()
    try:
        async with app_client(settings, clock) as client, database(database_url) as db:
            hospital = await open_hospital(client, database_url, settings)
            ward = await open_ward(client, hospital, stand_in, nurses=1, born=clock.now.date() - timedelta(days=40))
            alert_id = await fever(client, ward, at=clock.now - timedelta(minutes=5))
            env = {k: v for k, v in os.environ.items() if not k.startswith("HEIMA_")}
            env.update(
                HEIMA_DATABASE_URL=database_url,
                HEIMA_DATA_DIR=str(tmp_path),
                HEIMA_SECRET_KEY=settings.secret_key,
                HEIMA_VAPID_PRIVATE_KEY=worker_vapid_keys[0],
                HEIMA_VAPID_SUBJECT=SUBJECT,
                HEIMA_PUSH_ALLOWED_HOSTS=f"127.0.0.1:{stand_in.port}",
                HEIMA_LOG_LEVEL="WARNING",
            )
            process = await asyncio.create_subprocess_exec(
                str(HEIMA), "worker", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
            )
            try:
                await until(lambda: stand_in.received, within=20)
                process.send_signal(signal.SIGTERM)
                _, stderr = await asyncio.wait_for(process.communicate(), 15)
            finally:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
            assert process.returncode == 0, stderr.decode()
            # Exactly one push: the fresh alert is not due for escalation by the worker's clock.
            assert payloads(stand_in) == [{"type": "alert", "alert_id": alert_id, "severity": "high"}]
            assert [row["status"] for row in await deliveries(db, alert_id)] == ["sent"]
    finally:
        await stand_in.stop()
