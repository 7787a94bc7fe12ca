from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from backend.decoding import Instant
from backend.measurements.schemas import AlertRef, Recorder
from backend.programmes.schemas import LocalText

LinkId = Annotated[str, Meta(min_length=1, max_length=64)]
ItemType = Literal["boolean", "integer", "decimal", "choice", "text"]
MAX_TEXT = 2000


# --- Definitions (data from the `forms` table; unknown keys there are a migration's typo) ---


class Option(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: str
    text: LocalText


class Item(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    link_id: str
    text: LocalText
    type: ItemType
    required: bool
    # int | float keeps an integer item's bounds integers on the wire ("max": 5, not 5.0).
    min: int | float | None = None
    max: int | float | None = None
    max_length: int | None = None
    unit: str | None = None
    options: list[Option] | None = None
    measurement_type: str | None = None
    measurement_attributes: dict[str, str | bool] | None = None


class Score(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    method: Literal["sum"]
    items: list[str]


class FormDefinition(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    title: LocalText
    items: list[Item]
    description: LocalText | None = None
    score: Score | None = None


class Form(msgspec.Struct, omit_defaults=True):
    code: str
    version: int
    programme: str
    title: LocalText
    items: list[Item]
    description: LocalText | None = None
    score: Score | None = None


class FormList(msgspec.Struct):
    items: list[Form]


# --- Responses ---


class FormResponseIn(msgspec.Struct, forbid_unknown_fields=True):
    """Answers are checked against the named form version by the service, item by item, so that
    each error names its link_id; a number sent as a string is refused there, never converted."""

    id: UUID
    form: Annotated[str, Meta(min_length=1, max_length=64)]
    version: Annotated[int, Meta(ge=1)]
    authored_at: Instant
    answers: Annotated[dict[LinkId, Any], Meta(max_length=100)]


class FormResponseResult(msgspec.Struct, omit_defaults=True):
    id: UUID
    measurement_ids: list[UUID]
    alerts: list[AlertRef]
    score: float | None = None


class StoredFormResponse(msgspec.Struct, omit_defaults=True):
    id: UUID
    form: str
    version: int
    authored_at: datetime
    received_at: datetime
    answers: dict[str, Any]
    measurement_ids: list[UUID]
    recorded_by: Recorder
    score: float | None = None


class FormResponsePage(msgspec.Struct):
    items: list[StoredFormResponse]
    # Pass as `cursor` to read older items; null on the last page.
    next_cursor: str | None


# --- Contact requests ---


class ContactRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    message: Annotated[str, Meta(min_length=1, max_length=MAX_TEXT)]
    # The client's id makes a resend harmless; without one every request is new.
    id: UUID | None = None


ContactStatus = Literal["open", "handled"]


class ContactReply(msgspec.Struct):
    """What the patient or parent reads after asking (bokmål and English)."""

    nb: str
    en: str


class ContactRequest(msgspec.Struct):
    id: UUID
    patient_id: UUID
    message: str
    status: ContactStatus
    created_at: datetime
    created_by: Recorder
    handled_by: UUID | None
    handled_at: datetime | None
    # In the answer to a new request (or its resend): the unit's promise to the family, "we contact
    # you within this many hours" (the shortest of the units following the patient); null when no
    # unit has made one. Not filled in lists.
    contact_within_hours: int | None = None
    # In the same answers: the reply to show, with the unit's promise, and when the unit is closed
    # now, when it opens and whom to call (alerting/notify/promise.py). Not filled in lists.
    reply: ContactReply | None = None


class ContactRequestList(msgspec.Struct):
    items: list[ContactRequest]
