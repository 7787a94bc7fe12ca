"""A client for the live stream: the test client answers only once a response is complete, so the
stream runs as its own ASGI call on the app's loop (the test client's portal) and its messages
cross to the test's loop as they are sent."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import Future
from typing import Any

from litestar.testing import AsyncTestClient

from tests.helpers import API, Actor

STREAM = f"{API}/alerts/stream"


class EventStream:
    def __init__(self, client: AsyncTestClient, actor: Actor, headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.headers = {**actor.headers, **(headers or {})}
        self.status: int | None = None
        self.response_headers: dict[str, str] = {}
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.buffer = b""
        self.future: Future[Any] | None = None

    async def __aenter__(self) -> EventStream:
        loop = asyncio.get_running_loop()
        headers = [(b"host", b"testserver")] + [(k.lower().encode(), v.encode()) for k, v in self.headers.items()]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": STREAM,
            "raw_path": STREAM.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": {},
            "extensions": {},
        }
        asked = False

        async def receive() -> dict[str, Any]:
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()  # the client stays; the test ends the call by cancelling it
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            loop.call_soon_threadsafe(self.messages.put_nowait, message)

        self.future = self.client.blocking_portal.start_task_soon(self.client.app, scope, receive, send)
        start = await self._message()
        assert start["type"] == "http.response.start", start
        self.status = start["status"]
        self.response_headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
        if self.status == 200:
            opening = await self._message()
            assert b": heima alerts" in opening["body"], opening  # listening from here on
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.future is not None
        self.future.cancel()

    async def _message(self) -> dict[str, Any]:
        async with asyncio.timeout(5):
            return await self.messages.get()

    async def next_event(self) -> tuple[str, dict[str, Any]]:
        """The next event (comments skipped): its name and JSON data, within five seconds."""
        async with asyncio.timeout(5):
            while True:
                while b"\n\n" not in self.buffer:
                    message = await self.messages.get()
                    assert message["type"] == "http.response.body", message
                    if not message.get("more_body", False) and not message.get("body"):
                        raise EOFError("the stream ended")
                    self.buffer += message.get("body", b"")
                raw, self.buffer = self.buffer.split(b"\n\n", 1)
                fields = dict(
                    line.split(": ", 1) for line in raw.decode().splitlines() if line and not line.startswith(":")
                )
                if "event" in fields:
                    return fields["event"], json.loads(fields.get("data", "null"))
