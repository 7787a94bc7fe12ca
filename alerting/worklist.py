"""The clinicians' worklist and the alert lifecycle: acknowledge, resolve; and the patient's view.

Every read or write goes through `authorize_patient` (one access-log row per patient touched); the
worklist logs one row per patient it lists. An alert of a patient the clinician may not see
answers exactly like an alert that does not exist.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg
import msgspec

from alerting import live
from alerting.engine import texts
from alerting.engine.types import phrase
from alerting.notify import family
from alerting.schemas import (
    Alert,
    AlertEvent,
    AlertEventList,
    AlertList,
    AlertStatus,
    LocalText,
    PatientAlert,
    PatientAlertList,
)
from backend.access.service import (
    CLINICIAN_ONLY,
    Caller,
    authorize_patient,
    denied_object_access,
    log_patients_listed,
    note_allowed_access,
    require_own_unit,
)
from backend.db import load_queries
from backend.decoding import instant_problem
from backend.errors import invalid

queries = load_queries(__file__)

RESOURCE = "alerts"
MAX_PAGE = 500
UNRESOLVED: tuple[AlertStatus, ...] = ("open", "acknowledged")


def _alert(row: asyncpg.Record) -> Alert:
    return Alert(
        id=row["id"],
        patient_id=row["patient_id"],
        patient_name=row["patient_name"],
        rule=row["rule_code"],
        rule_kind=row["rule_kind"],
        rule_source=row["rule_source"],
        severity=row["severity"],
        status=row["status"],
        title=row["title"],
        title_nb=row["title_nb"],
        explanation=row["explanation"],
        explanation_nb=row["explanation_nb"],
        patient_text=msgspec.convert(row["patient_text"], LocalText),
        measurement_ids=list(row["measurement_ids"]),
        form_response_ids=list(row["form_response_ids"]),
        contact_request_ids=list(row["contact_request_ids"]),
        worst_value=row["worst_value"],
        latest_value=row["latest_value"],
        unit=row["unit"],
        observed_at=row["observed_at"],
        raised_at=row["raised_at"],
        last_seen_at=row["last_seen_at"],
        occurrences=row["occurrences"],
        late=row["late"],
        acknowledged_by=row["acknowledged_by"],
        acknowledged_at=row["acknowledged_at"],
        resolved_by=row["resolved_by"],
        resolved_at=row["resolved_at"],
        resolution_note=row["resolution_note"],
        reach=row["reach"],
    )


async def list_alerts(
    conn: asyncpg.Connection,
    caller: Caller,
    *,
    status: AlertStatus | None,
    unit_id: UUID | None,
    patient_id: UUID | None,
    cursor: str | None,
    limit: int,
) -> AlertList:
    """Highest severity first, then oldest first; unresolved alerts unless `status` says."""
    if unit_id is not None:
        require_own_unit(caller, unit_id)
    if patient_id is not None:
        await authorize_patient(conn, caller, patient_id, resource=RESOURCE, action="read", roles=CLINICIAN_ONLY)
    after = _decode_cursor(cursor) if cursor else (None, None, None)
    units = [unit_id] if unit_id is not None else list(caller.principal.unit_ids)
    statuses = [status] if status else list(UNRESOLVED)
    rows = await conn.fetch(queries.select_worklist, statuses, units, caller.now, patient_id, *after, limit)
    if patient_id is None:
        await log_patients_listed(
            conn, caller, list(dict.fromkeys(row["patient_id"] for row in rows)), resource=RESOURCE
        )
    items = [_alert(row) for row in rows]
    next_cursor = _encode_cursor(rows[-1]) if len(rows) == limit else None
    return AlertList(items=items, next_cursor=next_cursor)


async def _authorized_alert(
    conn: asyncpg.Connection, caller: Caller, alert_id: UUID, action: Literal["read", "write"] = "write"
) -> UUID:
    """The alert's patient, the access (`action`) logged; an alert the caller may not see and one that does not
    exist are the same statement, the same denial row and the same 404 (routes are clinicians')."""
    principal = caller.principal
    row = await conn.fetchrow(
        queries.select_alert_authorized,
        alert_id,
        principal.id,
        principal.role,
        list(principal.unit_ids),
        caller.now,
        RESOURCE,
        action,
        caller.request_id,
        principal.session_id,
        caller.client_request_id,
    )
    if not row["visible"]:
        raise denied_object_access(caller, alert_id, row["patient_id"], resource=RESOURCE, action=action)
    note_allowed_access(caller, row["patient_id"], resource=RESOURCE, action=action)
    return row["patient_id"]


async def _read(conn: asyncpg.Connection, alert_id: UUID) -> Alert:
    return _alert(await conn.fetchrow(queries.select_alert, alert_id))


async def acknowledge_alert(conn: asyncpg.Connection, caller: Caller, alert_id: UUID) -> Alert:
    """Someone is on it: no more pushes for it. Acknowledging again, or acknowledging a resolved
    alert, changes nothing: the answer shows who acknowledged or resolved it first."""
    patient_id = await _authorized_alert(conn, caller, alert_id)
    if await conn.fetchval(queries.acknowledge_alert, alert_id, caller.id, caller.now) is not None:
        await live.announce(conn, [alert_id])  # on commit, to the dashboards' live streams
        # The family's phones hear that their care team has seen it (alerting/notify/family.py).
        await family.tell_family(conn, patient_id, "seen", caller.now, alert_id=alert_id)
    return await _read(conn, alert_id)


async def resolve_alert(conn: asyncpg.Connection, caller: Caller, alert_id: UUID, note: str) -> Alert:
    """Closed, with a note. A new breach of the rule opens a new alert. Resolving again changes
    nothing: the answer shows who resolved it first and why."""
    if not note.strip():
        raise invalid("note", "must not be blank")
    await _authorized_alert(conn, caller, alert_id)
    if await conn.fetchval(queries.resolve_alert, alert_id, caller.id, caller.now, note.strip()) is not None:
        await live.announce(conn, [alert_id])  # on commit, to the dashboards' live streams
    return await _read(conn, alert_id)


async def list_alert_events(
    conn: asyncpg.Connection, caller: Caller, alert_id: UUID, after: int, limit: int
) -> AlertEventList:
    """Who did what when, oldest first. An alert of a patient the caller may not see answers like
    one that does not exist."""
    await _authorized_alert(conn, caller, alert_id, action="read")
    rows = await conn.fetch(queries.select_alert_events, alert_id, after, limit)
    items = [
        AlertEvent(
            id=row["id"],
            at=row["at"],
            kind=row["kind"],
            actor_id=row["actor_id"],
            actor_name=row["actor_name"],
            severity=row["severity"],
            note=row["note"],
            note_nb=row["note_nb"],
            rule=row["rule"],
            observation_ids=[UUID(value) for value in row["observation_ids"]],
            late=row["late"],
            severity_before=row["severity_before"],
            escalation_step=row["escalation_step"],
            escalated_to=row["escalated_to"],
            recipients=row["recipients"],
        )
        for row in rows
    ]
    return AlertEventList(items=items, next_after=rows[-1]["id"] if len(rows) == limit else None)


CONTACT_HANDLED = phrase("contact_handled")


async def resolve_handled_contact_alerts(conn: asyncpg.Connection, caller: Caller, patient_id: UUID) -> list[UUID]:
    """A handled contact request needs no alert any more: resolve the patient's alerts whose
    contact requests are all handled (the caller was authorized for the patient)."""
    note, note_nb = (texts.say(CONTACT_HANDLED, language, "UTC") for language in texts.LANGUAGES)
    rows = await conn.fetch(queries.resolve_handled_contact_alerts, patient_id, caller.id, caller.now, note, note_nb)
    resolved = [row["alert_id"] for row in rows]
    if resolved:
        await live.announce(conn, resolved)  # on commit, to the dashboards' live streams
    return resolved


async def list_patient_alerts(
    conn: asyncpg.Connection, caller: Caller, patient_id: UUID, limit: int
) -> PatientAlertList:
    """The patient's or parent's view: the plain-language texts, newest first."""
    await authorize_patient(conn, caller, patient_id, resource=RESOURCE, action="read")
    rows = await conn.fetch(queries.select_patient_alerts, patient_id, limit)
    return PatientAlertList(
        items=[
            PatientAlert(
                id=row["id"],
                severity=row["severity"],
                status=row["status"],
                message=msgspec.convert(row["patient_text"], LocalText),
                raised_at=row["raised_at"],
                last_seen_at=row["last_seen_at"],
                acknowledged_at=row["acknowledged_at"],
                resolved_at=row["resolved_at"],
            )
            for row in rows
        ]
    )


def _encode_cursor(row: asyncpg.Record) -> str:
    raw = f"{row['severity_rank']}|{row['raised_at'].isoformat()}|{row['id']}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[Any, ...]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        rank, at, ident = raw.split("|")
        parsed = datetime.fromisoformat(at)
        # Out of the instant bounds it was never issued, and comparing it in SQL overflowed (a 500).
        if parsed.tzinfo is None or int(rank) not in (1, 2, 3) or instant_problem(parsed):
            raise ValueError("not ours")
        return int(rank), parsed, UUID(ident)
    except ValueError:
        raise invalid("cursor", "not a cursor this service issued") from None
