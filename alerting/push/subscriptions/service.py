"""Push subscriptions: a signed-in user's browsers and phones, and the VAPID public key they need."""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
from cryptography.hazmat.primitives.asymmetric import ec

from alerting.push.allowlist import Allowlist, EndpointRefused, check_endpoint
from alerting.push.subscriptions.schemas import PublicKey, Subscription, SubscriptionIn, SubscriptionOut
from alerting.push.vapid import public_key_for
from backend.access.service import Caller
from backend.db import load_queries
from backend.errors import ProblemError, invalid
from backend.settings import Settings

queries = load_queries(__file__)

_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")

# Each alert is pushed to every subscription of every clinician of the unit; a cap keeps one
# account from multiplying that (and browsers drop old subscriptions without telling us).
MAX_SUBSCRIPTIONS_PER_USER = 20


def public_key(settings: Settings) -> PublicKey:
    if not settings.vapid_private_key or not settings.vapid_subject:
        raise ProblemError(503, "Web Push is not configured on this server.")
    try:
        return PublicKey(public_key_for(settings.vapid_private_key))
    except (ValueError, binascii.Error):
        raise ProblemError(503, "Web Push is not configured correctly on this server.") from None


def _decode_key(value: str, field: str, size: int) -> bytes:
    """The key's bytes, if it is base64url (padding optional) of `size` bytes; else a 422 on `field`."""
    if not _BASE64URL.fullmatch(value):
        raise invalid(field, "must be base64url")
    text = value.rstrip("=")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise invalid(field, "must be base64url") from None
    if len(raw) != size:
        raise invalid(field, f"must decode to {size} bytes")
    return raw


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _checked_keys(data: SubscriptionIn) -> tuple[str, str]:
    """Both keys in the one form stored: unpadded base64url."""
    point = _decode_key(data.keys.p256dh, "keys.p256dh", 65)
    try:
        # 0x04 first: OpenSSL would also take a "hybrid" 0x06/0x07 point, which browsers never send.
        if point[0] != 0x04:
            raise ValueError("not uncompressed")
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise invalid("keys.p256dh", "must be an uncompressed P-256 public key") from None
    return _b64url(point), _b64url(_decode_key(data.keys.auth, "keys.auth", 16))


async def subscribe(
    conn: asyncpg.Connection, caller: Caller, data: SubscriptionIn, allowlist: Allowlist
) -> tuple[SubscriptionOut, bool]:
    """Store the caller's subscription; (row, created). Idempotent for the same user."""
    try:
        check_endpoint(data.endpoint, allowlist)
    except EndpointRefused as exc:
        raise invalid("endpoint", str(exc)) from None
    p256dh, auth = _checked_keys(data)
    expires_at = None if data.expiration_time is None else datetime.fromtimestamp(data.expiration_time / 1000, tz=UTC)
    row = await conn.fetchrow(
        queries.upsert_subscription, uuid.uuid4(), caller.id, data.endpoint, p256dh, auth, expires_at, caller.now
    )
    if row is None:
        # Never move or delete another user's subscription (pixelfed#6974): the real owner's
        # device would silently stop getting alerts.
        raise ProblemError(409, "This push endpoint is registered to another account.")
    if row["created"]:
        await conn.execute(queries.delete_oldest_subscriptions, caller.id, MAX_SUBSCRIPTIONS_PER_USER)
    return SubscriptionOut(row["id"], row["endpoint"], row["created_at"], row["expires_at"]), row["created"]


async def unsubscribe(conn: asyncpg.Connection, caller: Caller, endpoint: str) -> None:
    """Remove the caller's own subscription; someone else's, or none, is left as it is."""
    await conn.execute(queries.delete_own_subscription, caller.id, endpoint)


async def forget_subscription(conn: asyncpg.Connection, subscription_id: UUID) -> bool:
    """For the delivery worker on `push.Gone`: the push service says the subscription is dead."""
    return await conn.execute(queries.delete_subscription, subscription_id) == "DELETE 1"


async def list_subscriptions(conn: asyncpg.Connection, user_ids: Sequence[UUID], now: datetime) -> list[Subscription]:
    """The live subscriptions of these users (a unit's clinicians), ready for `Pusher.send`."""
    rows = await conn.fetch(queries.select_subscriptions_of_users, list(user_ids), now)
    return [Subscription(**dict(row)) for row in rows]
