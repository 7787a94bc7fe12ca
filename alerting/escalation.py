"""Escalation: a high alert nobody acknowledges is pushed again, to a wider circle each time.

When the alert is raised every clinician of the patient's units gets a delivery (step 0, written
with the alert). If it is still open `escalation_after_seconds` later (docs/clinical-rules.md, C4: repeat
unacknowledged urgent alerts every 15 minutes, then escalate), the worker takes it to

- step 1: every clinician of the patient's units again (including anyone who joined since);
- step 2: those, and every physician of the organisations those units belong to,

and stops there: the alert stays at the top of the worklist (`GET /alerts`) until someone acts.
A step whose every delivery failed (nobody has a working subscription) escalates at once instead
of waiting, since nobody could have seen it. Each step is an `escalate` event on the alert with
its circle and reason; acknowledging or resolving stops it, and cancels what is still pending.

Each step is a compare-and-set on the alert's `escalation_step`, so two workers never take the
same step twice; the new deliveries are written in the same transaction and wake every worker
through NOTIFY on commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

from backend.db import load_queries

queries = load_queries(__file__)
log = logging.getLogger("heima.alerting.escalation")

LAST_STEP = 2
CIRCLES = {1: "unit", 2: "unit and physicians"}
BATCH = 100


@dataclass(frozen=True, slots=True)
class Escalation:
    alert_id: UUID
    step: int
    reason: str  # unacknowledged | undelivered
    recipients: int


async def escalate_due(conn: asyncpg.Connection, now: datetime, after_seconds: float) -> list[Escalation]:
    """Take every alert that is due one step further; each step in its own short transaction."""
    done: list[Escalation] = []
    # Each pass takes every alert it finds a step further (or finds it moved on), so an alert is
    # seen at most LAST_STEP + 1 times: the bound only guards against a mistake in that reasoning.
    for _ in range(1000):
        due = await conn.fetch(queries.select_due_escalations, now, float(after_seconds), LAST_STEP, BATCH)
        for row in due:
            escalation = await escalate(conn, row["id"], row["escalation_step"], now, row["reason"])
            if escalation is not None:
                done.append(escalation)
        if len(due) < BATCH:
            break
    return done


async def escalate(
    conn: asyncpg.Connection, alert_id: UUID, step: int, now: datetime, reason: str
) -> Escalation | None:
    """Step `step` → `step + 1`; None when another worker (or an acknowledgement) came first."""
    async with conn.transaction():
        row = await conn.fetchrow(queries.escalate_alert, alert_id, step, now, reason)
        if row is None:
            return None
        if row["recipients"]:
            await conn.execute(queries.notify_alerts, msgspec.json.encode({"alert_ids": [str(alert_id)]}).decode())
    escalation = Escalation(alert_id, row["escalation_step"], reason, row["recipients"])
    log.info(
        "alerting.escalated",
        extra={
            "alert_id": str(alert_id),
            "step": escalation.step,
            "circle": CIRCLES.get(escalation.step),
            "reason": reason,
            "recipients": escalation.recipients,
        },
    )
    return escalation
