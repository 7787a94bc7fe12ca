"""The push routes over HTTP on the real database: public key, subscribe, resubscribe, unsubscribe."""

from __future__ import annotations

import base64
import os
import uuid

import pytest

from alerting.push.subscriptions.service import MAX_SUBSCRIPTIONS_PER_USER, list_subscriptions
from alerting.push.vapid import public_key_for
from tests.alerting.push.conftest import STAND_IN_PORT
from tests.alerting.push.support import Browser, b64url
from tests.alerting.push.test_allowlist import HOSTILE, LOOPBACK_ONLY
from tests.helpers import API, expect

URL = f"{API}/push/subscriptions"


def fcm_endpoint() -> str:
    return f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4().hex}:APA91b{uuid.uuid4().hex}"


async def rows_for(db, endpoint: str) -> list[dict]:
    rows = await db.fetch("select * from push_subscriptions where endpoint = $1", endpoint)
    return [dict(row) for row in rows]


async def test_public_key_is_the_configured_vapid_key(push_client, world, push_settings):
    body = await expect(await push_client.get(f"{API}/push/public-key", headers=world.clin_u1.headers), 200)
    assert body == {"public_key": public_key_for(push_settings.vapid_private_key)}
    assert len(base64.urlsafe_b64decode(body["public_key"] + "=")) == 65  # applicationServerKey


async def test_public_key_without_vapid_is_a_503_problem(client, world):
    response = await client.get(f"{API}/push/public-key", headers=world.guardian.headers)
    problem = await expect(response, 503)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["status"] == 503 and "not configured" in problem["detail"]


async def test_subscribe_resubscribe_and_unsubscribe(push_client, world, db):
    browser = Browser()
    subscription = browser.subscription_json(fcm_endpoint())
    first = await expect(await push_client.post(URL, json=subscription, headers=world.clin_u1.headers), 201)
    assert first["endpoint"] == subscription["endpoint"] and first["expires_at"] is None
    [row] = await rows_for(db, subscription["endpoint"])
    assert str(row["user_id"]) == world.clin_u1.id
    assert (row["p256dh"], row["auth"]) == (browser.keys["p256dh"], browser.keys["auth"])

    # The same browser again (every page load re-sends it): 200, the same row.
    again = await expect(await push_client.post(URL, json=subscription, headers=world.clin_u1.headers), 200)
    assert again["id"] == first["id"]
    assert len(await rows_for(db, subscription["endpoint"])) == 1

    # Keys sent with padding are the same keys.
    padded = {**subscription, "keys": {k: v + "=" * (-len(v) % 4) for k, v in browser.keys.items()}}
    await expect(await push_client.post(URL, json=padded, headers=world.clin_u1.headers), 200)
    [row] = await rows_for(db, subscription["endpoint"])
    assert (row["p256dh"], row["auth"]) == (browser.keys["p256dh"], browser.keys["auth"])

    delete = {"endpoint": subscription["endpoint"]}
    response = await push_client.request("DELETE", URL, json=delete, headers=world.clin_u1.headers)
    assert response.status_code == 204 and response.content == b""
    assert await rows_for(db, subscription["endpoint"]) == []
    # Deleting again is not an error: the endpoint is not subscribed, as asked.
    response = await push_client.request("DELETE", URL, json=delete, headers=world.clin_u1.headers)
    assert response.status_code == 204


async def test_another_users_endpoint_is_409_and_theirs_stays(push_client, world, db):
    owner, other = Browser(), Browser()
    endpoint = fcm_endpoint()
    await expect(
        await push_client.post(URL, json=owner.subscription_json(endpoint), headers=world.clin_u1.headers), 201
    )
    for actor in (world.clin_u2, world.guardian, world.patient_p2, world.admin):
        response = await push_client.post(URL, json=other.subscription_json(endpoint), headers=actor.headers)
        assert (await expect(response, 409))["status"] == 409
        # Unsubscribing someone else's endpoint answers like any unknown one and removes nothing.
        response = await push_client.request("DELETE", URL, json={"endpoint": endpoint}, headers=actor.headers)
        assert response.status_code == 204
    [row] = await rows_for(db, endpoint)
    assert str(row["user_id"]) == world.clin_u1.id
    assert row["p256dh"] == owner.keys["p256dh"]


async def test_every_role_may_subscribe(push_client, world, db):
    for actor in (world.clin_u2, world.guardian, world.patient_p2, world.admin):
        endpoint = fcm_endpoint()
        await expect(
            await push_client.post(URL, json=Browser().subscription_json(endpoint), headers=actor.headers), 201
        )
        assert len(await rows_for(db, endpoint)) == 1


async def test_anonymous_is_401(push_client, world):
    body = Browser().subscription_json(fcm_endpoint())
    assert (await push_client.post(URL, json=body)).status_code == 401
    assert (await push_client.request("DELETE", URL, json={"endpoint": body["endpoint"]})).status_code == 401
    assert (await push_client.get(f"{API}/push/public-key")).status_code == 401


@pytest.mark.parametrize("which", ["default", "loopback-allowed"])
async def test_hostile_endpoints_are_422_and_store_nothing(client, push_client, world, db, which):
    """docs/reliability.md, R5: every hostile endpoint is refused at subscribe (422 on "endpoint")."""
    app_client = client if which == "default" else push_client
    before = await db.fetchval("select count(*) from push_subscriptions")
    accepted, wrong_shape = [], []
    for endpoint in HOSTILE:
        if which == "loopback-allowed" and endpoint in LOOPBACK_ONLY:
            continue
        body = Browser().subscription_json(endpoint)
        response = await app_client.post(URL, json=body, headers=world.clin_u1.headers)
        if response.status_code != 422:
            accepted.append((endpoint, response.status_code))
        elif [e["field"] for e in response.json()["errors"]] != ["endpoint"]:
            wrong_shape.append((endpoint, response.json()))
    assert accepted == []  # hostile endpoints accepted = 0
    assert wrong_shape == []
    assert await db.fetchval("select count(*) from push_subscriptions") == before


async def test_loopback_literal_is_accepted_only_where_allowlisted(client, push_client, world, db):
    endpoint = f"http://127.0.0.1:{STAND_IN_PORT}/{uuid.uuid4().hex}"
    body = Browser().subscription_json(endpoint)
    problem = await expect(await client.post(URL, json=body, headers=world.clin_u1.headers), 422)
    assert problem["errors"][0]["field"] == "endpoint"
    await expect(await push_client.post(URL, json=body, headers=world.clin_u1.headers), 201)
    await push_client.request("DELETE", URL, json={"endpoint": endpoint}, headers=world.clin_u1.headers)


async def test_loopback_on_a_port_the_allowlist_does_not_pin_is_refused(push_client, world, db):
    """The stand-in's allowlist entry names its port: any other service on loopback stays out."""
    before = await db.fetchval("select count(*) from push_subscriptions")
    for port in (9, 22, 5432, 6379):
        body = Browser().subscription_json(f"http://127.0.0.1:{port}/{uuid.uuid4().hex}")
        problem = await expect(await push_client.post(URL, json=body, headers=world.clin_u1.headers), 422)
        assert [e["field"] for e in problem["errors"]] == ["endpoint"]
    assert await db.fetchval("select count(*) from push_subscriptions") == before


def _point(prefix: bytes, body: bytes) -> str:
    return b64url(prefix + body)


BAD_KEYS = [
    ("keys.p256dh", {"p256dh": _point(b"\x04", os.urandom(63))}),  # 64 bytes
    ("keys.p256dh", {"p256dh": _point(b"\x04", b"\x01" * 64)}),  # 65 bytes, not on the curve
    ("keys.p256dh", {"p256dh": b64url(b"\x02" + os.urandom(32))}),  # compressed
    ("keys.p256dh", {"p256dh": "BAD+KEY/" * 11}),  # standard base64 alphabet
    ("keys.p256dh", {"p256dh": "not base64url!"}),
    ("keys.auth", {"auth": b64url(os.urandom(15))}),
    ("keys.auth", {"auth": b64url(os.urandom(32))}),
    ("keys.auth", {"auth": "a=b"}),
]


@pytest.mark.parametrize(("field", "override"), BAD_KEYS)
async def test_keys_that_cannot_be_encrypted_to_are_422(push_client, world, db, field, override):
    browser = Browser()
    body = browser.subscription_json(fcm_endpoint())
    body["keys"] = {**browser.keys, **override}
    problem = await expect(await push_client.post(URL, json=body, headers=world.clin_u1.headers), 422)
    assert problem["errors"][0]["field"] == field
    assert await rows_for(db, body["endpoint"]) == []


async def test_a_hybrid_point_is_refused(push_client, world, db):
    """65 bytes that are the browser's own point with a 0x06/0x07 "hybrid" prefix: OpenSSL may
    take it; no browser sends it."""
    browser = Browser()
    point = base64.urlsafe_b64decode(browser.keys["p256dh"] + "=")
    hybrid = bytes([6 + (point[-1] & 1)]) + point[1:]
    body = browser.subscription_json(fcm_endpoint())
    body["keys"]["p256dh"] = b64url(hybrid)
    problem = await expect(await push_client.post(URL, json=body, headers=world.clin_u1.headers), 422)
    assert problem["errors"][0]["field"] == "keys.p256dh"


async def test_expiration_time_null_or_milliseconds(push_client, world, db):
    browser = Browser()
    with_null = browser.subscription_json(fcm_endpoint())
    await expect(await push_client.post(URL, json=with_null, headers=world.clin_u1.headers), 201)
    without = {k: v for k, v in browser.subscription_json(fcm_endpoint()).items() if k != "expirationTime"}
    await expect(await push_client.post(URL, json=without, headers=world.clin_u1.headers), 201)
    timed = {**browser.subscription_json(fcm_endpoint()), "expirationTime": 1_800_000_000_000}
    created = await expect(await push_client.post(URL, json=timed, headers=world.clin_u1.headers), 201)
    assert created["expires_at"].startswith("2027-01-15T08:00:00")
    for bad in ("2027-01-15", 1.5, -1, True):
        body = {**browser.subscription_json(fcm_endpoint()), "expirationTime": bad}
        problem = await expect(await push_client.post(URL, json=body, headers=world.clin_u1.headers), 422)
        assert problem["errors"][0]["field"] == "expirationTime"


async def test_strict_decoding(push_client, world):
    body = Browser().subscription_json(fcm_endpoint())
    cases = [
        ({**body, "is_admin": True}, "is_admin"),
        ({**body, "keys": {**body["keys"], "extra": "x"}}, "keys.extra"),
        ({**body, "endpoint": 5}, "endpoint"),
        ({**body, "keys": None}, "keys"),
    ]
    for payload, field in cases:
        problem = await expect(await push_client.post(URL, json=payload, headers=world.clin_u1.headers), 422)
        assert problem["errors"][0]["field"] == field
    problem = await expect(
        await push_client.request("DELETE", URL, json={"endpoint": 5}, headers=world.clin_u1.headers), 422
    )
    assert problem["errors"][0]["field"] == "endpoint"


async def test_an_account_keeps_its_newest_subscriptions(push_client, world, db, clock):
    """Browsers replace subscriptions without telling the old endpoint; an account keeps its newest
    few, so each alert fans out to a bounded number of endpoints."""
    actor = world.patient_p2
    await db.execute("delete from push_subscriptions where user_id = $1", uuid.UUID(actor.id))
    endpoints = []
    for _ in range(MAX_SUBSCRIPTIONS_PER_USER + 3):
        clock.advance(seconds=1)
        endpoints.append(fcm_endpoint())
        body = Browser().subscription_json(endpoints[-1])
        await expect(await push_client.post(URL, json=body, headers=actor.headers), 201)
    kept = await db.fetch("select endpoint from push_subscriptions where user_id = $1", uuid.UUID(actor.id))
    assert {row["endpoint"] for row in kept} == set(endpoints[3:])


async def test_the_sender_gets_live_subscriptions_only(push_client, world, db, clock):
    """`list_subscriptions` is what the delivery worker fans out over: a subscription whose
    expirationTime has passed is left out."""
    actor = world.clin_u2
    live, expired = fcm_endpoint(), fcm_endpoint()
    past = int((clock.now.timestamp() - 60) * 1000)
    for endpoint, expiration in ((live, None), (expired, past)):
        body = {**Browser().subscription_json(endpoint), "expirationTime": expiration}
        await expect(await push_client.post(URL, json=body, headers=actor.headers), 201)
    listed = {s.endpoint for s in await list_subscriptions(db, [uuid.UUID(actor.id)], clock.now)}
    assert live in listed and expired not in listed
