from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Response, Router, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from backend.access.service import Access, SignedIn
from backend.db import DbConnection
from backend.errors import problem_responses
from backend.forms import contact_requests, service
from backend.forms.schemas import (
    ContactRequest,
    ContactRequestIn,
    ContactRequestList,
    ContactStatus,
    FormList,
    FormResponseIn,
    FormResponsePage,
    FormResponseResult,
)

PATIENT = {"access": Access.PATIENT}


def created_or_resent(body: object, created: bool) -> Response:
    # 201 for something new, 200 for an identical resend: the phone learns both that it is stored.
    return Response(body, status_code=201 if created else 200)


@get("/patients/{patient_id:uuid}/forms", opt=PATIENT)
async def list_forms(patient_id: FromPath[UUID], conn: DbConnection, caller: SignedIn) -> FormList:
    """The newest version of each form of the patient's programmes."""
    return await service.list_forms(conn, caller, patient_id)


@post(
    "/patients/{patient_id:uuid}/form-responses",
    opt=PATIENT,
    status_code=201,
    responses={
        200: ResponseSpec(FormResponseResult, generate_examples=False, description="An identical resend"),
        **problem_responses({409: "A different response (or measurement) with this id is already stored."}),
    },
)
async def submit_form_response(
    patient_id: FromPath[UUID], data: JSONBody[FormResponseIn], conn: DbConnection, caller: SignedIn, state: State
) -> Response[FormResponseResult]:
    """Answers to a form version; those that map to a measurement type become measurements.
    201 when stored, 200 for an identical resend, 409 for the same id with other content."""
    result, created = await service.record_form_response(conn, caller, patient_id, data, state.catalogue)
    return created_or_resent(result, created)


@get("/patients/{patient_id:uuid}/form-responses", opt=PATIENT)
async def list_form_responses(
    patient_id: FromPath[UUID],
    conn: DbConnection,
    caller: SignedIn,
    form: Annotated[str | None, QueryParameter(max_length=64)] = None,
    cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=service.MAX_PAGE)] = 100,
) -> FormResponsePage:
    """Newest first (by when they were written); follow `next_cursor` for older ones."""
    return await service.list_form_responses(conn, caller, patient_id, form=form, cursor=cursor, limit=limit)


@post(
    "/patients/{patient_id:uuid}/contact-requests",
    opt=PATIENT,
    status_code=201,
    responses={
        200: ResponseSpec(ContactRequest, generate_examples=False, description="An identical resend"),
        **problem_responses({409: "A different contact request with this id is already stored."}),
    },
)
async def create_contact_request(
    patient_id: FromPath[UUID], data: JSONBody[ContactRequestIn], conn: DbConnection, caller: SignedIn
) -> Response[ContactRequest]:
    """Ask the unit to get in touch. Send an `id` to make a resend harmless (200, same request)."""
    request, created = await contact_requests.create_contact_request(conn, caller, patient_id, data)
    return created_or_resent(request, created)


@get("/patients/{patient_id:uuid}/contact-requests", opt=PATIENT)
async def list_contact_requests(
    patient_id: FromPath[UUID],
    conn: DbConnection,
    caller: SignedIn,
    status: FromQuery[ContactStatus | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=contact_requests.MAX_PAGE)] = 100,
) -> ContactRequestList:
    """Newest first; `status=open` is the list of requests nobody has acted on yet."""
    return await contact_requests.list_contact_requests(conn, caller, patient_id, status, limit)


@post("/patients/{patient_id:uuid}/contact-requests/{request_id:uuid}/handle", opt=PATIENT, status_code=200)
async def handle_contact_request(
    patient_id: FromPath[UUID], request_id: FromPath[UUID], conn: DbConnection, caller: SignedIn
) -> ContactRequest:
    """A clinician has acted on the request: its alert is resolved once every request it rests on is
    handled. Handling it again changes nothing."""
    return await contact_requests.handle_contact_request(conn, caller, patient_id, request_id)


router = Router(
    path="/",
    tags=["forms"],
    route_handlers=[
        list_forms,
        submit_form_response,
        list_form_responses,
        create_contact_request,
        list_contact_requests,
        handle_contact_request,
    ],
)
