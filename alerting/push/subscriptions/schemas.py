"""The browser's PushSubscription JSON (Push API, `PushSubscription.toJSON()`), decoded strictly."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from alerting.push.allowlist import MAX_ENDPOINT_LENGTH

Endpoint = Annotated[str, Meta(min_length=1, max_length=MAX_ENDPOINT_LENGTH)]


class SubscriptionKeys(msgspec.Struct, forbid_unknown_fields=True):
    p256dh: Annotated[str, Meta(min_length=1, max_length=128)]
    auth: Annotated[str, Meta(min_length=1, max_length=64)]


class SubscriptionIn(msgspec.Struct, forbid_unknown_fields=True):
    endpoint: Endpoint
    keys: SubscriptionKeys
    # Browsers send `"expirationTime": null` (or milliseconds since the epoch); anything else is
    # still refused by forbid_unknown_fields.
    expiration_time: Annotated[int, Meta(ge=0, le=253_402_300_799_999)] | None = msgspec.field(
        default=None, name="expirationTime"
    )


class SubscriptionRef(msgspec.Struct, forbid_unknown_fields=True):
    endpoint: Endpoint


class SubscriptionOut(msgspec.Struct):
    id: UUID
    endpoint: str
    created_at: datetime
    expires_at: datetime | None


class PublicKey(msgspec.Struct):
    public_key: str


class Subscription(msgspec.Struct, frozen=True):
    """A stored subscription, as the sender (`alerting.push.Pusher.send`) needs it."""

    id: UUID
    endpoint: str
    p256dh: str
    auth: str
