"""alerting.push.sender against real HTTP servers on loopback: a stand-in push service that checks VAPID
and decrypts like a phone, and bare listeners standing for internal services an SSRF would hit."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from datetime import timedelta
from email.utils import format_datetime

import pytest

from alerting.push import allowlist
from alerting.push.sender import (
    DEFAULT_RATE_LIMIT_DELAY,
    VAPID_LIFETIME,
    VAPID_RENEW_BEFORE,
    AlertMessage,
    Delivered,
    Gone,
    Pusher,
    PushNotConfigured,
    RateLimited,
    Refused,
    Rejected,
    Retry,
    Subscription,
    urgency_for,
)
from alerting.push.subscriptions.service import forget_subscription, list_subscriptions
from tests.alerting.push.conftest import IPV6_STAND_IN_PORT, LOOPBACK_ALLOWED, OTHER_STAND_IN_PORT, SUBJECT
from tests.alerting.push.support import Browser, ConnectionCounter, StandInPushService, loopback_tls
from tests.helpers import API, expect
from tests.localhost import free_port


def subscription_on(service: StandInPushService, browser: Browser | None = None) -> Subscription:
    browser = browser or Browser()
    return Subscription(id=uuid.uuid4(), endpoint=service.endpoint_for(browser), **browser.keys)


def alert(severity: str = "high") -> AlertMessage:
    return AlertMessage(alert_id=uuid.uuid4(), severity=severity)


async def test_delivered_payload_decrypts_to_exactly_three_keys(pusher, stand_in, push_clock):
    message = alert("high")
    outcome = await pusher.send(subscription_on(stand_in), message, urgency_for("high"), 3600)
    assert outcome == Delivered(201)
    [received] = stand_in.received
    assert received.problem is None
    # What the phone reads after decrypting: an id to fetch and a severity, nothing else.
    assert json.loads(received.plaintext) == {"type": "alert", "alert_id": str(message.alert_id), "severity": "high"}
    assert received.plaintext == f'{{"type":"alert","alert_id":"{message.alert_id}","severity":"high"}}'.encode()
    assert received.claims == {"aud": stand_in.origin, "exp": received.claims["exp"], "sub": SUBJECT}
    assert received.claims["exp"] == int((push_clock.now + VAPID_LIFETIME).timestamp())
    headers = received.headers
    assert headers["ttl"] == "3600"
    assert headers["urgency"] == "high"
    assert headers["topic"] == message.alert_id.hex and len(headers["topic"]) == 32
    assert headers["content-encoding"] == "aes128gcm"
    assert "crypto-key" not in headers and "cookie" not in headers
    assert received.method == "POST"


async def test_other_severities_are_normal_urgency_with_the_ttl_given(pusher, stand_in):
    for severity in ("medium", "low"):
        outcome = await pusher.send(subscription_on(stand_in), alert(severity), urgency_for(severity), 86400)
        assert outcome == Delivered(201)
    assert [(r.headers["urgency"], r.headers["ttl"]) for r in stand_in.received] == [("normal", "86400")] * 2
    assert [json.loads(r.plaintext)["severity"] for r in stand_in.received] == ["medium", "low"]


@pytest.mark.parametrize("status", [404, 410])
async def test_404_and_410_are_gone(pusher, stand_in, status):
    stand_in.answer(status)
    outcome = await pusher.send(subscription_on(stand_in), alert(), "high", 3600)
    assert isinstance(outcome, Gone) and outcome.status == status


async def test_429_honours_retry_after_seconds_and_http_date(pusher, stand_in, push_clock):
    stand_in.answer(429, {"Retry-After": "120"})
    assert await pusher.send(subscription_on(stand_in), alert(), "high", 3600) == RateLimited(120.0)
    in_five_minutes = push_clock.now.replace(microsecond=0) + timedelta(minutes=5)
    stand_in.answer(429, {"Retry-After": format_datetime(in_five_minutes, usegmt=True)})
    assert await pusher.send(subscription_on(stand_in), alert(), "high", 3600) == RateLimited(300.0)
    stand_in.answer(429)  # no Retry-After at all
    assert await pusher.send(subscription_on(stand_in), alert(), "high", 3600) == RateLimited(DEFAULT_RATE_LIMIT_DELAY)
    stand_in.answer(429, {"Retry-After": "soon"})
    assert await pusher.send(subscription_on(stand_in), alert(), "high", 3600) == RateLimited(DEFAULT_RATE_LIMIT_DELAY)


async def test_5xx_is_retry(pusher, stand_in):
    stand_in.answer(500)
    outcome = await pusher.send(subscription_on(stand_in), alert(), "high", 3600)
    assert isinstance(outcome, Retry) and outcome.status == 500 and outcome.retry_after is None
    stand_in.answer(503, {"Retry-After": "30"})
    outcome = await pusher.send(subscription_on(stand_in), alert(), "high", 3600)
    assert isinstance(outcome, Retry) and outcome.status == 503 and outcome.retry_after == 30.0


@pytest.mark.parametrize("status", [400, 401, 403, 413])
async def test_other_4xx_are_rejected(pusher, stand_in, status):
    stand_in.answer(status)
    outcome = await pusher.send(subscription_on(stand_in), alert(), "high", 3600)
    assert outcome == Rejected(status, f"the push service refused the request ({status})")


async def test_timeout_and_connection_errors_are_retry(pusher, stand_in):
    stand_in.answer(201, delay=1.0)  # longer than the fixture's 0.5 s read timeout
    started = asyncio.get_running_loop().time()
    outcome = await pusher.send(subscription_on(stand_in), alert(), "high", 3600)
    assert outcome == Retry("timeout")
    assert asyncio.get_running_loop().time() - started < 1.5
    browser = Browser()  # the allowlist pins this port, and nothing listens on it in this test
    closed = Subscription(id=uuid.uuid4(), endpoint=f"http://127.0.0.1:{OTHER_STAND_IN_PORT}/wpush/x", **browser.keys)
    outcome = await pusher.send(closed, alert(), "high", 3600)
    assert isinstance(outcome, Retry) and outcome.reason.startswith("connection failed")


async def test_a_redirect_is_never_followed(pusher, stand_in):
    """pywebpush was measured re-POSTing a 307 to an internal URL (docs/reliability.md, F4). Internal hits = 0."""
    internal = await ConnectionCounter().start()
    try:
        for status in (301, 302, 303, 307, 308):
            stand_in.answer(status, {"Location": f"http://127.0.0.1:{internal.port}/admin/secret"})
            outcome = await pusher.send(subscription_on(stand_in), alert(), "high", 3600)
            assert isinstance(outcome, Rejected) and outcome.status == status
        await asyncio.sleep(0.05)  # let a connection attempt, if one were made, reach the listener
        assert internal.connections == 0
        assert len(stand_in.received) == 5
    finally:
        await internal.stop()


@contextlib.asynccontextmanager
async def listeners_on_443():
    """Loopback listeners where a connection would go if a rebinding got through: the endpoints
    name no port, so 443. Opening them needs root (the test machine's user)."""
    counters = []
    for host in ("127.0.0.1", "::1"):
        try:
            counters.append(await ConnectionCounter(host, 443).start())
        except OSError:
            continue
    try:
        yield counters
    finally:
        for counter in counters:
            await counter.stop()


REBOUND = [
    ["127.0.0.1"],
    ["142.250.74.10", "127.0.0.1"],  # one bad record among good ones
    ["::1"],
    ["0.0.0.0"],
    ["::"],
    ["::ffff:127.0.0.1"],
    ["64:ff9b::7f00:1"],
    ["2002:7f00:1::1"],
    ["100.64.0.1"],
    ["169.254.169.254"],
    ["10.0.0.1"],
    ["fe80::1%lo"],
]


@pytest.mark.parametrize("addresses", REBOUND, ids=[",".join(a) for a in REBOUND])
async def test_dns_rebinding_is_refused_at_connect(pusher, monkeypatch, addresses):
    """An allowlisted name that resolves inward at send time: refused, and nothing reaches loopback."""
    asked: list[str] = []

    async def rebound(host: str, port: int) -> list[str]:
        asked.append(host)
        return addresses

    monkeypatch.setattr(allowlist, "resolve", rebound)
    browser = Browser()
    subscription = Subscription(
        id=uuid.uuid4(), endpoint="https://fcm.googleapis.com/fcm/send/rebinding-test", **browser.keys
    )
    async with listeners_on_443() as counters:
        outcome = await pusher.send(subscription, alert(), "high", 3600)
        await asyncio.sleep(0.05)
        assert isinstance(outcome, Refused) and "non-public" in outcome.reason
        assert asked == ["fcm.googleapis.com"]  # the guard resolved at connect time
        assert sum(counter.connections for counter in counters) == 0  # internal hits = 0


async def test_the_443_listeners_would_see_a_connection(vapid_keys, push_clock):
    """The control for the rebinding test: a loopback literal allowlisted on port 443 does get
    through to the listener (and fails TLS there), so 0 connections above means the guard held."""
    browser = Browser()
    subscription = Subscription(id=uuid.uuid4(), endpoint="https://127.0.0.1/wpush/control", **browser.keys)
    async with (
        listeners_on_443() as counters,
        Pusher(
            vapid_private_key=vapid_keys[0],
            vapid_subject=SUBJECT,
            allowed_hosts=("127.0.0.1:443",),
            clock=push_clock,
            connect_timeout=2,
            read_timeout=0.5,
        ) as sender,
    ):
        if not counters or counters[0].host != "127.0.0.1":
            pytest.skip("cannot listen on 127.0.0.1:443 here")
        outcome = await sender.send(subscription, alert(), "high", 3600)
        await asyncio.sleep(0.05)
        assert isinstance(outcome, Retry)
        assert counters[0].connections >= 1


async def test_endpoints_are_checked_again_at_send(pusher, monkeypatch):
    """A row stored before the allowlist shrank (or written around the API) is refused before any
    DNS lookup or connection."""
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(allowlist, "resolve", resolve)
    keys = Browser().keys
    unpinned = free_port()  # loopback, but not the port the allowlist pins for the stand-in
    for endpoint in (
        "https://evil.example/x",
        "http://fcm.googleapis.com/x",
        "http://127.0.0.2:8080/x",
        f"http://127.0.0.1:{unpinned}/x",
        "http://127.0.0.1/x",
        "https://[::1]/x",
    ):
        outcome = await pusher.send(Subscription(id=uuid.uuid4(), endpoint=endpoint, **keys), alert(), "high", 60)
        assert isinstance(outcome, Refused)
    assert asked == []


async def test_a_loopback_port_the_allowlist_does_not_pin_is_never_contacted(pusher, stand_in):
    """Allowing the stand-in on 127.0.0.1 opens only its port: another service on this host (an
    admin port, metrics) is refused before any connection, at send as at subscribe."""
    internal = await ConnectionCounter().start()
    try:
        browser = Browser()
        elsewhere = Subscription(id=uuid.uuid4(), endpoint=f"http://127.0.0.1:{internal.port}/admin", **browser.keys)
        outcome = await pusher.send(elsewhere, alert(), "high", 3600)
        await asyncio.sleep(0.05)
        assert isinstance(outcome, Refused)
        assert internal.connections == 0
        # The control: the pinned port itself is reached.
        assert await pusher.send(subscription_on(stand_in), alert(), "high", 3600) == Delivered(201)
    finally:
        await internal.stop()


async def test_vapid_header_is_signed_once_per_origin_and_lifetime(pusher, stand_in, push_clock, vapid_keys):
    for _ in range(5):
        assert await pusher.send(subscription_on(stand_in), alert(), "high", 3600) == Delivered(201)
    tokens = {r.headers["authorization"] for r in stand_in.received}
    assert len(tokens) == 1 and pusher.vapid_signatures == 1

    # Shortly before it expires, a new one is signed; the push service accepts both.
    push_clock.advance(seconds=(VAPID_LIFETIME - VAPID_RENEW_BEFORE).total_seconds() - 1)
    assert await pusher.send(subscription_on(stand_in), alert(), "high", 3600) == Delivered(201)
    assert pusher.vapid_signatures == 1
    push_clock.advance(seconds=2)
    assert await pusher.send(subscription_on(stand_in), alert(), "high", 3600) == Delivered(201)
    assert pusher.vapid_signatures == 2
    assert len({r.headers["authorization"] for r in stand_in.received}) == 2

    # Another origin (aud) needs its own.
    other = await StandInPushService(
        vapid_public_key=vapid_keys[1], subject=SUBJECT, clock=push_clock, port=OTHER_STAND_IN_PORT
    ).start()
    try:
        assert await pusher.send(subscription_on(other), alert(), "high", 3600) == Delivered(201)
        assert pusher.vapid_signatures == 3
        assert other.received[0].claims["aud"] == other.origin
    finally:
        await other.stop()
    assert all(r.problem is None for r in stand_in.received)


async def test_ipv6_loopback_and_tls(vapid_keys, push_clock):
    """The stand-in on [::1] (an origin py_vapid's own Vapid.sign refuses) and over https with a
    certificate for 127.0.0.1: TLS runs over the guarded connection."""
    server_tls, client_tls = loopback_tls("127.0.0.1")
    services = [
        await StandInPushService(
            vapid_public_key=vapid_keys[1], subject=SUBJECT, clock=push_clock, host="::1", port=IPV6_STAND_IN_PORT
        ).start(),
        await StandInPushService(
            vapid_public_key=vapid_keys[1],
            subject=SUBJECT,
            clock=push_clock,
            port=OTHER_STAND_IN_PORT,
            ssl_context=server_tls,
        ).start(),
    ]
    sender = Pusher(
        vapid_private_key=vapid_keys[0],
        vapid_subject=SUBJECT,
        allowed_hosts=LOOPBACK_ALLOWED,
        clock=push_clock,
        ssl_context=client_tls,
    )
    try:
        for service in services:
            assert await sender.send(subscription_on(service), alert(), "high", 3600) == Delivered(201)
            [received] = service.received
            assert received.problem is None and json.loads(received.plaintext)["type"] == "alert"
        assert services[1].origin.startswith("https://127.0.0.1:")
        assert services[0].received[0].claims["aud"].startswith("http://[::1]:")
    finally:
        await sender.aclose()
        for service in services:
            await service.stop()


async def test_concurrent_sends_share_one_client(pusher, stand_in):
    subscriptions = [subscription_on(stand_in) for _ in range(50)]
    outcomes = await asyncio.gather(*(pusher.send(s, alert(), "high", 3600) for s in subscriptions))
    assert outcomes == [Delivered(201)] * 50
    assert {r.path for r in stand_in.received} == {s.endpoint.split(str(stand_in.port), 1)[1] for s in subscriptions}
    assert pusher.vapid_signatures == 1


async def test_damaged_keys_are_gone_without_a_request(pusher, stand_in):
    broken = Subscription(id=uuid.uuid4(), endpoint=stand_in.endpoint_for(Browser()), p256dh="AAAA", auth="AAAA")
    outcome = await pusher.send(broken, alert(), "high", 3600)
    assert isinstance(outcome, Gone) and outcome.status is None
    assert stand_in.received == []


def test_configuration_is_required(push_settings, vapid_keys):
    from dataclasses import replace

    with pytest.raises(PushNotConfigured):
        Pusher.from_settings(replace(push_settings, vapid_private_key=None))
    with pytest.raises(PushNotConfigured):
        Pusher.from_settings(replace(push_settings, vapid_subject=None))
    with pytest.raises(PushNotConfigured, match="mailto"):
        Pusher(vapid_private_key=vapid_keys[0], vapid_subject="alerts@heima.test", allowed_hosts=())
    with pytest.raises(PushNotConfigured, match="P-256"):
        Pusher(vapid_private_key="not-a-key", vapid_subject=SUBJECT, allowed_hosts=())


async def test_subscribe_then_push_then_gone_removes_the_subscription(push_client, world, db, pusher, stand_in):
    """The whole path: the browser subscribes over the API, the worker's calls push to it and, on
    410, forget it."""
    browser = Browser()
    endpoint = stand_in.endpoint_for(browser)
    body = browser.subscription_json(endpoint)
    await expect(await push_client.post(f"{API}/push/subscriptions", json=body, headers=world.clin_u1.headers), 201)
    listed = await list_subscriptions(db, [uuid.UUID(world.clin_u1.id)], stand_in.clock())
    [subscription] = [s for s in listed if s.endpoint == endpoint]

    message = alert("medium")
    assert await pusher.send(subscription, message, urgency_for("medium"), 3600) == Delivered(201)
    assert json.loads(stand_in.received[-1].plaintext)["alert_id"] == str(message.alert_id)

    stand_in.answer(410)
    outcome = await pusher.send(subscription, message, "normal", 3600)
    assert isinstance(outcome, Gone)
    async with db.transaction():
        assert await forget_subscription(db, subscription.id) is True
    assert await db.fetchval("select count(*) from push_subscriptions where endpoint = $1", endpoint) == 0
    async with db.transaction():
        assert await forget_subscription(db, subscription.id) is False
