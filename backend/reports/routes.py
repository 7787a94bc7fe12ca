from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from litestar import Request, Response, Router, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, QueryParameter

from backend.access.service import Access, SignedIn
from backend.db import DbConnection
from backend.reports import service
from backend.reports.schemas import TertialReport

CSV = "text/csv"


@get(
    "/reports/tertial",
    opt={"access": Access.CLINICIAN},
    tags=["reports"],
    responses={
        200: ResponseSpec(TertialReport, generate_examples=False, description="JSON, or CSV (`Accept: text/csv`)")
    },
)
async def tertial_report(
    request: Request,
    conn: DbConnection,
    caller: SignedIn,
    year: Annotated[int, QueryParameter(ge=2000, le=2100)],
    tertial: Annotated[Literal[1, 2, 3], QueryParameter(description="1: Jan–Apr, 2: May–Aug, 3: Sep–Dec")],
    programme: Annotated[str | None, QueryParameter(min_length=1, max_length=64)] = None,
    unit_id: FromQuery[UUID | None] = None,
) -> Response[TertialReport]:
    """The benefit report of a tertial (four months, Norwegian time) for your units, or one of them
    (any other unit answers 404), per programme and unit: patients followed and patient-days,
    registrations against those the programme expects, alerts by severity per patient-week with
    median and 90th-percentile minutes to acknowledge and to resolve, contact requests and how fast
    they were handled, consultations and discharge meetings planned and held, and enrolments ended
    with their reasons. The running tertial counts up to now. With `Accept: text/csv` the same
    figures as CSV, one row per programme and unit. No single patient is shown."""
    report = await service.tertial_report(
        conn, caller, year=year, tertial=tertial, programme=programme, unit_id=unit_id
    )
    if request.accept.best_match(["application/json", CSV], default="application/json") == CSV:
        filename = f"heima-tertial-{year}-T{tertial}.csv"
        return Response(
            service.report_csv(report).encode(),
            media_type=f"{CSV}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return Response(report)


router = Router(path="/", route_handlers=[tertial_report])
