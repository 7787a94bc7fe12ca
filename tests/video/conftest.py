from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from backend.app import create_app
from backend.clock import FrozenClock
from tests.conftest import SECRET_KEY, make_settings
from tests.video.support import InProcessServer, Subprocesses, serve_env

GRACE_SECONDS = 1
HEARTBEAT_SECONDS = 2


@pytest.fixture(scope="session")
async def video_server(database_url: str, redis_url: str, session_clock: FrozenClock) -> AsyncIterator[InProcessServer]:
    """The app on a real port in this event loop: same database, secret and clock as `client`, so
    the world's tokens work, and a test can reach the hub to run its heartbeat and sweep."""
    settings = make_settings(
        database_url,
        redis_url,
        video_reconnect_grace_seconds=GRACE_SECONDS,
        video_heartbeat_seconds=HEARTBEAT_SECONDS,
        turn_urls=("stun:stun.heima.test:3478", "turn:turn.heima.test:3478?transport=udp"),
        turn_secret="turn-shared-secret",
    )
    server = InProcessServer(create_app(settings, clock=session_clock, configure_logs=False))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def http(video_server: InProcessServer) -> AsyncIterator[object]:
    from tests.video.support import http_client

    async with http_client(video_server.base) as client:
        yield client


@pytest.fixture(scope="session")
def two_servers(database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Subprocesses]:
    """Two `heima serve` processes on one database and one Redis (system clock)."""
    env = serve_env(
        database_url,
        redis_url,
        SECRET_KEY,
        HEIMA_VIDEO_RECONNECT_GRACE_SECONDS="2",
        HEIMA_VIDEO_HEARTBEAT_SECONDS="1",
    )
    logs = tmp_path_factory.mktemp("heima-serve")
    servers = Subprocesses()
    try:
        servers.start(env, logs)
        servers.start(env, logs)
        servers.wait_ready()
        yield servers
    finally:
        servers.stop()
