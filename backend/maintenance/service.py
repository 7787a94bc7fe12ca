"""Housekeeping the worker runs periodically: pruning what can no longer matter, and what has
outlived its retention period (docs/operations.md, "Data lifecycle")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from backend.db import load_queries
from backend.settings import Settings

queries = load_queries(__file__)

# Batches one housekeeping round may delete from one table: a backlog (retention switched on for a
# log years long) drains over several rounds instead of keeping one round busy for hours.
MAX_BATCHES_PER_ROUND = 100


async def prune(conn: asyncpg.Connection, now: datetime, sign_in_window: timedelta) -> None:
    await conn.execute(queries.delete_expired_tokens, now)
    await conn.execute(queries.delete_old_sign_in_failures, now - sign_in_window)


@dataclass(frozen=True, slots=True)
class Pruned:
    access_log: int = 0
    push_attempts: int = 0


async def prune_expired(pool: asyncpg.Pool, settings: Settings, now: datetime) -> Pruned:
    """Delete the access-log rows and push receipts older than their retention periods (0: kept
    for good), oldest first, in batches that are each a transaction of their own."""
    return Pruned(
        access_log=await _prune_table(
            pool, queries.prune_access_log, now, settings.access_log_retention_days, settings.retention_batch_size
        ),
        push_attempts=await _prune_table(
            pool, queries.prune_push_attempts, now, settings.push_attempt_retention_days, settings.retention_batch_size
        ),
    )


async def _prune_table(pool: asyncpg.Pool, statement: str, now: datetime, retention_days: int, batch: int) -> int:
    if retention_days == 0:
        return 0
    cutoff = now - timedelta(days=retention_days)
    total = 0
    for _ in range(MAX_BATCHES_PER_ROUND):
        # A connection per batch, outside any transaction: each statement commits on its own, so
        # no lock or snapshot is held between batches.
        async with pool.acquire() as conn:
            row = await conn.fetchrow(statement, cutoff, batch)
        total += row["deleted"]
        if row["reached_kept"] or row["deleted"] == 0:
            break
    return total
