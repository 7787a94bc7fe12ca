from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Router, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter

from backend.access.service import Access, SignedIn
from backend.db import DbConnection
from backend.decoding import parse_instant
from backend.measurements import service
from backend.measurements.schemas import MAX_BATCH, MeasurementPage, UploadRequest, UploadResult

PATIENT = {"access": Access.PATIENT}
# 1000 items of ~200 bytes each; the default 64 KiB would refuse a full batch.
UPLOAD_MAX_BYTES = MAX_BATCH * 1024


@post(
    "/patients/{patient_id:uuid}/measurements",
    opt=PATIENT,
    status_code=200,
    request_max_body_size=UPLOAD_MAX_BYTES,
)
async def upload_measurements(
    patient_id: FromPath[UUID], data: JSONBody[UploadRequest], conn: DbConnection, caller: SignedIn, state: State
) -> UploadResult:
    """Register 1–1000 measurements; each item gets its own result. Resending is harmless."""
    return await service.record_measurements(conn, caller, patient_id, data, state.catalogue)


@get("/patients/{patient_id:uuid}/measurements", opt=PATIENT)
async def list_measurements(
    patient_id: FromPath[UUID],
    conn: DbConnection,
    caller: SignedIn,
    type: Annotated[str | None, QueryParameter(max_length=64)] = None,
    since: Annotated[str | None, QueryParameter(max_length=64)] = None,
    until: Annotated[str | None, QueryParameter(max_length=64)] = None,
    cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=service.MAX_PAGE)] = 100,
) -> MeasurementPage:
    """Newest first; `since` inclusive, `until` exclusive; follow `next_cursor` for older items."""
    return await service.list_measurements(
        conn,
        caller,
        patient_id,
        type=type,
        since=parse_instant("since", since),
        until=parse_instant("until", until),
        cursor=cursor,
        limit=limit,
    )


router = Router(path="/", tags=["measurements"], route_handlers=[upload_measurements, list_measurements])
