"""Running a request again when its transaction could not complete for a reason that passes.

PostgreSQL restarting, a connection cut, a deadlock or a serialization failure: the transaction
rolled back as a whole (a 2xx means committed, backend/db.py), so running the request again is
safe, and the phone's idempotency ids make even a lost answer harmless. Trying again here for a few
seconds spares a parent's phone a round of 503 and Retry-After during a short outage
(docs/reliability.md, R7); after the budget the 503 goes out as before, and the phone retries later.

ASGI middleware around the whole app: the request body is read first, within the route's limits of
size and time (backend/bodies.py), and kept so that it can be replayed; a retryable 503 is held
back until the budget says whether to try again or to send it. `errors.handle_exception` marks
those with RETRYABLE_HEADER, which never leaves the process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.bodies import BodyLimits, BodyTooLarge, refuse_too_large, refuse_too_slow
from backend.errors import RETRYABLE_HEADER

log = logging.getLogger("heima.retry")

FIRST_PAUSE_SECONDS = 0.05
MAX_PAUSE_SECONDS = 1.0


def retry_transient(budget_seconds: float, *, bodies: BodyLimits) -> Callable[[ASGIApp], ASGIApp]:
    """Middleware factory: the body is read within `bodies`' limits (413 and 408 otherwise); a
    request answered with a retryable 503 runs again for up to `budget_seconds` (0: never),
    pausing 50 ms, 100 ms, … up to 1 s between attempts."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def handle(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            if bodies.declared_too_large(scope):
                await refuse_too_large(scope, receive, send, bodies.limit_of(scope))
                return
            try:
                body, early = await bodies.read(scope, receive)
            except BodyTooLarge as refused:
                await refuse_too_large(scope, receive, send, bodies.limit_of(scope), drain=refused.more)
                return
            except TimeoutError:
                log.info("request.body_too_slow", extra={"grace_seconds": bodies.grace_seconds})
                await refuse_too_slow(send)
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
