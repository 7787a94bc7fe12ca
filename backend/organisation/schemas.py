from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

Name = Annotated[str, Meta(min_length=1, max_length=200)]


class OrganisationCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    kind: Literal["hospital", "municipality"]


class Organisation(msgspec.Struct):
    id: UUID
    name: str
    kind: str
    created_at: datetime


class UnitCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    # The unit's promise to a patient or family who asks to be contacted: within this many hours.
    contact_within_hours: Annotated[int, Meta(ge=1, le=168)] | None = None


class Unit(msgspec.Struct):
    id: UUID
    organisation_id: UUID
    name: str
    created_at: datetime
    contact_within_hours: int | None


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, Meta(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9._@-]+$")]
    # Length over composition rules (NIST SP 800-63B).
    password: Annotated[str, Meta(min_length=12, max_length=1024)]
    display_name: Name
    role: Literal["clinician", "admin"]
    profession: Literal["nurse", "physician", "physiotherapist", "dietitian", "midwife", "other"] | None = None
    unit_ids: Annotated[list[UUID], Meta(max_length=50)] = []


class User(msgspec.Struct):
    id: UUID
    username: str
    display_name: str
    role: str
    profession: str | None
    unit_ids: list[UUID]


class OrganisationList(msgspec.Struct):
    items: list[Organisation]


class UnitList(msgspec.Struct):
    items: list[Unit]


class MyUnit(msgspec.Struct):
    id: UUID
    organisation_id: UUID
    name: str
    organisation_name: str
    organisation_kind: str


class MyUnitList(msgspec.Struct):
    items: list[MyUnit]


class StaffUser(msgspec.Struct):
    id: UUID
    username: str
    display_name: str
    role: str
    profession: str | None
    unit_ids: list[UUID]
    # Set while the account is disabled: it cannot sign in and its tokens stop working at once.
    disabled_at: datetime | None


class StaffList(msgspec.Struct):
    items: list[StaffUser]


class StaffUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Only what is named changes."""

    disabled: bool | None = None
    unit_ids: Annotated[list[UUID], Meta(max_length=50)] | None = None


class Colleague(msgspec.Struct):
    id: UUID
    display_name: str
    profession: str | None
    organisations: str


class ColleagueList(msgspec.Struct):
    items: list[Colleague]
