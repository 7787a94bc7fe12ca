from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

Username = Annotated[str, Meta(min_length=1, max_length=100)]
Password = Annotated[str, Meta(min_length=1, max_length=1024)]


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Username
    password: Password


class ActivateRequest(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, Meta(min_length=1, max_length=64)]
    device_name: Annotated[str, Meta(min_length=1, max_length=100)]


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: Annotated[str, Meta(min_length=1, max_length=200)]


class TokenPair(msgspec.Struct):
    access_token: str
    expires_in: int
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"


class Me(msgspec.Struct):
    id: UUID
    role: str
    display_name: str
    patient_ids: list[UUID]
    unit_ids: list[UUID]


class LinkRequest(msgspec.Struct, forbid_unknown_fields=True):
    """A guardian code for another child, typed into the guardian's signed-in app."""

    code: Annotated[str, Meta(min_length=1, max_length=64)]


class DeviceCode(msgspec.Struct):
    code: str
    expires_at: datetime


class Person(msgspec.Struct):
    id: UUID
    display_name: str


# How a session began: a staff password, a clinician's activation code (a new account), a device
# code the account's own signed-in phone made (a new phone of an existing account), or a recovery
# code two clinicians of the patient vouched for (a new phone when none is left).
SignedInWith = Literal["password", "activation-code", "device-code", "recovery-code"]


class SessionInfo(msgspec.Struct):
    id: UUID
    device_name: str | None
    created_at: datetime
    # The session this request was made with.
    current: bool
    signed_in_with: SignedInWith
    # Who issued the code that started it (null for a password sign-in).
    code_issued_by: Person | None
    # Who confirmed it, for a recovery code (the second clinician); else null.
    code_confirmed_by: Person | None = None


class SessionList(msgspec.Struct):
    items: list[SessionInfo]


def person(row: Mapping[str, Any], prefix: str) -> Person | None:
    """The Person in columns `<prefix>_id` and `<prefix>_name`, or None."""
    person_id = row[f"{prefix}_id"]
    return Person(person_id, row[f"{prefix}_name"]) if person_id is not None else None


def session_info(row: Mapping[str, Any]) -> SessionInfo:
    return SessionInfo(
        id=row["id"],
        device_name=row["device_name"],
        created_at=row["created_at"],
        current=row["current"],
        signed_in_with=row["signed_in_with"],
        code_issued_by=person(row, "code_issued_by"),
        code_confirmed_by=person(row, "code_confirmed_by"),
    )
