"""PostgreSQL stopped hard (`pg_ctl -m immediate stop`) and restarted in the middle of a stream of
uploads: nothing lost, nothing duplicated, every alert raised (docs/reliability.md, R7)."""

from __future__ import annotations

import asyncio
import time
import uuid

from backend.db import connect
from tests.faults.support import FEVER, NORMAL, Figures, minutes_ago, temperature, upload_until_accepted
from tests.helpers import INFANT, make_patient

PATIENTS = 10
PER_PATIENT = 15  # 150 uploads
FEVERS_PER_PATIENT = 3  # 20 % breach infant_fever
CONCURRENCY = 6
SPACING_SECONDS = 0.01
FAULT_AFTER_UPLOADS = 30
DOWN_SECONDS = 2.5
BUDGET_SECONDS = 45
LOST_RESPONSE_EVERY = 20


async def test_postgres_hard_restart_loses_nothing_duplicates_nothing_and_raises_every_alert(
    fault_client, fault_world, fault_postgres, fault_database_url
):
    clinician, unit = fault_world.clin_u1, fault_world.unit_u1
    patients = [await make_patient(fault_client, clinician, unit, "premature-home", INFANT) for _ in range(PATIENTS)]
    stream = []  # (patient, item), the fevers spread through the stream
    for n in range(PER_PATIENT):
        for patient in patients:
            celsius = FEVER if n % (PER_PATIENT // FEVERS_PER_PATIENT) == 2 else NORMAL
            stream.append((patient, temperature(celsius, minutes_ago(5 + n))))
    assert sum(item["value"] == FEVER for _, item in stream) == PATIENTS * FEVERS_PER_PATIENT

    figures = Figures()
    done = 0
    fault_started = asyncio.Event()
    enough_done = asyncio.Event()
    gate = asyncio.Semaphore(CONCURRENCY)
    answers: dict[str, dict] = {}

    async def send(patient: str, item: dict) -> None:
        nonlocal done
        async with gate:
            answers[item["id"]] = await upload_until_accepted(fault_client, clinician, patient, item, figures)
            if len(answers) % LOST_RESPONSE_EVERY == 0:
                # The phone never saw that 200 (a lost response): it sends the same id again.
                replay = await upload_until_accepted(fault_client, clinician, patient, item, figures)
                assert replay["results"][0]["status"] == "duplicate", replay
        done += 1
        if done >= FAULT_AFTER_UPLOADS:
            enough_done.set()

    async def fault() -> float:
        await enough_done.wait()
        fault_started.set()
        await asyncio.to_thread(fault_postgres.stop_immediate)
        stopped = time.monotonic()
        await asyncio.sleep(DOWN_SECONDS)
        await asyncio.to_thread(fault_postgres.start)
        return time.monotonic() - stopped

    async with asyncio.timeout(BUDGET_SECONDS), asyncio.TaskGroup() as tasks:
        outage = tasks.create_task(fault())
        for patient, item in stream:
            tasks.create_task(send(patient, item))
            await asyncio.sleep(SPACING_SECONDS)

    print(f"\npostgres hard restart: outage={outage.result():.2f}s {figures.summary()}")
    assert fault_started.is_set()
    # The outage was felt: requests were refused and retried, not all sent before or after it.
    assert sum(figures.retries.values()) > 0, figures.summary()
    assert len(answers) == len(stream)
    # A latency bound: the outage, plus the client's capped backoff, plus slack for crash recovery.
    assert figures.worst <= outage.result() + 5, figures.summary()

    # Lost 0, duplicated 0: exactly one row per idempotency id, and nothing else for these patients.
    # (A connection of its own, opened after the restart.)
    fault_db = await connect(fault_database_url)
    try:
        await check_stored(fault_db, stream, patients)
    finally:
        await fault_db.close()

    # After recovery the service answers at once again.
    async with asyncio.timeout(5):
        after = await upload_until_accepted(
            fault_client, clinician, patients[0], temperature(NORMAL, minutes_ago(1)), Figures()
        )
    assert after["results"][0]["status"] == "created"


async def check_stored(fault_db, stream: list[tuple[str, dict]], patients: list[str]) -> None:
    ids = [uuid.UUID(item["id"]) for _, item in stream]
    patient_ids = [uuid.UUID(p) for p in patients]
    rows = await fault_db.fetch("select id from measurements where patient_id = any($1::uuid[])", patient_ids)
    assert len(rows) == len(stream)
    assert {row["id"] for row in rows} == set(ids)

    # Every alert raised, once: one open infant_fever per patient, counting each fever exactly once
    # (a replayed fever whose first commit did land must not count twice).
    alerts = await fault_db.fetch(
        "select patient_id, rule_code, occurrences, cardinality(measurement_ids) as evidence"
        " from alerts where patient_id = any($1::uuid[])",
        patient_ids,
    )
    assert sorted((str(a["patient_id"]), a["rule_code"]) for a in alerts) == sorted(
        (p, "infant_fever") for p in patients
    )
    assert {a["occurrences"] for a in alerts} == {FEVERS_PER_PATIENT}
    assert {a["evidence"] for a in alerts} == {FEVERS_PER_PATIENT}
    # The outbox was written in the same commits: pending deliveries exist for every alert.
    undelivered = await fault_db.fetchval(
        "select count(*) from alerts a where a.patient_id = any($1::uuid[])"
        " and not exists (select 1 from push_deliveries d where d.alert_id = a.id)",
        patient_ids,
    )
    assert undelivered == 0
