"""ICE servers for a participant: STUN as configured, TURN with short-lived credentials in coturn's
REST scheme (`use-auth-secret`): username `expiry:user`, credential base64(HMAC-SHA1(secret,
username)). coturn checks the expiry itself, so a leaked credential stops working on its own."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from uuid import UUID

from backend.settings import Settings
from video.schemas import IceServer


def turn_credential(secret: str, username: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()


def ice_servers(settings: Settings, user_id: UUID, now: datetime) -> list[IceServer]:
    stun = [url for url in settings.turn_urls if url.startswith("stun:") or url.startswith("stuns:")]
    turn = [url for url in settings.turn_urls if url.startswith("turn:") or url.startswith("turns:")]
    servers: list[IceServer] = []
    if stun:
        servers.append(IceServer(urls=stun))
    # TURN without the shared secret could not authenticate: better no relay than a broken one.
    if turn and settings.turn_secret:
        expiry = int((now + timedelta(seconds=settings.turn_credential_ttl_seconds)).timestamp())
        username = f"{expiry}:{user_id}"
        servers.append(
            IceServer(urls=turn, username=username, credential=turn_credential(settings.turn_secret, username))
        )
    return servers
