"""A worker killed mid-send (`kill -9` while a slow push service holds its request): the alert is
still delivered, once, by another worker after the lease ran out; the clinician sees one alert
(docs/reliability.md, R9).

Real processes: `heima serve` (session fixture) and two `heima worker`s, on the throwaway
PostgreSQL; the push service is the stand-in of tests/faults/push_service.py. The lease and the
poll are short (HEIMA_* settings), and every bound is checked on the database's own timestamps:
nothing here sleeps to let things happen, it waits for events with deadlines.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from tests.faults.push_service import HOLD, Answer, FaultyPushService
from tests.faults.service import (
    FEVER,
    SUBJECT,
    eventually,
    kill9,
    open_ward,
    quiet,
    start_worker,
    stop_all,
    temperature,
    upload,
    worklist,
)
from tests.localhost import free_port

# A lease must outlast one send (connect + 2 × read, alerting/worker.py): 1 + 2 × 1 < 4.
WORKER = {
    "push_connect_timeout_seconds": 1,
    "push_read_timeout_seconds": 1,
    "delivery_lease_seconds": 4,
    "delivery_poll_seconds": 1,
}
LEASE = timedelta(seconds=WORKER["delivery_lease_seconds"])
POLL = timedelta(seconds=WORKER["delivery_poll_seconds"])
# What the bound allows beyond lease + poll: one claim statement and a busy two-core machine
# (the poll's wake-up is an asyncio timeout, late by the loop's lag).
SCHEDULING_SLACK = timedelta(seconds=1)
WITHIN = 20.0  # seconds, any single wait


async def test_worker_killed_mid_send_alert_delivered_once_by_another_after_the_lease(
    fault_api, fault_admin, fault_env, fault_workdir, fault_vapid_keys, fault_push_port
):
    await quiet(fault_api.database_url)
    stand_in = await FaultyPushService(fault_vapid_keys[1], SUBJECT, fault_push_port).start()
    # The slow push service: the first request for an alert is taken in and never answered.
    first_seen: set[str] = set()

    def slow_first(arrival):
        if arrival.topic in first_seen:
            return Answer(201)
        first_seen.add(arrival.topic)
        return HOLD

    stand_in.behaviour = slow_first
    env = {**fault_env, **{f"HEIMA_{k.upper()}": str(v) for k, v in WORKER.items()}}
    children = []
    db = await asyncpg.connect(fault_api.database_url)
    try:
        async with fault_api.client() as client:
            ward = await open_ward(client, fault_admin, nurses=1, infants=1, endpoint_for=stand_in.endpoint_for)
            [nurse], [infant] = ward.nurses, ward.infants
            [endpoint] = ward.endpoints.values()
            path = endpoint.removeprefix(stand_in.origin)

            first = await start_worker(env, fault_workdir, free_port(), "worker-1")
            children.append(first)

            body = await upload(client, nurse, infant, temperature(FEVER))
            [alert] = body["alerts"]
            alert_id = uuid.UUID(alert["id"])
            assert alert["severity"] == "high", alert

            # The worker's POST is in and held: kill it there, by PID.
            await eventually(lambda: stand_in.of(alert_id.hex), "the first push reached the stand-in", WITHIN)
            status = kill9(first)
            killed_at = datetime.now(UTC)
            assert status == -9, status
            [held] = stand_in.of(alert_id.hex)
            assert held.status is None and held.path == path, held  # never answered

            # What the dead worker left: its claim, leased, and no receipt (it never got an answer).
            [claim] = await deliveries(db, alert_id)
            assert (claim["status"], claim["attempts"]) == ("sending", 1), dict(claim)
            lease_end = claim["locked_until"]
            assert await receipts(db, alert_id) == []
            assert killed_at < lease_end, "killed after the lease had run out: the test proves nothing"

            second = await start_worker(env, fault_workdir, free_port(), "worker-2")
            children.append(second)
            second_ready = datetime.now(UTC)

            def delivered():
                return [a for a in stand_in.of(alert_id.hex) if a.status == 201]

            await eventually(delivered, "redelivery accepted by the push service", WITHIN, second.tail)

            async def recorded():
                [row] = await deliveries(db, alert_id)
                return row if row["status"] == "sent" else None

            final = await eventually(recorded, "the delivery recorded as sent", WITHIN, second.tail)
            items = await worklist(client, nurse, ward.unit_id)
    finally:
        await db.close()
        stop_all(children)
        await stand_in.stop()

    [receipt] = await receipts_after(fault_api.database_url, alert_id)
    redelivered, claimed = receipt["at"], lease_end - LEASE
    print(
        f"\nworker killed mid-send: lease {LEASE.total_seconds():g} s, poll {POLL.total_seconds():g} s; "
        f"killed {(killed_at - claimed).total_seconds():.2f} s after its claim, "
        f"second worker ready after {(second_ready - claimed).total_seconds():.2f} s, "
        f"redelivered {(redelivered - lease_end).total_seconds():+.2f} s after the lease ended; "
        f"stand-in {stand_in.summary()}"
    )
    assert stand_in.problems() == []
    # Delivered, once: two POSTs reached the push service (the held one, whose sender died, and
    # the redelivery), and only the redelivery was accepted.
    assert [(a.path, a.status) for a in stand_in.of(alert_id.hex)] == [(path, None), (path, 201)]
    assert stand_in.accepted() == {(alert_id.hex, path): 1}
    # In the table's terms: one delivery, sent at its second claim, one receipt (the dead worker
    # wrote none), for the redelivery.
    assert (final["status"], final["attempts"], final["locked_until"]) == ("sent", 2, None), dict(final)
    assert final["sent_at"] is not None and final["last_error"] is None, dict(final)
    assert (receipt["attempt"], receipt["outcome"], receipt["http_status"]) == (2, "delivered", 201), dict(receipt)
    # Not before the lease ran out (nobody took it from the dying worker), and within lease + poll
    # of the claim once a worker was there to poll (docs/reliability.md, R9: redelivery ≤ lease + poll).
    assert redelivered >= lease_end, (redelivered, lease_end)
    assert redelivered <= max(lease_end, second_ready) + POLL + SCHEDULING_SLACK, (redelivered, lease_end, second_ready)
    # The clinician sees one alert, the one raised.
    assert [(item["id"], item["status"]) for item in items] == [(str(alert_id), "open")]


async def deliveries(db: asyncpg.Connection, alert_id: uuid.UUID) -> list[asyncpg.Record]:
    return await db.fetch(
        "select status, attempts, locked_until, next_attempt_at, sent_at, last_error"
        " from push_deliveries where alert_id = $1",
        alert_id,
    )


async def receipts(db: asyncpg.Connection, alert_id: uuid.UUID) -> list[asyncpg.Record]:
    return await db.fetch(
        "select p.attempt, p.at, p.outcome, p.http_status from push_attempts p"
        " join push_deliveries d on d.id = p.delivery_id where d.alert_id = $1 order by p.id",
        alert_id,
    )


async def receipts_after(database_url: str, alert_id: uuid.UUID) -> list[asyncpg.Record]:
    db = await asyncpg.connect(database_url)
    try:
        return await receipts(db, alert_id)
    finally:
        await db.close()
