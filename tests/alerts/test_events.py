"""GET /alerts/{id}/events: who did what when to one alert, for the clinicians of its patient;
another patient's alert answers exactly like a missing one, and each read is access-logged."""

from __future__ import annotations

import uuid

from tests.alerts.support import acknowledge, resolve, temperature, upload
from tests.helpers import API, expect
from tests.measurements.support import fresh_infant


async def history(client, actor, alert_id: str, **params) -> dict:
    return await expect(await client.get(f"{API}/alerts/{alert_id}/events", params=params, headers=actor.headers), 200)


async def test_the_history_names_each_step_its_actor_evidence_and_note(client, world, db):
    patient = await fresh_infant(client, world)
    low_upload = await upload(client, world.clin_u1, patient, temperature(36.3))
    [low] = low_upload["alerts"]
    await acknowledge(client, world.clin_u1, low["id"])
    await upload(client, world.clin_u1, patient, temperature(35.8))  # a more severe tier: reopened
    await resolve(client, world.clin_u1, low["id"], "Ringte foreldrene.")

    events = (await history(client, world.clin_u1, low["id"]))["items"]
    assert [e["kind"] for e in events] == ["raise", "acknowledge", "update", "resolve"]
    raised, acknowledged, updated, resolved = events
    name = await db.fetchval("select display_name from users where id = $1", uuid.UUID(world.clin_u1.id))
    # Heima raised and updated it; the nurse acknowledged and resolved it, by name.
    assert (raised["actor_id"], raised["actor_name"]) == (None, None)
    assert (acknowledged["actor_id"], acknowledged["actor_name"]) == (world.clin_u1.id, name)
    assert (resolved["actor_id"], resolved["note"]) == (world.clin_u1.id, "Ringte foreldrene.")
    assert resolved["note_nb"] is None  # a clinician's own words are shown as written
    # The evidence of each breach, and the severity it rose from.
    stored = await db.fetch(
        "select id, value from measurements where patient_id = $1 order by value desc", uuid.UUID(patient)
    )
    assert raised["observation_ids"] == [str(stored[0]["id"])] and raised["rule"] == "infant_temperature_low"
    assert updated["observation_ids"] == [str(stored[1]["id"])]
    assert (raised["severity"], raised["severity_before"], raised["late"]) == ("low", None, False)
    assert (updated["severity"], updated["severity_before"]) == ("medium", "low")
    assert all(e["escalation_step"] is None for e in events)
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)

    # Pages: `after` the last id seen.
    first = await history(client, world.clin_u1, low["id"], limit=3)
    assert [e["id"] for e in first["items"]] == [e["id"] for e in events[:3]]
    rest = await history(client, world.clin_u1, low["id"], after=first["next_after"], limit=3)
    assert [e["id"] for e in rest["items"]] == [events[3]["id"]] and rest["next_after"] is None


async def test_another_units_alert_answers_like_a_missing_one_and_reads_are_logged(client, world, db):
    patient = await fresh_infant(client, world)
    [alert] = (await upload(client, world.clin_u1, patient, temperature(38.5)))["alerts"]
    last = await db.fetchval("select coalesce(max(id), 0) from access_log")

    await history(client, world.clin_u1, alert["id"])
    url = f"{API}/alerts/{alert['id']}/events"
    foreign = await expect(await client.get(url, headers=world.clin_u2.headers), 404)
    missing = await expect(await client.get(f"{API}/alerts/{uuid.uuid4()}/events", headers=world.clin_u2.headers), 404)
    assert foreign == missing
    for actor in (world.guardian, world.admin):
        await expect(await client.get(url, headers=actor.headers), 403)

    rows = await db.fetch(
        "select actor_id, resource, action, outcome from access_log where id > $1 and patient_id = $2 order by id",
        last,
        uuid.UUID(patient),
    )
    assert [(str(r["actor_id"]), r["resource"], r["action"], r["outcome"]) for r in rows[:2]] == [
        (world.clin_u1.id, "alerts", "read", "allowed"),
        (world.clin_u2.id, "alerts", "read", "denied"),
    ]


async def test_bad_paging_is_refused_naming_the_field(client, world):
    patient = await fresh_infant(client, world)
    [alert] = (await upload(client, world.clin_u1, patient, temperature(38.5)))["alerts"]
    for params, field in (({"after": "-1"}, "after"), ({"after": "x"}, "after"), ({"limit": "0"}, "limit")):
        response = await client.get(f"{API}/alerts/{alert['id']}/events", params=params, headers=world.clin_u1.headers)
        body = await expect(response, 422)
        assert field in str(body)
