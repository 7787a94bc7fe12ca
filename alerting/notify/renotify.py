"""Re-notification and escalation: an open alert nobody acknowledges is pushed again, and to a
wider circle in time, until someone acknowledges or resolves it.

When a medium or high alert is raised, the units' policies choose who is told first (step 0,
written with the alert). While it stays open, the worker (every poll) takes each such alert:

- escalate, when its step has waited the severity's `escalate_after` (or at once when nobody at
  the latest push could be told: no subscription, every push failed): step 1 every clinician of
  the patient's units, step 2 those and every physician of the units' organisations;
- else repeat, when the severity's `repeat` has passed since its circle was last pushed to: the
  same circle again, and at the last step for as long as the alert stays open.

Timers come from the policies of the patient's units (the most eager of them; a unit without a
policy of its own repeats and escalates high alerts every HEIMA_ESCALATION_AFTER_SECONDS). Each
step is a compare-and-set on the alert's `escalation_step`, each repeat on its `repeats`, so two
workers never take the same one twice; the new deliveries are written in the same transaction,
with an `escalate` or `repeat` event, and wake every worker through NOTIFY on commit. Low alerts
are never repeated. Acknowledging or resolving stops all of it and cancels what is still pending.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import msgspec

from alerting.notify import policy
from alerting.notify.service import CIRCLES, LAST_STEP, circle, load_units, queries, write_deliveries

log = logging.getLogger("heima.alerting.renotify")

BATCH = 200
_BEFORE_ALL = (datetime(1900, 1, 1, tzinfo=UTC), UUID(int=0))


@dataclass(frozen=True, slots=True)
class Escalation:
    alert_id: UUID
    step: int
    reason: str  # unacknowledged | undelivered
    recipients: int


@dataclass(frozen=True, slots=True)
class Repeat:
    alert_id: UUID
    severity: str
    step: int
    recipients: int


@dataclass(frozen=True, slots=True)
class Renotified:
    escalated: list[Escalation]
    repeated: list[Repeat]


async def renotify_due(conn: asyncpg.Connection, now: datetime, default_high: timedelta) -> Renotified:
    """Escalate or repeat every open medium and high alert that is due; each in its own short
    transaction."""
    escalated: list[Escalation] = []
    repeated: list[Repeat] = []
    after = _BEFORE_ALL
    while True:
        rows = await conn.fetch(queries.select_open_urgent_alerts, now, *after, BATCH)
        if not rows:
            break
        after = (rows[-1]["raised_at"], rows[-1]["id"])
        units = await load_units(conn, {row["patient_id"] for row in rows}, now)
        for row in rows:
            followed_by = units.get(row["patient_id"], [])
            timer = policy.most_eager(policy.timing(u.stored, row["severity"], default_high) for u in followed_by)
            if timer is None:
                continue  # nobody follows the patient now: the worklist still has the alert
            action = policy.due(
                timer,
                step=row["escalation_step"],
                last_step=LAST_STEP,
                step_since=row["step_since"],
                notified_at=row["notified_at"],
                undelivered=row["undelivered"],
                now=now,
            )
            if action is None:
                continue
            kind, reason = action
            if kind == "escalate":
                step = row["escalation_step"] + 1
                users = circle(followed_by, step, row["severity"], now)
                if await _escalate(conn, row, step, reason, users, now):
                    escalated.append(Escalation(row["id"], step, reason, len(users)))
            else:
                users = circle(followed_by, row["escalation_step"], row["severity"], now)
                if await _repeat(conn, row, reason, users, now):
                    repeated.append(Repeat(row["id"], row["severity"], row["escalation_step"], len(users)))
        if len(rows) < BATCH:
            break
    return Renotified(escalated, repeated)


async def _escalate(
    conn: asyncpg.Connection, row: asyncpg.Record, step: int, reason: str, users: set[UUID], now: datetime
) -> bool:
    async with conn.transaction():
        moved = await conn.fetchval(
            queries.escalate_alert, row["id"], row["escalation_step"], now, reason, CIRCLES[step], len(users)
        )
        if moved is None:
            return False  # another worker, or an acknowledgement, came first
        await write_deliveries(conn, row["id"], row["severity"], step, users, now)
        await _wake(conn, row["id"], users)
    log.info(
        "alerting.escalated",
        extra={
            "alert_id": str(row["id"]),
            "step": step,
            "circle": CIRCLES[step],
            "reason": reason,
            "recipients": len(users),
        },
    )
    return True


async def _repeat(conn: asyncpg.Connection, row: asyncpg.Record, reason: str, users: set[UUID], now: datetime) -> bool:
    async with conn.transaction():
        counted = await conn.fetchval(
            queries.repeat_alert, row["id"], row["repeats"], row["escalation_step"], now, reason, len(users)
        )
        if counted is None:
            return False
        await write_deliveries(conn, row["id"], row["severity"], row["escalation_step"], users, now)
        await _wake(conn, row["id"], users)
    log.info(
        "alerting.repeated",
        extra={"alert_id": str(row["id"]), "step": row["escalation_step"], "reason": reason, "recipients": len(users)},
    )
    return True


async def _wake(conn: asyncpg.Connection, alert_id: UUID, users: set[UUID]) -> None:
    if users:
        payload = msgspec.json.encode({"alert_ids": [str(alert_id)]}).decode()
        await conn.execute(queries.notify_alerts, payload)


async def count_unreachable(conn: asyncpg.Connection) -> int:
    """Open alerts nobody could be told of, for heima_alerts_unreachable."""
    return await conn.fetchval(queries.count_unreachable_alerts)
