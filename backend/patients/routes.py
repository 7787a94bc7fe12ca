from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from uuid import UUID

from litestar import Request, Router, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from backend.access.service import Access, SignedIn
from backend.db import DbConnection
from backend.decoding import decode_strict
from backend.errors import problem_responses
from backend.patients import recovery, service
from backend.patients.schemas import (
    AccessLog,
    ActivationCode,
    ActivationCodeCreate,
    Enrolment,
    EnrolmentChange,
    EnrolmentCreate,
    EnrolmentEnd,
    FamilySessionList,
    ParameterHistory,
    Patient,
    PatientCreate,
    PatientList,
    Recovery,
    RecoveryCreate,
    RecoveryIssued,
    RecoveryList,
)

PATIENT = {"access": Access.PATIENT}


@post("/patients", opt={"access": Access.CLINICIAN})
async def register_patient(data: JSONBody[PatientCreate], conn: DbConnection, caller: SignedIn) -> Patient:
    """Register a patient in one of your units; enrol them next."""
    return await service.register_patient(conn, caller, data)


@get("/patients", opt={"access": Access.CLINICIAN})
async def list_patients(conn: DbConnection, caller: SignedIn, unit_id: FromQuery[UUID | None] = None) -> PatientList:
    """The patients of your units (or of one of them)."""
    return PatientList(items=await service.list_patients(conn, caller, unit_id))


@get("/patients/{patient_id:uuid}", opt=PATIENT)
async def read_patient(patient_id: FromPath[UUID], conn: DbConnection, caller: SignedIn) -> Patient:
    """The patient with their enrolments and guardians."""
    return await service.read_patient(conn, caller, patient_id)


@post(
    "/patients/{patient_id:uuid}/enrolments",
    opt=PATIENT,
    responses=problem_responses({409: "The patient is already enrolled in this programme."}),
)
async def enrol_patient(
    patient_id: FromPath[UUID], data: JSONBody[EnrolmentCreate], conn: DbConnection, caller: SignedIn
) -> Enrolment:
    """Enrol the patient in a programme followed by one of your units."""
    return await service.enrol_patient(conn, caller, patient_id, data)


@patch(
    "/patients/{patient_id:uuid}/enrolments/{enrolment_id:uuid}",
    opt=PATIENT,
    responses=problem_responses(
        {422: "A parameter is unknown to the programme, of the wrong type or out of range, or the reason is blank."}
    ),
)
async def change_enrolment_parameters(
    patient_id: FromPath[UUID],
    enrolment_id: FromPath[UUID],
    data: JSONBody[EnrolmentChange],
    conn: DbConnection,
    caller: SignedIn,
) -> Enrolment:
    """Change some of the enrolment's parameters (the patient's clinicians), with a reason: only
    the named ones change (null removes one that is not required), checked against the
    programme's parameter schema; every rule uses the new values from this moment. Each change is
    kept in the enrolment's history, never edited."""
    return await service.change_parameters(conn, caller, patient_id, enrolment_id, data)


@get("/patients/{patient_id:uuid}/enrolments/{enrolment_id:uuid}/history", opt=PATIENT)
async def enrolment_parameter_history(
    patient_id: FromPath[UUID], enrolment_id: FromPath[UUID], conn: DbConnection, caller: SignedIn
) -> ParameterHistory:
    """Every version of the enrolment's parameters, newest first: who changed what, when and why,
    down to the parameters the patient was enrolled with."""
    return await service.parameter_history(conn, caller, patient_id, enrolment_id)


@post("/patients/{patient_id:uuid}/enrolments/{enrolment_id:uuid}/end", opt=PATIENT, status_code=200)
async def end_enrolment(
    patient_id: FromPath[UUID],
    enrolment_id: FromPath[UUID],
    conn: DbConnection,
    caller: SignedIn,
    request: Request,
) -> Enrolment:
    """End follow-up: the unit's clinicians lose access unless another enrolment grants it. The
    body is optional (none, as before, ends without a reason); `{"reason": "…"}` (1–500
    characters) says why, and the tertial report counts the reasons."""
    # Read by hand: an absent body is the original form of this request and must stay valid, which
    # a declared body (strictly decoded, see backend/decoding.py) would refuse as malformed.
    raw = await request.body()
    reason = decode_strict(raw, EnrolmentEnd).reason if raw.strip() else None
    return await service.end_enrolment(conn, caller, patient_id, enrolment_id, reason)


@post("/patients/{patient_id:uuid}/activation-codes", opt=PATIENT)
async def create_activation_code(
    patient_id: FromPath[UUID], data: JSONBody[ActivationCodeCreate], conn: DbConnection, caller: SignedIn, state: State
) -> ActivationCode:
    """A one-time code that makes a new account: the patient's (409 when they have one already: a
    new phone is added with a device code from their signed-in phone) or a new guardian's. Naming
    `guardian_id` makes a code that links that existing guardian (a parent of twins) to this
    child: the guardian enters it in their signed-in app (`POST /me/guardianships`); it signs
    nobody in."""
    ttl = timedelta(hours=state.settings.activation_code_ttl_hours)
    return await service.create_activation_code(conn, caller, state.secrets, ttl, patient_id, data)


@get("/patients/{patient_id:uuid}/sessions", opt=PATIENT)
async def list_family_sessions(patient_id: FromPath[UUID], conn: DbConnection, caller: SignedIn) -> FamilySessionList:
    """Clinicians: the phones signed in to the patient's account and to their guardians' accounts."""
    return await service.list_family_sessions(conn, caller, patient_id)


@delete("/patients/{patient_id:uuid}/sessions/{session_id:uuid}", opt=PATIENT, status_code=204)
async def end_family_session(
    patient_id: FromPath[UUID], session_id: FromPath[UUID], conn: DbConnection, caller: SignedIn
) -> None:
    """Clinicians: end a session of the patient or one of their guardians (a lost phone). Logged."""
    await service.end_family_session(conn, caller, patient_id, session_id)


@delete("/patients/{patient_id:uuid}/guardians/{guardian_id:uuid}", opt=PATIENT, status_code=204)
async def unlink_guardian(
    patient_id: FromPath[UUID], guardian_id: FromPath[UUID], conn: DbConnection, caller: SignedIn
) -> None:
    """Clinicians: the guardian no longer sees this patient (a custody change). Logged; their
    unused codes for the patient stop working, and a guardian left with no child is signed out."""
    await service.unlink_guardian(conn, caller, patient_id, guardian_id)


@post("/patients/{patient_id:uuid}/recoveries", opt=PATIENT)
async def issue_recovery(
    patient_id: FromPath[UUID], data: JSONBody[RecoveryCreate], conn: DbConnection, caller: SignedIn, state: State
) -> RecoveryIssued:
    """Clinicians: a new phone for the patient's or a guardian's account when no signed-in phone is
    left (a lost phone). Answers the recovery and its code, shown once: hand it to the person. The
    code signs in nobody until a second clinician of the patient confirms the recovery; then it
    adds a phone to that account at `POST /auth/activate`. Logged."""
    ttl = timedelta(hours=state.settings.activation_code_ttl_hours)
    return await recovery.issue_recovery(conn, caller, state.secrets, ttl, patient_id, data)


@get("/patients/{patient_id:uuid}/recoveries", opt=PATIENT)
async def list_recoveries(patient_id: FromPath[UUID], conn: DbConnection, caller: SignedIn) -> RecoveryList:
    """Clinicians: the patient's recoveries, newest first, with who issued and who confirmed each."""
    return await recovery.list_recoveries(conn, caller, patient_id)


@post(
    "/patients/{patient_id:uuid}/recoveries/{recovery_id:uuid}/confirm",
    opt=PATIENT,
    status_code=200,
    responses=problem_responses({409: "The recovery is confirmed already, used or expired."}),
)
async def confirm_recovery(
    patient_id: FromPath[UUID], recovery_id: FromPath[UUID], conn: DbConnection, caller: SignedIn
) -> Recovery:
    """Clinicians other than its issuer (403 for the issuer): confirm a recovery, after which its
    code works. Logged."""
    return await recovery.confirm_recovery(conn, caller, patient_id, recovery_id)


@get("/patients/{patient_id:uuid}/access-log", opt=PATIENT)
async def read_access_log(
    patient_id: FromPath[UUID],
    conn: DbConnection,
    caller: SignedIn,
    before: Annotated[int | None, QueryParameter(ge=1)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=service.ACCESS_LOG_PAGE)] = service.ACCESS_LOG_PAGE,
) -> AccessLog:
    """Who read or changed this patient's data, newest first (Normen)."""
    return await service.read_access_log(conn, caller, patient_id, before, limit)


router = Router(
    path="/",
    tags=["patients"],
    route_handlers=[
        register_patient,
        list_patients,
        read_patient,
        enrol_patient,
        change_enrolment_parameters,
        enrolment_parameter_history,
        end_enrolment,
        create_activation_code,
        list_family_sessions,
        end_family_session,
        unlink_guardian,
        issue_recovery,
        list_recoveries,
        confirm_recovery,
        read_access_log,
    ],
)
