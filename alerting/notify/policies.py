"""Reading and setting a unit's notification policy: the unit's clinicians or an administrator.

A policy is never edited in place: a new one supersedes the current one, with who set it, when
and why, so the history answers "who decided that nobody is woken for this at night". A unit
another clinician does not belong to answers exactly like a unit that does not exist (404);
patients and guardians have no say (403).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

from alerting.notify import policy as policies
from alerting.notify.promise import UnitPromise, promise_text
from alerting.notify.schemas import (
    NotificationPolicyChange,
    NotificationPolicyHistory,
    NotificationPolicyIn,
    NotificationPolicyOut,
)
from alerting.notify.service import decode_policy, queries
from alerting.schemas import LocalText
from backend.access.service import NOT_FOUND_DETAIL, Caller
from backend.errors import ProblemError, invalid

HISTORY_LIMIT = 200


def _may_see_unit(caller: Caller, unit_id: UUID) -> None:
    if caller.role == "admin":
        return
    if caller.role != "clinician":
        raise ProblemError(403, "Your role may not do this.")
    if unit_id not in caller.principal.unit_ids:
        raise ProblemError(404, NOT_FOUND_DETAIL)


async def _unit(conn: asyncpg.Connection, caller: Caller, unit_id: UUID) -> asyncpg.Record:
    _may_see_unit(caller, unit_id)
    row = await conn.fetchrow(queries.select_unit_policy, unit_id)
    if row is None:
        raise ProblemError(404, NOT_FOUND_DETAIL)
    return row


def _answer(row: asyncpg.Record, now: datetime) -> NotificationPolicyOut:
    stored = decode_policy(row["policy"])
    effective = stored or policies.DEFAULT
    said = promise_text(UnitPromise(row["contact_within_hours"], effective))
    return NotificationPolicyOut(
        unit_id=row["id"],
        policy=effective,
        contact_within_hours=row["contact_within_hours"],
        source="unit" if stored is not None else "default",
        set_by=row["set_by"],
        set_by_name=row["set_by_name"],
        set_at=row["set_at"],
        reason=row["reason"],
        staffed_now=policies.is_staffed(effective, now),
        promise=LocalText(**said) if said else None,
    )


async def get_policy(conn: asyncpg.Connection, caller: Caller, unit_id: UUID) -> NotificationPolicyOut:
    return _answer(await _unit(conn, caller, unit_id), caller.now)


async def set_policy(
    conn: asyncpg.Connection, caller: Caller, unit_id: UUID, data: NotificationPolicyIn
) -> NotificationPolicyOut:
    await _unit(conn, caller, unit_id)
    if not data.reason.strip():
        raise invalid("reason", "must not be blank")
    policy = data.policy()
    try:
        policies.check(policy)
    except policies.PolicyError as exc:
        raise invalid(exc.field, exc.message) from None
    clinicians = {row["user_id"] for row in await conn.fetch(queries.select_unit_clinicians, unit_id)}
    for index, user_id in enumerate(policy.on_call):
        if user_id not in clinicians:
            raise invalid(f"on_call[{index}]", "not a clinician of this unit")
    await conn.execute(queries.supersede_unit_policy, unit_id, caller.now)
    try:
        await conn.execute(
            queries.insert_unit_policy,
            uuid.uuid4(),
            unit_id,
            msgspec.to_builtins(policy),
            data.contact_within_hours,
            data.reason.strip(),
            caller.id,
            caller.now,
        )
    except asyncpg.UniqueViolationError:
        raise ProblemError(
            409, "Someone else set this unit's policy at the same moment; read it and try again."
        ) from None
    await conn.execute(queries.update_unit_promise, unit_id, data.contact_within_hours)
    return await get_policy(conn, caller, unit_id)


async def policy_history(conn: asyncpg.Connection, caller: Caller, unit_id: UUID) -> NotificationPolicyHistory:
    await _unit(conn, caller, unit_id)
    rows = await conn.fetch(queries.select_unit_policy_history, unit_id, HISTORY_LIMIT)
    return NotificationPolicyHistory(
        items=[
            NotificationPolicyChange(
                policy=msgspec.convert(row["policy"], policies.Policy),
                contact_within_hours=row["contact_within_hours"],
                reason=row["reason"],
                set_by=row["set_by"],
                set_by_name=row["set_by_name"],
                set_at=row["set_at"],
                superseded_at=row["superseded_at"],
            )
            for row in rows
        ]
    )
