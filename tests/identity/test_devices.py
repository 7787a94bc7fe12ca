"""A user's signed-in devices (`GET /auth/sessions`) and signing one of them out (a lost phone)."""

from __future__ import annotations

from tests.helpers import API, activate, activation_code, bearer, expect, me


async def test_a_parent_sees_each_device_and_signs_a_lost_one_out(client, world):
    twin = world.twin_a
    guardian_id = (await me(client, world.guardian))["id"]
    phone = await activate(client, await activation_code(client, world.clin_u1, twin, "guardian", guardian_id), "Phone")
    lost = await activate(client, await activation_code(client, world.clin_u1, twin, "guardian", guardian_id), "Lost")

    listed = await expect(await client.get(f"{API}/auth/sessions", headers=bearer(phone["access_token"])), 200)
    names = {item["device_name"]: item for item in listed["items"]}
    assert names["Phone"]["current"] is True
    assert names["Lost"]["current"] is False

    revoke = await client.post(
        f"{API}/auth/sessions/{names['Lost']['id']}/revoke", headers=bearer(phone["access_token"])
    )
    assert revoke.status_code == 204
    # The lost phone's tokens stop working at once; the other phone goes on.
    assert (await client.get(f"{API}/me", headers=bearer(lost["access_token"]))).status_code == 401
    refreshed = await client.post(f"{API}/auth/refresh", json={"refresh_token": lost["refresh_token"]})
    assert refreshed.status_code == 401
    after = await expect(await client.get(f"{API}/auth/sessions", headers=bearer(phone["access_token"])), 200)
    assert "Lost" not in {item["device_name"] for item in after["items"]}


async def test_another_users_session_looks_like_none(client, world):
    theirs = await expect(await client.get(f"{API}/auth/sessions", headers=world.patient_p2.headers), 200)
    session_id = theirs["items"][0]["id"]
    response = await client.post(f"{API}/auth/sessions/{session_id}/revoke", headers=world.guardian.headers)
    assert response.status_code == 404
    assert (await client.get(f"{API}/me", headers=world.patient_p2.headers)).status_code == 200
