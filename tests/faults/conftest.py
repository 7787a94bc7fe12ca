"""Fault tests run against servers of their own (tests/faults/servers.py), never the shared ones:
they stop PostgreSQL hard and kill Redis. Every process started here is stopped by its PID, also
when a test fails."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.clock import FrozenClock
from backend.migrate import apply_migrations
from backend.settings import Settings
from tests.conftest import START, make_settings
from tests.faults.servers import ThrowawayPostgres, ThrowawayRedis, postgres_available
from tests.helpers import World, build_world


@pytest.fixture(scope="session")
def fault_postgres() -> Iterator[ThrowawayPostgres]:
    if reason := postgres_available():
        pytest.skip(reason)
    server = ThrowawayPostgres()
    try:
        server.init()
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
def fault_redis() -> Iterator[ThrowawayRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("no redis-server binary")
    server = ThrowawayRedis()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
async def fault_database_url(fault_postgres: ThrowawayPostgres) -> str:
    admin = await asyncpg.connect(fault_postgres.dsn)
    try:
        await admin.execute("create database heima_faults")
    finally:
        await admin.close()
    dsn = fault_postgres.dsn.rsplit("/", 1)[0] + "/heima_faults"
    conn = await asyncpg.connect(dsn)
    try:
        await apply_migrations(conn)
    finally:
        await conn.close()
    return dsn


@pytest.fixture(scope="session")
def fault_settings(fault_database_url: str, fault_redis: ThrowawayRedis) -> Settings:
    # No server-side retry: these tests watch the phone's side of an outage (503, resend the same
    # ids); tests/faults/test_server_retry.py covers the server's own retry.
    return make_settings(fault_database_url, fault_redis.url, db_pool_min=2, db_pool_max=8, db_retry_seconds=0)


@pytest.fixture(scope="session")
async def fault_client(fault_settings: Settings) -> AsyncIterator[AsyncTestClient]:
    app = create_app(fault_settings, clock=FrozenClock(START), configure_logs=False)
    async with AsyncTestClient(app) as client:
        yield client


@pytest.fixture(scope="session")
async def fault_world(fault_client: AsyncTestClient, fault_database_url: str, fault_settings: Settings) -> World:
    return await build_world(fault_client, fault_database_url, fault_settings)


@pytest.fixture
async def fault_db(fault_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    from backend.db import connect

    conn = await connect(fault_database_url)
    try:
        yield conn
    finally:
        await conn.close()
