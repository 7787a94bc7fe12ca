"""A request body that stops arriving is cut off: 408 problem+json, the connection closed, nothing
stored (backend/retry.py). Slow clients must not hold sockets for good (docs/reliability.md, R17); a slow
but steady phone is not one of them."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from backend.app import create_app
from backend.clock import FrozenClock
from tests.conftest import SECRET_KEY, START
from tests.helpers import API, app_client, http_scope
from tests.video.support import InProcessServer, Subprocesses, serve_env


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


def _drive(chunks: list[bytes], pause: float = 0.0) -> Any:
    """A receive channel that hands out `chunks` (each after `pause` seconds), then waits for good
    as a client that keeps the connection open; the number of chunks pulled so far."""

    class Channel:
        pulled = 0

        async def receive(self) -> dict[str, Any]:
            if self.pulled >= len(chunks):
                await asyncio.Event().wait()
            if pause:
                await asyncio.sleep(pause)
            self.pulled += 1
            return {"type": "http.request", "body": chunks[self.pulled - 1], "more_body": self.pulled < len(chunks)}

    return Channel()


async def _call(client: Any, scope: dict[str, Any], channel: Any) -> tuple[int, int, dict[str, Any]]:
    """Run one request on the app's loop: its status, the chunks pulled when it was answered, and
    its problem+json body."""
    messages: list[dict[str, Any]] = []
    pulled_when_answered = -1

    async def send(message: dict[str, Any]) -> None:
        nonlocal pulled_when_answered
        if message["type"] == "http.response.start":
            pulled_when_answered = channel.pulled
        messages.append(message)

    client.blocking_portal.call(client.app, scope, channel.receive, send)
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = json.loads(b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body"))
    return start["status"], pulled_when_answered, body


async def test_a_declared_length_over_the_routes_limit_gets_413_before_a_byte_is_read(settings, world):
    length = settings.max_body_bytes + 1
    extra = [(b"content-type", b"application/json"), (b"content-length", str(length).encode())]
    scope = http_scope("POST", f"{API}/patients", world.clin_u1, extra)
    channel = _drive([b"{" * length])
    async with app_client(settings, FrozenClock(START)) as client, asyncio.timeout(10):
        status, pulled, body = await _call(client, scope, channel)
    assert (status, pulled) == (413, 0)
    assert body["status"] == 413 and str(settings.max_body_bytes) in body["detail"]


async def test_each_route_answers_by_its_own_limit(settings, world):
    """The upload takes a 1000-item batch, beyond the default limit; past its own limit it is 413."""
    from backend.measurements.routes import UPLOAD_MAX_BYTES

    path = f"{API}/patients/{world.twin_a}/measurements"
    async with app_client(settings, FrozenClock(START)) as client, asyncio.timeout(10):
        within = b'{"measurements": []' + b" " * settings.max_body_bytes + b"}"
        extra = [(b"content-type", b"application/json"), (b"content-length", str(len(within)).encode())]
        scope = http_scope("POST", path, world.guardian, extra)
        status, _, _ = await _call(client, scope, _drive([within]))
        assert status == 422  # read and judged: an empty batch, not a body too large
        extra = [(b"content-type", b"application/json"), (b"content-length", str(UPLOAD_MAX_BYTES + 1).encode())]
        scope = http_scope("POST", path, world.guardian, extra)
        status, pulled, _ = await _call(client, scope, _drive([b" " * 1024]))
        assert (status, pulled) == (413, 0)


async def test_a_body_may_not_take_longer_than_the_total_bound_however_steady(settings, world, db):
    """A trickle above the minimum rate used to hold its socket for as long as it liked."""
    item = {"display_name": "Trickle", "birth_date": "2026-01-01", "unit_id": world.unit_u1}
    body = json.dumps(item).encode().ljust(16 * 1024)
    chunks = [body[i : i + 1024] for i in range(0, len(body), 1024)]  # 4 KiB/s: above 1 KiB/s
    extra = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope = http_scope("POST", f"{API}/patients", world.clin_u1, extra)
    quick = replace(settings, body_read_timeout_seconds=1, body_max_seconds=2)
    async with app_client(quick, FrozenClock(START)) as client, asyncio.timeout(20):
        status, pulled, problem = await _call(client, scope, _drive(chunks, pause=0.25))
    assert status == 408 and problem["status"] == 408
    assert pulled < len(chunks)


async def _post_without_reading(port: int, body: bytes) -> bytes:
    """What a phone's HTTP client does: write the whole body, then read the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"POST {API}/patients HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode())
    for start in range(0, len(body), 256 * 1024):
        writer.write(body[start : start + 256 * 1024])
        await writer.drain()  # a reset here (or in the read below) was the bug
    answer = await reader.read()
    writer.close()
    return answer


@pytest.mark.parametrize("server", ["uvicorn", "granian"])
async def test_a_client_still_sending_reads_the_413_not_a_connection_reset(settings, server, tmp_path):
    """Over real sockets, on both servers: closing with the body unread made the kernel reset the
    connection under a client still writing it; now the rest is drained first. Several rounds,
    since a reset depends on how far the client got when the server closed."""
    body = b"{" * (8 * 1024 * 1024)
    answers: list[bytes] = []
    if server == "uvicorn":
        in_process = InProcessServer(create_app(settings, clock=FrozenClock(START), configure_logs=False))
        await in_process.start()
        try:
            async with asyncio.timeout(60):
                answers = [await _post_without_reading(in_process.port, body) for _ in range(5)]
        finally:
            await in_process.stop()
    else:
        processes = Subprocesses()
        try:
            base = processes.start(serve_env(settings.database_url, settings.redis_url, SECRET_KEY), tmp_path)
            processes.wait_ready()
            async with asyncio.timeout(60):
                answers = [await _post_without_reading(int(base.rsplit(":", 1)[1]), body) for _ in range(5)]
        finally:
            processes.stop()
    for answer in answers:
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.split(b" ")[1] == b"413"
        assert json.loads(rest.partition(b"\r\n\r\n")[2])["status"] == 413
