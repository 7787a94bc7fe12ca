"""Recording and reading measurements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import msgspec

from alerting.engine.types import Observation
from alerting.service import (
    AlertOutcome,
    PatientRules,
    evaluate_and_record,
    patient_rules,
    recorded_alerts,
    with_evaluation_context,
)
from backend.access.service import Caller, VisiblePatient, authorize_patient
from backend.db import load_queries
from backend.decoding import decode_item
from backend.measurements.catalogue import Catalogue
from backend.measurements.schemas import (
    AlertMessage,
    AlertRef,
    ItemResult,
    Measurement,
    MeasurementIn,
    MeasurementPage,
    Original,
    Recorder,
    UploadRequest,
    UploadResult,
)
from backend.measurements.validation import MEASURED_FROM, PreparedMeasurement, prepare
from backend.pagination import START, Position, decode_cursor, encode_cursor
from backend.timezones import day_bounds

queries = load_queries(__file__)
# A few rows are inserted, and the rules they are evaluated by read, in one round trip (P1).
INSERT_AND_READ_RULES = with_evaluation_context("insert_measurements_and_rules", queries.insert_measurements)

MAX_PAGE = 500
# Open bounds as real instants (rather than "is null or" branches) keep every read a range scan.
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)


async def record_measurements(
    conn: asyncpg.Connection, caller: Caller, patient_id: UUID, request: UploadRequest, catalogue: Catalogue
) -> UploadResult:
    """Store what is valid, refuse what is not, item by item; resends are harmless. What is new is
    evaluated in the same transaction: an accepted measurement has always been evaluated."""
    patient = await authorize_patient(conn, caller, patient_id, resource="measurements", action="write")
    stored = await store_measurements(conn, caller, patient_id, patient, request.measurements, catalogue)
    alerts = await evaluate_and_record(conn, caller, patient_id, measurements=stored.created, rules=stored.rules)
    # A resent batch (the phone lost the answer) is told the alerts its items raised the first time.
    resent = [UUID(result.id) for result in stored.results if result.status == "duplicate" and result.id]
    raised = {alert.id for alert in alerts}
    alerts += [a for a in await recorded_alerts(conn, patient_id, measurement_ids=resent) if a.id not in raised]
    return UploadResult(results=stored.results, alerts=[alert_ref(alert) for alert in alerts])


def alert_ref(alert: AlertOutcome) -> AlertRef:
    return AlertRef(id=alert.id, severity=alert.severity, message=msgspec.convert(alert.patient_text, AlertMessage))


@dataclass(frozen=True, slots=True)
class Stored:
    results: list[ItemResult]  # one per item, in order
    # What this call created, as the rules read it: evaluating a batch needs no read-back (P3).
    created: list[Observation]
    # The patient's rules at the caller's now, when the insert read them too (a few rows, P1);
    # None when the batch was copied or nothing was written: evaluation loads them then.
    rules: PatientRules | None = None


async def store_measurements(
    conn: asyncpg.Connection,
    caller: Caller,
    patient_id: UUID,
    patient: VisiblePatient,
    items: Sequence[msgspec.Raw | MeasurementIn],
    catalogue: Catalogue,
) -> Stored:
    """One result per item, in order. The caller has authorised the write and hands over what the
    access check read of the patient (forms reuse this)."""
    results: list[ItemResult | None] = [None] * len(items)
    accepted: dict[UUID, tuple[int, PreparedMeasurement]] = {}
    repeats: list[tuple[int, PreparedMeasurement]] = []  # an id twice in one batch
    earliest = earliest_measured_at(patient)
    for index, raw in enumerate(items):
        outcome = _prepare_item(raw, catalogue, caller.now, earliest)
        if isinstance(outcome, ItemResult):
            results[index] = outcome
        elif outcome.id in accepted:
            repeats.append((index, outcome))
        else:
            accepted[outcome.id] = (index, outcome)

    rows = [prepared for _, prepared in accepted.values()]
    created, rules = await _write(conn, caller, patient_id, rows)
    # Only resends (offline replays, lost answers) pay for reading back what is stored.
    stored = await _stored_hashes(conn, patient_id, [r.id for r in rows if r.id not in created])
    for index, prepared in accepted.values():
        if prepared.id in created:
            results[index] = ItemResult(id=str(prepared.id), status="created")
        else:
            results[index] = _compare(prepared, stored[prepared.id])
    for index, prepared in repeats:
        # Compare with what is stored now: the first occurrence if this batch created it, else the
        # row that was already there.
        first = accepted[prepared.id][1]
        results[index] = _compare(prepared, first.content_hash if first.id in created else stored[prepared.id])
    return Stored(
        results=[result for result in results if result is not None],
        created=[_observation(prepared) for prepared in rows if prepared.id in created],
        rules=rules,
    )


def _observation(prepared: PreparedMeasurement) -> Observation:
    """The row as stored: canonical value and unit, the instant in UTC as PostgreSQL returns it."""
    return Observation(
        id=str(prepared.id),
        type=prepared.type,
        measured_at=prepared.measured_at.astimezone(UTC),
        value=prepared.value,
        code=prepared.value_code,
        components=prepared.components or {},
        attributes=prepared.attributes,
        note=prepared.note,
    )


class _ItemId(msgspec.Struct):
    """Just enough of a rejected item to name it in its result."""

    id: str | None = None


def earliest_measured_at(patient: VisiblePatient) -> datetime:
    """The earliest instant a measurement of this patient may be from: the start of their day of
    birth in their zone, and never before MEASURED_FROM. Nobody is measured before they are born;
    the access check has read the birth date and zone (no look-up of its own, P1)."""
    if patient.birth_date < MEASURED_FROM.date():
        return MEASURED_FROM  # and never a day_bounds of year 1, which overflows
    return max(day_bounds(patient.birth_date, patient.time_zone)[0], MEASURED_FROM)


def _prepare_item(
    raw: msgspec.Raw | MeasurementIn, catalogue: Catalogue, now: datetime, earliest: datetime
) -> PreparedMeasurement | ItemResult:
    if isinstance(raw, MeasurementIn):
        item = raw
    else:
        decoded = decode_item(raw, MeasurementIn)
        if isinstance(decoded, list):
            return ItemResult(id=_item_id(raw), status="rejected", errors=decoded)
        item = decoded
    outcome = prepare(item, catalogue.get(item.type), now, earliest)
    if isinstance(outcome, list):
        return ItemResult(id=str(item.id), status="rejected", errors=outcome)
    return outcome


def _item_id(raw: msgspec.Raw) -> str | None:
    try:
        item_id = msgspec.json.decode(raw, type=_ItemId).id
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None
    # Echoed in the answer and nowhere else; still, never a NUL.
    return None if item_id is None or "\x00" in item_id else item_id


def _compare(prepared: PreparedMeasurement, stored_hash: bytes) -> ItemResult:
    if prepared.content_hash == stored_hash:
        return ItemResult(id=str(prepared.id), status="duplicate")
    return ItemResult(id=str(prepared.id), status="conflict")


async def _stored_hashes(conn: asyncpg.Connection, patient_id: UUID, ids: list[UUID]) -> dict[UUID, bytes]:
    if not ids:
        return {}
    rows = await conn.fetch(queries.select_measurement_hashes, patient_id, ids)
    return {row["id"]: row["content_hash"] for row in rows}


# Below this many rows a batch is inserted rather than copied (see _write).
COPY_FROM_ROWS = 50

COPY_COLUMNS = (
    "patient_id",
    "id",
    "type",
    "value",
    "value_code",
    "components",
    "unit",
    "original_value",
    "original_unit",
    "attributes",
    "note",
    "measured_at",
    "received_at",
    "recorded_by",
    "recorder_role",
    "content_hash",
)


async def _write(
    conn: asyncpg.Connection, caller: Caller, patient_id: UUID, rows: list[PreparedMeasurement]
) -> tuple[set[UUID], PatientRules | None]:
    """Store the rows that are new; return their ids, and the patient's rules if the statement that
    stored them read those too.

    COPY is the fastest way in for a large batch (P3), and a fresh batch is the common case. A row
    that exists (a resend, or a concurrent upload of the same id) makes the COPY fail as a whole;
    then, back at the savepoint, the ON CONFLICT insert decides row by row. A few rows (a single
    registration, P1) go straight to that insert: one round trip instead of a savepoint, the COPY
    and its release, and the same one reads the rules that evaluate them.
    """
    if not rows:
        return set(), None
    if len(rows) < COPY_FROM_ROWS:
        return await _insert(conn, caller, patient_id, rows)
    records = [
        (
            patient_id,
            r.id,
            r.type,
            r.value,
            r.value_code,
            r.components,
            r.unit,
            r.original_value,
            r.original_unit,
            r.attributes,
            r.note,
            r.measured_at,
            caller.now,
            caller.id,
            caller.role,
            r.content_hash,
        )
        for r in rows
    ]
    try:
        async with conn.transaction():  # a savepoint inside the request's transaction
            await conn.copy_records_to_table("measurements", records=records, columns=COPY_COLUMNS)
    except asyncpg.UniqueViolationError:
        return await _insert(conn, caller, patient_id, rows)
    return {r.id for r in rows}, None


async def _insert(
    conn: asyncpg.Connection, caller: Caller, patient_id: UUID, rows: list[PreparedMeasurement]
) -> tuple[set[UUID], PatientRules | None]:
    row = await conn.fetchrow(
        INSERT_AND_READ_RULES,
        patient_id,
        caller.now,
        caller.id,
        caller.role,
        [r.id for r in rows],
        [r.type for r in rows],
        [r.value for r in rows],
        [r.value_code for r in rows],
        [r.components for r in rows],
        [r.unit for r in rows],
        [r.original_value for r in rows],
        [r.original_unit for r in rows],
        [r.attributes for r in rows],
        [r.note for r in rows],
        [r.measured_at for r in rows],
        [r.content_hash for r in rows],
    )
    return set(row["written"]), patient_rules(row, caller.now)


async def list_measurements(
    conn: asyncpg.Connection,
    caller: Caller,
    patient_id: UUID,
    *,
    type: str | None,
    since: datetime | None,
    until: datetime | None,
    cursor: str | None,
    limit: int,
) -> MeasurementPage:
    await authorize_patient(conn, caller, patient_id, resource="measurements", action="read")
    before = decode_cursor(cursor, Position, START)
    bounds = (since or _EARLIEST, until or START.at, before.at, before.id, limit)
    if type is None:
        rows = await conn.fetch(queries.select_measurements, patient_id, *bounds)
    else:
        rows = await conn.fetch(queries.select_measurements_of_type, patient_id, *bounds, type)
    items = [_measurement(row) for row in rows]
    next_cursor = encode_cursor(Position(items[-1].measured_at, items[-1].id)) if len(items) == limit else None
    return MeasurementPage(items=items, next_cursor=next_cursor)


def _measurement(row: asyncpg.Record) -> Measurement:
    value = row["value"] if row["value"] is not None else row["value_code"]
    return Measurement(
        id=row["id"],
        type=row["type"],
        unit=row["unit"],
        measured_at=row["measured_at"],
        received_at=row["received_at"],
        recorded_by=Recorder(id=row["recorded_by"], role=row["recorder_role"]),
        original=Original(value=row["original_value"], unit=row["original_unit"]),
        attributes=row["attributes"],
        value=value,
        components=row["components"],
        note=row["note"],
    )
