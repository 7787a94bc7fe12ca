"""A stand-in push service whose behaviour the fault tests switch while a real worker sends to it.

Like tests/alerting/push/support.StandInPushService it checks each request's VAPID JWT and decrypts the
payload with the subscribing browser's key (a request that fails either is a problem, reported by
`problems()`), but what it answers is a `Behaviour` that can change at any moment:

- `Answer(status, headers)`: answered at once (201, 410, 429 + Retry-After, 500, …);
- `HOLD`: accepted and never answered (a hanging push service); the request stays open until the
  sender gives up, or the service stops;
- `start(listening=False)`: the port is bound but does not listen, so connecting is refused (a push
  service that is down); `up()` listens on that same port (the subscriptions name it).

Every request is an `Arrival` (topic = the alert id's hex, path = the subscription) with what it
was answered.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.alerting.push.support import Browser, b64url, verify_vapid


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)


HOLD = None  # the behaviour of a push service that never answers
Behaviour = Callable[["Arrival"], Answer | None]


@dataclass
class Arrival:
    topic: str
    path: str
    at: float  # time.time() when the request was in
    problem: str | None = None
    status: int | None = None  # what it was answered; None while held (or never)
    answered_at: float | None = None


class FaultyPushService:
    def __init__(self, vapid_public_key: str, subject: str, port: int) -> None:
        self.vapid_public_key = vapid_public_key
        self.subject = subject
        self.behaviour: Behaviour = lambda arrival: Answer(201)
        self.arrivals: list[Arrival] = []
        self.browsers: dict[str, Browser] = {}
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._site: web.SockSite | None = None
        self._sock: socket.socket | None = None
        self.port = port  # the one the allowlist of the service under test pins

    @property
    def listening(self) -> bool:
        return self._site is not None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def endpoint_for(self, browser: Browser) -> str:
        path = f"/wpush/v2/{b64url(os.urandom(18))}"
        self.browsers[path] = browser
        return self.origin + path

    def path_of(self, endpoint: str) -> str:
        return endpoint.removeprefix(self.origin)

    def answer(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.behaviour = lambda arrival: Answer(status, headers or {})

    def hold(self) -> None:
        self.behaviour = lambda arrival: HOLD

    # --- the listener --------------------------------------------------------------------------

    async def start(self, *, listening: bool = True) -> FaultyPushService:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1, handle_signals=False)
        await self._runner.setup()
        self._bind()
        if listening:
            await self.up()
        return self

    def _bind(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.setblocking(False)
        self._sock, self.port = sock, sock.getsockname()[1]

    async def up(self) -> None:
        """Listen (again) on the port the subscriptions name."""
        assert self._runner is not None and self._sock is not None
        self._sock.listen(128)
        self._site = web.SockSite(self._runner, self._sock)
        await self._site.start()

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._sock is not None:
            self._sock.close()

    # --- requests ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        arrival = Arrival(request.headers.get("Topic", ""), request.path, time.time())
        body = await request.read()
        arrival.problem = self._check(request, body, arrival.topic)
        self.arrivals.append(arrival)
        if arrival.problem is not None:
            arrival.status, arrival.answered_at = 400, time.time()
            return web.Response(status=400)
        answer = self.behaviour(arrival)
        if answer is HOLD:
            await self._release.wait()  # never answered while the test runs
            return web.Response(status=503)
        arrival.status, arrival.answered_at = answer.status, time.time()
        return web.Response(status=answer.status, headers=answer.headers)

    def _check(self, request: web.Request, body: bytes, topic: str) -> str | None:
        """Why this is not a Web Push message for one of our subscriptions about alert `topic`."""
        try:
            claims = verify_vapid(request.headers.get("Authorization", ""), self.vapid_public_key, datetime.now(UTC))
            assert claims["aud"] == self.origin and claims["sub"] == self.subject, claims
            browser = self.browsers[request.path]
            payload = json.loads(browser.decrypt(body))
            assert payload["type"] == "alert" and payload["alert_id"].replace("-", "") == topic, payload
        except (AssertionError, KeyError, ValueError, TypeError) as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    # --- what happened -------------------------------------------------------------------------

    def problems(self) -> list[str]:
        return [a.problem for a in self.arrivals if a.problem is not None]

    def of(self, topic: str) -> list[Arrival]:
        return [a for a in self.arrivals if a.topic == topic]

    def accepted(self) -> Counter[tuple[str, str]]:
        """(topic, path) → how often the service accepted it (2xx): a duplicate is a count above 1."""
        return Counter((a.topic, a.path) for a in self.arrivals if a.status is not None and 200 <= a.status < 300)

    def requests(self) -> Counter[tuple[str, str]]:
        return Counter((a.topic, a.path) for a in self.arrivals)

    def summary(self) -> dict[str, Any]:
        return {
            "requests": len(self.arrivals),
            "by_status": dict(Counter(a.status for a in self.arrivals)),
            "problems": self.problems()[:3],
        }
