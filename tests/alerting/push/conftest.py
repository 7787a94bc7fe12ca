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
from tests.localhost import free_port

SUBJECT = "mailto:alerts@heima.test"
# Where the stand-in push services listen, chosen once per run: a loopback literal is allowed
# only with its port (alerting/push/allowlist.py), so the allowlist must name the ports before any
# settings are made. The second is for a test that needs two origins, or a pinned port where
# nothing listens.
STAND_IN_PORT = free_port()
OTHER_STAND_IN_PORT = free_port()
IPV6_STAND_IN_PORT = free_port("::1")
# The vendors' services plus the stand-ins' loopback literals and ports: the one exception to
# "https on port 443" (docs/api.md, "Web Push"; docs/reliability.md, W1).
LOOPBACK_ALLOWED = (
    *DEFAULT_PUSH_HOSTS,
    f"127.0.0.1:{STAND_IN_PORT}",
    f"127.0.0.1:{OTHER_STAND_IN_PORT}",
    f"[::1]:{IPV6_STAND_IN_PORT}",
)


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
    service = await StandInPushService(
        vapid_public_key=vapid_keys[1], subject=SUBJECT, clock=push_clock, port=STAND_IN_PORT
    ).start()
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
