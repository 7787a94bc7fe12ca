"""Bursts of sign-ins (issue 11, findings 4 and 5), on an app and database of their own.

Finding 4: login held a pooled connection, in an open transaction, while it waited for a hashing
slot, so a burst of sign-ins starved uploads of connections. Now nothing is held while a password
is checked, the hashing queue is bounded (503 with Retry-After beyond it) and a request waits for a
connection only so long (503 with Retry-After). The tests hold every hash in a gate and look at
the pool and at PostgreSQL while sign-ins wait: structure, not timing.

Finding 5: throttling checked recent failures, then recorded the new one after verifying, so
parallel guesses all passed the check. Now each attempt is reserved first.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import httpx
import pytest
from litestar import Litestar

from backend.app import create_app
from backend.clock import FrozenClock
from backend.security import HASHING_SLOTS
from backend.settings import Settings
from tests.conftest import START, make_settings
from tests.helpers import (
    API,
    INFANT,
    PASSWORD,
    Actor,
    activate,
    activation_code,
    app_client,
    create_admin,
    database,
    expect,
    login,
    make_clinician,
    make_patient,
    unique,
)
from tests.identity.support import BAD_CODE, WRONG_LOGIN, assert_problem, post_activate, post_login

PER_ACCOUNT = 5
# Room for every correct sign-in the account's limit lets be checked at once.
HASH_QUEUE = PER_ACCOUNT - 1
# Above the sign-ins in flight at once (those hashing, those queued, a few turned away).
PER_ADDRESS = HASHING_SLOTS + HASH_QUEUE + 4
POOL = 4
OVER_THE_QUEUE = 2
SHIFT = HASHING_SLOTS + HASH_QUEUE + OVER_THE_QUEUE


class GatedHasher:
    """The real argon2 hasher, counting every call; while `gate` is closed each call waits in its
    thread (holding its hashing slot), as a slow hash would."""

    def __init__(self, hasher) -> None:
        self._hasher = hasher
        self.gate = threading.Event()
        self.gate.set()
        self._lock = threading.Lock()
        self.calls = 0
        self.inside = 0

    def _gated(self, call, *args):
        with self._lock:
            self.calls += 1
            self.inside += 1
        try:
            self.gate.wait()
            return call(*args)
        finally:
            with self._lock:
                self.inside -= 1

    def hash(self, password: str) -> str:
        return self._gated(self._hasher.hash, password)

    def verify(self, stored: str, password: str) -> bool:
        return self._gated(self._hasher.verify, stored, password)


@dataclass
class BurstWorld:
    """A database of its own with a clinician, an infant and its guardian, signed in."""

    settings: Settings
    clock: FrozenClock
    admin: Actor
    clinician: Actor
    guardian: Actor
    patient: str
    guardian_refresh: str
    # Colleagues signing in at once (a shift change), each within their account's limit.
    staff: list[Actor]


@dataclass
class Burst:
    """The app served in the test's own event loop, so that requests really run side by side (the
    test client's requests each block the loop until they are answered)."""

    client: httpx.AsyncClient
    app: Litestar
    world: BurstWorld
    hasher: GatedHasher

    @property
    def pool(self) -> asyncpg.Pool:
        return self.app.state.db_pool

    @property
    def secrets(self):
        return self.app.state.secrets

    @property
    def clinician(self) -> Actor:
        return self.world.clinician

    @property
    def database_url(self) -> str:
        return self.world.settings.database_url


@pytest.fixture(scope="module")
async def burst_world(new_database, redis_url) -> BurstWorld:
    database_url = await new_database()
    settings = make_settings(
        database_url,
        redis_url,
        login_failures_per_account=PER_ACCOUNT,
        login_failures_per_address=PER_ADDRESS,
        password_hash_queue=HASH_QUEUE,
        db_pool_min=1,
        db_pool_max=POOL,
        db_pool_acquire_timeout_seconds=1,
    )
    admin_name = unique("admin")
    await create_admin(database_url, settings, admin_name)
    clock = FrozenClock(START)
    async with app_client(settings, clock) as client:
        admin = Actor("admin", "admin", (await login(client, admin_name))["access_token"])
        body = {"name": unique("Org"), "kind": "hospital"}
        organisation = await expect(await client.post(f"{API}/organisations", json=body, headers=admin.headers), 201)
        unit = await expect(
            await client.post(
                f"{API}/organisations/{organisation['id']}/units", json={"name": unique("Unit")}, headers=admin.headers
            ),
            201,
        )
        clinician = await make_clinician(client, admin.headers, [unit["id"]])
        patient = await make_patient(client, clinician, unit["id"], "premature-home", INFANT)
        tokens = await activate(client, await activation_code(client, clinician, patient, "guardian"))
        guardian = Actor("guardian", "guardian", tokens["access_token"])
        staff = [await make_clinician(client, admin.headers, [unit["id"]]) for _ in range(SHIFT)]
    return BurstWorld(settings, clock, admin, clinician, guardian, patient, tokens["refresh_token"], staff)


@asynccontextmanager
async def served(world: BurstWorld) -> AsyncIterator[Burst]:
    """Each test at a fresh hour of its own (past earlier failures), on an app of its own whose
    password hashes wait in a gate while the test keeps it closed."""
    world.clock.now += timedelta(hours=1)
    app = create_app(world.settings, clock=world.clock, configure_logs=False)
    # Entered and left in the test's own task, as anyio requires of the lifespan.
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://heima.test") as client,
    ):
        # An hour on, the guardian's phone needs a new access token.
        refreshed = await expect(
            await client.post(f"{API}/auth/refresh", json={"refresh_token": world.guardian_refresh}), 200
        )
        world.guardian.token, world.guardian_refresh = refreshed["access_token"], refreshed["refresh_token"]
        hasher = GatedHasher(app.state.secrets._hasher)
        app.state.secrets._hasher = hasher
        try:
            yield Burst(client, app, world, hasher)
        finally:
            hasher.gate.set()


async def until(condition: Callable[[], bool]) -> None:
    """Wait for the app to reach a state (a guard against hanging, not a timing assertion)."""
    async with asyncio.timeout(30):
        # Polled: the state lives partly in hashing threads, which cannot set an asyncio.Event.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def upload(burst: Burst) -> Awaitable:
    body = {
        "measurements": [
            {
                "id": str(uuid.uuid4()),
                "type": "body_temperature",
                "value": 37.1,
                "unit": "Cel",
                "measured_at": "2026-11-22T08:00:00+01:00",
            }
        ]
    }
    world = burst.world
    return burst.client.post(f"{API}/patients/{world.patient}/measurements", json=body, headers=world.guardian.headers)


async def idle_in_transaction(burst: Burst) -> int:
    async with database(burst.database_url) as db:
        return await db.fetchval(
            """select count(*) from pg_stat_activity
               where datname = current_database() and application_name = 'heima'
                 and state like 'idle in transaction%'"""
        )


# --- Finding 4: a burst of sign-ins ------------------------------------------------------------


async def test_sign_ins_waiting_for_hashing_hold_no_connection_and_uploads_go_on(burst_world):
    async with served(burst_world) as burst:
        waiting = HASHING_SLOTS + HASH_QUEUE  # every slot busy and the queue full, none turned away
        assert waiting > POOL  # more sign-ins than connections: holding one each would starve the pool
        burst.hasher.gate.clear()
        logins = [asyncio.create_task(post_login(burst.client, burst.clinician.name, PASSWORD)) for _ in range(waiting)]
        try:
            await until(lambda: burst.hasher.inside == HASHING_SLOTS and burst.secrets.waiting == HASH_QUEUE)
            # Nothing is checked out, let alone idle in an open transaction, while the sign-ins wait.
            assert burst.pool.get_size() - burst.pool.get_idle_size() == 0
            assert await idle_in_transaction(burst) == 0
            # An upload meanwhile gets a connection and is stored.
            stored = await asyncio.wait_for(upload(burst), timeout=30)
            assert stored.status_code == 200, stored.text
            assert stored.json()["results"][0]["status"] == "created"
        finally:
            burst.hasher.gate.set()
        answers = await asyncio.gather(*logins)
        assert [a.status_code for a in answers] == [200] * waiting


async def test_sign_ins_beyond_the_hashing_queue_get_503_with_retry_after(burst_world):
    async with served(burst_world) as burst:
        burst.hasher.gate.clear()
        calls_before = burst.hasher.calls
        logins = [asyncio.create_task(post_login(burst.client, nurse.name, PASSWORD)) for nurse in burst_world.staff]
        try:
            await until(lambda: sum(task.done() for task in logins) == OVER_THE_QUEUE)
            for response in [task.result() for task in logins if task.done()]:
                assert_problem(response, 503)
                assert response.headers["retry-after"] == "1"
            assert burst.secrets.waiting == HASH_QUEUE
        finally:
            burst.hasher.gate.set()
        answers = await asyncio.gather(*logins)
        assert sorted(a.status_code for a in answers) == [200] * (SHIFT - OVER_THE_QUEUE) + [503] * OVER_THE_QUEUE
        # Those turned away were never checked, and count as no failure: nothing is left over.
        assert burst.hasher.calls - calls_before == SHIFT - OVER_THE_QUEUE
        async with database(burst.database_url) as db:
            assert await db.fetchval("select count(*) from sign_in_failures") == 0


async def test_a_request_that_gets_no_connection_in_time_answers_503_with_retry_after(burst_world):
    async with served(burst_world) as burst:
        held = [await burst.pool.acquire() for _ in range(POOL)]
        try:
            response = await burst.client.get(f"{API}/me", headers=burst.world.guardian.headers)
            assert_problem(response, 503)
            assert response.headers["retry-after"] == "1"
        finally:
            for conn in held:
                await burst.pool.release(conn)
        assert (await burst.client.get(f"{API}/me", headers=burst.world.guardian.headers)).status_code == 200

    # --- Finding 5: parallel guesses ---------------------------------------------------------------


async def test_parallel_guesses_at_one_account_check_at_most_its_limit(burst_world):
    async with served(burst_world) as burst:
        calls_before = burst.hasher.calls
        guesses = await asyncio.gather(
            *(post_login(burst.client, burst.clinician.name, f"guess {i}") for i in range(25))
        )
        statuses = sorted(g.status_code for g in guesses)
        assert statuses == [401] * PER_ACCOUNT + [429] * (25 - PER_ACCOUNT)
        assert burst.hasher.calls - calls_before == PER_ACCOUNT
        for guess in guesses:
            if guess.status_code == 401:
                assert_problem(guess, 401, WRONG_LOGIN)
        # The right password is refused too until the failures age out.
        assert_problem(await post_login(burst.client, burst.clinician.name, PASSWORD), 429)
        burst.world.clock.advance(seconds=burst.world.settings.login_failure_window_seconds)
        assert (await post_login(burst.client, burst.clinician.name, PASSWORD)).status_code == 200


async def test_parallel_guesses_from_one_address_check_at_most_its_limit(burst_world):
    async with served(burst_world) as burst:
        calls_before = burst.hasher.calls
        guesses = await asyncio.gather(
            *(post_login(burst.client, burst.clinician.name + f"-{i}", "x") for i in range(30))
        )
        assert sorted(g.status_code for g in guesses) == [401] * PER_ADDRESS + [429] * (30 - PER_ADDRESS)
        # Unknown usernames are checked against a dummy hash: the same work, counted the same.
        assert burst.hasher.calls - calls_before <= PER_ADDRESS + 1  # + the dummy hash, made once


async def test_parallel_activation_guesses_check_at_most_the_address_limit(burst_world):
    async with served(burst_world) as burst:
        async with database(burst.database_url) as db:
            before = await db.fetchval("select count(*) from sign_in_failures where scope like 'activate-address:%'")
        guesses = await asyncio.gather(*(post_activate(burst.client, f"ZZZZ-ZZZZ-{i:04d}") for i in range(25)))
        assert sorted(g.status_code for g in guesses) == [401] * PER_ADDRESS + [429] * (25 - PER_ADDRESS)
        for guess in guesses:
            if guess.status_code == 401:
                assert_problem(guess, 401, BAD_CODE)
        async with database(burst.database_url) as db:
            after = await db.fetchval(
                "select count(*) from sign_in_failures where scope like 'activate-address:%' and not in_flight"
            )
        assert after - before == PER_ADDRESS


async def test_correct_sign_ins_in_flight_hold_the_limit_only_for_a_moment(burst_world):
    """Attempts still being checked count towards the limit (that is what stops parallel guesses),
    but a correct sign-in refused for them is told to retry in a second, not in fifteen minutes."""
    async with served(burst_world) as burst:
        burst.hasher.gate.clear()
        logins = [
            asyncio.create_task(post_login(burst.client, burst.clinician.name, PASSWORD)) for _ in range(PER_ACCOUNT)
        ]
        try:
            await until(lambda: burst.hasher.inside + burst.secrets.waiting == PER_ACCOUNT)
            extra = await post_login(burst.client, burst.clinician.name, PASSWORD)
            assert_problem(extra, 429)
            assert extra.headers["retry-after"] == "1"
        finally:
            burst.hasher.gate.set()
        assert [a.status_code for a in await asyncio.gather(*logins)] == [200] * PER_ACCOUNT
        assert (await post_login(burst.client, burst.clinician.name, PASSWORD)).status_code == 200
