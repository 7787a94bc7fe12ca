"""A request body that stops arriving is cut off: 408 problem+json, the connection closed, nothing
stored (backend/retry.py). Slow clients must not hold sockets for good (RELIABILITY.md); a slow
but steady phone is not one of them."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

from backend.app import create_app
from backend.clock import FrozenClock
from tests.conftest import START
from tests.helpers import API, app_client, http_scope


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


async def test_a_slow_body_that_keeps_up_after_the_grace_is_stored(settings, world, db):
    """A phone on a poor line: the batch takes longer than the grace but keeps above 1 KiB/s."""
    items = [
        {
            "id": str(uuid.uuid4()),
            "type": "body_temperature",
            "value": 37.0,
            "unit": "Cel",
            "measured_at": (START - timedelta(minutes=10 + i)).isoformat(),
        }
        for i in range(40)
    ]
    body = json.dumps({"measurements": items}).encode()
    third = len(body) // 3 + 1
    chunks = [body[i : i + third] for i in range(0, len(body), third)]
    assert len(chunks) == 3 and len(body) >= 3 * 1024
    sent = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(0.5)  # the network, not the server: a chunk every half second
        sent += 1
        return {"type": "http.request", "body": chunks[sent - 1], "more_body": sent < len(chunks)}

    messages: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    extra = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope = http_scope("POST", f"{API}/patients/{world.twin_a}/measurements", world.guardian, extra)
    async with app_client(replace(settings, body_read_timeout_seconds=1), FrozenClock(START)) as client:
        started = time.monotonic()
        # The app runs on the test client's portal (its own event loop), where its pool lives.
        client.blocking_portal.call(client.app, scope, receive, send)
        took = time.monotonic() - started

    assert took > 1  # longer than the grace
    start = next(m for m in messages if m["type"] == "http.response.start")
    assert start["status"] == 200
    results = json.loads(b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body"))
    assert {r["status"] for r in results["results"]} == {"created"}
    ids = [uuid.UUID(item["id"]) for item in items]
    assert await db.fetchval("select count(*) from measurements where id = any($1::uuid[])", ids) == len(items)
