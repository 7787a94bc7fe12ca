"""Helpers for the measurement tests: items with fresh ids, uploads through the API, stored rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from tests.helpers import API, INFANT, Actor, World, expect, make_patient

# Half an hour before the suite's frozen clock (07:30Z), written with Oslo's winter offset.
MEASURED_AT = "2026-11-22T08:00:00+01:00"


def item(type: str, value: Any = None, unit: str = "", **fields: Any) -> dict[str, Any]:
    """One registration with a fresh id; `fields` add or override keys (`measured_at`, `attributes`…)."""
    body: dict[str, Any] = {"id": str(uuid.uuid4()), "type": type, "unit": unit, "measured_at": MEASURED_AT}
    if value is not None:
        body["value"] = value
    body.update(fields)
    return body


def weight(grams: float = 2100, **fields: Any) -> dict[str, Any]:
    return item("body_weight", grams, "g", **fields)


def url(patient_id: str) -> str:
    return f"{API}/patients/{patient_id}/measurements"


async def upload(client: AsyncTestClient, actor: Actor, patient_id: str, items: list[dict[str, Any]]) -> Any:
    return await client.post(url(patient_id), json={"measurements": items}, headers=actor.headers)


async def upload_ok(
    client: AsyncTestClient, actor: Actor, patient_id: str, items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Upload and return the per-item results (the upload itself must answer 200)."""
    body = await expect(await upload(client, actor, patient_id, items), 200)
    assert len(body["results"]) == len(items)
    return body["results"]


def statuses(results: list[dict[str, Any]]) -> list[str]:
    return [r["status"] for r in results]


def error_fields(result: dict[str, Any]) -> list[str]:
    return [e["field"] for e in result.get("errors", [])]


async def stored(db: asyncpg.Connection, patient_id: str, ids: Iterable[str]) -> dict[str, asyncpg.Record]:
    rows = await db.fetch(
        "select * from measurements where patient_id = $1 and id = any($2::uuid[])",
        uuid.UUID(patient_id),
        [uuid.UUID(i) for i in ids],
    )
    return {str(row["id"]): row for row in rows}


async def count(db: asyncpg.Connection, patient_id: str) -> int:
    return await db.fetchval("select count(*) from measurements where patient_id = $1", uuid.UUID(patient_id))


async def fresh_infant(client: AsyncTestClient, world: World) -> str:
    """A patient of its own (unit U1, clinician clin_u1), for tests that count or page all rows."""
    return await make_patient(client, world.clin_u1, world.unit_u1, "premature-home", INFANT)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body
