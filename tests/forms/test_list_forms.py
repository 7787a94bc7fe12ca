"""GET /patients/{id}/forms: the newest version of each form of the patient's programmes."""

from __future__ import annotations

from tests.forms.support import response_body, submit
from tests.helpers import API, expect


async def forms_of(client, actor, patient_id: str) -> dict[str, dict]:
    listed = await expect(await client.get(f"{API}/patients/{patient_id}/forms", headers=actor.headers), 200)
    return {form["code"]: form for form in listed["items"]}


async def test_each_programme_shows_its_forms_in_both_languages(client, world, dialysis):
    twin = await forms_of(client, world.guardian, world.twin_a)
    assert set(twin) == {"premature-daily", "premature-worried"}
    assert await forms_of(client, world.clin_u1, world.twin_a) == twin
    copd = await forms_of(client, world.patient_p2, world.p2)
    assert set(copd) == {"copd-symptom-diary", "copd-weekly-wellbeing"}
    assert set(await forms_of(client, dialysis.patient, dialysis.patient_id)) == {"pd-session", "hd-session"}

    daily = twin["premature-daily"]
    assert daily["version"] == 1 and daily["programme"] == "premature-home"
    assert daily["title"] == {"nb": "Daglig sjekk", "en": "Daily check"}
    items = {item["link_id"]: item for item in daily["items"]}
    assert items["wet_nappies"] == {
        "link_id": "wet_nappies",
        "text": items["wet_nappies"]["text"],
        "type": "integer",
        "required": True,
        "min": 0,  # an integer's bounds stay integers on the wire
        "max": 20,
        "unit": "{count}",
        "measurement_type": "wet_nappies",
    }
    assert {o["code"] for o in items["vomit_colour"]["options"]} >= {"none", "green"}
    assert "score" not in daily
    assert copd["copd-weekly-wellbeing"]["score"]["method"] == "sum"


async def test_someone_who_may_not_see_the_patient_gets_404(client, world):
    for actor, patient_id in ((world.clin_u2, world.twin_a), (world.guardian, world.p2), (world.admin, world.p2)):
        await expect(await client.get(f"{API}/patients/{patient_id}/forms", headers=actor.headers), 404)


async def test_a_new_version_is_shown_and_the_old_one_still_accepted(client, world, db, clock):
    """Forms are versioned data: a phone that was offline may answer the version it showed."""
    row = await db.fetchrow("select programme, definition from forms where code = 'premature-worried' and version = 1")
    definition = row["definition"]
    extra = {"link_id": "called_113", "type": "boolean", "required": False, "text": {"nb": "Ringt 113?", "en": "113?"}}
    v2 = {**definition, "items": [*definition["items"], extra]}
    await db.execute(
        "insert into forms (code, version, programme, definition) values ('premature-worried', 2, $1, $2)",
        row["programme"],
        v2,
    )
    try:
        shown = (await forms_of(client, world.guardian, world.twin_b))["premature-worried"]
        assert shown["version"] == 2 and shown["items"][-1]["link_id"] == "called_113"

        at = clock.now
        old = response_body("premature-worried", {"worried": True}, at)
        await expect(await submit(client, world.guardian, world.twin_b, old), 201)
        new = response_body("premature-worried", {"worried": True, "called_113": False}, at, version=2)
        await expect(await submit(client, world.guardian, world.twin_b, new), 201)
        # Each version validates its own items.
        mixed = response_body("premature-worried", {"worried": True, "called_113": False}, at)
        problem = await expect(await submit(client, world.guardian, world.twin_b, mixed), 422)
        assert problem["errors"] == [{"field": "answers.called_113", "message": "not an item of this form"}]
    finally:
        await db.execute("delete from form_responses where form = 'premature-worried' and version = 2")
        await db.execute("delete from forms where code = 'premature-worried' and version = 2")
