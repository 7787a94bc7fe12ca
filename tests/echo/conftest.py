from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from backend.clock import FrozenClock
from tests.conftest import make_settings
from tests.echo.support import local_addresses
from tests.helpers import app_client
from video.echo import EchoSessions

ECHO_MAX_SESSIONS = 2
ECHO_MAX_SECONDS = 30


@pytest.fixture(scope="session")
async def echo_client(database_url: str, redis_url: str, session_clock: FrozenClock) -> AsyncIterator[AsyncTestClient]:
    """An app whose echo peers may advertise this machine's own (private) addresses, so a caller on
    the same machine can reach them; the shared `client` keeps the default policy (public only).
    Same database, secret and clock as `client`, so the world's tokens work here too."""
    addresses = local_addresses()
    if not addresses:
        pytest.skip("no network interface but loopback, which aioice never gathers on")
    settings = make_settings(
        database_url,
        redis_url,
        echo_allowed_candidate_ips=addresses,
        echo_max_sessions=ECHO_MAX_SESSIONS,
        echo_max_seconds=ECHO_MAX_SECONDS,
    )
    async with app_client(settings, session_clock) as test_client:
        yield test_client


def sessions_of(client: AsyncTestClient) -> EchoSessions:
    return client.app.state.echo


def close_all(client: AsyncTestClient) -> None:
    """Run `close_all` on the app's own event loop (the test client's portal)."""
    client.blocking_portal.call(sessions_of(client).close_all)
