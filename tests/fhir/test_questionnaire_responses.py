"""Form responses in the FHIR export: one QuestionnaireResponse each, its answers typed, and the
Observations an answer became pointing back at it."""

from __future__ import annotations

import uuid

from tests.fhir.support import codes, export, resources
from tests.helpers import API, expect, me

LOINC = "http://loinc.org"


async def submit(client, actor, patient_id, form, answers, authored_at="2026-11-22T07:45:00+01:00"):
    body = {"id": str(uuid.uuid4()), "form": form, "version": 1, "authored_at": authored_at, "answers": answers}
    response = await client.post(f"{API}/patients/{patient_id}/form-responses", json=body, headers=actor.headers)
    return body["id"], await expect(response, 201)


async def test_a_parents_daily_check_with_every_answer_type(client, world):
    answers = {"tube_problem": False, "vomit_colour": "green", "wet_nappies": 5, "temperature": 37, "note": "Sover mye"}
    response_id, stored = await submit(client, world.guardian, world.twin_b, "premature-daily", answers)
    bundle = await export(client, world.guardian, world.twin_b)

    qr = resources(bundle, "QuestionnaireResponse")[response_id]
    guardian = await me(client, world.guardian)
    assert qr["questionnaire"] == "urn:heima:form:premature-daily|1"
    assert qr["status"] == "completed"
    assert qr["authored"] == "2026-11-22T06:45:00Z"
    assert qr["subject"] == {"reference": f"urn:uuid:{world.twin_b}", "type": "Patient"}
    assert qr["author"] == {"type": "RelatedPerson", "display": guardian["display_name"]}
    # The form's order, each answer typed by its value and the form: 37 for a decimal item is 37.0.
    assert [(item["linkId"], item["answer"]) for item in qr["item"]] == [
        ("tube_problem", [{"valueBoolean": False}]),
        (
            "vomit_colour",
            [
                {
                    "valueCoding": {
                        "system": "urn:heima:form:premature-daily:vomit_colour",
                        "code": "green",
                        "display": "Grønn (galle)",
                    }
                }
            ],
        ),
        ("wet_nappies", [{"valueInteger": 5}]),
        ("temperature", [{"valueDecimal": 37.0}]),
        ("note", [{"valueString": "Sover mye"}]),
    ]
    assert qr["item"][0]["text"].startswith("Har det vært problemer med sonden")

    # The answers that became measurements are Observations derived from this response.
    full_url = next(e["fullUrl"] for e in bundle["entry"] if e["resource"]["id"] == response_id)
    observations = resources(bundle, "Observation")
    assert len(stored["measurement_ids"]) == 2
    for measurement_id in stored["measurement_ids"]:
        derived = observations[measurement_id]["derivedFrom"]
        assert derived == [{"reference": full_url, "type": "QuestionnaireResponse"}]
    temperature = observations[stored["measurement_ids"][1]]
    assert codes(temperature["code"]) == [(LOINC, "8310-5")]


async def test_a_patients_own_diary_names_the_patient_as_author(client, world):
    answers = {
        "more_breathless": True,
        "sputum_colour_changed": False,
        "sputum_volume_increased": False,
        "new_confusion": False,
        "spo2": 91,
    }
    response_id, stored = await submit(client, world.patient_p2, world.p2, "copd-symptom-diary", answers)
    bundle = await export(client, world.clin_u2, world.p2)
    qr = resources(bundle, "QuestionnaireResponse")[response_id]
    assert qr["author"] == {"reference": f"urn:uuid:{world.p2}", "type": "Patient"}
    assert [item["linkId"] for item in qr["item"]][-1] == "spo2"
    spo2 = resources(bundle, "Observation")[stored["measurement_ids"][0]]
    assert codes(spo2["code"]) == [(LOINC, "59408-5"), (LOINC, "2708-6")]
    # Entries come as Patient, Observations, QuestionnaireResponses.
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds == sorted(kinds, key=["Patient", "Observation", "QuestionnaireResponse"].index)


async def test_stored_answers_the_form_does_not_know_still_export(client, world, db):
    """Rows written by an older client (or by SQL) may hold answers outside the definition."""
    response_id = uuid.uuid4()
    await db.execute(
        """insert into form_responses (patient_id, id, form, version, authored_at, received_at, answers,
                                       recorded_by, recorder_role, content_hash)
           values ($1, $2, 'premature-worried', 1, $3, $3, $4, $5, 'guardian', '\\x00')""",
        uuid.UUID(world.twin_b),
        response_id,
        await db.fetchval("select '2026-11-22T05:00:00Z'::timestamptz"),
        {"worried": True, "legacy_count": 3_000_000_000, "legacy_flags": ["a", "b"], "details": ""},
        uuid.UUID(world.guardian.id),
    )
    bundle = await export(client, world.guardian, world.twin_b)
    qr = resources(bundle, "QuestionnaireResponse")[str(response_id)]
    assert [(item["linkId"], item["answer"]) for item in qr["item"]] == [
        ("worried", [{"valueBoolean": True}]),
        ("legacy_count", [{"valueDecimal": 3e9}]),  # beyond FHIR's 32-bit integer
        ("legacy_flags", [{"valueString": "a"}, {"valueString": "b"}]),
    ]  # "details" was blank: no item
