"""The delivery worker against the real thing: its own migrated PostgreSQL database, the API
writing alerts into it, and a stand-in push service on loopback that checks VAPID and decrypts
(tests/alerting/push/support.py).

The worker claims whatever is due in its database, so this suite has a database of its own, and
each test starts from a quiet hospital (nothing due, nothing to escalate, nobody followed): a test
sees exactly the deliveries, escalations and sweeps of its own ward.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from alerting.push.sender import Pusher
from alerting.push.vapid import new_key_pair
from alerting.worker import AlertWorker, WorkerMetrics
from backend.clock import FrozenClock
from backend.db import create_pool
from backend.settings import Settings
from tests.alerting.push.conftest import LOOPBACK_ALLOWED, STAND_IN_PORT, SUBJECT
from tests.alerting.push.support import StandInPushService
from tests.conftest import START, make_settings
from tests.helpers import app_client, database
from tests.worker.support import Hospital, open_hospital

# Short enough to test, long enough that no send in this suite outlives its lease.
TIMEOUTS = {"push_connect_timeout_seconds": 2, "push_read_timeout_seconds": 2, "delivery_lease_seconds": 30}
WorkerFactory = Callable[..., Awaitable[AlertWorker]]


@pytest.fixture(scope="session")
async def worker_database_url(new_database) -> str:
    return await new_database()


@pytest.fixture(scope="session")
def worker_vapid_keys() -> tuple[str, str]:
    return new_key_pair()


@pytest.fixture(scope="session")
def worker_settings(worker_database_url: str, redis_url: str, worker_vapid_keys: tuple[str, str]) -> Settings:
    return make_settings(
        worker_database_url,
        redis_url,
        vapid_private_key=worker_vapid_keys[0],
        vapid_subject=SUBJECT,
        push_allowed_hosts=LOOPBACK_ALLOWED,
        delivery_max_attempts=4,
        delivery_backoff_seconds=5,
        delivery_backoff_max_seconds=60,
        escalation_after_seconds=900,
        **TIMEOUTS,
    )


@pytest.fixture(scope="session")
def worker_session_clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def wclock(worker_session_clock: FrozenClock) -> Iterator[FrozenClock]:
    """The clock of the app, the workers and the stand-in alike; put back after each test."""
    saved = worker_session_clock.now
    yield worker_session_clock
    worker_session_clock.now = saved


@pytest.fixture(scope="session")
async def wclient(worker_settings: Settings, worker_session_clock: FrozenClock) -> AsyncIterator[AsyncTestClient]:
    async with app_client(worker_settings, worker_session_clock) as test_client:
        yield test_client


@pytest.fixture(scope="session")
async def hospital(wclient: AsyncTestClient, worker_database_url: str, worker_settings: Settings) -> Hospital:
    return await open_hospital(wclient, worker_database_url, worker_settings)


@pytest.fixture
async def wdb(worker_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    async with database(worker_database_url) as conn:
        yield conn


@pytest.fixture(autouse=True)
async def quiet_hospital(worker_database_url: str, worker_session_clock: FrozenClock) -> None:
    """What earlier tests left is none of this test's business: their deliveries are cancelled,
    their alerts fully escalated, their patients no longer followed (ended a day before now)."""
    conn = await asyncpg.connect(worker_database_url)
    try:
        await conn.execute(
            """update push_deliveries set status = 'cancelled', locked_until = null
               where status = any('{pending,sending}'::text[])"""
        )
        await conn.execute("update alerts set escalation_step = 2 where status = 'open'")
        await conn.execute(
            """update enrolments set started_at = least(started_at, $1) - interval '2 days',
                                     ended_at = least(started_at, $1) - interval '1 day'
               where ended_at is null""",
            worker_session_clock.now,
        )
    finally:
        await conn.close()


@pytest.fixture
async def stand_in(worker_vapid_keys: tuple[str, str], wclock: FrozenClock) -> AsyncIterator[StandInPushService]:
    service = await StandInPushService(
        vapid_public_key=worker_vapid_keys[1], subject=SUBJECT, clock=wclock, port=STAND_IN_PORT
    ).start()
    yield service
    await service.stop()


@pytest.fixture
async def make_worker(
    worker_settings: Settings, worker_database_url: str, wclock: FrozenClock
) -> AsyncIterator[WorkerFactory]:
    """Workers as separate processes would have them: each its own pool and push client."""
    opened: list[Any] = []

    async def make(*, push: bool = True, **overrides: Any) -> AlertWorker:
        settings = replace(worker_settings, **overrides)
        pool = await create_pool(worker_database_url, min_size=1, max_size=4)
        opened.append(pool)
        pusher = None
        if push:
            pusher = Pusher.from_settings(settings, clock=wclock)
            opened.append(pusher)
        return AlertWorker(pool, settings, pusher=pusher, clock=wclock, metrics=WorkerMetrics())

    yield make
    for resource in reversed(opened):
        if isinstance(resource, Pusher):
            await resource.aclose()
        else:
            await resource.close()
