from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
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


class DeviceSession(msgspec.Struct):
    """A signed-in device of the caller: a login or an activation that has not been signed out."""

    id: UUID
    device_name: str | None
    created_at: datetime
    last_active_at: datetime
    current: bool


class DeviceSessionList(msgspec.Struct):
    items: list[DeviceSession]
