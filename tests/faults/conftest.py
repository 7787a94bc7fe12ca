"""Fault tests run against servers of their own (tests/faults/servers.py), never the shared ones:
they stop PostgreSQL hard and kill Redis. Every process started here is stopped by its PID, also
when a test fails."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from alerting.push.vapid import new_key_pair
from backend.clock import FrozenClock
from backend.settings import Settings
from tests.conftest import START, make_settings
from tests.faults.servers import ThrowawayPostgres, ThrowawayRedis, postgres_available
from tests.faults.service import Api, admin_actor, service_env, start_serve, stop_all
from tests.helpers import Actor, World, app_client, build_world, database
from tests.localhost import create_database, free_port, redis_server_binary


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
    if redis_server_binary() is None:
        pytest.skip("no redis-server binary")
    server = ThrowawayRedis()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
async def fault_database_url(fault_postgres: ThrowawayPostgres) -> str:
    return (await create_database(fault_postgres.dsn, "heima_faults"))[1]


@pytest.fixture(scope="session")
def fault_settings(fault_database_url: str, fault_redis: ThrowawayRedis) -> Settings:
    # No server-side retry: these tests watch the phone's side of an outage (503, resend the same
    # ids); tests/faults/test_server_retry.py covers the server's own retry.
    return make_settings(fault_database_url, fault_redis.url, db_pool_min=2, db_pool_max=8, db_retry_seconds=0)


@pytest.fixture(scope="session")
async def fault_client(fault_settings: Settings) -> AsyncIterator[AsyncTestClient]:
    async with app_client(fault_settings, FrozenClock(START)) as client:
        yield client


@pytest.fixture(scope="session")
async def fault_world(fault_client: AsyncTestClient, fault_database_url: str, fault_settings: Settings) -> World:
    return await build_world(fault_client, fault_database_url, fault_settings)


@pytest.fixture
async def fault_db(fault_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    async with database(fault_database_url) as conn:
        yield conn


# --- the service as child processes (tests/faults/service.py) ----------------------------------


@pytest.fixture(scope="session")
async def fault_service_database_url(fault_postgres: ThrowawayPostgres) -> str:
    """A database of its own on the throwaway cluster for the child processes: a real worker claims
    whatever is due in its database, so it must not meet the in-process tests' rows."""
    return (await create_database(fault_postgres.dsn, "heima_faults_service"))[1]


@pytest.fixture(scope="session")
def fault_vapid_keys() -> tuple[str, str]:
    return new_key_pair()


@pytest.fixture(scope="session")
def fault_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("heima-faults-children")


@pytest.fixture(scope="session")
def fault_push_port() -> int:
    """Where every test's stand-in push service listens: the children's allowlist pins it."""
    return free_port()


@pytest.fixture(scope="session")
def fault_env(
    fault_service_database_url: str,
    fault_redis: ThrowawayRedis,
    fault_workdir: Path,
    fault_vapid_keys: tuple[str, str],
    fault_push_port: int,
) -> dict[str, str]:
    return service_env(fault_service_database_url, fault_redis.url, fault_workdir, fault_vapid_keys[0], fault_push_port)


@pytest.fixture(scope="session")
async def fault_api(fault_env: dict[str, str], fault_workdir: Path) -> AsyncIterator[Api]:
    """`heima serve` as a child process, shared by the tests that run real workers beside it."""
    api = await start_serve(fault_env, fault_workdir, free_port())
    try:
        yield api
    finally:
        stop_all([api.child])


@pytest.fixture(scope="session")
async def fault_admin(fault_api: Api) -> Actor:
    async with fault_api.client() as client:
        return await admin_actor(client, fault_api.database_url)
