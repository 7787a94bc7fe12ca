"""Access tokens, refresh rotation (with reuse detection), logout and `GET /me`."""

from __future__ import annotations

import uuid

import pytest

from backend.identity.service import REFRESH_REPLAY_GRACE
from tests.helpers import API, PASSWORD
from tests.identity.support import (
    BAD_REFRESH,
    WWW_AUTHENTICATE,
    assert_not_signed_in,
    assert_problem,
    assert_token_pair,
    device_code,
    get_me,
    new_staff,
    post_activate,
    post_login,
    post_logout,
    post_refresh,
    tokens_of,
)

GRACE = REFRESH_REPLAY_GRACE.total_seconds()


@pytest.fixture
async def staff(client, world, ward) -> str:
    return await new_staff(client, world.admin, ward)


async def sign_in(client, username: str) -> dict:
    return await tokens_of(await post_login(client, username, PASSWORD))


async def works(client, tokens: dict) -> bool:
    response = await get_me(client, tokens["access_token"])
    if response.status_code == 401:
        assert_not_signed_in(response)
        return False
    assert response.status_code == 200, response.text
    return True


async def refreshed(client, tokens: dict) -> dict:
    return await tokens_of(await post_refresh(client, tokens["refresh_token"]))


# --- Access tokens ------------------------------------------------------------------------------


async def test_an_access_token_expires_while_the_refresh_token_still_works(client, clock, staff, settings):
    tokens = await sign_in(client, staff)
    clock.advance(seconds=settings.access_token_ttl_seconds - 1)
    assert await works(client, tokens)
    clock.advance(seconds=1)
    response = await get_me(client, tokens["access_token"])
    assert_not_signed_in(response)
    assert response.headers["www-authenticate"] == WWW_AUTHENTICATE

    fresh = await refreshed(client, tokens)
    assert_token_pair(fresh, settings.access_token_ttl_seconds)
    assert await works(client, fresh)


async def test_a_refresh_token_expires_after_its_time_to_live(client, clock, staff, settings):
    tokens = await sign_in(client, staff)
    clock.advance(seconds=settings.refresh_token_ttl_seconds)
    assert_problem(await post_refresh(client, tokens["refresh_token"]), 401, BAD_REFRESH)


# --- Refresh ------------------------------------------------------------------------------------


async def test_refresh_returns_a_new_pair_and_ends_the_old_access_token(client, staff, settings):
    first = await sign_in(client, staff)
    second = await refreshed(client, first)
    assert_token_pair(second, settings.access_token_ttl_seconds)
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert not await works(client, first)  # rotation ends the access token issued before it
    assert await works(client, second)
    # The same session: the chain goes on.
    third = await refreshed(client, second)
    assert await works(client, third)
    assert not await works(client, second)


async def test_the_old_refresh_token_stops_working(client, clock, staff):
    first = await sign_in(client, staff)
    await refreshed(client, first)
    clock.advance(seconds=GRACE + 1)
    assert_problem(await post_refresh(client, first["refresh_token"]), 401, BAD_REFRESH)


async def test_reuse_after_the_grace_revokes_the_whole_family(client, clock, staff, db):
    first = await sign_in(client, staff)
    other_device = await sign_in(client, staff)
    second = await refreshed(client, first)
    third = await refreshed(client, second)
    clock.advance(seconds=GRACE + 1)

    # A stolen, already used refresh token comes back: the whole session ends.
    assert_problem(await post_refresh(client, first["refresh_token"]), 401, BAD_REFRESH)
    assert not await works(client, third)
    assert_problem(await post_refresh(client, third["refresh_token"]), 401, BAD_REFRESH)
    reason = await db.fetchval(
        "select s.revoked_reason from auth_sessions s join users u on u.id = s.user_id"
        " where lower(u.username) = lower($1) and s.revoked_at is not null",
        staff,
    )
    assert reason == "refresh token reused"
    # Another sign-in of the same person is another family: untouched.
    assert await works(client, other_device)
    assert await works(client, await refreshed(client, other_device))


async def test_a_replay_within_the_grace_gets_a_fresh_pair_without_forking(client, clock, staff):
    """The phone refreshed at 3 am, the answer was lost, and it sends the same token again."""
    first = await sign_in(client, staff)
    lost = await refreshed(client, first)
    clock.advance(seconds=GRACE - 1)
    replayed = await refreshed(client, first)
    assert replayed["access_token"] != lost["access_token"]
    assert replayed["refresh_token"] != lost["refresh_token"]
    assert await works(client, replayed)
    assert not await works(client, lost)
    # The pair issued with the lost answer is dead: one live chain, never two. Whoever presents
    # its refresh token was not the one who lost it, so that is reuse: the family ends.
    assert_problem(await post_refresh(client, lost["refresh_token"]), 401, BAD_REFRESH)
    assert not await works(client, replayed)
    assert_problem(await post_refresh(client, replayed["refresh_token"]), 401, BAD_REFRESH)


async def test_a_replay_can_be_repeated_within_the_grace(client, clock, staff):
    """Every answer lost: each retry within the grace still gets a pair, the last one lives."""
    first = await sign_in(client, staff)
    answers = [await refreshed(client, first)]
    for _ in range(2):
        clock.advance(seconds=GRACE / 3)
        answers.append(await refreshed(client, first))
    assert [await works(client, tokens) for tokens in answers] == [False, False, True]
    assert await works(client, await refreshed(client, answers[-1]))


async def test_the_replayed_chain_goes_on(client, clock, staff):
    first = await sign_in(client, staff)
    await refreshed(client, first)
    clock.advance(seconds=5)
    replayed = await refreshed(client, first)
    clock.advance(seconds=600)
    after = await refreshed(client, replayed)
    assert await works(client, after)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("garbage", id="garbage"),
        pytest.param("heima_rt_" + "x" * 43, id="unknown"),
        pytest.param(None, id="access-token-as-refresh-token"),
    ],
)
async def test_a_refresh_token_that_was_never_issued_is_401(client, staff, token):
    tokens = await sign_in(client, staff)
    response = await post_refresh(client, token or tokens["access_token"])
    assert_problem(response, 401, BAD_REFRESH)
    assert await works(client, tokens)  # nothing was revoked


@pytest.mark.parametrize("body", [{}, {"refresh_token": ""}, {"refresh_token": "x" * 201}, {"refresh_token": 1}])
async def test_an_invalid_refresh_body_is_422(client, body):
    assert_problem(await client.post(f"{API}/auth/refresh", json=body), 422)


# --- Logout -------------------------------------------------------------------------------------


async def test_logout_ends_this_session_at_once_and_only_this_one(client, staff):
    laptop = await sign_in(client, staff)
    desktop = await sign_in(client, staff)
    response = await post_logout(client, laptop["access_token"])
    assert response.status_code == 204
    assert response.content == b""
    assert not await works(client, laptop)
    assert_problem(await post_refresh(client, laptop["refresh_token"]), 401, BAD_REFRESH)
    assert_not_signed_in(await post_logout(client, laptop["access_token"]))
    # The other sign-in keeps working, refresh included.
    assert await works(client, desktop)
    assert await works(client, await refreshed(client, desktop))


async def test_logging_out_one_phone_leaves_the_other(client, ward):
    patient = await ward.patient()
    old_phone = await tokens_of(await post_activate(client, await ward.code(patient, "patient"), "old phone"))
    new_phone = await tokens_of(await post_activate(client, await device_code(client, old_phone), "new phone"))
    assert (await post_logout(client, old_phone["access_token"])).status_code == 204
    assert not await works(client, old_phone)
    assert await works(client, new_phone)


async def test_logout_after_refresh_ends_the_refreshed_pair(client, staff):
    first = await sign_in(client, staff)
    second = await refreshed(client, first)
    assert (await post_logout(client, second["access_token"])).status_code == 204
    assert_problem(await post_refresh(client, second["refresh_token"]), 401, BAD_REFRESH)


async def test_logout_needs_a_token(client):
    assert_not_signed_in(await client.post(f"{API}/auth/logout"))


# --- GET /me ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["admin", "clin_u1", "clin_u2", "guardian", "patient_p2"])
async def test_me_describes_each_role(client, world, name):
    actor = getattr(world, name)
    response = await client.get(f"{API}/me", headers=actor.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"id", "role", "display_name", "patient_ids", "unit_ids"}
    uuid.UUID(body["id"])
    assert isinstance(body["display_name"], str) and body["display_name"]
    expected = {
        "admin": ("admin", [], []),
        "clin_u1": ("clinician", [], [world.unit_u1]),
        "clin_u2": ("clinician", [], [world.unit_u2]),
        "guardian": ("guardian", sorted([world.twin_a, world.twin_b]), []),
        "patient_p2": ("patient", [world.p2], []),
    }[name]
    assert (body["role"], sorted(body["patient_ids"]), body["unit_ids"]) == expected
    if actor.id is not None:
        assert body["id"] == actor.id


async def test_the_bearer_scheme_is_case_insensitive(client, world):
    response = await client.get(f"{API}/me", headers={"Authorization": f"bearer {world.admin.token}"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(None, id="no-header"),
        pytest.param("", id="empty"),
        pytest.param("Bearer", id="scheme-only"),
        pytest.param("Bearer ", id="scheme-and-space"),
        pytest.param("Basic YWRtaW46cGFzc3dvcmQ=", id="basic"),
        pytest.param("{access}", id="no-scheme"),
        pytest.param("Token {access}", id="other-scheme"),
        pytest.param("Bearer {refresh}", id="refresh-token-as-access-token"),
        pytest.param("Bearer {access}x", id="altered"),
        pytest.param("Bearer heima_at_" + "x" * 43, id="never-issued"),
        pytest.param("Bearer heima_at_" + "x" * 300, id="too-long"),
        pytest.param("Bearer  {access}", id="two-spaces"),
    ],
)
async def test_a_missing_or_malformed_token_is_401(client, staff, header):
    tokens = await sign_in(client, staff)
    headers = {}
    if header is not None:
        headers["Authorization"] = header.format(access=tokens["access_token"], refresh=tokens["refresh_token"])
    response = await client.get(f"{API}/me", headers=headers)
    assert_not_signed_in(response)


async def test_a_refused_token_gives_its_database_connection_back(client):
    """Ten refused requests must not exhaust a pool of ten: each gives its connection back."""
    pool = client.app.state.db_pool
    for _ in range(3):
        assert_not_signed_in(await client.get(f"{API}/me"))
        assert_not_signed_in(await client.get(f"{API}/me", headers={"Authorization": "Bearer heima_at_nope"}))
    assert pool.get_idle_size() == pool.get_size(), "a 401 left its connection checked out, in its transaction"
