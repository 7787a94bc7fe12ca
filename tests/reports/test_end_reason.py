"""Ending an enrolment may say why (the tertial report counts the reasons); the body is optional."""

from __future__ import annotations

import pytest

from tests.helpers import API, expect, unique


async def enrolled(client, world, started: str = "2026-11-20T08:00:00+01:00") -> tuple[str, str]:
    body = {"display_name": unique("p"), "birth_date": "1950-01-01", "unit_id": world.unit_u1}
    patient = await expect(await client.post(f"{API}/patients", json=body, headers=world.clin_u1.headers), 201)
    enrolment = {"programme": "copd", "unit_id": world.unit_u1, "parameters": {"spo2_scale": 1}, "started_at": started}
    response = await client.post(
        f"{API}/patients/{patient['id']}/enrolments", json=enrolment, headers=world.clin_u1.headers
    )
    return patient["id"], (await expect(response, 201))["id"]


async def test_a_reason_is_kept_and_shown(client, world):
    patient, enrolment = await enrolled(client, world)
    url = f"{API}/patients/{patient}/enrolments/{enrolment}/end"
    ended = await expect(await client.post(url, json={"reason": " Innlagt "}, headers=world.clin_u1.headers), 200)
    assert ended["end_reason"] == "Innlagt" and ended["ended_at"] is not None


async def test_without_a_body_it_ends_without_a_reason(client, world, db):
    patient, enrolment = await enrolled(client, world)
    url = f"{API}/patients/{patient}/enrolments/{enrolment}/end"
    ended = await expect(await client.post(url, headers=world.clin_u1.headers), 200)
    assert ended["end_reason"] is None and ended["ended_at"] is not None


@pytest.mark.parametrize(
    "body", [{"reason": ""}, {"reason": "   "}, {"reason": 5}, {"reason": "x" * 501}, {"why": "x"}]
)
async def test_a_bad_reason_is_refused_and_ends_nothing(client, world, db, body):
    patient, enrolment = await enrolled(client, world)
    url = f"{API}/patients/{patient}/enrolments/{enrolment}/end"
    problem = await expect(await client.post(url, json=body, headers=world.clin_u1.headers), 422)
    assert problem["errors"][0]["field"] in ("reason", "why")
    assert await db.fetchval("select ended_at from enrolments where id = $1::uuid", enrolment) is None
