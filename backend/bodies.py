"""Reading a request body within the route's limits of size and time, before the app sees it.

Every body is read here, once, ahead of the route (backend/retry.py keeps it to replay a request):

- its size is checked against the route's own limit (`request_max_body_size`: 64 KiB by default,
  more for an upload), from `Content-Length` before a byte is read, and while reading for a body
  of unknown length; too large answers 413 at once;
- its time is bounded twice: after a grace it must keep arriving at MIN_BODY_BYTES_PER_SECOND (a
  phone on a poor line sends a full batch well above that rate), and the whole body must be in
  within `total_seconds`, so a client trickling just above the rate cannot hold a socket for half
  an hour. Too slow answers 408 and the connection closes.

A refused body is usually still on its way: closing the socket with unread bytes in it makes the
kernel answer with a reset, and a client still writing then sees "connection reset" instead of the
413 (and a phone's queue retries it forever). So after the 413's status line is written, the rest of the
body is read and thrown away for up to LINGER_SECONDS, as HTTP servers linger before closing, and
only then is the response finished and the connection closed. A client that asked `Expect: 100-continue`
sends nothing more, so nothing is drained.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import msgspec
from litestar.types import Message, Receive, Scope, Send

from backend.errors import PROBLEM_JSON, Problem

log = logging.getLogger("heima.bodies")

# A 1000-item batch (~150 KB) over 2G at 50 kbit/s comes at about 6 KiB/s.
MIN_BODY_BYTES_PER_SECOND = 1024
# How long a refused body is drained before the connection closes, and the longest pause in it.
LINGER_SECONDS = 5.0
LINGER_PAUSE_SECONDS = 1.0


class BodyTooLarge(Exception):
    def __init__(self, *, more: bool) -> None:
        super().__init__("request body too large")
        self.more = more  # whether the client is still sending


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """`limit_of(scope)`: the route's largest body in bytes; the time rules above."""

    limit_of: Callable[[Scope], int]
    grace_seconds: float
    total_seconds: float

    def declared_too_large(self, scope: Scope) -> bool:
        length = _header(scope, b"content-length")
        return length is not None and length.isdigit() and int(length) > self.limit_of(scope)

    async def read(self, scope: Scope, receive: Receive) -> tuple[bytes, Message | None]:
        """The whole body, or the message that ended it early (the client left). TimeoutError when
        the client falls behind: by each moment past the grace it must have sent
        MIN_BODY_BYTES_PER_SECOND for every second since, and all of it within `total_seconds`.
        BodyTooLarge past the route's limit."""
        limit = self.limit_of(scope)
        loop = asyncio.get_running_loop()
        started = loop.time()
        chunks: list[bytes] = []
        received = 0
        while True:
            by_rate = started + self.grace_seconds + received / MIN_BODY_BYTES_PER_SECOND
            async with asyncio.timeout_at(min(by_rate, started + self.total_seconds)):
                message = await receive()
            if message["type"] != "http.request":
                return b"", message
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                raise BodyTooLarge(more=message.get("more_body", False))
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), None


async def refuse_too_large(scope: Scope, receive: Receive, send: Send, limit: int, *, drain: bool = True) -> None:
    """413 at once; then, unless the client waits for a 100 Continue, the rest of the body is read
    and dropped (for a bounded time) before the response ends and the connection closes."""
    log.info("request.body_too_large", extra={"limit": limit})
    body = msgspec.json.encode(
        Problem(
            type="about:blank",
            title="Request body too large",
            status=413,
            detail=f"The request body is larger than this route accepts ({limit} bytes).",
            errors=None,
        )
    )
    await send({"type": "http.response.start", "status": 413, "headers": _closing_headers(body)})
    if drain and _header(scope, b"expect") != "100-continue":
        # The status line is out; the body follows the drain: a server (granian) that has sent a
        # whole response considers the exchange over and drops the connection, unread bytes and all.
        await _linger(receive)
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def refuse_too_slow(send: Send) -> None:
    body = msgspec.json.encode(
        Problem(
            type="about:blank",
            title="Request Timeout",
            status=408,
            detail="The request body did not arrive in time; send it again.",
            errors=None,
        )
    )
    await send({"type": "http.response.start", "status": 408, "headers": _closing_headers(body)})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _linger(receive: Receive) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LINGER_SECONDS
    drained = 0
    outcome = "ended"
    try:
        while True:
            async with asyncio.timeout_at(min(deadline, loop.time() + LINGER_PAUSE_SECONDS)):
                message = await receive()
            drained += len(message.get("body", b""))
            if message["type"] != "http.request":
                outcome = "client left"
                break
            if not message.get("more_body", False):
                break
    except TimeoutError:
        outcome = "timed out"
    log.info("request.body_drained", extra={"bytes": drained, "outcome": outcome})


def _closing_headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return value.decode("latin-1").strip().lower()
    return None
