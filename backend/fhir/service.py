"""The FHIR R4 export of one patient: a Bundle of the Patient, Observations and QuestionnaireResponses."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import asyncpg
import msgspec

from backend.access.service import Caller, authorize_patient
from backend.db import load_queries
from backend.fhir import mapping
from backend.fhir.resources import (
    AnyResource,
    Bundle,
    BundleEntry,
    BundleLink,
    FhirPatient,
    Observation,
    QuestionnaireResponse,
)
from backend.measurements.catalogue import Catalogue
from backend.pagination import START, Position, decode_cursor, encode_cursor

queries = load_queries(__file__)

FHIR_JSON = "application/fhir+json"
DEFAULT_LIMIT = 200
# 1000 Observations are about 0.7 MB of JSON: enough for months of daily registrations, small
# enough to build in one request. Older data is one `next` link away.
MAX_LIMIT = 1000
# Keys colliding full URLs apart (see _Entries); fixed so that an export is reproducible.
_URL_NAMESPACE = UUID("5f0c2a4e-5a4b-4f0e-9d3e-6b1f3c2d9a10")


class Cursor(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One position per stream; null once a stream has given everything it has."""

    measurements: Position | None
    responses: Position | None


FIRST_PAGE = Cursor(measurements=START, responses=START)


async def export_patient(
    conn: asyncpg.Connection,
    caller: Caller,
    catalogue: Catalogue,
    patient_id: UUID,
    *,
    limit: int,
    cursor: str | None,
    path: str,
) -> Bundle:
    """The patient, their newest `limit` measurements and newest `limit` form responses; a `next`
    link carries on where either stream was cut off."""
    await authorize_patient(conn, caller, patient_id, resource="fhir", action="read")
    start = decode_cursor(cursor, Cursor, FIRST_PAGE)
    patient_row = await conn.fetchrow(queries.select_patient, patient_id)
    subject = mapping.Subject(id=patient_row["id"], user_id=patient_row["user_id"])
    measurements = await _page(conn, queries.select_measurements, patient_id, start.measurements, limit)
    responses = await _page(conn, queries.select_form_responses, patient_id, start.responses, limit)
    definitions = await _form_definitions(conn, responses)

    entries = _Entries()
    entries.add(subject.id, mapping.patient(patient_row))
    # Responses before Observations: an Observation an answer became points at its response, so
    # the response's full URL must be settled first.
    sources: dict[UUID, str] = {}
    for row in responses:
        definition = definitions.get((row["form"], row["version"]))
        url = entries.add(row["id"], mapping.questionnaire_response(row, definition, subject))
        sources.update(dict.fromkeys(row["measurement_ids"], url))
    for row in measurements:
        mtype = catalogue[row["type"]]
        entries.add(row["id"], mapping.observation(row, mtype, subject, sources.get(row["id"])))

    following = Cursor(
        measurements=_stopped_at(measurements, "measured_at", limit),
        responses=_stopped_at(responses, "authored_at", limit),
    )
    links = []
    if following.measurements or following.responses:
        query = urlencode({"limit": limit, "cursor": encode_cursor(following)})
        links.append(BundleLink(relation="next", url=f"{path}?{query}"))
    # "collection", not "searchset": this is a bounded snapshot of one patient across several
    # resource types, not the answer to a FHIR search. A searchset promises FHIR search semantics
    # (`total`, entry.search.mode, paging through a FHIR search endpoint) that this route does not
    # have; "document" would need a Composition and an attested author.
    return Bundle(id=str(uuid.uuid4()), type="collection", timestamp=caller.now, link=links, entry=entries.ordered())


class _Entries:
    """Bundle entries with unique full URLs. Ids of measurements and form responses are chosen
    by phones and unique only per kind, so one id could name two resources; the later one then
    gets a name-based UUID of its own. `add` returns the URL it gave, for references to it."""

    def __init__(self) -> None:
        self.items: list[BundleEntry] = []
        self._used: set[str] = set()

    def add(self, resource_id: UUID, resource: AnyResource) -> str:
        url = mapping.full_url(resource_id)
        if url in self._used:
            kind = type(resource).__name__
            url = mapping.full_url(uuid.uuid5(_URL_NAMESPACE, f"{kind}/{resource_id}"))
        self._used.add(url)
        self.items.append(BundleEntry(full_url=url, resource=resource))
        return url

    def ordered(self) -> list[BundleEntry]:
        """Patient, Observations, then QuestionnaireResponses, each newest first as read."""
        return sorted(self.items, key=lambda entry: _ENTRY_ORDER[type(entry.resource)])


_ENTRY_ORDER = {FhirPatient: 0, Observation: 1, QuestionnaireResponse: 2}


async def _page(
    conn: asyncpg.Connection, query: str, patient_id: UUID, start: Position | None, limit: int
) -> list[asyncpg.Record]:
    if start is None:
        return []
    return await conn.fetch(query, patient_id, start.at, start.id, limit)


def _stopped_at(rows: Sequence[asyncpg.Record], time_column: str, limit: int) -> Position | None:
    if len(rows) < limit:
        return None
    return Position(rows[-1][time_column], rows[-1]["id"])


async def _form_definitions(
    conn: asyncpg.Connection, responses: Sequence[asyncpg.Record]
) -> dict[tuple[str, int], Any]:
    wanted = sorted({(row["form"], row["version"]) for row in responses})
    if not wanted:
        return {}
    rows = await conn.fetch(queries.select_form_definitions, [c for c, _ in wanted], [v for _, v in wanted])
    return {(row["code"], row["version"]): row["definition"] for row in rows}
