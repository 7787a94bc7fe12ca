"""Housekeeping the worker runs periodically: pruning what can no longer matter."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from backend.db import load_queries

queries = load_queries(__file__)


async def prune(conn: asyncpg.Connection, now: datetime, sign_in_window: timedelta) -> None:
    await conn.execute(queries.delete_expired_tokens, now)
    await conn.execute(queries.delete_old_sign_in_failures, now - sign_in_window)
