"""Sign-in throttling that reserves an attempt before the password or code is checked.

Checking the count of recent failures and recording a new one afterwards lets parallel guesses all
pass the check before any of them is recorded (25 parallel guesses against a limit of 5 were all
checked). Instead each attempt first takes a row in `sign_in_failures` under a per-scope advisory
lock, and only when the scope is below its limit; a successful attempt deletes its row again, so
what remains are failures. The lock is transaction-scoped: callers reserve in a short transaction
of their own (sign-in) or in the request's (a signed-in guardian linking a child), and concurrent
reservations of one scope wait for it, then count what it reserved.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import asyncpg

from backend.db import load_queries
from backend.errors import ProblemError

queries = load_queries(__file__)


async def reserve_attempt(
    conn: asyncpg.Connection, limits: Mapping[str, int], window: timedelta, now: datetime
) -> list[int]:
    """Reserve one attempt in every scope (scope → limit), or 429 with `Retry-After` while any scope
    is at its limit; the wait ends when enough attempts have aged out of the window. Call inside a
    transaction; the reservation is what it commits."""
    scopes = sorted(limits)  # one lock order for every caller: no deadlock between two scopes
    await conn.execute(queries.lock_sign_in_scopes, scopes)
    rows = await conn.fetch(queries.select_sign_in_failures, scopes, now - window)
    waits = [
        (row["failed_at"][len(row["failed_at"]) - limits[row["scope"]]] + window - now).total_seconds()
        for row in rows
        if len(row["failed_at"]) >= limits[row["scope"]]
    ]
    if waits:
        # Refused attempts reserve nothing, so hammering cannot extend the wait.
        raise ProblemError(
            429,
            "Too many failed attempts; wait before trying again.",
            headers={"Retry-After": str(max(1, math.ceil(max(waits))))},
        )
    return await conn.fetchval(queries.insert_sign_in_attempts, scopes, now)


async def release_attempt(conn: asyncpg.Connection, reservation: Sequence[int]) -> None:
    """The attempt succeeded (or was never a guess): it does not count as a failure."""
    await conn.execute(queries.delete_sign_in_attempts, list(reservation))


async def clear_scope(conn: asyncpg.Connection, scope: str) -> None:
    """A successful sign-in clears its account's failures (never an address's: a guesser with one
    real account must not be able to reset the count of the address it guesses from)."""
    await conn.execute(queries.delete_sign_in_failures, scope)
