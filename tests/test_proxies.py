"""HEIMA_TRUSTED_PROXIES: forwarded headers are believed only from the proxies named there, and the
per-address sign-in limit counts the real client (backend/proxies.py)."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from backend.clock import FrozenClock
from backend.proxies import TrustedProxies, parse_networks
from backend.settings import Settings, SettingsError
from tests.conftest import SECRET_KEY, START
from tests.helpers import API, app_client, unique
from tests.video.support import Subprocesses, serve_env

LIMIT = 3


def address(network: str) -> str:
    return f"{network}.{random.randint(1, 254)}.{random.randint(1, 254)}"


def bad_login(client: AsyncTestClient, peer: str, forwarded_for: str | None = None) -> int:
    """One sign-in with a wrong password from the socket peer `peer`; the answer's status."""
    body = json.dumps({"username": unique("nobody"), "password": "wrong password"}).encode()
    headers = [(b"host", b"testserver"), (b"content-type", b"application/json")]
    headers.append((b"content-length", str(len(body)).encode()))
    if forwarded_for is not None:
        headers.append((b"x-forwarded-for", forwarded_for.encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"{API}/auth/login",
        "raw_path": f"{API}/auth/login".encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": (peer, 40000),
        "server": ("testserver", 80),
        "extensions": {},
    }
    given = False
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        nonlocal given
        if given:
            return {"type": "http.disconnect"}
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    client.blocking_portal.call(client.app, scope, receive, send)
    return statuses[0]


@pytest.fixture
def limited(settings: Settings) -> Settings:
    return replace(settings, login_failures_per_address=LIMIT)


async def test_rotating_forwarded_for_from_an_untrusted_peer_does_not_bypass_the_limit(limited):
    peer = address("203.0")
    async with app_client(limited, FrozenClock(START)) as client:
        statuses = [bad_login(client, peer, address("198.51")) for _ in range(LIMIT + 2)]
    assert statuses == [401] * LIMIT + [429, 429]


async def test_loopback_is_not_trusted_unless_named(limited):
    """The old hard-coded exception: from 127.0.0.1 a rotating header no longer makes new clients."""
    async with app_client(limited, FrozenClock(START)) as client:
        statuses = [bad_login(client, "127.0.0.1", address("198.51")) for _ in range(LIMIT + 1)]
    assert statuses[-1] == 429


async def test_behind_a_trusted_proxy_each_client_is_limited_on_its_own(limited):
    settings = replace(limited, trusted_proxies=("10.0.0.0/8",))
    proxy = address("10.9")
    greedy, other = address("198.51"), address("198.51")
    async with app_client(settings, FrozenClock(START)) as client:
        greedy_statuses = [bad_login(client, proxy, greedy) for _ in range(LIMIT + 1)]
        # A client-written hop to the left of the proxy's own entry changes nothing.
        spoofed = bad_login(client, proxy, f"{address('192.0')}, {greedy}")
        other_status = bad_login(client, proxy, other)
    assert greedy_statuses == [401] * LIMIT + [429]
    assert spoofed == 429
    assert other_status == 401  # one client's failures never lock out the others behind the proxy


def test_a_served_process_ignores_forwarded_for_from_loopback(settings, tmp_path):
    """Through `heima serve` (granian, as deployed): X-Forwarded-For from 127.0.0.1 used to be
    believed by the server's own proxy-headers layer, so a rotating header was a fresh client."""
    env = serve_env(settings.database_url, settings.redis_url, SECRET_KEY, HEIMA_LOGIN_FAILURES_PER_ADDRESS=str(LIMIT))
    servers = Subprocesses()
    try:
        base = servers.start(env, tmp_path)
        servers.wait_ready()
        with httpx.Client(base_url=base, timeout=10) as http:
            statuses = [
                http.post(
                    f"{API}/auth/login",
                    json={"username": unique("nobody"), "password": "wrong password"},
                    headers={"X-Forwarded-For": address("198.51")},
                ).status_code
                for _ in range(LIMIT + 1)
            ]
    finally:
        servers.stop()
    assert statuses == [401] * LIMIT + [429]


def test_the_client_is_the_rightmost_untrusted_hop():
    proxies = TrustedProxies(parse_networks(["10.0.0.0/8", "2001:db8::/32"]))
    assert proxies.client_of("10.1.1.1", "6.6.6.6, 198.51.100.7, 10.2.2.2") == "198.51.100.7"
    assert proxies.client_of("203.0.113.5", "198.51.100.7") == "203.0.113.5"  # untrusted peer
    assert proxies.client_of("::ffff:10.1.1.1", "198.51.100.7") == "198.51.100.7"  # mapped IPv4
    assert proxies.client_of("2001:db8::1", "10.3.3.3") == "10.3.3.3"  # only proxies: the left-most
    assert proxies.client_of("10.1.1.1", None) == "10.1.1.1"
    assert TrustedProxies(()).client_of("127.0.0.1", "198.51.100.7") == "127.0.0.1"


def test_trusted_proxies_must_be_networks():
    with pytest.raises(SettingsError, match="HEIMA_TRUSTED_PROXIES"):
        Settings.from_env({"HEIMA_TRUSTED_PROXIES": "10.0.0.0/8,proxy.example"})
    assert Settings.from_env({"HEIMA_TRUSTED_PROXIES": "10.0.0.0/8, ::1"}).trusted_proxies == ("10.0.0.0/8", "::1")
