from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from backend.decoding import Instant
from backend.errors import FieldError

MAX_BATCH = 1000


class MeasurementIn(msgspec.Struct, forbid_unknown_fields=True):
    """One registration as the phone sends it. `value` is a number for quantities and a code for
    coded types; a number sent as a string is refused, never converted."""

    id: UUID
    type: Annotated[str, Meta(min_length=1, max_length=64)]
    unit: Annotated[str, Meta(min_length=1, max_length=32)]
    measured_at: Instant
    value: float | str | None = None
    components: dict[str, float] | None = None
    attributes: dict[str, str | bool] | None = None
    note: Annotated[str, Meta(max_length=2000)] | None = None


class UploadRequest(msgspec.Struct, forbid_unknown_fields=True):
    # Items stay raw JSON here and are decoded one by one (service.store_measurements): one bad item
    # must never block the others.
    measurements: Annotated[list[msgspec.Raw], Meta(min_length=1, max_length=MAX_BATCH)]


Status = Literal["created", "duplicate", "conflict", "rejected"]


class ItemResult(msgspec.Struct, omit_defaults=True):
    id: str | None
    status: Status
    errors: list[FieldError] | None = None


class AlertMessage(msgspec.Struct):
    """The alert's words for the patient or parent (what to do now), in bokmål and English."""

    nb: str
    en: str


class AlertRef(msgspec.Struct):
    """An alert the registration raised or updated. `message` (beyond the contract's id and
    severity) lets the phone show what to do without another request."""

    id: UUID
    severity: str
    message: AlertMessage


class UploadResult(msgspec.Struct):
    results: list[ItemResult]
    alerts: list[AlertRef]


class Original(msgspec.Struct):
    value: float | None
    unit: str


class Recorder(msgspec.Struct):
    id: UUID
    role: str


class Measurement(msgspec.Struct, omit_defaults=True):
    id: UUID
    type: str
    unit: str
    measured_at: datetime
    received_at: datetime
    recorded_by: Recorder
    original: Original
    attributes: dict[str, Any]
    value: float | str | None = None
    components: dict[str, float] | None = None
    note: str | None = None


class MeasurementPage(msgspec.Struct):
    items: list[Measurement]
    # Pass as `cursor` to read older items; null on the last page.
    next_cursor: str | None
