"""Contact requests: create (idempotent by the client's id), list, and handle."""

from __future__ import annotations

import uuid

import pytest

from tests.forms.support import counts, last_log_id, log_since
from tests.helpers import API, expect, make_clinician, make_patient


def url(patient_id: str, *rest: str) -> str:
    return "/".join([f"{API}/patients/{patient_id}/contact-requests", *rest])


async def test_a_guardian_asks_and_a_clinician_handles(client, world, db, clock):
    log_from = await last_log_id(db)
    created = await expect(
        await client.post(url(world.twin_a), json={"message": "Kan noen ringe oss?"}, headers=world.guardian.headers),
        201,
    )
    assert created["status"] == "open" and created["patient_id"] == world.twin_a
    assert created["created_by"] == {"id": world.guardian.id, "role": "guardian"}
    assert created["created_at"] == clock.now.isoformat().replace("+00:00", "Z")
    assert (created["handled_by"], created["handled_at"]) == (None, None)
    # What the parent reads: the care team has it; the unit follows the default (always staffed).
    assert created["reply"]["en"] == "Your care team has your message. In an emergency, call 113."

    open_ = await expect(
        await client.get(url(world.twin_a), params={"status": "open"}, headers=world.clin_u1.headers), 200
    )
    assert {**created, "reply": None} in open_["items"]  # lists carry no reply

    # Only clinicians handle; a guardian is told so (they may see the patient).
    await expect(await client.post(url(world.twin_a, created["id"], "handle"), headers=world.guardian.headers), 403)
    clock.advance(minutes=3)
    handled = await expect(
        await client.post(url(world.twin_a, created["id"], "handle"), headers=world.clin_u1.headers), 200
    )
    assert handled["status"] == "handled" and handled["handled_by"] == world.clin_u1.id
    # Twice is harmless: the first handling stands.
    clock.advance(minutes=1)
    again = await expect(
        await client.post(url(world.twin_a, created["id"], "handle"), headers=world.clin_u1.headers), 200
    )
    assert again == handled

    open_ = await expect(
        await client.get(url(world.twin_a), params={"status": "open"}, headers=world.guardian.headers), 200
    )
    assert created["id"] not in {item["id"] for item in open_["items"]}
    everything = await expect(await client.get(url(world.twin_a), headers=world.guardian.headers), 200)
    assert handled in everything["items"]
    assert await log_since(db, log_from, world.twin_a) == [
        ("contact-requests", "write", "allowed"),
        ("contact-requests", "read", "allowed"),
        ("contact-requests", "write", "denied"),
        ("contact-requests", "write", "allowed"),
        ("contact-requests", "write", "allowed"),
        ("contact-requests", "read", "allowed"),
        ("contact-requests", "read", "allowed"),
    ]


async def test_a_resend_with_the_same_id_is_200_and_other_content_409(client, world, db):
    body = {"id": str(uuid.uuid4()), "message": "Pusten er verre i dag"}
    first = await expect(await client.post(url(world.p2), json=body, headers=world.patient_p2.headers), 201)
    assert first["id"] == body["id"]
    before = await counts(db, world.p2)
    assert await expect(await client.post(url(world.p2), json=body, headers=world.patient_p2.headers), 200) == first
    changed = {**body, "message": "Pusten er bedre"}
    await expect(await client.post(url(world.p2), json=changed, headers=world.patient_p2.headers), 409)
    assert await counts(db, world.p2) == before


async def test_ids_are_per_patient_so_another_familys_id_neither_collides_nor_shows(client, world, db):
    """The id is the phone's: keyed per patient, the same id from another family is their own new
    request, not a 409 telling them that it exists elsewhere (issue 11)."""
    body = {"id": str(uuid.uuid4()), "message": "Pusten er verre i dag"}
    await expect(await client.post(url(world.p2), json=body, headers=world.patient_p2.headers), 201)
    theirs = {**body, "message": "Kan dere ringe?"}
    created = await expect(await client.post(url(world.twin_a), json=theirs, headers=world.guardian.headers), 201)
    assert (created["id"], created["patient_id"], created["message"]) == (body["id"], world.twin_a, theirs["message"])
    # Each family's resend is still recognised as their own, and handling one leaves the other open.
    await expect(await client.post(url(world.twin_a), json=theirs, headers=world.guardian.headers), 200)
    await expect(await client.post(url(world.twin_a, body["id"], "handle"), headers=world.clin_u1.headers), 200)
    rows = await db.fetch(
        "select patient_id, status from contact_requests where id = $1 order by status", uuid.UUID(body["id"])
    )
    assert [(str(row["patient_id"]), row["status"]) for row in rows] == [(world.twin_a, "handled"), (world.p2, "open")]


@pytest.mark.parametrize(
    "body",
    [{"message": ""}, {"message": "   "}, {"message": "x" * 2001}, {"message": 5}, {}, {"message": "Hei", "id": "x"}],
    ids=["empty", "blank", "too long", "number", "missing", "bad id"],
)
async def test_an_invalid_message_is_refused(client, world, db, body):
    before = await counts(db, world.twin_b)
    problem = await expect(await client.post(url(world.twin_b), json=body, headers=world.guardian.headers), 422)
    assert problem["errors"][0]["field"] in {"message", "id"}
    assert await counts(db, world.twin_b) == before


async def test_others_see_nothing_and_cannot_handle(client, world, db):
    created = await expect(
        await client.post(url(world.twin_b), json={"message": "Ring meg"}, headers=world.guardian.headers), 201
    )
    before = await counts(db, world.twin_b)
    await expect(await client.post(url(world.twin_b), json={"message": "x"}, headers=world.patient_p2.headers), 404)
    await expect(await client.get(url(world.twin_b), headers=world.clin_u2.headers), 404)
    await expect(await client.post(url(world.twin_b, created["id"], "handle"), headers=world.clin_u2.headers), 404)
    # A request of one twin cannot be handled through the other twin's path.
    await expect(await client.post(url(world.twin_a, created["id"], "handle"), headers=world.clin_u1.headers), 404)
    await expect(await client.post(url(world.twin_b, str(uuid.uuid4()), "handle"), headers=world.clin_u1.headers), 404)
    assert await counts(db, world.twin_b) == before
    listed = await expect(await client.get(url(world.twin_b), headers=world.clin_u1.headers), 200)
    assert next(item for item in listed["items"] if item["id"] == created["id"])["status"] == "open"


async def test_an_unknown_status_filter_is_refused(client, world):
    response = await client.get(url(world.twin_a), params={"status": "closed"}, headers=world.clin_u1.headers)
    assert (await expect(response, 422))["errors"][0]["field"] == "status"


async def test_the_answer_names_the_units_promise_to_contact(client, world):
    """The family app tells the family the unit's own promise ("within 4 hours"), not one of its own."""
    body = {"name": f"Lunge {uuid.uuid4().hex[:6]}", "contact_within_hours": 4}
    unit = await expect(
        await client.post(f"{API}/organisations/{world.organisation_id}/units", json=body, headers=world.admin.headers),
        201,
    )
    assert unit["contact_within_hours"] == 4
    clinician = await make_clinician(client, world.admin.headers, [unit["id"]])
    patient = await make_patient(client, clinician, unit["id"], "copd", {"spo2_scale": 1})
    request = {"id": str(uuid.uuid4()), "message": "Ring meg"}
    created = await expect(await client.post(url(patient), json=request, headers=clinician.headers), 201)
    assert created["contact_within_hours"] == 4
    resent = await expect(await client.post(url(patient), json=request, headers=clinician.headers), 200)
    assert resent["contact_within_hours"] == 4
    # A unit that has made no promise says nothing.
    other = await expect(
        await client.post(url(world.twin_a), json={"message": "Ring"}, headers=world.guardian.headers), 201
    )
    assert other["contact_within_hours"] is None


async def test_a_promise_outside_a_week_is_refused(client, world):
    body = {"name": f"Lunge {uuid.uuid4().hex[:6]}", "contact_within_hours": 169}
    response = await client.post(
        f"{API}/organisations/{world.organisation_id}/units", json=body, headers=world.admin.headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].endswith("contact_within_hours")


async def test_handling_every_request_of_an_alert_resolves_it(client, world, db, clock):
    from tests.helpers import INFANT, make_patient

    patient = await make_patient(client, world.clin_u1, world.unit_u1, "premature-home", INFANT)
    first = await expect(
        await client.post(url(patient), json={"message": "Ring oss"}, headers=world.clin_u1.headers), 201
    )
    clock.advance(minutes=2)
    second = await expect(
        await client.post(url(patient), json={"message": "Ring oss igjen"}, headers=world.clin_u1.headers), 201
    )
    alerts = await expect(
        await client.get(f"{API}/alerts", params={"patient_id": patient}, headers=world.clin_u1.headers), 200
    )
    [alert] = alerts["items"]
    assert alert["rule"] == "contact_request" and alert["occurrences"] == 2
    # One of two handled: the alert still waits for the other.
    await expect(await client.post(url(patient, first["id"], "handle"), headers=world.clin_u1.headers), 200)
    still = await expect(
        await client.get(f"{API}/alerts", params={"patient_id": patient}, headers=world.clin_u1.headers), 200
    )
    assert [a["id"] for a in still["items"]] == [alert["id"]]
    clock.advance(minutes=5)
    await expect(await client.post(url(patient, second["id"], "handle"), headers=world.clin_u1.headers), 200)
    resolved = await expect(
        await client.get(
            f"{API}/alerts", params={"patient_id": patient, "status": "resolved"}, headers=world.clin_u1.headers
        ),
        200,
    )
    [done] = resolved["items"]
    assert done["id"] == alert["id"] and done["resolved_by"] == world.clin_u1.id
    assert done["resolved_at"] == clock.now.isoformat().replace("+00:00", "Z")
    assert done["resolution_note"] == "Contact request handled."
    kinds = await db.fetch(
        "select kind, details ->> 'note_nb' as note_nb from alert_events where alert_id = $1 order by id",
        uuid.UUID(alert["id"]),
    )
    assert [(row["kind"], row["note_nb"]) for row in kinds][-1] == ("resolve", "Ønske om kontakt håndtert.")
