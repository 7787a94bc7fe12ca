"""A request body that stops arriving is cut off: 408 problem+json, the connection closed, nothing
stored (backend/retry.py). Slow clients must not hold sockets for good (RELIABILITY.md)."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from typing import Any

from backend.app import create_app
from tests.helpers import API, http_scope


async def test_a_body_that_stops_arriving_gets_408_and_changes_nothing(settings, world, db):
    app = create_app(replace(settings, body_read_timeout_seconds=1), configure_logs=False)
    first = b'{"measurements": [{"id": "'
    pulls = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulls
        pulls += 1
        if pulls == 1:
            return {"type": "http.request", "body": first, "more_body": True}
        await asyncio.Event().wait()  # the rest never comes
        raise AssertionError("unreachable")

    messages: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    extra = [(b"content-type", b"application/json"), (b"content-length", b"500")]
    scope = http_scope("POST", f"{API}/patients/{world.twin_a}/measurements", world.guardian, extra)
    before = await db.fetchval("select count(*) from measurements")
    started = time.monotonic()
    async with asyncio.timeout(10):
        await app(scope, receive, send)

    assert 1 <= time.monotonic() - started < 10
    start = next(m for m in messages if m["type"] == "http.response.start")
    assert start["status"] == 408
    response_headers = dict(start["headers"])
    assert response_headers[b"content-type"] == b"application/problem+json"
    assert response_headers[b"connection"] == b"close"
    body = json.loads(b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body"))
    assert body["status"] == 408 and body["detail"]
    assert await db.fetchval("select count(*) from measurements") == before
