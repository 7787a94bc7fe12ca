"""The family is told: when a clinician acknowledges one of the patient's alerts (`seen`) or
handles their contact request (`handled`), the phones of the patient and their guardians get a
push saying only that (ids, no health data), in the same transaction as the clinician's act.
Each patient or guardian can turn each kind off (`/me/notification-settings`)."""

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

Kind = Literal["seen", "handled"]
FAMILY_ROLES = frozenset({"patient", "guardian"})


async def tell_family(
    conn: asyncpg.Connection,
    patient_id: UUID,
    kind: Kind,
    now: datetime,
    *,
    alert_id: UUID | None = None,
    contact_request_id: UUID | None = None,
) -> int:
    """Pending pushes to the family's phones; how many. The worker is woken on commit."""
    rows = await conn.fetch(queries.insert_family_deliveries, patient_id, kind, alert_id, contact_request_id, now)
    if rows:
        subject = alert_id or contact_request_id
        await conn.execute(queries.notify_alerts, msgspec.json.encode({"alert_ids": [str(subject)]}).decode())
    return len(rows)


def _family_only(caller: Caller) -> None:
    if caller.role not in FAMILY_ROLES:
        raise ProblemError(403, "These settings are for patients and guardians.")


async def get_settings(conn: asyncpg.Connection, caller: Caller) -> FamilyNotificationSettings:
    _family_only(caller)
    stored = {row["kind"]: row["enabled"] for row in await conn.fetch(queries.select_family_settings, caller.id)}
    return FamilyNotificationSettings(seen=stored.get("seen", True), handled=stored.get("handled", True))


async def set_settings(
    conn: asyncpg.Connection, caller: Caller, data: FamilyNotificationSettingsIn
) -> FamilyNotificationSettings:
    _family_only(caller)
    for kind in ("seen", "handled"):
        enabled = getattr(data, kind)
        if enabled is not None:
            await conn.execute(queries.upsert_family_setting, caller.id, kind, enabled, caller.now)
    return await get_settings(conn, caller)
