"""Per-patient parameters that change (docs/api.md, "Patients"): PATCH an enrolment's parameters with a
reason, the history of every version, validation against the programme's schema, and rules that
use the new values from the moment they change."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.alerts.support import alerts_of, upload
from tests.helpers import API, expect, make_patient
from tests.measurements.support import fresh_infant, item


async def enrolment_of(client, actor, patient_id: str) -> dict:
    patient = await expect(await client.get(f"{API}/patients/{patient_id}", headers=actor.headers), 200)
    [enrolment] = patient["enrolments"]
    return enrolment


async def change(client, actor, patient_id: str, enrolment_id: str, body: dict, status: int = 200) -> dict:
    response = await client.patch(
        f"{API}/patients/{patient_id}/enrolments/{enrolment_id}", json=body, headers=actor.headers
    )
    return await expect(response, status)


async def history(client, actor, patient_id: str, enrolment_id: str, status: int = 200) -> dict:
    response = await client.get(f"{API}/patients/{patient_id}/enrolments/{enrolment_id}/history", headers=actor.headers)
    return await expect(response, status)


async def test_only_the_named_parameters_change_and_the_history_says_who_when_why(client, world, clock):
    patient = await fresh_infant(client, world)
    enrolment = await enrolment_of(client, world.clin_u1, patient)
    assert enrolment["parameters"] == {"birth_weight_g": 1650, "prescribed_ml_per_kg_day": 160}

    changed = await change(
        client,
        world.clin_u1,
        patient,
        enrolment["id"],
        {"parameters": {"prescribed_ml_per_kg_day": 170}, "reason": "Vekst under mål, øker planen"},
    )
    assert changed["id"] == enrolment["id"]
    assert changed["parameters"] == {"birth_weight_g": 1650, "prescribed_ml_per_kg_day": 170}
    assert (await enrolment_of(client, world.clin_u1, patient))["parameters"] == changed["parameters"]

    clock.advance(minutes=2)
    await change(
        client,
        world.clin_u1,
        patient,
        enrolment["id"],
        {"parameters": {"feeding_phase": "self_regulating", "prescribed_ml_per_kg_day": None}, "reason": "Sonden ut"},
    )
    items = (await history(client, world.clin_u1, patient, enrolment["id"]))["items"]
    assert [(i["kind"], i["reason"]) for i in items] == [
        ("change", "Sonden ut"),
        ("change", "Vekst under mål, øker planen"),
        ("enrolment", None),
    ]
    newest, first, enrolled = items
    assert newest["parameters"] == {"birth_weight_g": 1650, "feeding_phase": "self_regulating"}
    assert newest["previous"] == {"feeding_phase": None, "prescribed_ml_per_kg_day": 170}
    assert first["previous"] == {"prescribed_ml_per_kg_day": 160}
    assert enrolled["parameters"] == {"birth_weight_g": 1650, "prescribed_ml_per_kg_day": 160}
    assert {i["changed_by"] for i in items} == {world.clin_u1.id}
    assert newest["changed_at"] > first["changed_at"]
    assert all(i["changed_by_name"] for i in items)


async def test_a_resent_change_records_nothing_more(client, world, db):
    patient = await fresh_infant(client, world)
    enrolment = await enrolment_of(client, world.clin_u1, patient)
    body = {"parameters": {"prescribed_ml_per_kg_day": 150}, "reason": "Ny plan"}
    first = await change(client, world.clin_u1, patient, enrolment["id"], body)
    again = await change(client, world.clin_u1, patient, enrolment["id"], body)
    assert again == first
    stored = await db.fetchval(
        "select count(*) from enrolment_parameter_changes where enrolment_id = $1", uuid.UUID(enrolment["id"])
    )
    assert stored == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(
            {"parameters": {"prescribed_ml_per_kg_day": "170"}}, "parameters.prescribed_ml_per_kg_day", id="text"
        ),
        pytest.param(
            {"parameters": {"prescribed_ml_per_kg_day": 400}}, "parameters.prescribed_ml_per_kg_day", id="range"
        ),
        pytest.param({"parameters": {"dry_weight_kg": 70}}, "parameters.dry_weight_kg", id="another programme's"),
        pytest.param({"parameters": {"birth_weight_g": None}}, "parameters.birth_weight_g", id="required removed"),
        pytest.param({"parameters": {"feeding_phase": "bottle"}}, "parameters.feeding_phase", id="not an option"),
        pytest.param({"parameters": {"nappy_logging": True}}, "parameters.nappy_logging", id="bool for a choice"),
        pytest.param({"parameters": {}}, "parameters", id="nothing named"),
        pytest.param({"reason": "   "}, "reason", id="no reason"),
    ],
)
async def test_refused_changes_name_the_field_and_change_nothing(client, world, db, body, field):
    patient = await fresh_infant(client, world)
    enrolment = await enrolment_of(client, world.clin_u1, patient)
    full = {"parameters": {"prescribed_ml_per_kg_day": 170}, "reason": "Test", **body}
    problem = await change(client, world.clin_u1, patient, enrolment["id"], full, status=422)
    assert field in [error["field"] for error in problem["errors"]], problem
    assert (await enrolment_of(client, world.clin_u1, patient))["parameters"] == enrolment["parameters"]
    stored = await db.fetchval(
        "select count(*) from enrolment_parameter_changes where enrolment_id = $1", uuid.UUID(enrolment["id"])
    )
    assert stored == 0


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        pytest.param({"home_oxygen": "yes"}, "parameters.home_oxygen", id="boolean as text"),
        pytest.param({"home_oxygen": 1}, "parameters.home_oxygen", id="boolean as number"),
        pytest.param({"spo2_target_low": 93, "spo2_target_high": 92}, "parameters.spo2_target_low", id="low > high"),
    ],
)
async def test_copd_parameters_are_checked_strictly(client, world, parameters, field):
    patient = await make_patient(client, world.clin_u1, world.unit_u1, "copd", {"spo2_scale": 2})
    enrolment = await enrolment_of(client, world.clin_u1, patient)
    problem = await change(
        client, world.clin_u1, patient, enrolment["id"], {"parameters": parameters, "reason": "x"}, status=422
    )
    assert field in [error["field"] for error in problem["errors"]], problem


async def test_dialysis_schedule_is_a_list_of_weekdays(client, world):
    patient = await make_patient(client, world.clin_u1, world.unit_u1, "home-dialysis", {"dry_weight_kg": 70})
    enrolment = await enrolment_of(client, world.clin_u1, patient)
    url_body = {"parameters": {"modality": "haemodialysis", "session_days": ["mon", "wed", "fri"]}, "reason": "HHD"}
    changed = await change(client, world.clin_u1, patient, enrolment["id"], url_body)
    assert changed["parameters"]["session_days"] == ["mon", "wed", "fri"]
    for days in (["monday"], ["mon", "mon"], "mon", [1]):
        problem = await change(
            client, world.clin_u1, patient, enrolment["id"], {"parameters": {"session_days": days}, "reason": "x"}, 422
        )
        assert problem["errors"][0]["field"] == "parameters.session_days"


async def test_others_get_404_and_an_ended_enrolment_cannot_change(client, world, clock):
    patient = await fresh_infant(client, world)
    enrolment = await enrolment_of(client, world.clin_u1, patient)
    body = {"parameters": {"prescribed_ml_per_kg_day": 170}, "reason": "x"}
    await change(client, world.clin_u2, patient, enrolment["id"], body, status=404)
    await history(client, world.clin_u2, patient, enrolment["id"], status=404)
    await change(client, world.clin_u1, patient, str(uuid.uuid4()), body, status=404)
    await history(client, world.clin_u1, patient, str(uuid.uuid4()), status=404)
    # Another patient's enrolment under this patient's id: not there.
    other = await fresh_infant(client, world)
    await change(client, world.clin_u1, other, enrolment["id"], body, status=404)


async def test_rules_use_the_new_values_from_the_moment_they_change(client, world, clock):
    """Issue 14: a COPD patient put on home oxygen; a later reading that does not say is scored on
    oxygen, an earlier one was scored on air."""
    patient = await make_patient(client, world.clin_u1, world.unit_u1, "copd", {"spo2_scale": 2})
    enrolment = await enrolment_of(client, world.clin_u1, patient)
    at = clock.now - timedelta(minutes=5)
    assert (await upload(client, world.clin_u1, patient, item("spo2", 95, "%", measured_at=at.isoformat())))[
        "alerts"
    ] == []

    await change(
        client, world.clin_u1, patient, enrolment["id"], {"parameters": {"home_oxygen": True}, "reason": "LTOT 2 L/min"}
    )
    clock.advance(minutes=2)
    at = clock.now - timedelta(minutes=5)
    [raised] = (await upload(client, world.clin_u1, patient, item("spo2", 95, "%", measured_at=at.isoformat())))[
        "alerts"
    ]
    [alert] = await alerts_of(client, world.clin_u1, patient)
    assert (alert["id"], alert["rule"]) == (raised["id"], "news2_low")
    assert "SpO2 95→2, O2 yes→2" in alert["explanation"]
