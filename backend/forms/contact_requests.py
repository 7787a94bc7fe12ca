"""Contact requests: a patient or guardian asks the unit to get in touch.

Until alerting exists, an open request is the clinicians' thing to act on: it stays open, and
listed, until a clinician marks it handled.
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from alerting.notify import family
from alerting.notify import service as notify
from alerting.service import evaluate_and_record
from alerting.worklist import resolve_handled_contact_alerts
from backend.access.service import CLINICIAN_ONLY, NOT_FOUND_DETAIL, Caller, authorize_patient
from backend.db import load_queries
from backend.errors import ProblemError, invalid
from backend.forms.schemas import ContactReply, ContactRequest, ContactRequestIn, ContactRequestList, ContactStatus
from backend.measurements.schemas import Recorder

queries = load_queries(__file__)

RESOURCE = "contact-requests"
MAX_PAGE = 500


async def create_contact_request(
    conn: asyncpg.Connection, caller: Caller, patient_id: UUID, data: ContactRequestIn
) -> tuple[ContactRequest, bool]:
    """The request, and whether it is new (False: an identical resend of a stored one)."""
    await authorize_patient(conn, caller, patient_id, resource=RESOURCE, action="write")
    if not data.message.strip():
        raise invalid("message", "must not be blank")
    request_id = data.id or uuid.uuid4()
    row = await conn.fetchrow(
        queries.insert_contact_request, request_id, patient_id, data.message, caller.id, caller.role, caller.now
    )
    promise = await conn.fetchval(queries.select_contact_promise, patient_id)
    # What the family reads: when the unit answers, and when it is closed now, when it opens.
    reply = ContactReply(**await notify.contact_reply(conn, patient_id, caller.now))
    if row is not None:
        # A request to be contacted is an alert for the unit's clinicians, raised in this transaction.
        await evaluate_and_record(conn, caller, patient_id, contact_request_ids=[row["id"]])
        return msgspec.structs.replace(_contact_request(row), contact_within_hours=promise, reply=reply), True
    stored = await conn.fetchrow(queries.select_contact_request, patient_id, request_id)
    same = (stored["message"], stored["created_by"]) == (data.message, caller.id)
    if not same:
        raise ProblemError(409, "A different contact request with this id is already stored.")
    return msgspec.structs.replace(_contact_request(stored), contact_within_hours=promise, reply=reply), False


async def list_contact_requests(
    conn: asyncpg.Connection, caller: Caller, patient_id: UUID, status: ContactStatus | None, limit: int
) -> ContactRequestList:
    await authorize_patient(conn, caller, patient_id, resource=RESOURCE, action="read")
    statuses = [status] if status else ["open", "handled"]
    rows = await conn.fetch(queries.select_contact_requests, patient_id, statuses, limit)
    return ContactRequestList(items=[_contact_request(row) for row in rows])


async def handle_contact_request(
    conn: asyncpg.Connection, caller: Caller, patient_id: UUID, request_id: UUID
) -> ContactRequest:
    """Mark handled, which resolves the alert it raised once every request that alert rests on is
    handled. Handling twice is harmless: the answer shows who handled it first."""
    await authorize_patient(conn, caller, patient_id, resource=RESOURCE, action="write", roles=CLINICIAN_ONLY)
    row = await conn.fetchrow(queries.handle_contact_request, request_id, patient_id, caller.id, caller.now)
    if row is not None:
        await resolve_handled_contact_alerts(conn, caller, patient_id)
        # The family's phones hear that it was handled (alerting/notify/family.py).
        await family.tell_family(conn, patient_id, "handled", caller.now, contact_request_id=request_id)
    else:
        row = await conn.fetchrow(queries.select_contact_request, patient_id, request_id)
        if row is None:
            raise ProblemError(404, NOT_FOUND_DETAIL)
    return _contact_request(row)


def _contact_request(row: Any) -> ContactRequest:
    return ContactRequest(
        id=row["id"],
        patient_id=row["patient_id"],
        message=row["message"],
        status=row["status"],
        created_at=row["created_at"],
        created_by=Recorder(id=row["created_by"], role=row["created_role"]),
        handled_by=row["handled_by"],
        handled_at=row["handled_at"],
    )
