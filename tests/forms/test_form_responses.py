"""POST /patients/{id}/form-responses: validated, scored, mapped to measurements, idempotent."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from tests.forms.support import counts, last_log_id, log_since, response_body, stamp, submit
from tests.helpers import API, Actor, activate, activation_code, expect, make_patient

DAILY_CHECK = {
    "tube_problem": False,
    "vomit_colour": "green",
    "wet_nappies": 5,
    "temperature": 37.2,
    "note": "Sov godt",
}
DIARY = {"more_breathless": True, "sputum_colour_changed": True, "sputum_volume_increased": False}
WELLBEING = {
    "breath_at_rest": 1,
    "breath_daily_tasks": 3,
    "cough": 2,
    "mucus": 2,
    "tiredness": 4,
    "sleep": 1,
    "worry": 3,
    "social": 1,
}


async def measurement(client, actor, patient_id: str, type_: str, measurement_id: str) -> dict:
    """One measurement as GET /measurements shows it."""
    response = await client.get(
        f"{API}/patients/{patient_id}/measurements", params={"type": type_}, headers=actor.headers
    )
    return next(m for m in (await expect(response, 200))["items"] if m["id"] == measurement_id)


async def test_premature_daily_check_stores_answers_and_two_measurements(client, world, db, clock):
    body = response_body("premature-daily", DAILY_CHECK, clock.now - timedelta(minutes=20))
    log_from = await last_log_id(db)
    created = await expect(await submit(client, world.guardian, world.twin_a, body), 201)

    response_id = uuid.UUID(body["id"])
    expected_ids = [str(uuid.uuid5(response_id, "wet_nappies")), str(uuid.uuid5(response_id, "temperature"))]
    # No score on this form; the green (bilious) vomit in DAILY_CHECK is an emergency alert.
    assert {k: v for k, v in created.items() if k != "alerts"} == {"id": body["id"], "measurement_ids": expected_ids}
    assert [alert["severity"] for alert in created["alerts"]] == ["high"]
    assert await log_since(db, log_from, world.twin_a) == [("form-responses", "write", "allowed")]

    # The mapped answers are ordinary measurements, measured when the form was filled in.
    nappies = await measurement(client, world.clin_u1, world.twin_a, "wet_nappies", expected_ids[0])
    assert (nappies["value"], nappies["unit"]) == (5.0, "{count}")
    assert nappies["measured_at"] == (clock.now - timedelta(minutes=20)).isoformat().replace("+00:00", "Z")
    assert nappies["recorded_by"] == {"id": world.guardian.id, "role": "guardian"}
    temperature = await measurement(client, world.clin_u1, world.twin_a, "body_temperature", expected_ids[1])
    assert (temperature["value"], temperature["attributes"]) == (37.2, {"site": "axillary"})

    row = await db.fetchrow(
        "select * from form_responses where patient_id = $1 and id = $2", uuid.UUID(world.twin_a), response_id
    )
    assert row["answers"] == DAILY_CHECK
    assert (row["form"], row["version"], row["score"]) == ("premature-daily", 1, None)
    assert [str(i) for i in row["measurement_ids"]] == expected_ids
    assert (row["received_at"], row["recorder_role"]) == (clock.now, "guardian")


async def test_an_identical_resend_answers_200_and_stores_nothing_new(client, world, db, clock):
    body = response_body("premature-daily", DAILY_CHECK, clock.now)
    first = await expect(await submit(client, world.guardian, world.twin_b, body), 201)
    before = await counts(db, world.twin_b)
    log_from = await last_log_id(db)

    assert await expect(await submit(client, world.guardian, world.twin_b, body), 200) == first
    # The same instant written with another offset, and 37.2 as it was: still the same response.
    same = {**body, "authored_at": clock.now.isoformat()}
    assert await expect(await submit(client, world.guardian, world.twin_b, same), 200) == first
    assert await counts(db, world.twin_b) == before
    assert await log_since(db, log_from, world.twin_b) == [("form-responses", "write", "allowed")] * 2


async def test_same_id_with_other_content_is_a_conflict(client, world, db, clock):
    body = response_body("premature-daily", DAILY_CHECK, clock.now)
    await expect(await submit(client, world.guardian, world.twin_a, body), 201)
    before = await counts(db, world.twin_a)
    changed = {**body, "answers": {**DAILY_CHECK, "wet_nappies": 6}}
    problem = await expect(await submit(client, world.guardian, world.twin_a, changed), 409)
    assert problem["status"] == 409 and problem["title"] == "Conflict"
    assert await counts(db, world.twin_a) == before
    stored = await db.fetchval(
        "select answers from form_responses where patient_id = $1 and id = $2",
        uuid.UUID(world.twin_a),
        uuid.UUID(body["id"]),
    )
    assert stored["wet_nappies"] == 5


async def test_the_same_id_sent_twice_at_once_is_stored_once(client, world, db, clock):
    body = response_body("premature-daily", DAILY_CHECK, clock.now)
    before = await counts(db, world.twin_a)
    answers = await asyncio.gather(*(submit(client, world.guardian, world.twin_a, body) for _ in range(2)))
    assert sorted(r.status_code for r in answers) == [200, 201]
    assert answers[0].json() == answers[1].json()
    after = await counts(db, world.twin_a)
    assert (after["responses"], after["measurements"]) == (before["responses"] + 1, before["measurements"] + 2)


async def test_copd_diary_maps_spo2_and_pulse(client, world, clock):
    answers = {**DIARY, "new_confusion": False, "spo2": 91, "heart_rate": 96}
    body = response_body("copd-symptom-diary", answers, clock.now)
    created = await expect(await submit(client, world.patient_p2, world.p2, body), 201)
    assert len(created["measurement_ids"]) == 2 and "score" not in created
    spo2 = await measurement(client, world.clin_u2, world.p2, "spo2", created["measurement_ids"][0])
    pulse = await measurement(client, world.clin_u2, world.p2, "heart_rate", created["measurement_ids"][1])
    assert (spo2["value"], spo2["unit"], pulse["value"], pulse["unit"]) == (91.0, "%", 96.0, "/min")


async def test_copd_diary_without_optional_readings_maps_nothing(client, world, db, clock):
    before = await counts(db, world.p2)
    body = response_body("copd-symptom-diary", {**DIARY, "new_confusion": True}, clock.now)
    created = await expect(await submit(client, world.patient_p2, world.p2, body), 201)
    assert created["measurement_ids"] == []
    after = await counts(db, world.p2)
    assert (after["responses"], after["measurements"]) == (before["responses"] + 1, before["measurements"])


async def test_weekly_wellbeing_is_scored_as_the_sum(client, world, db, clock):
    body = response_body("copd-weekly-wellbeing", WELLBEING, clock.now)
    created = await expect(await submit(client, world.patient_p2, world.p2, body), 201)
    assert created["score"] == 17.0 and created["measurement_ids"] == []
    # The score is stored and comes back unchanged on a resend.
    assert await expect(await submit(client, world.patient_p2, world.p2, body), 200) == created
    stored = await db.fetchval("select score from form_responses where id = $1", uuid.UUID(body["id"]))
    assert stored == 17.0
    worst = response_body("copd-weekly-wellbeing", dict.fromkeys(WELLBEING, 5), clock.now)
    assert (await expect(await submit(client, world.clin_u2, world.p2, worst), 201))["score"] == 40.0


async def test_pd_session_maps_effluent_ultrafiltration_and_weight(client, dialysis, clock):
    answers = {"effluent": "cloudy", "abdominal_pain": True, "net_uf": 850, "weight": 71.4}
    body = response_body("pd-session", answers, clock.now - timedelta(hours=1))
    created = await expect(await submit(client, dialysis.patient, dialysis.patient_id, body), 201)
    assert len(created["measurement_ids"]) == 3
    effluent_id, uf_id, weight_id = created["measurement_ids"]
    who = (client, dialysis.patient, dialysis.patient_id)
    effluent = await measurement(*who, "effluent_appearance", effluent_id)
    assert (effluent["value"], effluent["unit"]) == ("cloudy", "1")
    uf = await measurement(*who, "ultrafiltration_volume", uf_id)
    assert (uf["value"], uf["unit"]) == (850.0, "mL")
    # Stored in the type's canonical unit, the phone's value kept as the original.
    weight = await measurement(*who, "body_weight", weight_id)
    assert (weight["value"], weight["unit"], weight["original"]) == (71400.0, "g", {"value": 71.4, "unit": "kg"})


async def test_pd_session_without_weight(client, dialysis, clock):
    body = response_body("pd-session", {"effluent": "clear", "abdominal_pain": False, "net_uf": -120}, clock.now)
    created = await expect(await submit(client, dialysis.patient, dialysis.patient_id, body), 201)
    assert created["measurement_ids"] == [
        str(uuid.uuid5(uuid.UUID(body["id"]), "effluent")),
        str(uuid.uuid5(uuid.UUID(body["id"]), "net_uf")),
    ]


# Each: (what the phone sends, instead of a valid daily check) -> the field the 422 names.
INVALID = [
    ({"form": "no-such-form"}, "form"),
    ({"version": 9}, "version"),
    ({"form": "copd-symptom-diary", "answers": {**DIARY, "new_confusion": False}}, "form"),  # not the twin's programme
    ({"answers": {k: v for k, v in DAILY_CHECK.items() if k != "wet_nappies"}}, "answers.wet_nappies"),
    ({"answers": {**DAILY_CHECK, "wet_nappies": "5"}}, "answers.wet_nappies"),
    ({"answers": {**DAILY_CHECK, "wet_nappies": 5.0}}, "answers.wet_nappies"),
    ({"answers": {**DAILY_CHECK, "wet_nappies": 5.5}}, "answers.wet_nappies"),
    ({"answers": {**DAILY_CHECK, "wet_nappies": 21}}, "answers.wet_nappies"),
    ({"answers": {**DAILY_CHECK, "tube_problem": 0}}, "answers.tube_problem"),
    ({"answers": {**DAILY_CHECK, "tube_problem": "false"}}, "answers.tube_problem"),
    ({"answers": {**DAILY_CHECK, "temperature": "37.2"}}, "answers.temperature"),
    ({"answers": {**DAILY_CHECK, "temperature": 45.1}}, "answers.temperature"),
    ({"answers": {**DAILY_CHECK, "vomit_colour": "blue"}}, "answers.vomit_colour"),
    ({"answers": {**DAILY_CHECK, "note": None}}, "answers.note"),
    ({"answers": {**DAILY_CHECK, "note": "x" * 2001}}, "answers.note"),
    ({"answers": {**DAILY_CHECK, "weight": 2.1}}, "answers.weight"),
    ({"authored_at": "FUTURE"}, "authored_at"),
    ({"authored_at": "2026-11-22T08:00:00"}, "authored_at"),  # no offset
    ({"authored_at": 0}, "authored_at"),
    # The twins are born 2026-10-01 in Oslo (+02:00 then): half an hour before their day of birth.
    ({"authored_at": "2026-09-30T23:30:00+02:00"}, "authored_at"),
    ({"answers": "5 wet nappies"}, "answers"),
    ({"is_final": True}, "is_final"),
]


@pytest.mark.parametrize(("overrides", "field"), INVALID, ids=[f"{f}:{i}" for i, (_, f) in enumerate(INVALID)])
async def test_invalid_responses_are_refused_and_store_nothing(client, world, db, clock, overrides, field):
    body = response_body("premature-daily", DAILY_CHECK, clock.now)
    if overrides.get("authored_at") == "FUTURE":
        overrides = {"authored_at": stamp(clock.now + timedelta(minutes=5, seconds=1))}
    before = await counts(db, world.twin_a)
    problem = await expect(await submit(client, world.guardian, world.twin_a, {**body, **overrides}), 422)
    assert problem["errors"][0]["field"] == field, problem
    assert problem["errors"][0]["message"]
    assert await counts(db, world.twin_a) == before


async def test_every_wrong_answer_is_reported_at_once(client, world, clock):
    answers = {"tube_problem": "no", "vomit_colour": "none", "wet_nappies": -1, "colour": "green"}
    problem = await expect(
        await submit(client, world.guardian, world.twin_a, response_body("premature-daily", answers, clock.now)), 422
    )
    assert sorted(e["field"] for e in problem["errors"]) == [
        "answers.colour",
        "answers.tube_problem",
        "answers.wet_nappies",
    ]


async def test_a_phone_clock_up_to_five_minutes_ahead_is_accepted(client, world, clock):
    body = response_body("premature-worried", {"worried": True}, clock.now + timedelta(minutes=5))
    await expect(await submit(client, world.guardian, world.twin_a, body), 201)


async def test_a_guardian_of_another_child_gets_404_and_nothing_is_stored(client, world, db, clock):
    body = response_body("copd-symptom-diary", {**DIARY, "new_confusion": False, "spo2": 93}, clock.now)
    before = await counts(db, world.p2)
    log_from = await last_log_id(db)
    problem = await expect(await submit(client, world.guardian, world.p2, body), 404)
    missing = await expect(await submit(client, world.guardian, str(uuid.uuid4()), body), 404)
    assert problem == missing  # "not yours" looks exactly like "not there"
    assert await counts(db, world.p2) == before
    assert await log_since(db, log_from, world.p2) == [("form-responses", "write", "denied")]
    # A clinician of another unit neither.
    daily = response_body("premature-daily", DAILY_CHECK, clock.now)
    await expect(await submit(client, world.clin_u2, world.twin_a, daily), 404)


async def test_answers_written_before_a_discharge_are_accepted_after_it(client, world, db, clock):
    """An offline phone delivers after the enrolment ended: accepted if written while enrolled."""
    patient_id = await make_patient(client, world.clin_u1, world.unit_u1, "home-dialysis", {"dry_weight_kg": 60})
    tokens = await activate(client, await activation_code(client, world.clin_u1, patient_id, "patient"))
    phone = Actor("discharged", "patient", tokens["access_token"])
    patient = await expect(await client.get(f"{API}/patients/{patient_id}", headers=world.clin_u1.headers), 200)
    written = clock.now + timedelta(minutes=5)
    clock.advance(minutes=10)
    url = f"{API}/patients/{patient_id}/enrolments/{patient['enrolments'][0]['id']}/end"
    await expect(await client.post(url, headers=world.clin_u1.headers), 200)
    clock.advance(minutes=1)

    answers = {"effluent": "clear", "abdominal_pain": False, "net_uf": 400}
    await expect(await submit(client, phone, patient_id, response_body("pd-session", answers, written)), 201)
    after_discharge = response_body("pd-session", answers, clock.now)
    problem = await expect(await submit(client, phone, patient_id, after_discharge), 422)
    assert problem["errors"][0]["field"] == "form"
    assert (await counts(db, patient_id))["responses"] == 1
    # Nor does the discharged patient see the programme's forms any more.
    listed = await expect(await client.get(f"{API}/patients/{patient_id}/forms", headers=phone.headers), 200)
    assert listed == {"items": []}
