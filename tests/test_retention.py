"""Data lifecycle: the worker's housekeeping prunes the access log and push receipts that outlived
their retention periods, in small batches that block nobody, and keeps everything else
(docs/operations.md, "Data lifecycle").

A database of its own: pruning at a clock years ahead would take the other suites' rows with it."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import asyncpg
import pytest

from alerting.push.sender import Pusher
from alerting.push.vapid import new_key_pair
from alerting.worker import AlertWorker, WorkerMetrics
from backend.clock import FrozenClock
from backend.db import create_pool
from backend.maintenance.service import queries
from backend.settings import ACCESS_LOG_MIN_RETENTION_DAYS, Settings, SettingsError
from backend.worker import run_housekeeping
from tests.alerting.push.conftest import LOOPBACK_ALLOWED, STAND_IN_PORT, SUBJECT
from tests.alerting.push.support import StandInPushService
from tests.conftest import make_settings
from tests.helpers import API, START, app_client, database, expect
from tests.worker.support import fever, open_hospital, open_ward

YEAR = timedelta(days=365)


async def counts(db: asyncpg.Connection, cutoff) -> dict[str, int]:
    row = await db.fetchrow(
        """select (select count(*) from access_log where at < $1) as old_reads,
                  (select count(*) from access_log where at >= $1) as new_reads,
                  (select count(*) from push_attempts where at < $1) as old_attempts,
                  (select count(*) from push_attempts where at >= $1) as new_attempts""",
        cutoff,
    )
    return dict(row)


async def test_housekeeping_prunes_old_rows_in_batches_and_keeps_the_rest(new_database, redis_url):
    dsn = await new_database()
    private, public = new_key_pair()
    settings = make_settings(
        dsn,
        redis_url,
        vapid_private_key=private,
        vapid_subject=SUBJECT,
        push_allowed_hosts=LOOPBACK_ALLOWED,
        push_connect_timeout_seconds=2,
        push_read_timeout_seconds=2,
        retention_batch_size=2,  # several batches for a handful of rows
    )
    clock = FrozenClock(START)
    stand_in = await StandInPushService(
        vapid_public_key=public, subject=SUBJECT, clock=clock, port=STAND_IN_PORT
    ).start()
    pool = await create_pool(dsn, min_size=1, max_size=2)
    pusher = Pusher.from_settings(settings, clock=clock)
    worker = AlertWorker(pool, settings, pusher=pusher, clock=clock, metrics=WorkerMetrics())
    try:
        async with app_client(settings, clock) as client, database(dsn) as db:

            async def a_ward_reads_and_raises_an_alert() -> str:
                hospital = await open_hospital(client, dsn, settings)
                ward = await open_ward(client, hospital, stand_in, nurses=1, born=clock.now.date() - timedelta(days=40))
                alert_id = await fever(client, ward, at=clock.now - timedelta(minutes=5))
                for _ in range(3):
                    response = await client.get(
                        f"{API}/patients/{ward.patient}/measurements", headers=ward.nurses[0].headers
                    )
                    await expect(response, 200)
                return alert_id

            # Over a year ago: an alert delivered, and one whose push failed and waits to be retried.
            await a_ward_reads_and_raises_an_alert()
            await worker.run_once()
            stand_in.answer(500)
            await a_ward_reads_and_raises_an_alert()
            await worker.run_once()
            # Now: a new alert is delivered, while the one still retried is held by a worker that
            # claimed it and died before sending (its lease has not ended).
            clock.now = START + YEAR + timedelta(days=35)
            fresh = uuid.UUID(await a_ward_reads_and_raises_an_alert())
            claimed = await worker.claim()
            assert len(claimed) == 2
            await worker.process([c for c in claimed if c.alert_id == fresh])
            now = clock.now
            cutoff = now - timedelta(days=settings.push_attempt_retention_days)
            before = await counts(db, cutoff)
            assert before["old_reads"] >= 6 and before["new_reads"] >= 3
            pending_attempts = await db.fetchval(
                """select count(*) from push_attempts p join push_deliveries d on d.id = p.delivery_id
                   where d.status = 'sending'"""
            )
            assert pending_attempts == 1 and before["old_attempts"] == 2 and before["new_attempts"] == 1

            # The defaults: push receipts for a year, except a delivery's still being sent; the
            # access log for good.
            await run_housekeeping(pool, settings, clock)
            after = await counts(db, cutoff)
            assert after == {**before, "old_attempts": pending_attempts}

            # A records office that archives the log may prune it after ten years or more.
            clock.now = START + timedelta(days=ACCESS_LOG_MIN_RETENTION_DAYS + 200)
            archived = replace(settings, access_log_retention_days=ACCESS_LOG_MIN_RETENTION_DAYS).checked()
            log_cutoff = clock.now - timedelta(days=ACCESS_LOG_MIN_RETENTION_DAYS)
            assert START < log_cutoff < now
            kept_reads = await db.fetchval("select count(*) from access_log where at >= $1", log_cutoff)
            await run_housekeeping(pool, archived, clock)
            assert await db.fetchval("select count(*) from access_log where at < $1", log_cutoff) == 0
            assert await db.fetchval("select count(*) from access_log where at >= $1", log_cutoff) == kept_reads > 0
            clock.now = now
    finally:
        await pusher.aclose()
        await pool.close()
        await stand_in.stop()


async def test_a_prune_batch_blocks_neither_readers_nor_writers_of_the_log(new_database):
    dsn = await new_database()
    async with database(dsn) as setup:
        actor = await setup.fetchval(
            """insert into users (id, username, display_name, role, password_hash, created_at)
               values (gen_random_uuid(), 'lock-test', 'Lock test', 'admin', 'x', $1) returning id""",
            START,
        )
        await setup.executemany(
            """insert into access_log (at, actor_id, actor_role, patient_id, resource, action, outcome)
               values ($1, $2, 'clinician', gen_random_uuid(), 'measurements', 'read', 'allowed')""",
            [(START - timedelta(days=10 - n), actor) for n in range(10)],  # oldest first
        )
    pruner = await asyncpg.connect(dsn)
    other = await asyncpg.connect(dsn)
    try:
        await other.execute("set lock_timeout = '5s'")  # blocked would fail here, not hang
        prune_batch = pruner.transaction()
        await prune_batch.start()
        row = await pruner.fetchrow(queries.prune_access_log, START, 4)
        assert (row["deleted"], row["reached_kept"]) == (4, False)
        # Mid-batch, the table holds only the locks of row-level work (SELECT … FOR UPDATE, DELETE),
        # which conflict with no insert, update or read.
        table_locks = await other.fetch(
            """select mode from pg_locks
               where relation = 'access_log'::regclass and pid = $1 and locktype = 'relation'""",
            pruner.get_server_pid(),
        )
        assert {lock["mode"] for lock in table_locks} == {"RowShareLock", "RowExclusiveLock"}
        await other.execute(
            """insert into access_log (at, actor_id, actor_role, patient_id, resource, action, outcome)
               values ($1, $2, 'clinician', gen_random_uuid(), 'patient', 'read', 'allowed')""",
            START,
            actor,
        )
        # The rows being deleted are still there for readers until the batch commits.
        assert await other.fetchval("select count(*) from access_log") == 11
        # A second pruner skips the locked rows instead of queueing behind them.
        second = await other.fetchrow(queries.prune_access_log, START, 4)
        assert second["deleted"] == 4
        await prune_batch.commit()
        assert await other.fetchval("select count(*) from access_log") == 3
    finally:
        await pruner.close()
        await other.close()


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        ("access_log_retention_days", 0, True),
        ("access_log_retention_days", ACCESS_LOG_MIN_RETENTION_DAYS, True),
        ("access_log_retention_days", 365, False),
        ("push_attempt_retention_days", 0, True),
        ("push_attempt_retention_days", 30, True),
        ("push_attempt_retention_days", 7, False),
        ("retention_batch_size", 0, False),
    ],
)
def test_retention_settings_refuse_periods_shorter_than_the_floor(name, value, accepted):
    environ = {f"HEIMA_{name.upper()}": str(value)}
    if accepted:
        assert getattr(Settings.from_env(environ), name) == value
    else:
        with pytest.raises(SettingsError, match=f"HEIMA_{name.upper()}"):
            Settings.from_env(environ)


def test_the_default_keeps_the_access_log_for_good_and_push_receipts_for_a_year():
    settings = Settings()
    assert settings.access_log_retention_days == 0
    assert settings.push_attempt_retention_days == 365
