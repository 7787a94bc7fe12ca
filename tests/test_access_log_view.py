"""What a family sees in a patient's access log (GET /patients/{id}/access-log)."""

from __future__ import annotations

from tests.helpers import API, expect


async def test_another_familys_member_shows_as_another_user(client, world):
    # Patient P2 (another family) tries twin A's id: denied, and logged on twin A.
    await expect(await client.get(f"{API}/patients/{world.twin_a}", headers=world.patient_p2.headers), 404)
    await expect(await client.get(f"{API}/patients/{world.twin_a}", headers=world.clin_u1.headers), 200)
    log = await expect(
        await client.get(f"{API}/patients/{world.twin_a}/access-log", headers=world.guardian.headers), 200
    )
    outsider = [e for e in log["items"] if e["actor_role"] == "patient"]
    assert outsider and all(e["actor_name"] == "another user" and e["actor_id"] is None for e in outsider)
    assert all(e["outcome"] == "denied" for e in outsider)
    names = {e["actor_id"]: e["actor_name"] for e in log["items"] if e["actor_id"]}
    assert names[world.clin_u1.id] != "another user"  # staff are named
    assert names[world.guardian.id] != "another user"  # and so is the family itself
