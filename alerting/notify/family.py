"""The family is told: when a clinician acknowledges one of the patient's alerts (`seen`) or
handles their contact request (`handled`), the phones of the patient and their guardians get a
push saying only that (ids, no health data), in the same transaction as the clinician's act. The
worker adds a `reminder` when a registration is due (alerting/notify/reminders.py) and `meeting`
when a meeting is about to start. Each patient or guardian can turn each kind off
(`/me/notification-settings`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import asyncpg
import msgspec

from alerting.notify.schemas import FamilyNotificationSettings, FamilyNotificationSettingsIn
from alerting.notify.service import queries
from backend.access.service import Caller
from backend.errors import ProblemError

Kind = Literal["seen", "handled", "reminder", "meeting"]
KINDS: tuple[Kind, ...] = ("seen", "handled", "reminder", "meeting")
FAMILY_ROLES = frozenset({"patient", "guardian"})


async def tell_family(
    conn: asyncpg.Connection,
    patient_id: UUID,
    kind: Kind,
    now: datetime,
    *,
    alert_id: UUID | None = None,
    contact_request_id: UUID | None = None,
    meeting_id: UUID | None = None,
) -> int:
    """Pending pushes to the family's phones; how many. The worker is woken on commit. A
    reminder's subject is the patient."""
    about_patient = patient_id if kind == "reminder" else None
    rows = await conn.fetch(
        queries.insert_family_deliveries, patient_id, kind, alert_id, contact_request_id, now, about_patient, meeting_id
    )
    if rows:
        subject = alert_id or contact_request_id or meeting_id or patient_id
        await conn.execute(queries.notify_alerts, msgspec.json.encode({"alert_ids": [str(subject)]}).decode())
    return len(rows)


def _family_only(caller: Caller) -> None:
    if caller.role not in FAMILY_ROLES:
        raise ProblemError(403, "These settings are for patients and guardians.")


async def get_settings(conn: asyncpg.Connection, caller: Caller) -> FamilyNotificationSettings:
    _family_only(caller)
    stored = {row["kind"]: row["enabled"] for row in await conn.fetch(queries.select_family_settings, caller.id)}
    return FamilyNotificationSettings(**{kind: stored.get(kind, True) for kind in KINDS})


async def set_settings(
    conn: asyncpg.Connection, caller: Caller, data: FamilyNotificationSettingsIn
) -> FamilyNotificationSettings:
    _family_only(caller)
    for kind in KINDS:
        enabled = getattr(data, kind)
        if enabled is not None:
            await conn.execute(queries.upsert_family_setting, caller.id, kind, enabled, caller.now)
    return await get_settings(conn, caller)
