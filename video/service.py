"""Meetings: plan one, list and read them, and hand out join tickets.

Who sees a meeting: its named participants (a municipality's nurse among them, who sees this
meeting and nothing else of the patient's), the patient and their guardians, and the clinicians who
may see the patient. Everyone else gets the 404 of a meeting that does not exist, and each read or
denial of an existing meeting leaves one access-log row on its patient (Normen).
"""

from __future__ import annotations

import secrets as random
import uuid
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from backend.access.service import (
    CLINICIAN_ONLY,
    Caller,
    authorize_patient,
    denied_object_access,
    denied_patient_access,
    log_patient_access,
    log_patients_listed,
    note_allowed_access,
    patient_visible,
)
from backend.db import load_queries
from backend.errors import FieldError, ProblemError, invalid
from backend.security import Secrets
from backend.settings import Settings
from video.schemas import JoinTicket, Meeting, MeetingCreate
from video.turn import ice_servers

queries = load_queries(__file__)

TICKET_PREFIX = "heima_wt_"
LIST_LIMIT = 200
MAX_MEETING_LENGTH = timedelta(hours=12)


async def create_meeting(conn: asyncpg.Connection, caller: Caller, settings: Settings, data: MeetingCreate) -> Meeting:
    await authorize_patient(conn, caller, data.patient_id, resource="meeting", action="write", roles=CLINICIAN_ONLY)
    ends_at = data.ends_at or data.starts_at + timedelta(minutes=settings.video_meeting_default_minutes)
    if ends_at <= data.starts_at:
        raise invalid("ends_at", "must be after starts_at")
    if ends_at - data.starts_at > MAX_MEETING_LENGTH:
        raise invalid("ends_at", "a meeting lasts at most 12 hours")
    if ends_at <= caller.now:
        raise invalid("starts_at", "the meeting would already be over")
    user_ids, roles = await _named_participants(conn, caller, data)
    meeting_id = uuid.uuid4()
    await conn.execute(
        queries.insert_meeting,
        meeting_id,
        data.patient_id,
        data.kind,
        data.title,
        data.starts_at,
        ends_at,
        caller.id,
        caller.now,
    )
    await conn.execute(queries.insert_meeting_participants, meeting_id, user_ids, roles)
    return (await _load(conn, caller, [meeting_id]))[0]


async def _named_participants(
    conn: asyncpg.Connection, caller: Caller, data: MeetingCreate
) -> tuple[list[UUID], list[str]]:
    """Clinicians only, each once; the planner hosts unless the list says otherwise."""
    named = [p.user_id for p in data.participants]
    rows = {
        row["id"]: row
        for row in await conn.fetch(queries.select_named_users, named, list(caller.principal.unit_ids), data.patient_id)
    }
    seen: set[UUID] = set()
    for index, participant in enumerate(data.participants):
        field = f"participants[{index}].user_id"
        row = rows.get(participant.user_id)
        if participant.user_id in seen:
            raise invalid(field, "named twice")
        seen.add(participant.user_id)
        if row is None or not row["active"]:
            raise invalid(field, "no such user")
        if row["patient_side"]:
            raise invalid(field, "the patient and their guardians take part without being named")
        if row["role"] != "clinician":
            raise invalid(field, "only clinicians are named; the patient and their guardians take part anyway")
        if data.kind == "consultation" and not row["same_organisation"]:
            raise invalid(field, "only a discharge meeting can include clinicians of another organisation")
    user_ids = list(named)
    roles: list[str] = [p.role for p in data.participants]
    if caller.id not in seen:
        user_ids.append(caller.id)
        roles.append("host")
    if "host" not in roles:
        raise invalid("participants", "a meeting needs a host")
    return user_ids, roles


async def read_meeting(conn: asyncpg.Connection, caller: Caller, meeting_id: UUID) -> Meeting:
    await _meeting_access(conn, caller, meeting_id, resource="meeting")
    return (await _load(conn, caller, [meeting_id]))[0]


async def list_meetings(conn: asyncpg.Connection, caller: Caller, patient_id: UUID | None) -> list[Meeting]:
    if patient_id is None:
        # The caller's own meetings that are still open for joining or yet to come.
        since = caller.now - timedelta(days=1)
        rows = await conn.fetch(queries.select_my_meeting_ids, caller.id, since, LIST_LIMIT)
        await log_patients_listed(conn, caller, sorted({row["patient_id"] for row in rows}), resource="meeting-list")
        return await _load(conn, caller, [row["id"] for row in rows])
    sees_patient = await patient_visible(conn, caller, patient_id)
    rows = await conn.fetch(queries.select_meeting_ids_of_patient, patient_id, sees_patient, caller.id, LIST_LIMIT)
    if not sees_patient and not rows:
        raise denied_patient_access(caller, patient_id, resource="meeting-list", action="read")
    await log_patient_access(conn, caller, patient_id, resource="meeting-list", action="read")
    return await _load(conn, caller, [row["id"] for row in rows])


async def issue_ticket(
    conn: asyncpg.Connection,
    caller: Caller,
    secrets: Secrets,
    settings: Settings,
    meeting_id: UUID,
    signalling_path: str,
) -> JoinTicket:
    """A single-use ticket for the meeting's signalling socket, bound to the caller's sign-in."""
    row, role = await _meeting_access(conn, caller, meeting_id, resource="meeting-join", log=False)
    if role is None:
        raise denied_patient_access(
            caller,
            row["patient_id"],
            resource="meeting-join",
            action="read",
            status=403,
            detail="You are not a participant of this meeting.",
        )
    check_open(row, caller.now, settings)
    await log_patient_access(conn, caller, row["patient_id"], resource="meeting-join", action="read")
    # Who came, for the tertial report's "meetings held" (first join only).
    await conn.execute(queries.insert_attendance, meeting_id, caller.id, role, caller.now)
    await conn.execute(queries.delete_expired_tickets, caller.now)
    ticket = TICKET_PREFIX + random.token_urlsafe(32)
    expires_at = caller.now + timedelta(seconds=settings.video_ticket_ttl_seconds)
    peer_id = peer_id_for(secrets, meeting_id, caller.principal.session_id)
    await conn.execute(
        queries.insert_ticket,
        secrets.token_hash(ticket),
        meeting_id,
        caller.id,
        caller.principal.session_id,
        peer_id,
        caller.now,
        expires_at,
    )
    return JoinTicket(
        ticket=ticket,
        peer_id=peer_id,
        signalling_url=f"{signalling_path}?ticket={ticket}",
        ice_servers=ice_servers(settings, caller.id, caller.now),
        expires_at=expires_at,
        role=role,
    )


def peer_id_for(secrets: Secrets, meeting_id: UUID, session_id: UUID) -> UUID:
    """The same sign-in gets the same place in a meeting's room: a socket that drops and comes back
    with a fresh ticket resumes it. Keyed, so a peer id tells nothing about the session."""
    digest = secrets.token_hash(f"video-peer:{meeting_id}:{session_id}")
    return UUID(bytes=digest[:16], version=4)


def check_open(row: Any, now: datetime, settings: Settings) -> None:
    if row["ended_at"] is not None:
        raise ProblemError(409, "The meeting has ended.")
    opens = row["starts_at"] - timedelta(minutes=settings.video_join_early_minutes)
    closes = row["ends_at"] + timedelta(minutes=settings.video_join_late_minutes)
    if now < opens:
        raise ProblemError(
            409,
            f"The meeting opens for joining at {opens.isoformat()}.",
            errors=[FieldError("starts_at", "too early to join")],
        )
    if now > closes:
        raise ProblemError(409, "The meeting is over.", errors=[FieldError("ends_at", "too late to join")])


async def _meeting_access(
    conn: asyncpg.Connection, caller: Caller, meeting_id: UUID, *, resource: str, log: bool = True
) -> tuple[Any, str | None]:
    """The meeting's row and the caller's role in it, its read logged if `log`. A meeting the caller
    may not see and one that does not exist are the same statement, the same denial row (on its
    patient's log when there is one) and the same 404."""
    principal = caller.principal
    row = await conn.fetchrow(
        queries.select_meeting_access,
        meeting_id,
        principal.id,
        principal.role,
        list(principal.unit_ids),
        caller.now,
        log,
        resource,
        caller.request_id,
        principal.session_id,
        caller.client_request_id,
    )
    role = row["named_role"] or ("participant" if row["patient_side"] else None)
    if role is None and not row["care_team"]:
        raise denied_object_access(caller, meeting_id, row["patient_id"], resource=resource, action="read")
    if log:
        note_allowed_access(caller, row["patient_id"], resource=resource, action="read")
    return row, role


async def _load(conn: asyncpg.Connection, caller: Caller, meeting_ids: list[UUID]) -> list[Meeting]:
    if not meeting_ids:
        return []
    rows = await conn.fetch(queries.select_meetings, meeting_ids, caller.id)
    return [msgspec.convert(dict(row), Meeting) for row in rows]
