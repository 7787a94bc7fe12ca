"""GET /reports/tertial: the benefit report of a four-month period, checked against data made here.

One unit of its own, two infants followed for part of the running tertial (T3 2026; the suite's
clock stands at 2026-11-22 07:30Z), alerts acknowledged and resolved at known delays, contact
requests, meetings held and not, and an enrolment ended with a reason.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.alerts.support import acknowledge, resolve, temperature, upload
from tests.helpers import API, INFANT, Actor, expect, login, make_clinician, unique
from tests.measurements.support import item

T0 = datetime.fromisoformat("2026-11-22T07:30:00+00:00")  # the suite's START


def feed(at: datetime) -> dict[str, Any]:
    return item("feeding_volume", 40, "mL", measured_at=at.isoformat(), attributes={"route": "tube"})


@dataclass
class Ward:
    unit_id: str
    other_unit_id: str
    nurse: Actor
    host: Actor


async def enrol(client, nurse: Actor, unit_id: str, started: datetime) -> tuple[str, str]:
    body = {"display_name": unique("infant"), "birth_date": "2026-10-01", "unit_id": unit_id}
    patient = await expect(await client.post(f"{API}/patients", json=body, headers=nurse.headers), 201)
    enrolment = {
        "programme": "premature-home",
        "unit_id": unit_id,
        "parameters": INFANT,
        "started_at": started.isoformat(),
    }
    response = await client.post(f"{API}/patients/{patient['id']}/enrolments", json=enrolment, headers=nurse.headers)
    return patient["id"], (await expect(response, 201))["id"]


async def alert_at(client, clock, nurse, patient, at: datetime, celsius: float, ack_min, resolve_min) -> None:
    clock.now = at
    raised = await upload(client, nurse, patient, temperature(celsius, at - timedelta(minutes=5)))
    alert_id = raised["alerts"][0]["id"]
    if ack_min is not None:
        clock.now = at + timedelta(minutes=ack_min)
        await acknowledge(client, nurse, alert_id)
    if resolve_min is not None:
        clock.now = at + timedelta(minutes=resolve_min)
        await resolve(client, nurse, alert_id)


@pytest.fixture
async def ward(client, world, clock, db) -> Ward:
    admin = world.admin.headers
    units = []
    for name in ("Rapport", "Annen"):
        response = await client.post(
            f"{API}/organisations/{world.organisation_id}/units", json={"name": unique(name)}, headers=admin
        )
        units.append((await expect(response, 201))["id"])
    nurse = await make_clinician(client, admin, [units[0]])
    host = await make_clinician(client, admin, [units[0]], profession="physician")
    ward = Ward(units[0], units[1], nurse, host)

    # Infant A: followed from 2026-11-12 07:30Z to now (10 days). Infant B: 11-17 to 11-20 (3 days).
    clock.now = T0 - timedelta(days=10)
    a, _ = await enrol(client, nurse, ward.unit_id, T0 - timedelta(days=10))
    b, b_enrolment = await enrol(client, nurse, ward.unit_id, T0 - timedelta(days=5))
    # A feed before A's follow-up began counts for nothing. (Uploaded a minute ago: the day's low
    # intake so far raises a medium alert.)
    clock.now = T0 - timedelta(minutes=1)
    await upload(client, nurse, a, feed(T0 - timedelta(days=11)))
    # Registrations of A: feeds on 11-13 (one) and 11-14 (two).
    await upload(client, nurse, a, feed(T0 - timedelta(days=9)), feed(T0 - timedelta(days=8)))
    await upload(client, nurse, a, feed(T0 - timedelta(days=8, hours=-2)))
    # Alerts (each temperature is a registration too): A high on 11-15 (ack 10 min, resolved 40 min),
    # A low on 11-16 (ack 20 min, unresolved), B high on 11-18 (ack 30 min, resolved 60 min).
    await alert_at(client, clock, nurse, a, T0 - timedelta(days=7), 38.7, 10, 40)
    await alert_at(client, clock, nurse, a, T0 - timedelta(days=6), 36.3, 20, None)
    await alert_at(client, clock, nurse, b, T0 - timedelta(days=4), 38.9, 30, 60)
    # Contact requests of A: one handled after 45 min (which resolves its medium alert), one open.
    clock.now = T0 - timedelta(days=5, hours=-1)
    asked = await expect(
        await client.post(f"{API}/patients/{a}/contact-requests", json={"message": "Ring"}, headers=nurse.headers), 201
    )
    clock.now += timedelta(minutes=45)
    await expect(
        await client.post(f"{API}/patients/{a}/contact-requests/{asked['id']}/handle", headers=nurse.headers), 200
    )
    clock.now = T0 - timedelta(days=3)
    await expect(
        await client.post(f"{API}/patients/{a}/contact-requests", json={"message": "Igjen"}, headers=nurse.headers), 201
    )
    # Meetings of A: a consultation held (the physician hosts, the nurse comes), one nobody else
    # came to, and a discharge meeting held.
    for at, kind, held in (
        (T0 - timedelta(days=2), "consultation", True),
        (T0 - timedelta(days=1), "consultation", False),
        (T0 - timedelta(hours=3), "discharge", True),
    ):
        clock.now = at - timedelta(minutes=5)
        body = {
            "patient_id": a,
            "kind": kind,
            "title": "Oppfølging",
            "starts_at": at.isoformat(),
            "participants": [{"user_id": host.id, "role": "host"}],
        }
        created = await expect(await client.post(f"{API}/meetings", json=body, headers=nurse.headers), 201)
        await expect(await client.post(f"{API}/meetings/{created['id']}/join", headers=host.headers), 200)
        if held:
            await expect(await client.post(f"{API}/meetings/{created['id']}/join", headers=nurse.headers), 200)
    # B's follow-up ends on 11-20 07:30Z, with a reason.
    clock.now = T0 - timedelta(days=2)
    response = await client.post(
        f"{API}/patients/{b}/enrolments/{b_enrolment}/end", json={"reason": "Utskrevet"}, headers=nurse.headers
    )
    assert (await expect(response, 200))["end_reason"] == "Utskrevet"
    clock.now = T0
    return ward


async def report(client, actor: Actor, status: int = 200, **params: Any) -> Any:
    query = {"year": 2026, "tertial": 3, **params}
    return await expect(await client.get(f"{API}/reports/tertial", params=query, headers=actor.headers), status)


async def test_the_running_tertial_counts_what_happened_up_to_now(client, ward):
    body = await report(client, ward.nurse, unit_id=ward.unit_id)
    assert (body["year"], body["tertial"], body["time_zone"]) == (2026, 3, "Europe/Oslo")
    assert (body["first_day"], body["last_day"]) == ("2026-09-01", "2026-12-31")
    # Midnight in Oslo: summer time at the start, winter time at the end.
    assert body["starts_at"] == "2026-08-31T22:00:00Z" and body["ends_at"] == "2026-12-31T23:00:00Z"
    assert body["counted_until"] == "2026-11-22T07:30:00Z" and body["complete"] is False
    [group] = body["groups"]
    assert (group["programme"], group["unit_id"]) == ("premature-home", ward.unit_id)
    assert group["patients_followed"] == 2
    assert group["patient_days"] == 13.0  # A 10 days, B 3
    # A: feeds on 11-13 and 11-14 (two), temperatures on 11-15 and 11-16; B: a temperature on 11-18.
    assert group["registrations"] == 6 and group["registration_days"] == 5
    assert group["expected_registration_days"] == 13.0  # a weight every day
    assert group["registration_completeness"] == round(5 / 13, 3)
    alerts = {a["severity"]: a for a in group["alerts"]}
    high = alerts["high"]
    assert high["raised"] == 2 and high["per_patient_week"] == round(2 / (13 / 7), 2)
    assert high["acknowledged"] == 2
    # Acknowledged after 10 and 30 minutes; resolved after 40 and 60 (percentiles interpolate).
    assert (high["acknowledge_median_minutes"], high["acknowledge_p90_minutes"]) == (20.0, 28.0)
    assert high["resolved"] == 2
    assert (high["resolve_median_minutes"], high["resolve_p90_minutes"]) == (50.0, 58.0)
    # Low intake and too few feeds in a day (both raised by the feeds uploaded a minute ago), and
    # two contact-request alerts: the first resolved by handling it after 45 min, the second open.
    medium = alerts["medium"]
    assert (medium["raised"], medium["acknowledged"], medium["resolved"]) == (4, 0, 1)
    assert medium["resolve_median_minutes"] == 45.0 and medium["acknowledge_median_minutes"] is None
    low = alerts["low"]
    assert (low["raised"], low["acknowledged"], low["resolved"]) == (1, 1, 0)
    assert (low["acknowledge_median_minutes"], low["resolve_median_minutes"]) == (20.0, None)
    assert group["contact_requests"] == {
        "received": 2,
        "handled": 1,
        "handle_median_minutes": 45.0,
        "handle_p90_minutes": 45.0,
    }
    assert group["meetings"] == {
        "consultations_planned": 2,
        "consultations_held": 1,
        "discharge_meetings_planned": 1,
        "discharge_meetings_held": 1,
    }
    assert group["enrolments_ended"] == {"count": 1, "reasons": [{"reason": "Utskrevet", "count": 1}]}


async def test_the_figures_match_the_database(client, ward, db):
    """Counted independently of the report's SQL: the alerts and registrations of this unit's
    patients in the period."""
    [group] = (await report(client, ward.nurse, unit_id=ward.unit_id))["groups"]
    unit = uuid.UUID(ward.unit_id)
    raised = await db.fetch(
        """select a.severity, count(*) from alerts a
           where a.patient_id in (select patient_id from enrolments where unit_id = $1)
           group by a.severity""",
        unit,
    )
    assert {r["severity"]: r["count"] for r in raised} == {
        a["severity"]: a["raised"] for a in group["alerts"] if a["raised"]
    }
    measured = await db.fetchval(
        """select count(*) from measurements m join enrolments e on e.patient_id = m.patient_id
           where e.unit_id = $1 and m.measured_at >= e.started_at
             and m.measured_at < coalesce(e.ended_at, 'infinity')""",
        unit,
    )
    assert group["registrations"] == measured


async def test_csv_has_the_same_figures(client, ward):
    response = await client.get(
        f"{API}/reports/tertial",
        params={"year": 2026, "tertial": 3, "unit_id": ward.unit_id},
        headers={**ward.nurse.headers, "Accept": "text/csv"},
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "heima-tertial-2026-T3.csv" in response.headers["content-disposition"]
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert row["unit_id"] == ward.unit_id and row["patients_followed"] == "2" and row["patient_days"] == "13.0"
    assert row["alerts_high_acknowledge_median_minutes"] == "20.0" and row["alerts_low_resolve_median_minutes"] == ""
    assert row["consultations_held"] == "1" and row["enrolments_ended_reasons"] == "Utskrevet: 1"


async def test_a_finished_tertial_and_a_period_before_anything(client, ward, clock):
    clock.now = datetime.fromisoformat("2027-01-05T12:00:00+00:00")
    ward.nurse.token = (await login(client, ward.nurse.name))["access_token"]  # a new shift
    body = await report(client, ward.nurse, unit_id=ward.unit_id)
    assert body["complete"] is True and body["counted_until"] == "2026-12-31T23:00:00Z"
    [group] = body["groups"]
    # A is still followed: every day up to the end of the year counts now.
    assert group["patient_days"] == round(
        (datetime.fromisoformat("2026-12-31T23:00:00+00:00") - (T0 - timedelta(days=10))).total_seconds() / 86400 + 3, 1
    )
    earlier = await report(client, ward.nurse, unit_id=ward.unit_id, tertial=2)
    assert earlier["groups"] == [] and earlier["first_day"] == "2026-05-01" and earlier["last_day"] == "2026-08-31"


async def test_other_units_answer_like_missing_and_others_have_no_report(client, ward, world):
    missing = await report(client, ward.nurse, 404, unit_id=str(uuid.uuid4()))
    assert await report(client, ward.nurse, 404, unit_id=ward.other_unit_id) == missing
    # Another unit's nurse sees nothing of this unit, also without naming a unit.
    other = await report(client, world.clin_u2, unit_id=world.unit_u2)
    assert all(g["unit_id"] != ward.unit_id for g in other["groups"])
    assert all(g["unit_id"] != ward.unit_id for g in (await report(client, world.clin_u2))["groups"])
    await report(client, world.admin, 403)
    await report(client, world.guardian, 403)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"tertial": 4}, "tertial"),
        ({"tertial": "T1"}, "tertial"),
        ({"year": "20x6"}, "year"),
        ({"year": 1999}, "year"),
        ({"programme": "knitting"}, "programme"),
        ({"unit_id": "not-a-uuid"}, "unit_id"),
    ],
)
async def test_bad_parameters_are_refused_naming_the_field(client, world, params, field):
    response = await client.get(
        f"{API}/reports/tertial", params={"year": 2026, "tertial": 3, **params}, headers=world.clin_u1.headers
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.text


async def test_what_happened_at_this_very_instant_counts(client, ward, clock):
    """Regression: the running tertial's window ended at now, exclusive, so an alert raised by an
    upload at the current instant (the demo's) was left out."""
    before = await report(client, ward.nurse, unit_id=ward.unit_id)
    [a, *_] = [p for p in await _patients_of(client, ward)]
    await upload(client, ward.nurse, a, temperature(39.5, clock.now - timedelta(minutes=1)))
    after = await report(client, ward.nurse, unit_id=ward.unit_id)
    high = lambda body: next(x for x in body["groups"][0]["alerts"] if x["severity"] == "high")  # noqa: E731
    assert high(after)["raised"] == high(before)["raised"] + 1
    assert after["counted_until"] == "2026-11-22T07:30:00Z"


async def _patients_of(client, ward) -> list[str]:
    listed = await expect(
        await client.get(f"{API}/patients", params={"unit_id": ward.unit_id}, headers=ward.nurse.headers), 200
    )
    return [p["id"] for p in listed["items"] if p["id"]]
