"""The server runs a request again while PostgreSQL restarts (backend/retry.py): within the budget
the phone sees one slow 200 instead of 503s; with the budget spent, the 503 goes out as before,
with Retry-After and without the internal marker. Each test stops the throwaway cluster hard."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import replace

from backend.clock import FrozenClock
from backend.errors import RETRYABLE_HEADER
from tests.conftest import START
from tests.faults.support import NORMAL, minutes_ago, temperature
from tests.helpers import API, INFANT, app_client, database, make_patient

# Generous: a hard-stopped cluster replays its WAL on start, and this machine is shared.
BUDGET_SECONDS = 30


async def test_an_upload_during_a_restart_waits_for_the_database_and_is_stored_once(
    fault_client, fault_world, fault_postgres, fault_settings, fault_database_url
):
    clinician = fault_world.clin_u1
    patient = await make_patient(fault_client, clinician, fault_world.unit_u1, "premature-home", INFANT)
    item = temperature(NORMAL, minutes_ago(3))
    async with app_client(replace(fault_settings, db_retry_seconds=BUDGET_SECONDS), FrozenClock(START)) as client:
        await asyncio.to_thread(fault_postgres.stop_immediate)
        started = time.monotonic()
        upload = asyncio.create_task(
            client.post(
                f"{API}/patients/{patient}/measurements", json={"measurements": [item]}, headers=clinician.headers
            )
        )
        try:
            await asyncio.to_thread(fault_postgres.start)
        finally:
            response = await upload
        waited = time.monotonic() - started

    assert response.status_code == 200, response.text
    assert response.json()["results"] == [{"id": item["id"], "status": "created"}]
    assert RETRYABLE_HEADER.decode() not in response.headers
    assert waited < BUDGET_SECONDS
    assert await stored(fault_database_url, item["id"]) == 1


async def test_without_a_budget_the_phone_gets_503_with_retry_after_and_no_marker(
    fault_client, fault_world, fault_postgres, fault_settings, fault_database_url
):
    clinician = fault_world.clin_u1
    patient = await make_patient(fault_client, clinician, fault_world.unit_u1, "premature-home", INFANT)
    item = temperature(NORMAL, minutes_ago(4))
    url = f"{API}/patients/{patient}/measurements"
    async with app_client(replace(fault_settings, db_retry_seconds=0), FrozenClock(START)) as client:
        await asyncio.to_thread(fault_postgres.stop_immediate)
        try:
            refused = await client.post(url, json={"measurements": [item]}, headers=clinician.headers)
        finally:
            await asyncio.to_thread(fault_postgres.start)

        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "5"
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert RETRYABLE_HEADER.decode() not in refused.headers
    assert await stored(fault_database_url, item["id"]) == 0


async def stored(database_url: str, measurement_id: str) -> int:
    """Rows with this id, on a connection opened after the restart."""
    async with database(database_url) as conn:
        return await conn.fetchval("select count(*) from measurements where id = $1", uuid.UUID(measurement_id))
