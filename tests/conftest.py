"""Real PostgreSQL and Redis for every test run.

PostgreSQL: the machine's server (HEIMA_TEST_DATABASE_URL, else 127.0.0.1:5432 as postgres), or an
embedded one (pgserver) when none answers. Each run gets a fresh database built by `migrations/`.
Redis: HEIMA_TEST_REDIS_URL, else 127.0.0.1:6379, else a `redis-server` this run starts itself.
The clock is a FrozenClock: tests move it instead of sleeping.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.clock import FrozenClock
from backend.db import connect
from backend.migrate import apply_migrations
from backend.settings import Settings
from tests.helpers import World, build_world

# A fixed instant keeps every run identical; tests that move the clock put it back.
START = datetime(2026, 11, 22, 7, 30, tzinfo=UTC)
SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server_dsn() -> Iterator[str]:
    """A DSN for the maintenance database of a running PostgreSQL server."""
    if url := os.environ.get("HEIMA_TEST_DATABASE_URL"):
        yield url
    elif _answers("127.0.0.1", 5432):
        yield "postgresql://postgres@127.0.0.1:5432/postgres"
    else:
        import pgserver

        with tempfile.TemporaryDirectory(prefix="heima-test-pg-") as data:
            server = pgserver.get_server(data, cleanup_mode="stop")
            try:
                yield server.get_uri()
            finally:
                server.cleanup()


async def _create_database(server_dsn: str, name: str) -> str:
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'create database "{name}"')
    finally:
        await admin.close()
    # Swap the database name in the DSN (path part, before any query string).
    base, _, query = server_dsn.partition("?")
    prefix = base.rsplit("/", 1)[0]
    return f"{prefix}/{name}" + (f"?{query}" if query else "")


async def _drop_database(server_dsn: str, name: str) -> None:
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'drop database if exists "{name}" with (force)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def new_database(postgres_server_dsn: str) -> AsyncIterator[object]:
    """A factory for empty databases, all dropped at the end of the run."""
    created: list[str] = []

    async def make() -> str:
        name = f"heima_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        created.append(name)
        return await _create_database(postgres_server_dsn, name)

    yield make
    for name in created:
        await _drop_database(postgres_server_dsn, name)


@pytest.fixture(scope="session")
async def database_url(new_database) -> str:
    dsn = await new_database()
    conn = await asyncpg.connect(dsn)
    try:
        await apply_migrations(conn)
    finally:
        await conn.close()
    return dsn


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    if url := os.environ.get("HEIMA_TEST_REDIS_URL"):
        yield url
        return
    if _answers("127.0.0.1", 6379):
        yield "redis://127.0.0.1:6379/0"
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("no Redis answers on 127.0.0.1:6379 and no redis-server binary is installed")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if _answers("127.0.0.1", port):
                break
            time.sleep(0.05)  # waiting for a child process to listen, not for test logic
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


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
    app = create_app(settings, clock=session_clock, configure_logs=False)
    async with AsyncTestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
async def world(client: AsyncTestClient, database_url: str, settings: Settings) -> World:
    """The access-matrix actors (RELIABILITY.md): admin, clinicians of two units, a guardian of
    twins, a COPD patient, and nobody."""
    return await build_world(client, database_url, settings)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await connect(database_url)
    try:
        yield conn
    finally:
        await conn.close()
