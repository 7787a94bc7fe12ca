"""Helpers for the alert tests: raising alerts through the real upload paths, reading the worklist
and the rows behind it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from tests.helpers import API, Actor, expect
from tests.measurements.support import item


def temperature(celsius: float, at: datetime | None = None) -> dict[str, Any]:
    """An axillary temperature, measured at `at` (default: half an hour before the frozen clock)."""
    fields = {"measured_at": at.isoformat()} if at is not None else {}
    return item("body_temperature", celsius, "Cel", attributes={"site": "axillary"}, **fields)


async def upload(client: AsyncTestClient, actor: Actor, patient_id: str, *items: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(
        f"{API}/patients/{patient_id}/measurements", json={"measurements": list(items)}, headers=actor.headers
    )
    body = await expect(response, 200)
    assert {r["status"] for r in body["results"]} == {"created"}, body
    return body


async def alerts_of(client: AsyncTestClient, actor: Actor, patient_id: str, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(f"{API}/alerts", params={"patient_id": patient_id, **params}, headers=actor.headers)
    return (await expect(response, 200))["items"]


async def the_alert(client: AsyncTestClient, actor: Actor, patient_id: str, **params: Any) -> dict[str, Any]:
    [alert] = await alerts_of(client, actor, patient_id, **params)
    return alert


async def acknowledge(client: AsyncTestClient, actor: Actor, alert_id: str, status: int = 200) -> dict[str, Any]:
    return await expect(await client.post(f"{API}/alerts/{alert_id}/acknowledge", headers=actor.headers), status)


async def resolve(
    client: AsyncTestClient, actor: Actor, alert_id: str, note: str = "Rang foreldrene.", status: int = 200
) -> dict[str, Any]:
    response = await client.post(f"{API}/alerts/{alert_id}/resolve", json={"note": note}, headers=actor.headers)
    return await expect(response, status)


async def set_rule(
    client: AsyncTestClient, actor: Actor, patient_id: str, code: str, body: dict[str, Any], status: int = 200
) -> dict[str, Any]:
    response = await client.put(f"{API}/patients/{patient_id}/rules/{code}", json=body, headers=actor.headers)
    return await expect(response, status)


async def deliveries(db: asyncpg.Connection, alert_id: str) -> list[asyncpg.Record]:
    return await db.fetch(
        "select user_id, status, severity, escalation_step from push_deliveries where alert_id = $1",
        uuid.UUID(alert_id),
    )


async def events(db: asyncpg.Connection, alert_id: str) -> list[str]:
    rows = await db.fetch("select kind from alert_events where alert_id = $1 order by id", uuid.UUID(alert_id))
    return [row["kind"] for row in rows]


async def unit_clinicians(db: asyncpg.Connection, unit_id: str) -> set[uuid.UUID]:
    rows = await db.fetch(
        """select m.user_id from unit_memberships m join users u on u.id = m.user_id
           where m.unit_id = $1 and u.role = 'clinician' and u.disabled_at is null""",
        uuid.UUID(unit_id),
    )
    return {row["user_id"] for row in rows}
