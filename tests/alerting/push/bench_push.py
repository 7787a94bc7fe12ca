"""P5 (docs/performance.md): push sending vs pywebpush's `webpush_async` with a shared aiohttp session and
cached VAPID headers, the ceiling. Both encrypt every message; only the sending path differs.

    .venv/bin/python tests/alerting/push/bench_push.py [--messages 3000] [--concurrency 64] [--rounds 3]

A minimal push service answering 201 runs in a child process on 127.0.0.1; the two senders take
turns (A B A B …) and the median ratios are printed: of messages per second, and of the sender
process's CPU time per message (steadier on a shared machine, since the senders are CPU-bound).
Not collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import statistics
import time
import uuid

import aiohttp
from aiohttp import web
from py_vapid import Vapid
from pywebpush import webpush_async

from alerting.push.sender import AlertMessage, Delivered, Pusher, Subscription
from alerting.push.vapid import new_key_pair
from tests.alerting.push.support import Browser

SUBJECT = "mailto:bench@heima.test"


def serve(sock: socket.socket) -> None:
    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=201)

    app = web.Application()
    app.router.add_post("/{tail:.*}", accept)
    web.run_app(app, sock=sock, print=None, access_log=None, handle_signals=True)


async def run_ours(pusher: Pusher, subscriptions: list[Subscription], concurrency: int) -> tuple[float, float]:
    queue = list(subscriptions)
    started, cpu = time.perf_counter(), time.process_time()

    async def worker() -> None:
        while queue:
            subscription = queue.pop()
            outcome = await pusher.send(subscription, AlertMessage(uuid.uuid4(), "high"), "high", 3600)
            assert isinstance(outcome, Delivered), outcome

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return _rates(len(subscriptions), started, cpu)


def _rates(count: int, started: float, cpu: float) -> tuple[float, float]:
    """(messages per second, messages per CPU second)."""
    return count / (time.perf_counter() - started), count / (time.process_time() - cpu)


async def run_ceiling(
    session: aiohttp.ClientSession, headers: dict[str, str], subscriptions: list[Subscription], concurrency: int
) -> tuple[float, float]:
    queue = list(subscriptions)
    started, cpu = time.perf_counter(), time.process_time()

    async def worker() -> None:
        while queue:
            s = queue.pop()
            info = {"endpoint": s.endpoint, "keys": {"p256dh": s.p256dh, "auth": s.auth}}
            payload = AlertMessage(uuid.uuid4(), "high").payload().decode()
            await webpush_async(info, payload, headers=dict(headers), ttl=3600, timeout=10, aiohttp_session=session)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return _rates(len(subscriptions), started, cpu)


async def main(args: argparse.Namespace) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    port = sock.getsockname()[1]
    server = multiprocessing.get_context("fork").Process(target=serve, args=(sock,), daemon=True)
    server.start()
    private, _ = new_key_pair()
    browser = Browser()
    subscriptions = [
        Subscription(uuid.uuid4(), f"http://127.0.0.1:{port}/wpush/{i}", **browser.keys) for i in range(args.messages)
    ]
    origin = f"http://127.0.0.1:{port}"
    cached = Vapid.from_string(private).sign({"aud": origin, "sub": SUBJECT, "exp": int(time.time()) + 3600})
    try:
        await asyncio.sleep(0.5)
        connector = aiohttp.TCPConnector(limit=100)
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            Pusher(
                vapid_private_key=private,
                vapid_subject=SUBJECT,
                allowed_hosts=[f"127.0.0.1:{port}"],
                max_connections=100,
            ) as pusher,
        ):
            await run_ours(pusher, subscriptions[:200], args.concurrency)  # warm-up
            await run_ceiling(session, cached, subscriptions[:200], args.concurrency)
            wall, cpu = [], []
            for round_ in range(args.rounds):
                ceiling = await run_ceiling(session, cached, subscriptions, args.concurrency)
                ours = await run_ours(pusher, subscriptions, args.concurrency)
                wall.append(ours[0] / ceiling[0])
                cpu.append(ours[1] / ceiling[1])
                print(
                    f"round {round_ + 1}: webpush_async {ceiling[0]:6.0f}/s ({ceiling[1]:6.0f}/cpu-s)"
                    f"  heima {ours[0]:6.0f}/s ({ours[1]:6.0f}/cpu-s)  ratio {wall[-1]:.2f} (cpu {cpu[-1]:.2f})"
                )
            wall_ratio, cpu_ratio = statistics.median(wall), statistics.median(cpu)
            print(f"P5 median ratio {wall_ratio:.2f}, per CPU second {cpu_ratio:.2f} (goal >= 0.70)")
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
