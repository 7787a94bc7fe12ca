"""Keyset-pagination cursors: the position of the last item seen, opaque to clients.

A cursor is the position encoded as JSON in base64url; decoding is strict, so a cursor that this
service did not issue is a 422 on the `cursor` field, never a 500 or a wrong page.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID

import msgspec

from backend.decoding import Instant, unsafe_values
from backend.errors import invalid

T = TypeVar("T")


class Position(msgspec.Struct, array_like=True, frozen=True):
    """Newest-first lists ordered by (time, id)."""

    at: Instant
    id: UUID


# Before the first page: later than anything stored.
START = Position(datetime(9999, 1, 1, tzinfo=UTC), UUID(int=(1 << 128) - 1))


def encode_cursor(position: msgspec.Struct) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(position)).decode().rstrip("=")


def decode_cursor(text: str | None, type: type[T], start: T) -> T:
    """The position a cursor names, or `start` when there is none."""
    if text is None:
        return start
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        position = msgspec.json.decode(raw, type=type, strict=True)
    except (ValueError, msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        position = None
    # A position out of the instant bounds was never issued (and cannot be compared in SQL); the
    # start itself (year 9999 in UTC) is where a first page begins.
    if position is None or (position != start and unsafe_values(position)):
        raise invalid("cursor", "not a cursor this service issued")
    return position
