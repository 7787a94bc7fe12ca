"""Reading the request body within a deadline, and running a request again when its transaction
could not complete for a reason that passes.

PostgreSQL restarting, a connection cut, a deadlock or a serialization failure: the transaction
rolled back as a whole (a 2xx means committed, backend/db.py), so running the request again is
safe, and the phone's idempotency ids make even a lost answer harmless. Trying again here for a few
seconds spares a parent's phone a round of 503 and Retry-After during a short outage
(RELIABILITY.md §4.1); after the budget the 503 goes out as before, and the phone retries later.

ASGI middleware around the whole app: the request body is read first and kept so that it can be
replayed, and a retryable 503 is held back until the budget says whether to try again or to send
it. `errors.handle_exception` marks those with RETRYABLE_HEADER, which never leaves the process.
Only bodies with a declared length up to MAX_REPLAY_BYTES are kept; anything else (chunked, or
beyond every route's limit) runs once, under the route's own limit.

Reading the body first also bounds how slowly a client may send it: after a grace of
`body_seconds`, a body that arrives slower than MIN_BODY_BYTES_PER_SECOND gets 408 and the
connection closes. A phone on a poor mobile line sends a full batch well above that rate; a slow
client trickling bytes would otherwise hold its socket for good (tests/faults/test_slow_clients.py).
The HTTP server bounds the headers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.errors import PROBLEM_JSON, RETRYABLE_HEADER, Problem

log = logging.getLogger("heima.retry")

# The largest route limit (a 1000-item upload) with room to spare; larger bodies get 413 anyway.
MAX_REPLAY_BYTES = 2 * 1024 * 1024
# A 1000-item batch (~150 KB) over 2G at 50 kbit/s comes at about 6 KiB/s.
MIN_BODY_BYTES_PER_SECOND = 1024
FIRST_PAUSE_SECONDS = 0.05
MAX_PAUSE_SECONDS = 1.0

_WITHOUT_BODY = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


def retry_transient(budget_seconds: float, *, body_seconds: float) -> Callable[[ASGIApp], ASGIApp]:
    """Middleware factory: a body must keep up MIN_BODY_BYTES_PER_SECOND after a grace of
    `body_seconds`; a request answered with a retryable 503 runs again for up to `budget_seconds`
    (0: never), pausing 50 ms, 100 ms, … up to 1 s between attempts."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def handle(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or not _replayable(scope):
                once = _HeldResponse(send)
                await app(scope, receive, once.send)
                await once.release()
                return
            try:
                body, early = await _read_body(receive, grace_seconds=body_seconds)
            except TimeoutError:
                log.info("request.body_too_slow", extra={"seconds": body_seconds})
                await _too_slow(send)
                return
            if early is not None or budget_seconds <= 0:  # the client went away, or no retries
                once = _HeldResponse(send)
                await app(scope, _replay(body, early, receive), once.send)
                await once.release()
                return
            deadline = time.monotonic() + budget_seconds
            pause = FIRST_PAUSE_SECONDS
            attempt = 1
            while True:
                held = _HeldResponse(send)
                await app(scope, _replay(body, None, receive), held.send)
                if not held.retryable:
                    if attempt > 1:
                        log.info("request.retried", extra={"attempts": attempt})
                    return
                if time.monotonic() + pause >= deadline:
                    log.warning("request.retries_exhausted", extra={"attempts": attempt})
                    await held.release()
                    return
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE_SECONDS)
                attempt += 1

        return handle

    return middleware


async def _too_slow(send: Send) -> None:
    problem = Problem(
        type="about:blank",
        title="Request Timeout",
        status=408,
        detail="The request body did not arrive in time; send it again.",
        errors=None,
    )
    body = msgspec.json.encode(problem)
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 408, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _replayable(scope: Scope) -> bool:
    """A body of a declared, bounded length, or none at all. A stream of unknown length is left to
    the route's own limit, which stops reading it early (tests/test_bad_input.py)."""
    headers = dict(scope["headers"])
    if b"transfer-encoding" in headers:
        return False
    length = headers.get(b"content-length")
    if length is None:
        return scope["method"] in _WITHOUT_BODY
    return length.isdigit() and int(length) <= MAX_REPLAY_BYTES


async def _read_body(receive: Receive, *, grace_seconds: float) -> tuple[bytes, Message | None]:
    """The whole body, or the message that ended it early; TimeoutError when the client falls
    behind: by each moment past the grace it must have sent MIN_BODY_BYTES_PER_SECOND for every
    second since."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    chunks: list[bytes] = []
    received = 0
    while True:
        async with asyncio.timeout_at(started + grace_seconds + received / MIN_BODY_BYTES_PER_SECOND):
            message = await receive()
        if message["type"] != "http.request":
            return b"", message
        chunk = message.get("body", b"")
        chunks.append(chunk)
        received += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), None


def _replay(body: bytes, early: Message | None, receive: Receive) -> Receive:
    """The kept body once, then the client's own channel (a streaming handler waits on it to see
    the client leave)."""
    first: Message = early or {"type": "http.request", "body": body, "more_body": False}
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return first
        return await receive()

    return replay


class _HeldResponse:
    """Passes a response through, except a retryable 503: that one is kept back (it is a small
    problem+json) until the middleware knows whether to try again or to send it after all. The
    marker header never goes out."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._kept: list[Message] = []
        self.retryable = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = message.get("headers", [])
            if any(name.lower() == RETRYABLE_HEADER for name, _ in headers):
                self.retryable = True
                message = {**message, "headers": [(n, v) for n, v in headers if n.lower() != RETRYABLE_HEADER]}
        if self.retryable:
            self._kept.append(message)
        else:
            await self._send(message)

    async def release(self) -> None:
        for message in self._kept:
            await self._send(message)
