"""Slow clients, as a process of their own (tests/faults/test_slow_clients.py starts it):

    python -m tests.faults.slowloris --port 8000 --headers 500 --bodies 20 [--interval 1.0]

- `--headers` sockets send the start of a request (request line, Host) and then one byte of a
  header that never ends, every `--interval` seconds: the blank line never comes (slowloris);
- `--bodies` sockets send complete headers of a POST with a Content-Length and then trickle the
  body, one byte every `--interval` seconds, never reaching the length.

Each socket's bytes start at a random offset within the interval, so the writes are spread out.
A socket the server answers or closes is counted and not reopened. Driven over stdio in JSON lines:
`open` connects a fresh set of sockets and answers {"event": "ready", ...} once every one is
connected and has sent its first bytes; `report` answers {"event": "report", ...}; `close` closes
the set and answers {"event": "closed", ...} with what the server had done to it. End of input
closes whatever is open and ends the process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

CONNECT_CONCURRENCY = 64


@dataclass
class Slow:
    kind: str  # "headers" | "body"
    opened: float = 0.0
    closed_at: float | None = None
    answer: str | None = None  # the status line, if the server answered before closing
    writer: asyncio.StreamWriter | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


def _start(kind: str, host: str, port: int) -> bytes:
    if kind == "headers":
        return f"GET /api/v1/me HTTP/1.1\r\nHost: {host}:{port}\r\nX-Slow: ".encode()
    return (
        f"POST /api/v1/auth/login HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: 4096\r\n\r\n"
    ).encode()


async def _open(slow: Slow, host: str, port: int, interval: float, gate: asyncio.Semaphore) -> None:
    async with gate:
        reader, writer = await asyncio.open_connection(host, port)
    slow.opened, slow.writer = time.monotonic(), writer
    writer.write(_start(slow.kind, host, port))
    await writer.drain()
    slow.tasks = [
        asyncio.create_task(_watch(slow, reader)),
        asyncio.create_task(_trickle(slow, interval)),
    ]


async def _watch(slow: Slow, reader: asyncio.StreamReader) -> None:
    """Whatever the server says: its status line, then EOF or a reset, ends this socket."""
    try:
        line = await reader.readline()
        if line:
            slow.answer = line.decode(errors="replace").strip()
            await reader.read()
    except OSError:
        pass
    if slow.closed_at is None:
        slow.closed_at = time.monotonic()


async def _trickle(slow: Slow, interval: float) -> None:
    assert slow.writer is not None
    await asyncio.sleep(random.uniform(0, interval))
    byte = b"a" if slow.kind == "headers" else b" "  # a header value, or JSON whitespace
    while slow.closed_at is None:
        try:
            slow.writer.write(byte)
            await slow.writer.drain()
        except OSError:
            slow.closed_at = slow.closed_at or time.monotonic()
            return
        await asyncio.sleep(interval)


def _report(slows: list[Slow], event: str) -> dict[str, object]:
    now = time.monotonic()
    closed = [s for s in slows if s.closed_at is not None]
    return {
        "event": event,
        "sockets": len(slows),
        "open": len(slows) - len(closed),
        "closed_by_server": {
            kind: sum(1 for s in closed if s.kind == kind) for kind in sorted({s.kind for s in slows})
        },
        "answers": dict(Counter(s.answer for s in closed if s.answer)),
        "oldest_seconds": round(max((now - s.opened for s in slows), default=0.0), 2),
        "youngest_seconds": round(min((now - s.opened for s in slows), default=0.0), 2),
        "closed_after_seconds": sorted(round(s.closed_at - s.opened, 2) for s in closed if s.closed_at)[:5],
    }


def _say(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _close(slows: list[Slow]) -> None:
    for slow in slows:
        for task in slow.tasks:
            task.cancel()
        if slow.writer is not None:
            slow.writer.close()


async def main(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    slows: list[Slow] = []
    while line := await stdin.readline():
        command = line.strip().decode()
        if command == "open":
            _close(slows)
            slows = [Slow("headers") for _ in range(args.headers)] + [Slow("body") for _ in range(args.bodies)]
            await asyncio.gather(*(_open(s, args.host, args.port, args.interval, gate) for s in slows))
            _say(_report(slows, "ready"))
        elif command == "report":
            _say(_report(slows, "report"))
        elif command == "close":
            report = _report(slows, "closed")
            _close(slows)
            slows = []
            _say(report)
    _close(slows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--headers", type=int, default=500)
    parser.add_argument("--bodies", type=int, default=20)
    parser.add_argument("--interval", type=float, default=1.0)
    asyncio.run(main(parser.parse_args()))
