"""GET /units/{unit_id}/overview: a unit's patients with their unresolved alerts and the latest value
of each measurement type, most urgent first; who sees it, and the access log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from tests.alerts.support import acknowledge, set_rule, temperature, upload
from tests.helpers import API, INFANT, Actor, expect, make_clinician, make_patient, unique
from tests.measurements.support import item, weight


@dataclass
class Unit:
    id: str
    nurse: Actor
    fever: str  # an infant with a high-severity fever alert
    cold: str  # an infant with a low-severity temperature alert
    copd: str  # a COPD patient without alerts
    alerts: dict[str, str]


@pytest.fixture
async def unit(client, world, clock) -> Unit:
    response = await client.post(
        f"{API}/organisations/{world.organisation_id}/units", json={"name": unique("Avd")}, headers=world.admin.headers
    )
    unit_id = (await expect(response, 201))["id"]
    nurse = await make_clinician(client, world.admin.headers, [unit_id])
    # Names sorted against urgency, so that the order cannot come from the names.
    fever = await make_patient(client, nurse, unit_id, "premature-home", INFANT, "C fever")
    cold = await make_patient(client, nurse, unit_id, "premature-home", INFANT, "B cold")
    copd = await make_patient(client, nurse, unit_id, "copd", {"spo2_scale": 1}, "A copd")
    alerts = {
        "cold": (await upload(client, nurse, cold, temperature(36.3)))["alerts"][0]["id"],
        "fever": (await upload(client, nurse, fever, temperature(38.7)))["alerts"][0]["id"],
    }
    return Unit(unit_id, nurse, fever, cold, copd, alerts)


async def overview(client, actor: Actor, unit_id: str, status: int = 200) -> dict[str, Any]:
    return await expect(await client.get(f"{API}/units/{unit_id}/overview", headers=actor.headers), status)


def by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in body["patients"]}


async def test_each_patient_with_alerts_and_latest_values_most_urgent_first(client, unit, clock):
    body = await overview(client, unit.nurse, unit.id)
    assert body["unit_id"] == unit.id
    assert [p["id"] for p in body["patients"]] == [unit.fever, unit.cold, unit.copd]
    fever, cold, copd = body["patients"]
    assert fever["display_name"] == "C fever" and fever["programmes"] == ["premature-home"]
    assert fever["worst_severity"] == "high" and fever["open_alerts"] == 1 and fever["acknowledged_alerts"] == 0
    assert fever["alert_counts"] == {"high": 1, "medium": 0, "low": 0}
    [alert] = fever["alerts"]
    assert alert["id"] == unit.alerts["fever"] and alert["status"] == "open" and alert["severity"] == "high"
    [latest] = fever["latest"]
    assert latest["type"] == "body_temperature" and latest["value"] == 38.7 and latest["unit"] == "Cel"
    assert latest["measured_at"] == "2026-11-22T07:00:00Z" and latest["late"] is False
    assert set(fever["never_measured"]) == {"body_weight", "feeding_volume", "wet_nappies", "stools", "vomiting"}
    assert cold["worst_severity"] == "low" and cold["alert_counts"] == {"high": 0, "medium": 0, "low": 1}
    assert copd["worst_severity"] is None and copd["alerts"] == [] and copd["latest"] == []
    assert copd["programmes"] == ["copd"]
    assert set(copd["never_measured"]) == {
        "spo2",
        "heart_rate",
        "respiratory_rate",
        "body_temperature",
        "blood_pressure",
    }


async def test_open_alerts_come_before_acknowledged_ones_of_the_same_severity(client, unit, clock):
    clock.advance(minutes=1)
    second = (await upload(client, unit.nurse, unit.cold, temperature(38.9)))["alerts"][0]["id"]
    body = await overview(client, unit.nurse, unit.id)
    # Two high alerts: the one raised first comes first.
    assert [p["id"] for p in body["patients"]][:2] == [unit.fever, unit.cold]
    await acknowledge(client, unit.nurse, unit.alerts["fever"])
    body = await overview(client, unit.nurse, unit.id)
    assert [p["id"] for p in body["patients"]] == [unit.cold, unit.fever, unit.copd]
    fever = by_id(body)[unit.fever]
    assert fever["open_alerts"] == 0 and fever["acknowledged_alerts"] == 1 and fever["worst_severity"] == "high"
    assert fever["alerts"][0]["acknowledged_at"] is not None
    cold = by_id(body)[unit.cold]
    # Fever and low temperature are separate alerts: the high one first, though raised later.
    assert [a["id"] for a in cold["alerts"]] == [second, unit.alerts["cold"]]
    assert cold["alert_counts"] == {"high": 1, "medium": 0, "low": 1} and cold["open_alerts"] == 2


async def test_latest_value_is_the_newest_measured_even_when_an_older_one_arrives_later(client, unit, clock):
    now = clock.now
    await upload(
        client,
        unit.nurse,
        unit.copd,
        item("spo2", 95, "%", measured_at=(now - timedelta(minutes=10)).isoformat()),
        item("heart_rate", 80, "/min", measured_at=(now - timedelta(hours=3)).isoformat()),
        item("blood_pressure", unit="mm[Hg]", components={"systolic": 128, "diastolic": 82}),
    )
    clock.advance(minutes=5)
    # A phone that was offline delivers an older value afterwards: it is not the latest.
    await upload(
        client, unit.nurse, unit.copd, item("spo2", 91, "%", measured_at=(now - timedelta(hours=2)).isoformat())
    )
    copd = by_id(await overview(client, unit.nurse, unit.id))[unit.copd]
    latest = {v["type"]: v for v in copd["latest"]}
    assert latest["spo2"]["value"] == 95 and latest["spo2"]["late"] is False
    # Measured three hours before it arrived: late.
    assert latest["heart_rate"]["value"] == 80 and latest["heart_rate"]["late"] is True
    assert latest["blood_pressure"]["value"] is None
    assert latest["blood_pressure"]["components"] == {"systolic": 128, "diastolic": 82}
    assert set(copd["never_measured"]) == {"respiratory_rate", "body_temperature"}
    # The programme's order, not the upload's.
    assert [v["type"] for v in copd["latest"]] == ["spo2", "heart_rate", "blood_pressure"]


async def test_a_value_older_than_the_missing_data_rule_allows_is_stale(client, unit, clock):
    now = clock.now
    # premature-home expects a weight every day: weighed four days ago is stale; temperature has no
    # missing-data rule, so it is never stale.
    await upload(client, unit.nurse, unit.cold, weight(2100, measured_at=(now - timedelta(days=4)).isoformat()))
    cold = by_id(await overview(client, unit.nurse, unit.id))[unit.cold]
    latest = {v["type"]: v for v in cold["latest"]}
    assert latest["body_weight"]["stale"] is True and latest["body_weight"]["late"] is True
    assert latest["body_temperature"]["stale"] is False
    assert cold["stale_types"] == ["body_weight"]
    # A weighing this morning is not stale.
    await upload(client, unit.nurse, unit.cold, weight(2150))
    cold = by_id(await overview(client, unit.nurse, unit.id))[unit.cold]
    assert {v["type"]: v["stale"] for v in cold["latest"]}["body_weight"] is False
    # The COPD rule allows four whole days without a registration: five days old is stale.
    await upload(
        client, unit.nurse, unit.copd, item("spo2", 96, "%", measured_at=(now - timedelta(days=6)).isoformat())
    )
    copd = by_id(await overview(client, unit.nurse, unit.id))[unit.copd]
    assert copd["stale_types"] == ["spo2"]
    # The patient's own rules count: with the inactivity rule off, nothing is stale.
    await set_rule(client, unit.nurse, unit.copd, "copd_registration_missing", {"enabled": False, "reason": "Ferie"})
    copd = by_id(await overview(client, unit.nurse, unit.id))[unit.copd]
    assert copd["stale_types"] == [] and copd["latest"][0]["stale"] is False


async def test_stale_types_break_ties_between_patients_without_alerts(client, world, clock):
    response = await client.post(
        f"{API}/organisations/{world.organisation_id}/units", json={"name": unique("Avd")}, headers=world.admin.headers
    )
    unit_id = (await expect(response, 201))["id"]
    nurse = await make_clinician(client, world.admin.headers, [unit_id])
    fresh = await make_patient(client, nurse, unit_id, "copd", {"spo2_scale": 1}, "A fresh")
    stale = await make_patient(client, nurse, unit_id, "copd", {"spo2_scale": 1}, "B stale")
    await upload(client, nurse, fresh, item("spo2", 96, "%"))
    await upload(client, nurse, stale, item("spo2", 96, "%", measured_at=(clock.now - timedelta(days=6)).isoformat()))
    assert [p["id"] for p in (await overview(client, nurse, unit_id))["patients"]] == [stale, fresh]


async def test_one_access_log_row_per_patient_listed(client, unit, db):
    last = await db.fetchval("select coalesce(max(id), 0) from access_log")
    await overview(client, unit.nurse, unit.id)
    rows = await db.fetch("select patient_id, actor_id, resource, action, outcome from access_log where id > $1", last)
    assert sorted(
        (str(r["patient_id"]), str(r["actor_id"]), r["resource"], r["action"], r["outcome"]) for r in rows
    ) == sorted((p, unit.nurse.id, "overview", "read", "allowed") for p in (unit.fever, unit.cold, unit.copd))


async def test_an_ended_enrolment_leaves_the_overview(client, unit, db, clock):
    clock.advance(minutes=5)  # an enrolment ends after it began
    enrolment = await db.fetchval("select id from enrolments where patient_id = $1", uuid.UUID(unit.copd))
    url = f"{API}/patients/{unit.copd}/enrolments/{enrolment}/end"
    await expect(await client.post(url, headers=unit.nurse.headers), 200)
    assert unit.copd not in by_id(await overview(client, unit.nurse, unit.id))


async def test_an_empty_unit_of_yours_is_an_empty_list(client, world):
    response = await client.post(
        f"{API}/organisations/{world.organisation_id}/units", json={"name": unique("Avd")}, headers=world.admin.headers
    )
    unit_id = (await expect(response, 201))["id"]
    nurse = await make_clinician(client, world.admin.headers, [unit_id])
    assert (await overview(client, nurse, unit_id))["patients"] == []


async def test_a_unit_that_is_not_yours_looks_like_no_unit(client, world, unit, db):
    last = await db.fetchval("select coalesce(max(id), 0) from access_log")
    missing = await overview(client, world.clin_u1, str(uuid.uuid4()), 404)
    for clinician in (world.clin_u1, world.clin_u2):
        assert await overview(client, clinician, unit.id, 404) == missing
    for actor in (world.guardian, world.patient_p2, world.admin):
        await overview(client, actor, unit.id, 403)
    await expect(await client.get(f"{API}/units/{unit.id}/overview"), 401)
    assert await db.fetchval("select count(*) from access_log where id > $1", last) == 0
