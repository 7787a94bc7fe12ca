"""Servers on real ports and signalling clients for the video tests.

The in-process server runs uvicorn on the test's own event loop with the session's frozen clock,
so a test can move the clock and run the hub's heartbeat and sweep itself. `heima serve`
subprocesses (two of them share one room through Redis) run on the system clock.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import websockets
from litestar import Litestar

from tests.helpers import API, Actor, expect
from tests.localhost import free_port

HEIMA = Path(sys.executable).with_name("heima")
STEP = 5.0  # seconds any single expected frame may take to arrive


class InProcessServer:
    def __init__(self, app: Litestar) -> None:
        self.app = app
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None, lifespan="on")
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task[None] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.server.serve())
        async with asyncio.timeout(20):
            while not self.server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
                await asyncio.sleep(0.02)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            async with asyncio.timeout(20):
                await self.task

    @property
    def hub(self) -> Any:
        return self.app.state.video_hub


@dataclass
class Subprocesses:
    """`heima serve` processes this test run started; ended by their PIDs."""

    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)

    def start(self, env: dict[str, str], logs: Path) -> str:
        port = free_port()
        index = len(self.processes)
        out = (logs / f"heima-{index}.log").open("wb")
        process = subprocess.Popen(
            [str(HEIMA), "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
        self.processes.append(process)
        base = f"http://127.0.0.1:{port}"
        self.bases.append(base)
        return base

    def wait_ready(self, deadline_seconds: float = 60) -> None:
        deadline = time.monotonic() + deadline_seconds
        with httpx.Client(timeout=2) as http:
            for process, base in zip(self.processes, self.bases, strict=True):
                while True:
                    assert process.poll() is None, f"heima serve exited with {process.returncode}"
                    try:
                        if http.get(f"{base}/health/ready").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert time.monotonic() < deadline, "heima serve did not become ready"
                    time.sleep(0.1)  # waiting for a child process to listen, not for test logic

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def serve_env(database_url: str, redis_url: str, secret_key: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEIMA_")}
    env.update(
        HEIMA_DATABASE_URL=database_url,
        HEIMA_REDIS_URL=redis_url,
        HEIMA_SECRET_KEY=secret_key,
        HEIMA_PASSWORD_HASH_TIME_COST="1",
        HEIMA_PASSWORD_HASH_MEMORY_KIB="8",
        HEIMA_LOG_LEVEL="WARNING",
        **extra,
    )
    return env


def rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def plan_meeting(
    http: Any,
    host: Actor,
    patient_id: str,
    starts_at: datetime,
    *,
    kind: str = "consultation",
    participants: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    body = {
        "patient_id": patient_id,
        "kind": kind,
        "title": f"{kind} test",
        "starts_at": rfc3339(starts_at),
        "participants": participants or [],
    }
    return await expect(await http.post(f"{API}/meetings", json=body, headers=host.headers), 201)


async def join(http: Any, actor: Actor, meeting_id: str) -> dict[str, Any]:
    return await expect(await http.post(f"{API}/meetings/{meeting_id}/join", headers=actor.headers), 200)


class Signal:
    """One signalling socket, read frame by frame with a bound on each wait."""

    def __init__(self, ws: Any, name: str = "") -> None:
        self.ws = ws
        self.name = name

    @classmethod
    async def open(cls, url: str, name: str = "", headers: dict[str, str] | None = None) -> Signal:
        ws = await websockets.connect(url, additional_headers=headers, open_timeout=STEP, max_size=2**22)
        return cls(ws, name)

    async def send(self, frame: dict[str, Any] | str | bytes) -> None:
        await self.ws.send(frame if isinstance(frame, str | bytes) else json.dumps(frame))

    async def recv(self, within: float = STEP) -> dict[str, Any]:
        async with asyncio.timeout(within):
            return json.loads(await self.ws.recv())

    async def expect(self, kind: str, within: float = STEP) -> dict[str, Any]:
        frame = await self.recv(within)
        assert frame["type"] == kind, f"{self.name}: expected {kind}, got {frame}"
        return frame

    async def closed(self, within: float = STEP) -> int | None:
        """Read until the server closes; return its close code."""
        async with asyncio.timeout(within):
            try:
                while True:
                    await self.ws.recv()
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None

    async def close(self) -> None:
        await self.ws.close()

    def drop(self) -> None:
        """Vanish without a closing handshake, as a phone that loses its network does."""
        self.ws.transport.abort()


async def connect(http: Any, actor: Actor, meeting_id: str, name: str = "") -> tuple[Signal, dict[str, Any]]:
    ticket = await join(http, actor, meeting_id)
    signal = await Signal.open(ticket["signalling_url"], name or actor.name)
    welcome = await signal.expect("welcome")
    assert welcome["peer_id"] == ticket["peer_id"]
    return signal, welcome


def http_client(base: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base, timeout=10)
