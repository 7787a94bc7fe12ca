"""Staff administration beyond creating accounts (list, disable, units), a clinician's own units by
name, and the colleagues a clinician can invite to a meeting."""

from __future__ import annotations

import uuid

from tests.helpers import API, PASSWORD, expect, make_clinician, unique


async def test_an_admin_disables_a_nurse_at_once_and_enables_her_again(client, world):
    nurse = await make_clinician(client, world.admin.headers, [world.unit_u1])
    assert (await client.get(f"{API}/me", headers=nurse.headers)).status_code == 200
    changed = await expect(
        await client.patch(f"{API}/users/{nurse.id}", json={"disabled": True}, headers=world.admin.headers), 200
    )
    assert changed["disabled_at"] is not None and changed["unit_ids"] == [world.unit_u1]
    # Her token stops working now, and she cannot sign in again.
    assert (await client.get(f"{API}/me", headers=nurse.headers)).status_code == 401
    login = {"username": nurse.name, "password": PASSWORD}
    assert (await client.post(f"{API}/auth/login", json=login)).status_code == 401
    listed = await expect(
        await client.get(f"{API}/users", params={"unit_id": world.unit_u1}, headers=world.admin.headers), 200
    )
    assert next(u for u in listed["items"] if u["id"] == nurse.id)["disabled_at"] is not None
    enabled = await expect(
        await client.patch(f"{API}/users/{nurse.id}", json={"disabled": False}, headers=world.admin.headers), 200
    )
    assert enabled["disabled_at"] is None
    assert (await client.post(f"{API}/auth/login", json=login)).status_code == 200


async def test_units_are_replaced_and_take_effect_at_once(client, world):
    nurse = await make_clinician(client, world.admin.headers, [world.unit_u1])
    await expect(await client.get(f"{API}/patients/{world.twin_a}", headers=nurse.headers), 200)
    moved = await expect(
        await client.patch(f"{API}/users/{nurse.id}", json={"unit_ids": [world.unit_u2]}, headers=world.admin.headers),
        200,
    )
    assert moved["unit_ids"] == [world.unit_u2]
    await expect(await client.get(f"{API}/patients/{world.twin_a}", headers=nurse.headers), 404)
    await expect(await client.get(f"{API}/patients/{world.p2}", headers=nurse.headers), 200)
    mine = await expect(await client.get(f"{API}/me/units", headers=nurse.headers), 200)
    assert [u["id"] for u in mine["items"]] == [world.unit_u2]
    assert mine["items"][0]["name"].startswith("Lunge") and mine["items"][0]["organisation_kind"] == "hospital"


async def test_bad_changes_are_refused_and_change_nothing(client, world, db):
    nurse = await make_clinician(client, world.admin.headers, [world.unit_u1])
    url = f"{API}/users/{nurse.id}"
    for body, field in (
        ({"unit_ids": []}, "unit_ids"),
        ({"unit_ids": [str(uuid.uuid4())]}, "unit_ids"),
        ({"disabled": "yes"}, "disabled"),
        ({"unit_ids": "x"}, "unit_ids"),
        ({"role": "admin"}, "role"),
    ):
        problem = await expect(await client.patch(url, json=body, headers=world.admin.headers), 422)
        assert problem["errors"][0]["field"] == field
    rows = await db.fetch("select unit_id from unit_memberships where user_id = $1", uuid.UUID(nurse.id))
    assert [str(r["unit_id"]) for r in rows] == [world.unit_u1]
    admin_id = (await expect(await client.get(f"{API}/me", headers=world.admin.headers), 200))["id"]
    problem = await expect(
        await client.patch(f"{API}/users/{admin_id}", json={"disabled": True}, headers=world.admin.headers), 422
    )
    assert problem["errors"][0]["field"] == "disabled"
    await expect(
        await client.patch(f"{API}/users/{uuid.uuid4()}", json={"disabled": True}, headers=world.admin.headers), 404
    )
    # A patient's or guardian's account is not staff: it answers like a missing one.
    await expect(
        await client.patch(f"{API}/users/{world.guardian.id}", json={"disabled": True}, headers=world.admin.headers),
        404,
    )


async def test_clinicians_see_colleagues_of_every_organisation_and_nothing_clinical(client, world):
    organisation = await expect(
        await client.post(
            f"{API}/organisations",
            json={"name": unique("Kommune"), "kind": "municipality"},
            headers=world.admin.headers,
        ),
        201,
    )
    unit = await expect(
        await client.post(
            f"{API}/organisations/{organisation['id']}/units",
            json={"name": "Hjemmetjenesten"},
            headers=world.admin.headers,
        ),
        201,
    )
    municipal = await make_clinician(client, world.admin.headers, [unit["id"]])
    colleagues = await expect(await client.get(f"{API}/colleagues", headers=world.clin_u1.headers), 200)
    found = next(c for c in colleagues["items"] if c["id"] == municipal.id)
    assert found == {
        "id": municipal.id,
        "display_name": municipal.name,
        "profession": "nurse",
        "organisations": organisation["name"],
    }
    await expect(await client.get(f"{API}/colleagues", headers=world.admin.headers), 403)
    await expect(await client.get(f"{API}/colleagues", headers=world.guardian.headers), 403)


async def test_a_units_clinicians_are_whom_its_on_call_list_may_name(client, world):
    # A unit of its own, with a nurse, a physician of it and of another unit, and a disabled nurse.
    unit = await expect(
        await client.post(
            f"{API}/organisations/{world.organisation_id}/units",
            json={"name": unique("Vakt")},
            headers=world.admin.headers,
        ),
        201,
    )
    nurse = await make_clinician(client, world.admin.headers, [unit["id"]])
    both = await make_clinician(client, world.admin.headers, [unit["id"], world.unit_u1], profession="physician")
    gone = await make_clinician(client, world.admin.headers, [unit["id"]])
    await expect(
        await client.patch(f"{API}/users/{gone.id}", json={"disabled": True}, headers=world.admin.headers), 200
    )
    listed = await expect(
        await client.get(f"{API}/colleagues", params={"unit_id": unit["id"]}, headers=nurse.headers), 200
    )
    assert sorted(c["id"] for c in listed["items"]) == sorted([nurse.id, both.id])
    # Only one of your own units, as the worklist's and the patient list's filters.
    response = await client.get(f"{API}/colleagues", params={"unit_id": unit["id"]}, headers=world.clin_u2.headers)
    assert [e["field"] for e in (await expect(response, 422))["errors"]] == ["unit_id"]
