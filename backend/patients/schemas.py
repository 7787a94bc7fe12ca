from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import available_timezones

import msgspec
from msgspec import Meta

from backend.decoding import Instant
from backend.identity.schemas import Person, SignedInWith

Name = Annotated[str, Meta(min_length=1, max_length=200)]
TimeZoneName = Annotated[str, Meta(min_length=1, max_length=64)]


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_time_zone(name: str) -> bool:
    return name in _time_zones()


class PatientCreate(msgspec.Struct, forbid_unknown_fields=True):
    display_name: Name
    birth_date: date
    unit_id: UUID
    time_zone: TimeZoneName = "Europe/Oslo"


class Enrolment(msgspec.Struct):
    id: UUID
    programme: str
    unit_id: UUID
    parameters: dict[str, Any]
    started_at: datetime
    ended_at: datetime | None
    # Why the follow-up ended, when the clinician said (the tertial report counts them).
    end_reason: str | None = None


class EnrolmentEnd(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(min_length=1, max_length=500, pattern=r"\S")] | None = None


class Guardian(msgspec.Struct):
    id: UUID
    display_name: str


class Patient(msgspec.Struct):
    id: UUID
    display_name: str
    birth_date: date
    time_zone: str
    enrolments: list[Enrolment]
    guardians: list[Guardian]


class PatientSummary(msgspec.Struct):
    id: UUID
    display_name: str
    birth_date: date
    time_zone: str


class PatientList(msgspec.Struct):
    items: list[PatientSummary]


class EnrolmentCreate(msgspec.Struct, forbid_unknown_fields=True):
    programme: Annotated[str, Meta(min_length=1, max_length=64)]
    unit_id: UUID
    parameters: dict[str, Any] = {}
    # When care starts; defaults to now. A later start is allowed (planned discharge).
    started_at: Instant | None = None


class EnrolmentChange(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, Meta(max_length=1000)]
    # Only the named parameters change; null removes one that is not required.
    parameters: dict[str, Any]


class ParameterVersion(msgspec.Struct):
    # "enrolment": the parameters the patient was enrolled with; "change": a clinician's change.
    kind: Literal["enrolment", "change"]
    parameters: dict[str, Any]  # the whole set in force from changed_at
    previous: dict[str, Any]  # what the changed parameters were before (null: unset)
    changed_by: UUID
    changed_by_name: str
    changed_at: datetime
    reason: str | None


class ParameterHistory(msgspec.Struct):
    items: list[ParameterVersion]


class ActivationCodeCreate(msgspec.Struct, forbid_unknown_fields=True):
    role: Literal["patient", "guardian"]
    display_name: Name
    guardian_id: UUID | None = None


class ActivationCode(msgspec.Struct):
    code: str
    expires_at: datetime
    role: str


class AccessLogEntry(msgspec.Struct):
    id: int
    at: datetime
    # Null, and the name "another user", for someone outside the patient's family and staff.
    actor_id: UUID | None
    actor_name: str
    actor_role: str
    resource: str
    action: str
    outcome: str
    # The sign-in it was made with (null before sessions were recorded): its device, how it began
    # ("password", "activation-code", "device-code") and who issued the code that started it.
    session_id: UUID | None = None
    device_name: str | None = None
    signed_in_with: str | None = None
    code_issued_by: Person | None = None
    # For a session started with a recovery code: the second clinician who confirmed it.
    code_confirmed_by: Person | None = None


class FamilySession(msgspec.Struct):
    """A live sign-in of the patient's own account or of one of their guardians'."""

    id: UUID
    user: Person
    user_role: str
    device_name: str | None
    created_at: datetime
    signed_in_with: SignedInWith
    code_issued_by: Person | None
    # The second clinician who confirmed the recovery code that started it (else null).
    code_confirmed_by: Person | None = None


class RecoveryCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new phone for an account of the patient's family that has none left (a lost phone)."""

    # The patient's own account, or one of their guardians'.
    user_id: UUID
    # Why, for the second clinician and the access log (say how the person was identified).
    reason: Annotated[str, Meta(min_length=1, max_length=500)]


RecoveryStatus = Literal["awaiting-confirmation", "confirmed", "used", "expired"]


class Recovery(msgspec.Struct):
    id: UUID
    user: Person
    user_role: str
    reason: str
    status: RecoveryStatus
    requested_by: Person
    created_at: datetime
    expires_at: datetime
    confirmed_by: Person | None
    confirmed_at: datetime | None
    used_at: datetime | None


class RecoveryIssued(msgspec.Struct):
    """The recovery, and its code: shown once, to the clinician who hands it to the person. It
    signs in nobody until a second clinician confirms the recovery."""

    recovery: Recovery
    code: str


class RecoveryList(msgspec.Struct):
    items: list[Recovery]


class FamilySessionList(msgspec.Struct):
    items: list[FamilySession]


class AccessLog(msgspec.Struct):
    items: list[AccessLogEntry]
    # Pass as `before` to read older entries; null on the last page.
    next_before: int | None
