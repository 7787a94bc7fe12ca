"""Redis killed, paused and slow: uploads and alerts go on (Redis is never on the acceptance path),
readiness says so, and every request answers within a bound (docs/reliability.md, R8).

Bounds are asyncio.timeout guards around each request, not timed asserts."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest
from redis.asyncio import Redis

from backend.db import connect
from tests.faults.support import FEVER, NORMAL, Figures, minutes_ago, temperature, upload_until_accepted
from tests.helpers import INFANT, make_patient

REQUEST_BOUND_SECONDS = 3.0  # one upload or readiness probe, whatever Redis does
RECOVERY_SECONDS = 10.0
UPLOADS = 10  # per fault, 2 of them fevers


async def _ready(client) -> tuple[int, dict]:
    async with asyncio.timeout(REQUEST_BOUND_SECONDS):
        response = await client.get("/health/ready")
    return response.status_code, response.json()


async def _ready_again(client) -> None:
    async with asyncio.timeout(RECOVERY_SECONDS):
        for _ in range(int(RECOVERY_SECONDS / 0.1)):
            if (await _ready(client))[0] == 200:
                return
            await asyncio.sleep(0.1)
    raise AssertionError("not ready again after the fault")


async def _uploads_with_alert(client, world, database_url: str) -> Figures:
    """UPLOADS uploads for a fresh infant, each bounded; all accepted, and the fever alert raised."""
    patient = await make_patient(client, world.clin_u1, world.unit_u1, "premature-home", INFANT)
    figures = Figures()
    for n in range(UPLOADS):
        item = temperature(FEVER if n % 5 == 4 else NORMAL, minutes_ago(5 + n))
        async with asyncio.timeout(REQUEST_BOUND_SECONDS):
            body = await upload_until_accepted(client, world.clin_u1, patient, item, figures)
        assert body["results"][0]["status"] == "created"
    # Accepted at the first attempt: Redis trouble is never a reason to refuse an upload.
    assert figures.attempts == UPLOADS, figures.summary()
    conn = await connect(database_url)
    try:
        alerts = await conn.fetch("select rule_code, occurrences from alerts where patient_id = $1", uuid.UUID(patient))
        pending = await conn.fetchval(
            "select count(*) from push_deliveries d join alerts a on a.id = d.alert_id where a.patient_id = $1",
            uuid.UUID(patient),
        )
    finally:
        await conn.close()
    assert [(a["rule_code"], a["occurrences"]) for a in alerts] == [("infant_fever", UPLOADS // 5)]
    assert pending > 0
    return figures


async def test_redis_killed_uploads_and_alerts_continue_and_readiness_names_redis(
    fault_client, fault_world, fault_redis, fault_database_url
):
    await _ready_again(fault_client)
    fault_redis.kill()
    try:
        status, body = await _ready(fault_client)
        assert status == 503, body
        assert body["failed"] == ["redis"], body
        figures = await _uploads_with_alert(fault_client, fault_world, fault_database_url)
        print(f"\nredis killed: {figures.summary()}")
    finally:
        if fault_redis.process is None:
            fault_redis.start()
    # Same port, fresh server: the app's client reconnects without a restart.
    await _ready_again(fault_client)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(("CLIENT", "PAUSE", "2000", "WRITE"), id="paused"),
        pytest.param(("DEBUG", "SLEEP", "1"), id="slow"),
    ],
)
async def test_redis_paused_or_slow_uploads_and_alerts_continue_within_bounds(
    fault_client, fault_world, fault_redis, fault_database_url, fault
):
    await _ready_again(fault_client)
    # A client of the test's own sends the fault; DEBUG SLEEP blocks its caller, so it runs aside.
    injector = Redis.from_url(fault_redis.url)
    try:
        injected = asyncio.create_task(injector.execute_command(*fault))
        await asyncio.sleep(0.05)  # let the server take the command before the requests start
        status, body = await _ready(fault_client)  # bounded, whatever it says
        assert status in (200, 503) and set(body["failed"]) <= {"redis"}, body
        figures = await _uploads_with_alert(fault_client, fault_world, fault_database_url)
        print(f"\nredis {fault[0].lower()} {' '.join(fault[1:])}: ready={status} {figures.summary()}")
        async with asyncio.timeout(RECOVERY_SECONDS):
            await injected
    finally:
        with contextlib.suppress(Exception):
            await injector.execute_command("CLIENT", "UNPAUSE")
        await injector.aclose()
    await _ready_again(fault_client)
