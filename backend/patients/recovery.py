"""Recovery: a new phone for a patient or guardian who has none left, on two clinicians' word.

A device code needs a phone already signed in, and an activation code never signs in an account
that exists (either would let one clinician become the family member). So a lost last phone is
recovered under a two-person rule: a clinician of the patient issues a recovery code for the
account (they hand it to the person, having identified them) and a *different* clinician of the
patient confirms it; only then does `POST /auth/activate` take it, adding a phone to that very
account. The issuer cannot confirm, the confirmer never sees the code, and each step is an
access-log row of the clinician who took it. The session it starts names both.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from backend.access.service import CLINICIAN_ONLY, Caller, authorize_patient
from backend.db import load_queries
from backend.errors import ProblemError, invalid
from backend.identity.schemas import Person, person
from backend.patients.schemas import Recovery, RecoveryCreate, RecoveryIssued, RecoveryList, RecoveryStatus
from backend.security import Secrets

queries = load_queries(__file__)

RESOURCE = "recovery"


async def issue_recovery(
    conn: asyncpg.Connection, caller: Caller, secrets: Secrets, ttl: timedelta, patient_id: UUID, data: RecoveryCreate
) -> RecoveryIssued:
    """A recovery code for the patient's own account or a guardian's; it waits for a second clinician."""
    await authorize_patient(conn, caller, patient_id, resource=RESOURCE, action="write", roles=CLINICIAN_ONLY)
    if await conn.fetchrow(queries.select_family_account, patient_id, data.user_id) is None:
        raise invalid("user_id", "not the account of this patient or of one of their guardians")
    code = secrets.new_activation_code()
    recovery_id = uuid.uuid4()
    await conn.execute(
        queries.insert_recovery_code,
        recovery_id,
        secrets.activation_code_hash(code),
        patient_id,
        data.user_id,
        data.reason,
        caller.id,
        caller.now,
        caller.now + ttl,
    )
    return RecoveryIssued(recovery=await _one(conn, patient_id, recovery_id, caller.now), code=code)


async def list_recoveries(conn: asyncpg.Connection, caller: Caller, patient_id: UUID) -> RecoveryList:
    """The patient's recoveries, newest first: what a second clinician looks at before confirming."""
    await authorize_patient(conn, caller, patient_id, resource=RESOURCE, action="read", roles=CLINICIAN_ONLY)
    rows = await conn.fetch(queries.select_recoveries, patient_id, None)
    return RecoveryList(items=[_recovery(row, caller.now) for row in rows])


async def confirm_recovery(conn: asyncpg.Connection, caller: Caller, patient_id: UUID, recovery_id: UUID) -> Recovery:
    """The second clinician's word: from now on the code adds a phone to the account."""
    await authorize_patient(conn, caller, patient_id, resource=RESOURCE, action="write", roles=CLINICIAN_ONLY)
    row = await conn.fetchrow(queries.lock_recovery, patient_id, recovery_id)
    if row is None:
        raise ProblemError(404, "The patient has no recovery with this id.")
    if row["requested_by"] == caller.id:
        raise ProblemError(403, "A second clinician of the patient must confirm a recovery you issued.")
    if row["confirmed_at"] is not None or row["used_at"] is not None:
        raise ProblemError(409, "This recovery is confirmed already.")
    if row["expires_at"] <= caller.now:
        raise ProblemError(409, "This recovery code has expired: issue a new one.")
    await conn.execute(queries.confirm_recovery, recovery_id, caller.id, caller.now)
    return await _one(conn, patient_id, recovery_id, caller.now)


async def _one(conn: asyncpg.Connection, patient_id: UUID, recovery_id: UUID, now: datetime) -> Recovery:
    return _recovery(await conn.fetchrow(queries.select_recoveries, patient_id, recovery_id), now)


def _status(row: asyncpg.Record, now: datetime) -> RecoveryStatus:
    if row["used_at"] is not None:
        return "used"
    if row["expires_at"] <= now:
        return "expired"
    return "confirmed" if row["confirmed_at"] is not None else "awaiting-confirmation"


def _recovery(row: asyncpg.Record, now: datetime) -> Recovery:
    return Recovery(
        id=row["id"],
        user=Person(row["user_id"], row["user_name"]),
        user_role=row["user_role"],
        reason=row["reason"],
        status=_status(row, now),
        requested_by=Person(row["requested_by_id"], row["requested_by_name"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        confirmed_by=person(row, "confirmed_by"),
        confirmed_at=row["confirmed_at"],
        used_at=row["used_at"],
    )
