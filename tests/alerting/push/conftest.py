from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from alerting.push.sender import Pusher
from alerting.push.vapid import new_key_pair
from backend.clock import FrozenClock
from backend.settings import DEFAULT_PUSH_HOSTS, Settings
from tests.alerting.push.support import StandInPushService
from tests.conftest import START, make_settings
from tests.helpers import app_client

SUBJECT = "mailto:alerts@heima.test"
# The vendors' services plus the loopback literals a stand-in push service listens on: the one
# exception to "https on port 443" (docs/api.md, "Web Push"; docs/reliability.md, W1).
LOOPBACK_ALLOWED = (*DEFAULT_PUSH_HOSTS, "127.0.0.1", "::1")


@pytest.fixture(scope="session")
def vapid_keys() -> tuple[str, str]:
    return new_key_pair()


@pytest.fixture(scope="session")
def push_settings(database_url: str, redis_url: str, vapid_keys: tuple[str, str]) -> Settings:
    return make_settings(
        database_url,
        redis_url,
        vapid_private_key=vapid_keys[0],
        vapid_subject=SUBJECT,
        push_allowed_hosts=LOOPBACK_ALLOWED,
    )


@pytest.fixture(scope="session")
async def push_client(push_settings: Settings, session_clock: FrozenClock) -> AsyncIterator[AsyncTestClient]:
    """An app configured for push with loopback allowed; it shares the database (and so the
    world's sign-ins) with the suite's default app, which has neither."""
    async with app_client(push_settings, session_clock) as test_client:
        yield test_client


@pytest.fixture
def push_clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
async def stand_in(vapid_keys: tuple[str, str], push_clock: FrozenClock) -> AsyncIterator[StandInPushService]:
    service = await StandInPushService(vapid_public_key=vapid_keys[1], subject=SUBJECT, clock=push_clock).start()
    yield service
    await service.stop()


@pytest.fixture
async def pusher(vapid_keys: tuple[str, str], push_clock: FrozenClock) -> AsyncIterator[Pusher]:
    async with Pusher(
        vapid_private_key=vapid_keys[0],
        vapid_subject=SUBJECT,
        allowed_hosts=LOOPBACK_ALLOWED,
        clock=push_clock,
        connect_timeout=2,
        read_timeout=0.5,
    ) as sender:
        yield sender
