"""The transactional outbox (docs/reliability.md, D1): measurements, alerts, events and pending deliveries
commit together or not at all; NOTIFY fires on commit only; the worker's claim; /metrics."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import timedelta

import msgspec
import pytest

from alerting.service import NOTIFY_CHANNEL, queries
from backend.access.service import Caller, Principal
from backend.db import connect
from backend.measurements.schemas import UploadRequest
from backend.measurements.service import record_measurements
from tests.alerts.support import deliveries, temperature, upload
from tests.measurements.support import fresh_infant


class _Rollback(Exception):
    pass


def clinician_caller(world, now) -> Caller:
    principal = Principal(
        id=uuid.UUID(world.clin_u1.id),
        role="clinician",
        display_name="Sykepleier",
        session_id=uuid.uuid4(),
        unit_ids=(uuid.UUID(world.unit_u1),),
        patient_ids=(),
    )
    return Caller(principal=principal, now=now, request_id=None)


async def stored_for(db, patient: uuid.UUID) -> dict[str, int]:
    row = await db.fetchrow(
        """select (select count(*) from measurements where patient_id = $1) as measurements,
                  (select count(*) from alerts where patient_id = $1) as alerts,
                  (select count(*) from alert_events e join alerts a on a.id = e.alert_id
                   where a.patient_id = $1) as events,
                  (select count(*) from push_deliveries d join alerts a on a.id = d.alert_id
                   where a.patient_id = $1) as deliveries""",
        patient,
    )
    return dict(row)


@pytest.fixture
async def listener(database_url):
    conn = await connect(database_url)
    heard: asyncio.Queue[str] = asyncio.Queue()
    await conn.add_listener(NOTIFY_CHANNEL, lambda _conn, _pid, _channel, payload: heard.put_nowait(payload))
    try:
        yield heard
    finally:
        await conn.close()


async def test_a_failure_after_evaluation_rolls_back_measurements_alerts_and_deliveries(
    client, world, db, clock, listener
):
    patient = uuid.UUID(await fresh_infant(client, world))
    request = UploadRequest(measurements=[msgspec.Raw(msgspec.json.encode(temperature(38.8)))])
    with pytest.raises(_Rollback):
        async with db.transaction():
            result = await record_measurements(
                db, clinician_caller(world, clock.now), patient, request, client.app.state.catalogue
            )
            assert [alert.severity for alert in result.alerts] == ["high"]
            inside = await stored_for(db, patient)
            assert inside["measurements"] == 1 and inside["alerts"] == 1 and inside["events"] == 1
            assert inside["deliveries"] >= 1
            raise _Rollback  # whatever fails later in the request: nothing of it may remain
    assert await stored_for(db, patient) == {"measurements": 0, "alerts": 0, "events": 0, "deliveries": 0}
    # The rolled-back NOTIFY never reached the worker: the next one it hears is this marker.
    await db.execute("select pg_notify($1, 'marker')", NOTIFY_CHANNEL)
    assert await asyncio.wait_for(listener.get(), 5) == "marker"

    # Committed through the API: the worker is woken with the alert's id.
    [raised] = (await upload(client, world.clin_u1, str(patient), temperature(38.8)))["alerts"]
    payload = msgspec.json.decode(await asyncio.wait_for(listener.get(), 5))
    assert payload == {"alert_ids": [raised["id"]]}
    assert await stored_for(db, patient) == {
        "measurements": 1,
        "alerts": 1,
        "events": 1,
        "deliveries": len(await deliveries(db, raised["id"])),
    }


async def test_the_worker_claim_leases_due_deliveries_and_skips_locked_ones(client, world, db, database_url, clock):
    patient = await fresh_infant(client, world)
    [raised] = (await upload(client, world.clin_u1, patient, temperature(38.8)))["alerts"]
    mine = {row["user_id"] for row in await deliveries(db, raised["id"])}
    other = await connect(database_url)
    try:
        async with db.transaction():
            claimed = await db.fetch(queries.claim_push_deliveries, clock.now, 100_000, 30)
            assert {row["user_id"] for row in claimed if str(row["alert_id"]) == raised["id"]} == mine
            assert {row["status"] for row in await deliveries(db, raised["id"])} == {"sending"}
            # Leased: not due again until the lease ends, then due again (a worker that died).
            again = await db.fetch(queries.claim_push_deliveries, clock.now, 100_000, 30)
            assert not [row for row in again if str(row["alert_id"]) == raised["id"]]
            later = clock.now + timedelta(seconds=31)
            retried = await db.fetch(queries.claim_push_deliveries, later, 100_000, 30)
            assert {r["attempts"] for r in retried if str(r["alert_id"]) == raised["id"]} == {2}
            # Another worker, meanwhile, skips the rows this transaction holds instead of waiting.
            async with other.transaction():
                theirs = await asyncio.wait_for(other.fetch(queries.claim_push_deliveries, later, 100_000, 30), 5)
                assert {r["id"] for r in theirs}.isdisjoint({r["id"] for r in claimed})
            raise _Rollback
    except _Rollback:
        pass
    finally:
        await other.close()
    assert {row["status"] for row in await deliveries(db, raised["id"])} == {"pending"}


async def test_metrics_expose_the_alert_latency(client, world):
    def committed(text: str) -> float:
        match = re.search(r'^heima_alert_latency_seconds_count\{stage="committed"\} (\S+)$', text, re.MULTILINE)
        return float(match.group(1)) if match else 0.0

    before = committed((await client.get("/metrics")).text)
    patient = await fresh_infant(client, world)
    await upload(client, world.clin_u1, patient, temperature(38.8))
    text = (await client.get("/metrics")).text
    assert committed(text) == before + 1
    assert 'heima_alert_latency_seconds_bucket{le="0.01",stage="evaluated"}' in text


async def test_two_uploads_at_once_make_one_alert(client, world, db, database_url, clock):
    """The partial unique index decides, not a read before the insert: the second transaction
    waits for the first to commit and then updates its alert."""
    patient = uuid.UUID(await fresh_infant(client, world))
    catalogue = client.app.state.catalogue
    other = await connect(database_url)
    try:
        first, second = db.transaction(), other.transaction()
        await first.start()
        await second.start()
        request = UploadRequest(measurements=[msgspec.Raw(msgspec.json.encode(temperature(38.4)))])
        one = await record_measurements(db, clinician_caller(world, clock.now), patient, request, catalogue)
        request = UploadRequest(measurements=[msgspec.Raw(msgspec.json.encode(temperature(38.9)))])
        waiting = asyncio.create_task(
            record_measurements(other, clinician_caller(world, clock.now), patient, request, catalogue)
        )
        await asyncio.sleep(0.2)
        assert not waiting.done()  # blocked on the first transaction's alert row
        await first.commit()
        two = await asyncio.wait_for(waiting, 5)
        await second.commit()
    finally:
        await other.close()
    assert [a.id for a in one.alerts] == [a.id for a in two.alerts]
    row = await db.fetchrow(
        "select count(*) as alerts, max(occurrences) as occurrences, max(worst_value::text) as worst "
        "from alerts where patient_id = $1",
        patient,
    )
    assert dict(row) == {"alerts": 1, "occurrences": 2, "worst": "38.9"}
