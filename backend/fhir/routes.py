from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Router, get
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter

from backend.access.service import Access, SignedIn
from backend.db import DbConnection
from backend.fhir import service
from backend.fhir.resources import Bundle


@get(
    "/patients/{patient_id:uuid}/fhir",
    opt={"access": Access.PATIENT},
    media_type=service.FHIR_JSON,
    operation_id="exportPatientFhir",
)
async def export_patient(
    patient_id: FromPath[UUID],
    conn: DbConnection,
    caller: SignedIn,
    state: State,
    request: Request[Any, Any, Any],
    limit: Annotated[int, QueryParameter(ge=1, le=service.MAX_LIMIT)] = service.DEFAULT_LIMIT,
    cursor: Annotated[str | None, QueryParameter(max_length=400)] = None,
) -> Bundle:
    """A FHIR R4 Bundle (type `collection`): the Patient, one Observation per measurement (LOINC
    codes, UCUM units) and one QuestionnaireResponse per form response.

    Bounded: at most the newest `limit` measurements and the newest `limit` form responses
    (default 200, at most 1000). When either was cut off, the Bundle's `next` link gives the
    older ones.
    """
    return await service.export_patient(
        conn, caller, state.catalogue, patient_id, limit=limit, cursor=cursor, path=request.url.path
    )


router = Router(path="/", tags=["fhir"], route_handlers=[export_patient])
