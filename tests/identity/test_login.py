"""Staff sign-in with username and password, and its throttling (per account and per address)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from backend.clock import FrozenClock
from backend.security import Secrets
from backend.settings import Settings
from tests.conftest import START, make_settings
from tests.helpers import PASSWORD, app_client, create_admin, unique
from tests.identity.support import (
    BAD_CODE,
    WRONG_LOGIN,
    assert_problem,
    assert_token_pair,
    get_me,
    new_staff,
    post_activate,
    post_login,
)


async def failures(db: asyncpg.Connection, scope: str) -> int:
    return await db.fetchval("select count(*) from sign_in_failures where scope = $1", scope)


# --- Sign-in ------------------------------------------------------------------------------------


async def test_login_returns_a_bearer_token_pair(client, world, ward, settings):
    username = await new_staff(client, world.admin, ward)
    response = await post_login(client, username, PASSWORD)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert_token_pair(body, settings.access_token_ttl_seconds)
    me = (await get_me(client, body["access_token"])).json()
    assert me["role"] == "clinician"
    assert me["display_name"] == username
    assert me["unit_ids"] == [ward.unit]


async def test_username_is_not_case_sensitive(client, world, ward):
    username = await new_staff(client, world.admin, ward)
    response = await post_login(client, username.upper(), PASSWORD)
    assert response.status_code == 200, response.text


async def test_each_login_is_a_new_session_with_new_tokens(client, world, ward):
    username = await new_staff(client, world.admin, ward)
    first = (await post_login(client, username, PASSWORD)).json()
    second = (await post_login(client, username, PASSWORD)).json()
    assert first["access_token"] != second["access_token"]
    assert first["refresh_token"] != second["refresh_token"]
    for tokens in (first, second):
        assert (await get_me(client, tokens["access_token"])).status_code == 200


async def test_wrong_password_and_unknown_username_answer_identically(client, world, ward):
    username = await new_staff(client, world.admin, ward)
    wrong_password = await post_login(client, username, "not the password")
    unknown_user = await post_login(client, unique("nobody"), PASSWORD)
    assert_problem(wrong_password, 401, WRONG_LOGIN)
    assert_problem(unknown_user, 401, WRONG_LOGIN)
    assert wrong_password.content == unknown_user.content
    assert wrong_password.headers["content-type"] == unknown_user.headers["content-type"]
    assert "retry-after" not in wrong_password.headers


async def test_patient_and_guardian_cannot_sign_in_with_a_password(client, ward, db, settings):
    """Even a patient or guardian user that somehow has a username and password hash (say from an
    identity-provider import) is refused: password sign-in is for staff only."""
    patient = await ward.patient()
    user_ids = []
    for role in ("patient", "guardian"):
        tokens = (await post_activate(client, await ward.code(patient, role))).json()
        user_ids.append((await get_me(client, tokens["access_token"])).json()["id"])
    secrets = Secrets(
        settings.secret_key, time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    password_hash = await secrets.hash_password(PASSWORD)
    unknown = await post_login(client, unique("nobody"), PASSWORD)
    for user_id in user_ids:
        username = unique("family")
        await db.execute(
            "update users set username = $2, password_hash = $3, external_issuer = 'test', external_subject = $4"
            " where id = $1",
            uuid.UUID(user_id),
            username,
            password_hash,
            username,
        )
        response = await post_login(client, username, PASSWORD)
        assert_problem(response, 401, WRONG_LOGIN)
        assert response.content == unknown.content


async def test_disabled_staff_cannot_sign_in_and_their_tokens_stop(client, world, ward, db):
    username = await new_staff(client, world.admin, ward)
    tokens = (await post_login(client, username, PASSWORD)).json()
    await db.execute("update users set disabled_at = now() where lower(username) = lower($1)", username)
    assert_problem(await post_login(client, username, PASSWORD), 401, WRONG_LOGIN)
    assert (await get_me(client, tokens["access_token"])).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"username": "someone"},
        {"password": PASSWORD},
        {"username": "", "password": PASSWORD},
        {"username": "someone", "password": ""},
        {"username": "someone", "password": PASSWORD, "role": "admin"},
        {"username": 42, "password": PASSWORD},
    ],
)
async def test_an_invalid_login_body_is_422(client, body):
    assert_problem(await client.post("/api/v1/auth/login", json=body), 422)


async def test_a_login_body_that_is_not_json_is_400(client):
    response = await client.post(
        "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(response, 400)


# --- Throttling per account ---------------------------------------------------------------------


async def test_account_throttle_answers_429_then_lifts_after_the_window(client, clock, world, ward, settings, db):
    username = await new_staff(client, world.admin, ward)
    limit = settings.login_failures_per_account
    window = settings.login_failure_window_seconds
    for _ in range(limit):
        assert_problem(await post_login(client, username, "wrong"), 401, WRONG_LOGIN)
        clock.advance(seconds=60)
    # Each failure was recorded although its request was rolled back.
    assert await failures(db, f"login-account:{username.lower()}") == limit

    # Even the right password is refused now; the wait ends when the oldest failure ages out.
    response = await post_login(client, username, PASSWORD)
    body = assert_problem(response, 429)
    assert body["title"] == "Too many requests"
    assert response.headers["retry-after"] == str(window - 60 * limit)
    # Any spelling of the username is the same account.
    assert (await post_login(client, username.upper(), PASSWORD)).status_code == 429
    # Throttled attempts do not count, so hammering cannot extend the wait.
    assert await failures(db, f"login-account:{username.lower()}") == limit

    clock.advance(seconds=window - 60 * limit - 1)
    response = await post_login(client, username, PASSWORD)
    assert_problem(response, 429)
    assert response.headers["retry-after"] == "1"

    clock.advance(seconds=1)  # the first failure leaves the window: no permanent lockout
    response = await post_login(client, username, PASSWORD)
    assert response.status_code == 200, response.text
    assert await failures(db, f"login-account:{username.lower()}") == 0


async def test_retry_after_is_whole_seconds_rounded_up(client, clock, world, ward, settings):
    username = await new_staff(client, world.admin, ward)
    for _ in range(settings.login_failures_per_account):
        await post_login(client, username, "wrong")
    clock.advance(seconds=10.25)
    response = await post_login(client, username, PASSWORD)
    assert_problem(response, 429)
    assert response.headers["retry-after"] == str(settings.login_failure_window_seconds - 10)


async def test_a_success_clears_the_account_failures(client, world, ward, settings, db):
    username = await new_staff(client, world.admin, ward)
    almost = settings.login_failures_per_account - 1
    for _ in range(almost):
        assert (await post_login(client, username, "wrong")).status_code == 401
    assert await failures(db, f"login-account:{username.lower()}") == almost
    assert (await post_login(client, username, PASSWORD)).status_code == 200
    assert await failures(db, f"login-account:{username.lower()}") == 0
    for _ in range(almost):
        assert (await post_login(client, username, "wrong")).status_code == 401
    # Without the reset this would be failure number 2 × (limit - 1) ≥ limit: throttled.
    assert (await post_login(client, username, PASSWORD)).status_code == 200


async def test_one_throttled_account_does_not_block_another(client, world, ward, settings):
    victim = await new_staff(client, world.admin, ward)
    colleague = await new_staff(client, world.admin, ward)
    for _ in range(settings.login_failures_per_account):
        await post_login(client, victim, "wrong")
    assert (await post_login(client, victim, PASSWORD)).status_code == 429
    assert (await post_login(client, colleague, PASSWORD)).status_code == 200


# --- Throttling per address (an app of its own, with a low limit and its own database) -----------

PER_ADDRESS = 4


@dataclass
class Isolated:
    client: AsyncTestClient
    clock: FrozenClock
    settings: Settings
    admin: str


@pytest.fixture(scope="module")
async def isolated(new_database, redis_url) -> AsyncIterator[Isolated]:
    """Its own database: the per-address count is shared by every request of the test client."""
    database_url = await new_database()
    settings = make_settings(database_url, redis_url, login_failures_per_address=PER_ADDRESS)
    admin = unique("admin")
    await create_admin(database_url, settings, admin)
    clock = FrozenClock(START)
    async with app_client(settings, clock) as test_client:
        yield Isolated(test_client, clock, settings, admin)


@pytest.fixture
def iso(isolated: Isolated) -> Isolated:
    """Each test starts at a fresh hour of its own, past every earlier test's failures."""
    isolated.clock.now += timedelta(hours=1)
    return isolated


async def test_address_throttle_spans_usernames(iso):
    for _ in range(PER_ADDRESS):
        assert_problem(await post_login(iso.client, unique("guess"), PASSWORD), 401, WRONG_LOGIN)
    iso.clock.advance(seconds=30)
    # A different, real account with the right password: the address is throttled.
    response = await post_login(iso.client, iso.admin, PASSWORD)
    assert_problem(response, 429)
    assert response.headers["retry-after"] == str(iso.settings.login_failure_window_seconds - 30)
    iso.clock.advance(seconds=iso.settings.login_failure_window_seconds - 30)
    assert (await post_login(iso.client, iso.admin, PASSWORD)).status_code == 200


async def test_a_success_does_not_clear_the_address_failures(iso):
    """A guesser with one real account must not be able to reset the address count."""
    for _ in range(PER_ADDRESS - 1):
        assert (await post_login(iso.client, unique("guess"), PASSWORD)).status_code == 401
    assert (await post_login(iso.client, iso.admin, PASSWORD)).status_code == 200
    assert (await post_login(iso.client, unique("guess"), PASSWORD)).status_code == 401
    assert (await post_login(iso.client, iso.admin, PASSWORD)).status_code == 429


async def test_activation_failures_are_throttled_per_address(iso):
    for _ in range(PER_ADDRESS):
        assert_problem(await post_activate(iso.client, "AAAA-BBBB-CCCC"), 401, BAD_CODE)
    response = await post_activate(iso.client, "AAAA-BBBB-CCCC")
    assert_problem(response, 429)
    assert response.headers["retry-after"] == str(iso.settings.login_failure_window_seconds)
    # Guessing codes does not count against staff sign-in, which has its own scope.
    assert (await post_login(iso.client, iso.admin, PASSWORD)).status_code == 200
