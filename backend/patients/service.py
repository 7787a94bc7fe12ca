"""Patients: registration, enrolment in programmes, activation codes, and their access log."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from backend.access.service import CLINICIAN_ONLY, Caller, authorize_patient, log_patients_listed, require_own_unit
from backend.db import load_queries
from backend.errors import FieldError, ProblemError, invalid
from backend.identity.schemas import Person, person
from backend.patients.schemas import (
    AccessLog,
    AccessLogEntry,
    ActivationCode,
    ActivationCodeCreate,
    Enrolment,
    EnrolmentChange,
    EnrolmentCreate,
    FamilySession,
    FamilySessionList,
    ParameterHistory,
    ParameterVersion,
    Patient,
    PatientCreate,
    PatientSummary,
    is_time_zone,
)
from backend.programmes.service import check_parameters, programme_parameters
from backend.security import Secrets

queries = load_queries(__file__)

ACCESS_LOG_PAGE = 100
EARLIEST_BIRTH_DATE = date(1900, 1, 1)


async def register_patient(conn: asyncpg.Connection, caller: Caller, data: PatientCreate) -> Patient:
    require_own_unit(caller, data.unit_id)
    if not is_time_zone(data.time_zone):
        raise invalid("time_zone", "not an IANA time zone name")
    if data.birth_date > caller.now.date():
        raise invalid("birth_date", "cannot be in the future")
    if data.birth_date < EARLIEST_BIRTH_DATE:
        # A typo (0001-01-01, 1099-…) that would bound the patient's measurements from below.
        raise invalid("birth_date", f"cannot be before {EARLIEST_BIRTH_DATE.isoformat()}")
    patient_id = uuid.uuid4()
    await conn.execute(
        queries.insert_patient,
        patient_id,
        data.display_name,
        data.birth_date,
        data.time_zone,
        data.unit_id,
        caller.id,
        caller.now,
    )
    await authorize_patient(conn, caller, patient_id, resource="patient", action="write", roles=CLINICIAN_ONLY)
    return await _load_patient(conn, patient_id)


async def read_patient(conn: asyncpg.Connection, caller: Caller, patient_id: UUID) -> Patient:
    await authorize_patient(conn, caller, patient_id, resource="patient", action="read")
    return await _load_patient(conn, patient_id)


async def _load_patient(conn: asyncpg.Connection, patient_id: UUID) -> Patient:
    row = await conn.fetchrow(queries.select_patient, patient_id)
    return msgspec.convert(dict(row), Patient)


async def list_patients(conn: asyncpg.Connection, caller: Caller, unit_id: UUID | None) -> list[PatientSummary]:
    if unit_id is not None:
        require_own_unit(caller, unit_id)
    unit_ids = [unit_id] if unit_id is not None else list(caller.principal.unit_ids)
    rows = await conn.fetch(queries.select_patients_of_units, unit_ids, caller.now)
    await log_patients_listed(conn, caller, [row["id"] for row in rows], resource="patient-list")
    return [PatientSummary(**dict(row)) for row in rows]


async def enrol_patient(conn: asyncpg.Connection, caller: Caller, patient_id: UUID, data: EnrolmentCreate) -> Enrolment:
    await authorize_patient(conn, caller, patient_id, resource="enrolment", action="write", roles=CLINICIAN_ONLY)
    require_own_unit(caller, data.unit_id)
    specs = await programme_parameters(conn, data.programme)
    if specs is None:
        raise invalid("programme", "no such programme; see GET /api/v1/programmes")
    if errors := check_parameters(specs, data.parameters):
        raise ProblemError(422, "The programme parameters are not valid.", errors=errors)
    try:
        row = await conn.fetchrow(
            queries.insert_enrolment,
            uuid.uuid4(),
            patient_id,
            data.unit_id,
            data.programme,
            data.parameters,
            data.started_at or caller.now,
            caller.id,
            caller.now,
        )
    except asyncpg.UniqueViolationError:
        raise ProblemError(409, "The patient is already enrolled in this programme.") from None
    return msgspec.convert(dict(row), Enrolment)


async def end_enrolment(
    conn: asyncpg.Connection, caller: Caller, patient_id: UUID, enrolment_id: UUID, reason: str | None = None
) -> Enrolment:
    await authorize_patient(conn, caller, patient_id, resource="enrolment", action="write", roles=CLINICIAN_ONLY)
    row = await conn.fetchrow(
        queries.end_enrolment,
        enrolment_id,
        patient_id,
        list(caller.principal.unit_ids),
        caller.now,
        reason.strip() if reason else None,
    )
    if row is None:
        raise ProblemError(404, "No open enrolment of your units with this id.")
    return msgspec.convert(dict(row), Enrolment)


async def change_parameters(
    conn: asyncpg.Connection, caller: Caller, patient_id: UUID, enrolment_id: UUID, data: EnrolmentChange
) -> Enrolment:
    """Change some of an enrolment's parameters, with a reason. The enrolment holds the newest set,
    which every rule reads from this commit on; the change itself is a history row, never edited."""
    await authorize_patient(conn, caller, patient_id, resource="enrolment", action="write", roles=CLINICIAN_ONLY)
    errors = []
    if not data.parameters:
        errors.append(FieldError("parameters", "name at least one parameter to change"))
    if not data.reason.strip():
        errors.append(FieldError("reason", "must not be blank: say why, for the next clinician"))
    row = await conn.fetchrow(queries.select_current_enrolment_for_update, enrolment_id, patient_id, caller.now)
    if row is None:
        raise ProblemError(404, "The patient has no current enrolment with this id.")
    current: dict[str, Any] = row["parameters"]
    merged = {name: value for name, value in {**current, **data.parameters}.items() if value is not None}
    specs = await programme_parameters(conn, row["programme"])
    errors += check_parameters(specs or [], merged)
    if errors:
        raise ProblemError(422, "The programme parameters are not valid.", errors=errors)
    if merged == current:  # a resend of a change already made: nothing to record
        return msgspec.convert(_enrolment(row), Enrolment)
    previous = {name: current.get(name) for name in data.parameters if current.get(name) != merged.get(name)}
    updated = await conn.fetchrow(queries.update_enrolment_parameters, enrolment_id, merged)
    await conn.execute(
        queries.insert_parameter_change,
        enrolment_id,
        patient_id,
        merged,
        previous,
        data.reason.strip(),
        caller.id,
        caller.now,
    )
    return msgspec.convert(dict(updated), Enrolment)


def _enrolment(row: asyncpg.Record) -> dict[str, Any]:
    return {key: row[key] for key in ("id", "programme", "unit_id", "parameters", "started_at", "ended_at")}


async def parameter_history(
    conn: asyncpg.Connection, caller: Caller, patient_id: UUID, enrolment_id: UUID
) -> ParameterHistory:
    """Every version of an enrolment's parameters, newest first, down to those it was enrolled
    with (reconstructed from the oldest change's `previous`)."""
    await authorize_patient(conn, caller, patient_id, resource="enrolment", action="read", roles=CLINICIAN_ONLY)
    enrolment = await conn.fetchrow(queries.select_enrolment_of_patient, enrolment_id, patient_id)
    if enrolment is None:
        raise ProblemError(404, "The patient has no enrolment with this id.")
    changes = [
        ParameterVersion(kind="change", **dict(row))
        for row in await conn.fetch(queries.select_parameter_changes, enrolment_id, patient_id)
    ]
    first = changes[-1] if changes else None
    initial = enrolment["parameters"] if first is None else _before(first)
    enrolled = ParameterVersion(
        kind="enrolment",
        parameters=initial,
        previous={},
        changed_by=enrolment["created_by"],
        changed_by_name=enrolment["created_by_name"],
        changed_at=enrolment["created_at"],
        reason=None,
    )
    return ParameterHistory(items=[*changes, enrolled])


def _before(change: ParameterVersion) -> dict[str, Any]:
    restored = {**change.parameters, **change.previous}
    return {name: value for name, value in restored.items() if value is not None}


async def create_activation_code(
    conn: asyncpg.Connection,
    caller: Caller,
    secrets: Secrets,
    ttl: timedelta,
    patient_id: UUID,
    data: ActivationCodeCreate,
) -> ActivationCode:
    await authorize_patient(conn, caller, patient_id, resource="activation-code", action="write", roles=CLINICIAN_ONLY)
    if data.role == "patient" and await conn.fetchval(queries.select_patient_has_account, patient_id):
        # A code never signs in an account that exists: the patient adds a phone from a signed-in
        # one (POST /me/device-codes), and a lost phone's session is ended by a clinician.
        raise ProblemError(
            409,
            "The patient already has an account: a new phone is added with a device code from their signed-in phone.",
        )
    if data.guardian_id is not None:
        if data.role != "guardian":
            raise invalid("guardian_id", "only a guardian code can name a guardian")
        visible = await conn.fetchval(
            queries.select_guardian_visible, data.guardian_id, list(caller.principal.unit_ids), caller.now
        )
        if not visible:
            raise invalid("guardian_id", "no guardian of a patient you care for has this id")
    code = secrets.new_activation_code()
    expires_at = caller.now + ttl
    await conn.execute(
        queries.insert_activation_code,
        uuid.uuid4(),
        secrets.activation_code_hash(code),
        patient_id,
        data.role,
        data.display_name,
        data.guardian_id,
        caller.id,
        caller.now,
        expires_at,
    )
    return ActivationCode(code=code, expires_at=expires_at, role=data.role)


async def read_access_log(
    conn: asyncpg.Connection, caller: Caller, patient_id: UUID, before: int | None, limit: int
) -> AccessLog:
    await authorize_patient(conn, caller, patient_id, resource="access-log", action="read")
    rows = await conn.fetch(queries.select_access_log, patient_id, before, limit)
    items = [_access_log_entry(row) for row in rows]
    return AccessLog(items=items, next_before=items[-1].id if len(items) == limit else None)


def _access_log_entry(row: asyncpg.Record) -> AccessLogEntry:
    fields = dict(row)
    for column in ("code_issued_by_id", "code_issued_by_name", "code_confirmed_by_id", "code_confirmed_by_name"):
        del fields[column]
    return AccessLogEntry(
        **fields, code_issued_by=person(row, "code_issued_by"), code_confirmed_by=person(row, "code_confirmed_by")
    )


async def list_family_sessions(conn: asyncpg.Connection, caller: Caller, patient_id: UUID) -> FamilySessionList:
    """The phones signed in to the patient's account and their guardians' (clinicians)."""
    await authorize_patient(conn, caller, patient_id, resource="sessions", action="read", roles=CLINICIAN_ONLY)
    rows = await conn.fetch(queries.select_family_sessions, patient_id, caller.now)
    return FamilySessionList(
        items=[
            FamilySession(
                id=row["id"],
                user=Person(row["user_id"], row["user_name"]),
                user_role=row["user_role"],
                device_name=row["device_name"],
                created_at=row["created_at"],
                signed_in_with=row["signed_in_with"],
                code_issued_by=person(row, "code_issued_by"),
                code_confirmed_by=person(row, "code_confirmed_by"),
            )
            for row in rows
        ]
    )


async def end_family_session(conn: asyncpg.Connection, caller: Caller, patient_id: UUID, session_id: UUID) -> None:
    """A lost phone: a clinician of the patient ends a session of the patient's or a guardian's."""
    await authorize_patient(conn, caller, patient_id, resource="session", action="write", roles=CLINICIAN_ONLY)
    if await conn.fetchval(queries.end_family_session, patient_id, session_id, caller.now, caller.id) is None:
        raise ProblemError(404, "No live session of this patient or their guardians has this id.")


async def unlink_guardian(conn: asyncpg.Connection, caller: Caller, patient_id: UUID, guardian_id: UUID) -> None:
    """A custody change: the guardian no longer sees the patient, from their next request on. Codes
    naming them for this patient stop working, and a guardian left without children is signed out."""
    await authorize_patient(conn, caller, patient_id, resource="guardianship", action="write", roles=CLINICIAN_ONLY)
    if await conn.fetchval(queries.delete_guardianship, patient_id, guardian_id) is None:
        raise ProblemError(404, "The patient has no guardian with this id.")
    await conn.execute(queries.expire_link_codes, patient_id, guardian_id, caller.now)
    await conn.execute(queries.revoke_sessions_of_unlinked_guardian, guardian_id, caller.now, caller.id)
