"""Forms of a patient's programmes, and recording and reading their responses."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

from alerting.engine.types import Observation
from alerting.service import PatientRules, evaluate_and_record, recorded_alerts
from backend.access.service import Caller, authorize_patient
from backend.db import load_queries
from backend.errors import FieldError, ProblemError, invalid
from backend.forms.answers import check_answers, compute_score, content_hash, field, to_measurements
from backend.forms.schemas import (
    Form,
    FormDefinition,
    FormList,
    FormResponseIn,
    FormResponsePage,
    FormResponseResult,
    StoredFormResponse,
)
from backend.measurements.catalogue import Catalogue
from backend.measurements.schemas import ItemResult, Recorder
from backend.measurements.service import alert_ref, earliest_measured_at, store_measurements
from backend.measurements.validation import MAX_FUTURE_SKEW, TOO_EARLY
from backend.pagination import START, Position, decode_cursor, encode_cursor

queries = load_queries(__file__)

RESPONSES = "form-responses"
MAX_PAGE = 500


# The answer to a submission, and whether it stored something new (False: an identical resend).
Recorded = tuple[FormResponseResult, bool]


async def list_forms(conn: asyncpg.Connection, caller: Caller, patient_id: UUID) -> FormList:
    await authorize_patient(conn, caller, patient_id, resource="forms", action="read")
    rows = await conn.fetch(queries.select_current_forms, patient_id, caller.now)
    forms = []
    for row in rows:
        definition = msgspec.convert(row["definition"], FormDefinition)
        forms.append(
            Form(
                code=row["code"],
                version=row["version"],
                programme=row["programme"],
                title=definition.title,
                items=definition.items,
                description=definition.description,
                score=definition.score,
            )
        )
    return FormList(items=forms)


async def record_form_response(
    conn: asyncpg.Connection, caller: Caller, patient_id: UUID, response: FormResponseIn, catalogue: Catalogue
) -> Recorded:
    """Validate against the named form version, store the response and its measurements together.

    A resend is recognised before anything else is checked: answers accepted once stay accepted
    even if the enrolment has ended since or the form has a newer version.
    """
    patient = await authorize_patient(conn, caller, patient_id, resource=RESPONSES, action="write")
    digest = content_hash(response)
    if (stored := await _stored_outcome(conn, patient_id, response.id, digest)) is not None:
        return stored

    definition = await _form_for(conn, patient_id, response, caller.now)
    errors = check_answers(definition, response.answers)
    if response.authored_at > caller.now + MAX_FUTURE_SKEW:
        errors.insert(0, FieldError("authored_at", "is in the future; check the phone's clock"))
    elif response.authored_at < earliest_measured_at(patient):
        errors.insert(0, FieldError("authored_at", TOO_EARLY))
    if errors:
        raise ProblemError(422, "The answers do not fit the form.", errors=errors)

    score = compute_score(definition, response.answers)
    mapped = to_measurements(definition, response)
    measurement_ids = [measurement.id for _, measurement in mapped]
    inserted = await conn.fetchval(
        queries.insert_form_response,
        patient_id,
        response.id,
        response.form,
        response.version,
        response.authored_at,
        caller.now,
        response.answers,
        score,
        measurement_ids,
        caller.id,
        caller.role,
        digest,
    )
    if inserted is None:
        # A concurrent first delivery of the same id won the insert (ON CONFLICT waited for it to
        # commit), so the row is there to compare with.
        if (stored := await _stored_outcome(conn, patient_id, response.id, digest)) is not None:
            return stored
        raise ProblemError(409, "This response is being stored by another request; send it again.")
    created: list[Observation] = []
    rules: PatientRules | None = None
    if mapped:
        stored = await store_measurements(conn, caller, patient_id, patient, [m for _, m in mapped], catalogue)
        _raise_unless_stored([link_id for link_id, _ in mapped], stored.results)
        created, rules = stored.created, stored.rules
    # Answer rules (bilious vomit, a tube problem, "I am worried", cloudy effluent) and the mapped
    # measurements are evaluated here, in this transaction.
    alerts = await evaluate_and_record(
        conn, caller, patient_id, measurements=created, form_response_ids=[response.id], rules=rules
    )
    refs = [alert_ref(alert) for alert in alerts]
    result = FormResponseResult(id=response.id, measurement_ids=measurement_ids, alerts=refs, score=score)
    return result, True


async def _stored_outcome(
    conn: asyncpg.Connection, patient_id: UUID, response_id: UUID, digest: bytes
) -> Recorded | None:
    row = await conn.fetchrow(queries.select_form_response_outcome, patient_id, response_id)
    if row is None:
        return None
    if row["content_hash"] != digest:
        raise ProblemError(409, "A different response with this id is already stored.")
    # A resend is told the alerts the first delivery raised, as they stand now.
    alerts = await recorded_alerts(
        conn, patient_id, measurement_ids=row["measurement_ids"], form_response_ids=[response_id]
    )
    refs = [alert_ref(alert) for alert in alerts]
    result = FormResponseResult(
        id=response_id, measurement_ids=list(row["measurement_ids"]), alerts=refs, score=row["score"]
    )
    return result, False


async def _form_for(
    conn: asyncpg.Connection, patient_id: UUID, response: FormResponseIn, now: datetime
) -> FormDefinition:
    row = await conn.fetchrow(
        queries.select_form_for_patient, response.form, response.version, patient_id, now, response.authored_at
    )
    if row is None:
        if await conn.fetchval(queries.select_form_exists, response.form):
            raise invalid("version", f"form {response.form} has no version {response.version}")
        raise invalid("form", "no such form; see GET /patients/{id}/forms")
    if not row["followed"]:
        raise invalid("form", "not a form of a programme this patient follows")
    return msgspec.convert(row["definition"], FormDefinition)


def _raise_unless_stored(link_ids: list[str], results: list[ItemResult]) -> None:
    """The form's ranges lie within the measurement types' (a test checks every definition), so a
    refusal here means the definitions and the catalogue disagree; it still must not pass silently."""
    errors: list[FieldError] = []
    for link_id, result in zip(link_ids, results, strict=True):
        if result.status == "conflict":
            raise ProblemError(409, f"A different measurement with the id of answer {link_id} is already stored.")
        for error in result.errors or []:
            errors.append(FieldError(field(link_id), error.message))
    if errors:
        raise ProblemError(422, "The answers do not fit the form.", errors=errors)


async def list_form_responses(
    conn: asyncpg.Connection, caller: Caller, patient_id: UUID, *, form: str | None, cursor: str | None, limit: int
) -> FormResponsePage:
    await authorize_patient(conn, caller, patient_id, resource=RESPONSES, action="read")
    before = decode_cursor(cursor, Position, START)
    rows = await conn.fetch(queries.select_form_responses, patient_id, before.at, before.id, limit, form)
    items = [
        StoredFormResponse(
            id=row["id"],
            form=row["form"],
            version=row["version"],
            authored_at=row["authored_at"],
            received_at=row["received_at"],
            answers=row["answers"],
            measurement_ids=list(row["measurement_ids"]),
            recorded_by=Recorder(id=row["recorded_by"], role=row["recorder_role"]),
            score=row["score"],
        )
        for row in rows
    ]
    next_cursor = encode_cursor(Position(items[-1].authored_at, items[-1].id)) if len(items) == limit else None
    return FormResponsePage(items=items, next_cursor=next_cursor)
