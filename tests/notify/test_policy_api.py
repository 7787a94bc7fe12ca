"""GET/PUT /units/{id}/notification-policy and its history: who may, what is checked, what is kept."""

from __future__ import annotations

import uuid

from tests.helpers import API, expect, make_clinician


def url(unit_id: str, *rest: str) -> str:
    return "/".join([f"{API}/units/{unit_id}/notification-policy", *rest])


NIGHT = {
    "staffed": {"start": "08:00", "end": "22:00"},
    "out_of_hours": {"medium": {"who": "on_call"}},
    "phone": "+47 00 00 00 00",
    "contact_within_hours": 2,
    "reason": "Natt: bare vakthavende",
}


async def new_unit(client, world) -> dict:
    body = {"name": f"Ny {uuid.uuid4().hex[:6]}"}
    response = await client.post(
        f"{API}/organisations/{world.organisation_id}/units", json=body, headers=world.admin.headers
    )
    return await expect(response, 201)


async def test_a_unit_without_a_policy_follows_the_default(client, world):
    unit = await new_unit(client, world)
    body = await expect(await client.get(url(unit["id"]), headers=world.admin.headers), 200)
    assert body["source"] == "default" and body["set_by"] is None and body["staffed_now"] is True
    assert body["policy"]["in_hours"]["low"] == {"who": "everyone", "professions": []}
    assert body["policy"]["medium"] == {"repeat_minutes": 15, "escalate_after_minutes": 60}
    assert body["promise"] is None


async def test_the_units_clinician_sets_it_and_the_history_keeps_who_when_why(client, world, clock):
    # A unit of its own: the shared world's units keep the default.
    unit_id = (await new_unit(client, world))["id"]
    nurse = await make_clinician(client, world.admin.headers, [unit_id])
    body = {**NIGHT, "on_call": [nurse.id]}
    saved = await expect(await client.put(url(unit_id), json=body, headers=nurse.headers), 200)
    assert saved["source"] == "unit" and saved["set_by"] == nurse.id and saved["reason"] == NIGHT["reason"]
    assert saved["contact_within_hours"] == 2
    assert saved["promise"]["en"].startswith("The unit answers within 2 hours between 08:00 and 22:00.")
    clock.advance(seconds=60)
    later = {**body, "contact_within_hours": 4, "reason": "Lengre svartid i helgene"}
    await expect(await client.put(url(unit_id), json=later, headers=world.admin.headers), 200)
    history = await expect(await client.get(url(unit_id, "history"), headers=nurse.headers), 200)
    newest, older = history["items"]
    assert (newest["reason"], newest["contact_within_hours"], newest["superseded_at"]) == (later["reason"], 4, None)
    assert (older["set_by"], older["contact_within_hours"]) == (nurse.id, 2)
    assert older["superseded_at"] == newest["set_at"]
    # The unit's promise follows: contact requests answer with it.
    units = await expect(
        await client.get(f"{API}/organisations/{world.organisation_id}/units", headers=world.admin.headers), 200
    )
    assert next(u for u in units["items"] if u["id"] == unit_id)["contact_within_hours"] == 4


async def test_others_see_nothing_and_families_have_no_say(client, world):
    assert (await client.get(url(world.unit_u1), headers=world.clin_u2.headers)).status_code == 404
    assert (await client.put(url(world.unit_u1), json=NIGHT, headers=world.clin_u2.headers)).status_code == 404
    assert (await client.get(url(str(uuid.uuid4())), headers=world.admin.headers)).status_code == 404
    assert (await client.get(url(world.unit_u1), headers=world.guardian.headers)).status_code == 403


async def test_bad_policies_name_the_field_and_change_nothing(client, world):
    before = await expect(await client.get(url(world.unit_u1, "history"), headers=world.clin_u1.headers), 200)
    cases = [
        ({**NIGHT, "on_call": [world.clin_u2.id]}, "on_call[0]"),  # not a clinician of this unit
        (NIGHT, "on_call"),  # medium goes to an on-call list of nobody
        ({**NIGHT, "on_call": [world.clin_u1.id], "reason": "  "}, "reason"),
        ({**NIGHT, "on_call": [world.clin_u1.id], "staffed": {"start": "8:00", "end": "22:00"}}, "staffed.start"),
        ({**NIGHT, "on_call": [world.clin_u1.id], "high": {"repeat_minutes": "15"}}, "high.repeat_minutes"),
        ({**NIGHT, "on_call": [world.clin_u1.id], "contact_within_hours": 169}, "contact_within_hours"),
        ({**NIGHT, "on_call": [world.clin_u1.id], "time_zone": "Europe/Nowhere"}, "time_zone"),
    ]
    for body, field in cases:
        response = await client.put(url(world.unit_u1), json=body, headers=world.clin_u1.headers)
        problem = await expect(response, 422)
        assert problem["errors"][0]["field"].removeprefix("$.") == field, (field, problem)
    after = await expect(await client.get(url(world.unit_u1, "history"), headers=world.clin_u1.headers), 200)
    assert after == before


async def test_family_settings_are_for_patients_and_guardians(client, world):
    settings = await expect(await client.get(f"{API}/me/notification-settings", headers=world.guardian.headers), 200)
    assert settings == {"seen": True, "handled": True, "reminder": True, "meeting": True}
    response = await client.get(f"{API}/me/notification-settings", headers=world.clin_u1.headers)
    assert response.status_code == 403
    response = await client.put(f"{API}/me/notification-settings", json={"seen": "no"}, headers=world.guardian.headers)
    assert (await expect(response, 422))["errors"][0]["field"].removeprefix("$.") == "seen"
