"""Sign-in throttling that reserves an attempt before the password or code is checked.

Checking the count of recent failures and recording a new one afterwards lets parallel guesses all
pass the check before any of them is recorded (25 parallel guesses against a limit of 5 were all
checked). Instead each attempt first takes a row in `sign_in_failures` under a per-scope advisory
lock, and only when the scope is below its limit; a successful attempt deletes its row again, so
what remains are failures. The lock is transaction-scoped: callers reserve in a short transaction
of their own (sign-in) or in the request's (a signed-in guardian linking a child), and concurrent
reservations of one scope wait for it, then count what it reserved. A failure settles its row,
which then counts until it ages out; rows still in flight hold the limit only for a moment.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import asyncpg

from backend.db import load_queries
from backend.errors import ProblemError

queries = load_queries(__file__)

# Retry-After for a scope that is full only with attempts still being checked.
IN_FLIGHT_WAIT_SECONDS = 1


async def reserve_attempt(
    conn: asyncpg.Connection, limits: Mapping[str, int], window: timedelta, now: datetime
) -> list[int]:
    """Reserve one attempt in every scope (scope → limit), or 429 with `Retry-After` while any scope
    is at its limit; the wait ends when enough attempts have aged out of the window. Call inside a
    transaction; the reservation is what it commits."""
    scopes = await lock_scopes(conn, limits)
    rows = await conn.fetch(queries.select_sign_in_failures, scopes, now - window)
    waits = [
        _wait(row["failed_at"], limits[row["scope"]], window, now)
        for row in rows
        if row["attempts"] >= limits[row["scope"]]
    ]
    if waits:
        # Refused attempts reserve nothing, so hammering cannot extend the wait.
        raise ProblemError(
            429,
            "Too many failed attempts; wait before trying again.",
            headers={"Retry-After": str(max(1, math.ceil(max(waits))))},
        )
    return await conn.fetchval(queries.insert_sign_in_attempts, scopes, now)


async def lock_scopes(conn: asyncpg.Connection, scopes: Iterable[str]) -> list[str]:
    """Until the transaction ends, others wait to reserve in or clear these scopes; the scopes,
    sorted: one lock order for every caller, so two scopes never deadlock."""
    ordered = sorted(scopes)
    await conn.execute(queries.lock_sign_in_scopes, ordered)
    return ordered


def _wait(failed_at: Sequence[datetime], limit: int, window: timedelta, now: datetime) -> float:
    """Seconds until enough settled failures age out to bring the scope under its limit; when the
    scope is full only because attempts are in flight, they settle within a second or so."""
    if len(failed_at) < limit:
        return IN_FLIGHT_WAIT_SECONDS
    return (failed_at[len(failed_at) - limit] + window - now).total_seconds()


async def settle_attempt(conn: asyncpg.Connection, reservation: Sequence[int]) -> None:
    """The attempt failed: it counts until it ages out of the window."""
    await conn.execute(queries.settle_sign_in_attempts, list(reservation))


async def release_attempt(conn: asyncpg.Connection, reservation: Sequence[int]) -> None:
    """The attempt succeeded (or was never a guess): it does not count as a failure."""
    await conn.execute(queries.delete_sign_in_attempts, list(reservation))


async def clear_scope(conn: asyncpg.Connection, scope: str) -> None:
    """A successful sign-in clears its account's failures (never an address's: a guesser with one
    real account must not be able to reset the count of the address it guesses from). Attempts
    still in flight stay theirs to settle. Call with the scope locked (`lock_scopes`): two sign-ins
    clearing one account at once would otherwise deadlock on its rows."""
    await conn.execute(queries.delete_sign_in_failures, scope)
