"""GET /patients/{id}/news2: the NEWS2 scores the rules compute (never stored), one point per
instant a parameter was measured, scored with the patient's rule window and parameters."""

from __future__ import annotations

from datetime import timedelta

from tests.alerts.support import upload
from tests.helpers import API, INFANT, expect, make_patient
from tests.measurements.support import item


def at(moment) -> dict[str, str]:
    return {"measured_at": moment.isoformat()}


def full_set(moment, *, rr: float, spo2: float, pulse: float, temp: float, systolic: float) -> list[dict]:
    return [
        item("respiratory_rate", rr, "/min", **at(moment)),
        item("spo2", spo2, "%", **at(moment)),
        item("heart_rate", pulse, "/min", **at(moment)),
        item("body_temperature", temp, "Cel", **at(moment)),
        item("blood_pressure", unit="mm[Hg]", components={"systolic": systolic, "diastolic": 80}, **at(moment)),
    ]


async def series(client, actor, patient: str, **params) -> dict:
    response = await client.get(f"{API}/patients/{patient}/news2", params=params, headers=actor.headers)
    return await expect(response, 200)


async def test_the_series_scores_each_set_like_the_rules_did(client, world, clock):
    now = clock.now
    patient = await make_patient(client, world.clin_u1, world.unit_u1, "copd", {"spo2_scale": 1})
    # RR 22 → 2, SpO2 93 → 2 (scale 1, air assumed → 0), pulse 95 → 1, temp 37.0 → 0, SBP 120 → 0.
    answer = await upload(
        client,
        world.clin_u1,
        patient,
        *full_set(now - timedelta(hours=3), rr=22, spo2=93, pulse=95, temp=37.0, systolic=120),
    )
    # An hour later, SpO2 and RR alone: the earlier set is outside the 60-minute window.
    await upload(
        client,
        world.clin_u1,
        patient,
        item("spo2", 96, "%", **at(now - timedelta(hours=1, minutes=10))),
        item("respiratory_rate", 25, "/min", **at(now - timedelta(hours=1))),
    )

    body = await series(client, world.clin_u1, patient)
    assert (body["rule"], body["window_minutes"], body["scale"]) == ("news2_high", 60, 1)
    first, second, third = body["items"]
    assert first["total"] == 5 and first["risk"] == "medium" and first["missing"] == ["consciousness"]
    assert first["scores"] == {
        "respiratory_rate": 2,
        "spo2": 2,
        "air_or_oxygen": 0,
        "systolic": 0,
        "heart_rate": 1,
        "temperature": 0,
    }
    assert first["oxygen_assumed_air"] is True
    # The same total the rules raised their NEWS2 alert on.
    raised = await expect(
        await client.get(f"{API}/alerts", params={"patient_id": patient}, headers=world.clin_u1.headers), 200
    )
    news2_alert = next(a for a in raised["items"] if a["rule"] == "news2_medium")
    assert news2_alert["id"] in {a["id"] for a in answer["alerts"]}
    assert news2_alert["worst_value"] == first["total"]
    # One point per instant: SpO2 alone, then SpO2 with the RR ten minutes later (3 → a single 3).
    assert (second["total"], second["scores"]) == (0, {"spo2": 0, "air_or_oxygen": 0})
    assert (third["total"], third["highest_single"], third["risk"]) == (3, 3, "low-medium")
    assert [p["at"] for p in body["items"]] == sorted(p["at"] for p in body["items"])

    # `since` leaves earlier points out, but a reading before it still counts within the window.
    later = await series(client, world.clin_u1, patient, since=(now - timedelta(hours=1, minutes=5)).isoformat())
    assert [(p["total"], sorted(p["scores"])) for p in later["items"]] == [
        (3, ["air_or_oxygen", "respiratory_rate", "spo2"])
    ]


async def test_a_patient_without_a_news2_rule_has_an_empty_series(client, world):
    infant = await make_patient(client, world.clin_u1, world.unit_u1, "premature-home", INFANT)
    await upload(client, world.clin_u1, infant, item("body_temperature", 37.0, "Cel"))
    assert await series(client, world.clin_u1, infant) == {
        "items": [],
        "rule": None,
        "window_minutes": None,
        "scale": None,
    }


async def test_since_is_checked_and_the_series_is_for_the_patients_clinicians(client, world, clock):
    patient = await make_patient(client, world.clin_u1, world.unit_u1, "copd", {"spo2_scale": 1})
    url = f"{API}/patients/{patient}/news2"
    for since in ((clock.now - timedelta(days=32)).isoformat(), "1714000000", "2024-05-01T10:00:00"):
        body = await expect(await client.get(url, params={"since": since}, headers=world.clin_u1.headers), 422)
        assert body["errors"][0]["field"] == "since"
    await expect(await client.get(url, headers=world.clin_u2.headers), 404)
