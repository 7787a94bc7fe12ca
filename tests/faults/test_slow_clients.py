"""Slow clients (docs/reliability.md, R17): 500 slowloris sockets, that send a request's
headers a byte a second and never finish them, and 20 that send whole headers and then trickle the
body, held open against a real `heima serve` while normal traffic goes on.

Pass: normal traffic's p99 while they are held is under twice its p99 without them, measured in
this one test with the same requests (authenticated GET /api/v1/me over a few keep-alive
connections); the server still answers afterwards. What the server does with the slow sockets
(closes them, or holds them for as long as they trickle) is printed: a finding, not a criterion.

Measured in interleaved rounds (without, with, without, with, …), the samples of each condition
pooled: this machine is shared, and load from elsewhere comes in bursts of seconds; interleaving
spreads a burst over both conditions instead of letting it land on one. The slow clients are a
process of their own (tests/faults/slowloris.py), so that their writes do not share this event
loop with the latencies being measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.faults.service import admin_actor, eventually, start_serve, stop_all
from tests.helpers import API, Actor
from tests.localhost import free_port

ROOT = Path(__file__).resolve().parents[2]
SLOW_HEADERS, SLOW_BODIES = 500, 20
TRICKLE_INTERVAL = 1.0
CLIENTS = 4  # keep-alive connections of normal traffic, each sending one request after another
WARM_UP = 200
ROUNDS, BLOCK = 6, 150  # 900 requests without the slow clients and 900 with; p99 = the 9th slowest
KEEP_ALIVE_TIMEOUT = 5  # seconds: uvicorn's timeout_keep_alive default, the only timeout it has
FD_HEADROOM = 2048


@contextlib.contextmanager
def open_files_at_least(needed: int) -> Iterator[int]:
    """The soft limit on open files raised to `needed` if lower (the children started meanwhile
    inherit it), and put back afterwards; the limit in force."""
    saved = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft, hard = saved
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(
            resource.RLIMIT_NOFILE, (needed if hard == resource.RLIM_INFINITY else min(needed, hard), hard)
        )
    try:
        yield resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, saved)


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def sockets_of(pid: int) -> int:
    """Open sockets of the process and its descendants (a server with worker processes too)."""
    pids, count = [pid], 0
    while pids:
        current = pids.pop()
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{current}/fd"):
                with contextlib.suppress(OSError):
                    count += os.readlink(f"/proc/{current}/fd/{fd}").startswith("socket:")
            for task in os.listdir(f"/proc/{current}/task"):
                with contextlib.suppress(OSError):
                    pids.extend(int(c) for c in Path(f"/proc/{current}/task/{task}/children").read_text().split())
    return count


async def normal_traffic(client: httpx.AsyncClient, actor: Actor, requests: int) -> list[float]:
    """`requests` GET /me over CLIENTS connections; each latency in seconds, every answer 200."""
    latencies: list[float] = []
    remaining = iter(range(requests))

    async def one_client() -> None:
        for _ in remaining:
            started = time.perf_counter()
            response = await client.get(f"{API}/me", headers=actor.headers)
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text

    await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    return latencies


class SlowClients:
    """tests/faults/slowloris.py as a child process, driven over its stdio."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, port: int) -> SlowClients:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "tests.faults.slowloris", "--port", str(port)),
            *("--headers", str(SLOW_HEADERS), "--bodies", str(SLOW_BODIES), "--interval", str(TRICKLE_INTERVAL)),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        return cls(process)

    async def ask(self, command: str, within: float = 30) -> dict:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command.encode() + b"\n")
        async with asyncio.timeout(within):
            line = await self.process.stdout.readline()
        assert line, f"the slow clients ended without answering {command!r}"
        return json.loads(line)

    async def stop(self) -> None:
        """End of input ends it; by PID if it does not."""
        if self.process.returncode is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def test_slow_clients_do_not_slow_normal_traffic(fault_env, fault_workdir, fault_service_database_url):
    with open_files_at_least(SLOW_HEADERS + SLOW_BODIES + FD_HEADROOM) as limit:
        if limit != resource.RLIM_INFINITY and limit < SLOW_HEADERS + SLOW_BODIES + FD_HEADROOM:
            pytest.skip(f"the open-file limit ({limit}) is too low for {SLOW_HEADERS + SLOW_BODIES} slow sockets")
        await slow_clients(fault_env, fault_workdir, fault_service_database_url, limit)


async def slow_clients(fault_env: dict[str, str], fault_workdir: Path, database_url: str, limit: int) -> None:
    api = await start_serve(fault_env, fault_workdir, free_port(), "serve-slow-clients")
    slow: SlowClients | None = None
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    without: list[float] = []
    held: list[float] = []
    sockets: list[tuple[int, int]] = []  # the server's open sockets, without and with, per round
    rounds: list[dict] = []  # what the server had done to each set of slow sockets when it closed
    blocks: list[float] = []  # each block's own p99, without and with in turn
    try:
        async with api.client(limits=limits) as client:
            admin = await admin_actor(client, database_url)
            await normal_traffic(client, admin, WARM_UP)
            quiet_sockets = sockets_of(api.pid)
            slow = await SlowClients.start(int(api.base_url.rsplit(":", 1)[1]))
            for n in range(ROUNDS):
                # Without: the last round's slow sockets are gone from the server too.
                await eventually(lambda: sockets_of(api.pid) <= quiet_sockets, "slow sockets released", 10)
                block = await normal_traffic(client, admin, BLOCK)
                blocks.append(p99(block))
                without += block
                sockets_without = sockets_of(api.pid)
                ready = await slow.ask("open")
                assert ready["open"] == SLOW_HEADERS + SLOW_BODIES, ready
                block = await normal_traffic(client, admin, BLOCK)
                blocks.append(p99(block))
                held += block
                sockets.append((sockets_without, sockets_of(api.pid)))
                if n == ROUNDS - 1:
                    # Held past the server's keep-alive timeout: are they ever dropped?
                    async def long_held() -> bool:
                        report = await slow.ask("report")
                        return report["youngest_seconds"] > KEEP_ALIVE_TIMEOUT + TRICKLE_INTERVAL

                    await eventually(long_held, "slow sockets held past the keep-alive timeout", 20)
                rounds.append(await slow.ask("close"))
            await slow.stop()
            # Still answering, at once, now that they are gone.
            after = await normal_traffic(client, admin, 50)
    finally:
        if slow is not None:
            await slow.stop()
        stop_all([api.child])

    base99, held99 = p99(without), p99(held)
    base50, held50 = median(without), median(held)
    last = rounds[-1]
    print(
        f"\nslow clients against {fault_env.get('HEIMA_SERVER', 'uvicorn')} ({SLOW_HEADERS} slowloris, "
        f"{SLOW_BODIES} slow bodies; open-file limit {limit}); "
        f"GET /me, {ROUNDS} rounds × {BLOCK} without and with them over {CLIENTS} connections: "
        f"p99 {base99 * 1000:.1f} → {held99 * 1000:.1f} ms (ratio {held99 / base99:.2f}, pass < 2), "
        f"median {base50 * 1000:.1f} → {held50 * 1000:.1f} ms; after: p99 {p99(after) * 1000:.1f} ms; "
        f"each block's p99 (without, with, …) {[round(b * 1000, 1) for b in blocks]} ms.\n"
        f"  server sockets (without, with) per round {sockets}; the slow sockets when closed, the last after "
        f"{last['youngest_seconds']} s or more: closed by the server {[r['closed_by_server'] for r in rounds]}, "
        f"still open {[r['open'] for r in rounds]}"
    )
    assert held99 < 2 * base99, (base99, held99)
    assert len(after) == 50


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]
