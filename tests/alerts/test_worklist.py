"""GET /alerts: the worklist of a clinician's patients, highest severity first then oldest first,
filtered by status, unit and patient; who sees what, and the access log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from tests.alerts.support import acknowledge, resolve, temperature, upload
from tests.helpers import API, INFANT, Actor, expect, make_clinician, make_patient, unique


@dataclass
class Ward:
    unit: str
    nurse: Actor
    a: str
    b: str
    alerts: dict[str, str]  # name -> alert id


@pytest.fixture
async def ward(client, world, clock) -> Ward:
    """A unit of its own with two infants and four alerts raised a minute apart."""
    response = await client.post(
        f"{API}/organisations/{world.organisation_id}/units", json={"name": unique("Avd")}, headers=world.admin.headers
    )
    unit = (await expect(response, 201))["id"]
    nurse = await make_clinician(client, world.admin.headers, [unit])
    a = await make_patient(client, nurse, unit, "premature-home", INFANT)
    b = await make_patient(client, nurse, unit, "premature-home", INFANT)
    alerts = {}

    async def contact(patient: str) -> str:
        body = {"message": "Ring oss"}
        response = await client.post(f"{API}/patients/{patient}/contact-requests", json=body, headers=nurse.headers)
        await expect(response, 201)
        items = (
            await expect(await client.get(f"{API}/alerts", params={"patient_id": patient}, headers=nurse.headers), 200)
        )["items"]
        return next(item["id"] for item in items if item["rule"] == "contact_request")

    alerts["a_low"] = (await upload(client, nurse, a, temperature(36.3)))["alerts"][0]["id"]
    clock.advance(minutes=1)
    alerts["b_contact"] = await contact(b)
    clock.advance(minutes=1)
    alerts["a_contact"] = await contact(a)
    clock.advance(minutes=1)
    alerts["b_fever"] = (await upload(client, nurse, b, temperature(38.7)))["alerts"][0]["id"]
    return Ward(unit, nurse, a, b, alerts)


async def worklist(client, actor, **params) -> list[str]:
    response = await client.get(f"{API}/alerts", params=params, headers=actor.headers)
    return [item["id"] for item in (await expect(response, 200))["items"]]


async def test_highest_severity_first_then_oldest_first(client, ward):
    expected = [ward.alerts[name] for name in ("b_fever", "b_contact", "a_contact", "a_low")]
    assert await worklist(client, ward.nurse) == expected
    assert await worklist(client, ward.nurse, unit_id=ward.unit) == expected
    assert await worklist(client, ward.nurse, patient_id=ward.a) == [ward.alerts["a_contact"], ward.alerts["a_low"]]


async def test_pages_follow_the_same_order(client, ward):
    response = await client.get(f"{API}/alerts", params={"limit": 3}, headers=ward.nurse.headers)
    first = await expect(response, 200)
    assert len(first["items"]) == 3 and first["next_cursor"]
    params = {"limit": 3, "cursor": first["next_cursor"]}
    second = await expect(await client.get(f"{API}/alerts", params=params, headers=ward.nurse.headers), 200)
    assert [i["id"] for i in first["items"] + second["items"]] == await worklist(client, ward.nurse)
    assert second["next_cursor"] is None
    bad = await client.get(f"{API}/alerts", params={"cursor": "bm90LW91cnM"}, headers=ward.nurse.headers)
    assert (await expect(bad, 422))["errors"][0]["field"] == "cursor"


async def test_status_filters(client, ward):
    await acknowledge(client, ward.nurse, ward.alerts["b_contact"])
    await resolve(client, ward.nurse, ward.alerts["a_low"])
    assert await worklist(client, ward.nurse, status="acknowledged") == [ward.alerts["b_contact"]]
    assert await worklist(client, ward.nurse, status="resolved") == [ward.alerts["a_low"]]
    assert await worklist(client, ward.nurse, status="open") == [ward.alerts["b_fever"], ward.alerts["a_contact"]]
    # Without a status: everything not resolved, acknowledged included.
    assert await worklist(client, ward.nurse) == [ward.alerts[n] for n in ("b_fever", "b_contact", "a_contact")]
    response = await client.get(f"{API}/alerts", params={"status": "closed"}, headers=ward.nurse.headers)
    await expect(response, 422)


async def test_the_worklist_logs_one_read_per_patient_listed(client, ward, db):
    last = await db.fetchval("select coalesce(max(id), 0) from access_log")
    await worklist(client, ward.nurse)
    rows = await db.fetch(
        "select patient_id, resource, action, outcome from access_log where id > $1 order by patient_id", last
    )
    assert sorted((str(r["patient_id"]), r["resource"], r["action"], r["outcome"]) for r in rows) == sorted(
        [(ward.a, "alerts", "read", "allowed"), (ward.b, "alerts", "read", "allowed")]
    )
    # Filtered by patient: that patient's one read, through authorize_patient.
    last = await db.fetchval("select coalesce(max(id), 0) from access_log")
    await worklist(client, ward.nurse, patient_id=ward.a)
    rows = await db.fetch("select patient_id from access_log where id > $1", last)
    assert [str(r["patient_id"]) for r in rows] == [ward.a]


async def test_other_units_see_none_of_it(client, world, ward, db):
    for clinician in (world.clin_u1, world.clin_u2):
        assert set(await worklist(client, clinician)).isdisjoint(ward.alerts.values())
        response = await client.get(f"{API}/alerts", params={"patient_id": ward.a}, headers=clinician.headers)
        hidden = await expect(response, 404)
        response = await client.get(
            f"{API}/alerts", params={"patient_id": str(uuid.uuid4())}, headers=clinician.headers
        )
        assert hidden == await expect(response, 404)  # not yours looks like not there
        # A unit that is not yours is refused, not silently empty.
        response = await client.get(f"{API}/alerts", params={"unit_id": ward.unit}, headers=clinician.headers)
        assert (await expect(response, 422))["errors"][0]["field"] == "unit_id"
        for action in ("acknowledge", "resolve"):
            body = {"note": "x"} if action == "resolve" else None
            url = f"{API}/alerts/{ward.alerts['b_fever']}/{action}"
            foreign = await expect(await client.post(url, json=body, headers=clinician.headers), 404)
            url = f"{API}/alerts/{uuid.uuid4()}/{action}"
            assert foreign == await expect(await client.post(url, json=body, headers=clinician.headers), 404)
    status = await db.fetchval("select status from alerts where id = $1", uuid.UUID(ward.alerts["b_fever"]))
    assert status == "open"
    denied = await db.fetchval(
        "select count(*) from access_log where patient_id = $1 and outcome = 'denied' and resource = 'alerts'",
        uuid.UUID(ward.b),
    )
    assert denied == 4  # two clinicians × acknowledge and resolve


async def test_patients_and_parents_have_no_worklist(client, world, ward):
    for actor in (world.guardian, world.patient_p2, world.admin):
        await expect(await client.get(f"{API}/alerts", headers=actor.headers), 403)
        url = f"{API}/alerts/{ward.alerts['b_fever']}/acknowledge"
        await expect(await client.post(url, headers=actor.headers), 403)
    await expect(await client.get(f"{API}/alerts"), 401)
