from tests.helpers import API, expect, me


async def test_guardian_of_twins_is_one_person_linked_to_both(client, world):
    profile = await me(client, world.guardian)
    assert profile["role"] == "guardian"
    assert sorted(profile["patient_ids"]) == sorted([world.twin_a, world.twin_b])
    twin_b = await expect(await client.get(f"{API}/patients/{world.twin_b}", headers=world.guardian.headers), 200)
    assert [g["id"] for g in twin_b["guardians"]] == [world.guardian.id]
