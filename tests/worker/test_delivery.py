"""Push delivery end to end: an upload that breaches a rule → one pending delivery per clinician →
the worker → a VAPID-signed, encrypted push at the stand-in push service; then what 404/410, 429
and 5xx do, two workers at once, a worker that dies holding a lease, and acknowledgement."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from alerting import delivery
from alerting.push.sender import Delivered, Gone, RateLimited, Rejected, Retry
from alerting.push.subscriptions.schemas import Subscription
from tests.alerts.support import acknowledge, temperature, upload
from tests.conftest import START
from tests.helpers import INFANT, make_patient
from tests.worker.support import (
    attempts,
    deliveries,
    fever,
    ids,
    open_ward,
    payloads,
    received_by,
    subscribe,
)


def latency_count(worker, stage: str) -> float:
    return worker.metrics.registry.get_sample_value("heima_alert_latency_seconds_count", {"stage": stage}) or 0.0


async def test_a_breach_is_pushed_to_every_phone_of_every_nurse_and_the_alert_stamped(
    wclient, hospital, stand_in, make_worker, wdb, wclock
):
    ward = await open_ward(wclient, hospital, stand_in, nurses=2)
    await subscribe(wclient, ward, stand_in, ward.nurses[0])  # a second phone
    alert_id = await fever(wclient, ward)
    # The upload's transaction wrote one pending delivery per clinician of the unit.
    rows = await deliveries(wdb, alert_id)
    assert {row["user_id"] for row in rows} == ids(ward.nurses)
    assert {(row["status"], row["escalation_step"]) for row in rows} == {("pending", 0)}

    worker = await make_worker()
    done = await worker.run_once()

    assert done.claimed == 2
    # Three phones, one push each: exactly the three keys, VAPID checked, decrypted as a phone would.
    assert payloads(stand_in) == [{"type": "alert", "alert_id": alert_id, "severity": "high"}] * 3
    assert [len(received_by(stand_in, ward, n.id)) for n in ward.nurses] == [2, 1]
    for received in stand_in.received:
        assert received.headers["urgency"] == "high"
        assert received.headers["ttl"] == "3600"
        assert received.headers["topic"] == uuid.UUID(alert_id).hex
        assert received.plaintext is not None and b"Tvilling" not in received.plaintext
    rows = await deliveries(wdb, alert_id)
    assert {(r["status"], r["attempts"], r["sent_at"], r["locked_until"]) for r in rows} == {
        ("sent", 1, wclock.now, None)
    }
    # Every attempt is on record, the push service by host only.
    tried = await attempts(wdb, alert_id)
    assert [(a["outcome"], a["http_status"], a["attempt"], a["push_service"]) for a in tried] == [
        ("delivered", 201, 1, "127.0.0.1")
    ] * 3
    assert all(a["at"] == wclock.now and a["duration_ms"] >= 0 for a in tried)
    health = await wdb.fetch(
        "select last_success_at, failure_count from push_subscriptions where user_id = any($1::uuid[])",
        list(ids(ward.nurses)),
    )
    assert {(h["last_success_at"], h["failure_count"]) for h in health} == {(wclock.now, 0)}
    # Latency stamps, in real time and in order, and their distribution for /metrics.
    stamps = await wdb.fetchrow(
        "select received_at, committed_at, first_push_sent_at, first_push_accepted_at from alerts where id = $1",
        uuid.UUID(alert_id),
    )
    assert stamps["received_at"] <= stamps["committed_at"] <= stamps["first_push_sent_at"]
    assert stamps["first_push_sent_at"] <= stamps["first_push_accepted_at"]
    assert latency_count(worker, "push_sent") == 1 and latency_count(worker, "push_accepted") == 1
    assert worker.metrics.registry.get_sample_value("heima_push_attempts_total", {"outcome": "delivered"}) == 3

    # Nothing is sent twice.
    again = await worker.run_once()
    assert again.claimed == 0 and len(stand_in.received) == 3


@pytest.mark.parametrize("status", [404, 410])
async def test_a_gone_subscription_is_deleted(wclient, hospital, stand_in, make_worker, wdb, status):
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    alert_id = await fever(wclient, ward)
    stand_in.answer(status)

    await (await make_worker()).run_once()

    [row] = await deliveries(wdb, alert_id)
    assert row["status"] == "failed" and f"gone ({status})" in row["last_error"]
    [tried] = await attempts(wdb, alert_id)
    assert (tried["outcome"], tried["http_status"]) == ("gone", status)
    assert await wdb.fetchval("select count(*) from push_subscriptions where user_id = $1", row["user_id"]) == 0


async def test_a_phone_that_is_gone_does_not_stop_the_other_one(wclient, hospital, stand_in, make_worker, wdb):
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    await subscribe(wclient, ward, stand_in, ward.nurses[0])
    alert_id = await fever(wclient, ward)
    stand_in.answer(410)  # whichever phone's push arrives first

    await (await make_worker()).run_once()

    [row] = await deliveries(wdb, alert_id)
    assert row["status"] == "sent"
    assert sorted(a["outcome"] for a in await attempts(wdb, alert_id)) == ["delivered", "gone"]
    assert await wdb.fetchval("select count(*) from push_subscriptions where user_id = $1", row["user_id"]) == 1


async def test_429_waits_as_long_as_retry_after_says(wclient, hospital, stand_in, make_worker, wdb, wclock):
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    alert_id = await fever(wclient, ward)
    stand_in.answer(429, {"Retry-After": "120"})
    worker = await make_worker()

    await worker.run_once()
    [row] = await deliveries(wdb, alert_id)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert row["next_attempt_at"] == wclock.now + timedelta(seconds=120)
    assert "429" in row["last_error"]

    wclock.advance(seconds=119)
    assert (await worker.run_once()).claimed == 0
    wclock.advance(seconds=1)
    assert (await worker.run_once()).claimed == 1

    assert len(stand_in.received) == 2
    [row] = await deliveries(wdb, alert_id)
    assert (row["status"], row["attempts"], row["sent_at"]) == ("sent", 2, wclock.now)
    tried = await attempts(wdb, alert_id)
    assert [(a["attempt"], a["outcome"], a["http_status"], a["retry_after_seconds"]) for a in tried] == [
        (1, "rate_limited", 429, 120.0),
        (2, "delivered", 201, None),
    ]
    # A 429 is about us, not the phone: the subscription is not counted as failing.
    assert await wdb.fetchval("select failure_count from push_subscriptions where user_id = $1", row["user_id"]) == 0


async def test_5xx_retries_with_backoff_until_the_bound_then_fails(
    wclient, hospital, stand_in, make_worker, wdb, wclock
):
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    alert_id = await fever(wclient, ward)
    for status in (500, 502, 503, 500):
        stand_in.answer(status)
    worker = await make_worker()  # at most 4 attempts, backoff 5 s doubling

    waits = []
    for _ in range(3):
        await worker.run_once()
        [row] = await deliveries(wdb, alert_id)
        assert row["status"] == "pending"
        waits.append((row["next_attempt_at"] - wclock.now).total_seconds())
        wclock.advance(seconds=waits[-1] - 1)
        assert (await worker.run_once()).claimed == 0  # not before its time
        wclock.advance(seconds=1)
    assert waits == [5, 10, 20]
    await worker.run_once()

    [row] = await deliveries(wdb, alert_id)
    assert (row["status"], row["attempts"]) == ("failed", 4)
    assert row["last_error"].startswith("gave up after 4 attempts: retry (500)")
    tried = await attempts(wdb, alert_id)
    assert [(a["attempt"], a["outcome"], a["http_status"]) for a in tried] == [
        (1, "retry", 500),
        (2, "retry", 502),
        (3, "retry", 503),
        (4, "retry", 500),
    ]
    health = await wdb.fetchrow(
        "select failure_count, last_failure_at from push_subscriptions where user_id = $1", row["user_id"]
    )
    assert (health["failure_count"], health["last_failure_at"]) == (4, wclock.now)
    # Once given up, the worker leaves it alone (escalation takes over: tests/worker/test_escalation.py).
    wclock.advance(seconds=3600)
    await worker.deliver()
    assert len(stand_in.received) == 4


async def test_a_503_with_retry_after_is_retried_after_it(wclient, hospital, stand_in, make_worker, wdb, wclock):
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    alert_id = await fever(wclient, ward)
    stand_in.answer(503, {"Retry-After": "42"})
    await (await make_worker()).run_once()
    [row] = await deliveries(wdb, alert_id)
    assert row["next_attempt_at"] == wclock.now + timedelta(seconds=42)


async def test_a_nurse_without_a_phone_is_a_failed_delivery_on_record(wclient, hospital, make_worker, wdb):
    ward = await open_ward(wclient, hospital, None, nurses=1)
    alert_id = await fever(wclient, ward)
    await (await make_worker()).run_once()
    [row] = await deliveries(wdb, alert_id)
    assert (row["status"], row["last_error"]) == ("failed", "no live push subscription")
    [tried] = await attempts(wdb, alert_id)
    assert (tried["outcome"], tried["subscription_id"]) == ("no_subscription", None)


async def test_two_workers_deliver_each_delivery_exactly_once(wclient, hospital, stand_in, make_worker, wdb):
    ward = await open_ward(wclient, hospital, stand_in, nurses=3)
    patients = [ward.patient] + [
        await make_patient(wclient, ward.nurses[0], ward.unit_id, "premature-home", INFANT) for _ in range(5)
    ]
    alert_ids = []
    for patient in patients:
        [alert] = (await upload(wclient, ward.nurses[0], patient, temperature(38.6)))["alerts"]
        alert_ids.append(alert["id"])
    for _ in range(18):
        stand_in.answer(201, delay=0.01)  # slow enough that the two workers' sends overlap
    one, two = await make_worker(delivery_batch_size=4), await make_worker(delivery_batch_size=4)

    rounds = await asyncio.gather(one.run_once(), two.run_once())

    assert sum(r.claimed for r in rounds) == 18 and all(r.claimed for r in rounds)  # they shared the work
    pushed = [(p["alert_id"], r.path) for p, r in zip(payloads(stand_in), stand_in.received, strict=True)]
    assert len(pushed) == len(set(pushed)) == 18
    assert {p for p, _ in pushed} == set(alert_ids)
    for alert_id in alert_ids:
        assert {(r["status"], r["attempts"]) for r in await deliveries(wdb, alert_id)} == {("sent", 1)}
        assert len(await attempts(wdb, alert_id)) == 3


async def test_a_worker_that_dies_after_claiming_leaves_the_delivery_to_another(
    wclient, hospital, stand_in, make_worker, wdb, wclock, worker_settings
):
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    alert_id = await fever(wclient, ward)
    doomed, survivor = await make_worker(), await make_worker()

    batch = await doomed.claim()  # … and dies here, before sending anything
    assert [b.alert_id for b in batch] == [uuid.UUID(alert_id)]
    assert (await survivor.run_once()).claimed == 0  # leased: not before the lease ends
    wclock.advance(seconds=worker_settings.delivery_lease_seconds)
    assert (await survivor.run_once()).claimed == 1

    assert payloads(stand_in) == [{"type": "alert", "alert_id": alert_id, "severity": "high"}]
    [row] = await deliveries(wdb, alert_id)
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert [a["attempt"] for a in await attempts(wdb, alert_id)] == [2]

    # Had it only been stalled, its late outcome cannot overwrite the one recorded since: the
    # claim it holds is no longer the delivery's (at least once: this push went out twice).
    recorded = await doomed.process(batch)
    assert recorded is not None and recorded.lost == {batch[0].id} and not recorded.kept
    [row] = await deliveries(wdb, alert_id)
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert [a["attempt"] for a in await attempts(wdb, alert_id)] == [2, 1]


async def test_acknowledged_before_sending_is_cancelled_and_never_sent(
    wclient, hospital, stand_in, make_worker, wdb, wclock, worker_settings
):
    ward = await open_ward(wclient, hospital, stand_in, nurses=2)
    alert_id = await fever(wclient, ward)
    await acknowledge(wclient, ward.nurses[1], alert_id)
    worker = await make_worker()
    assert (await worker.run_once()).claimed == 0
    assert {row["status"] for row in await deliveries(wdb, alert_id)} == {"cancelled"}
    assert stand_in.received == []


async def test_acknowledged_while_a_dead_worker_held_it_is_cancelled_not_sent(
    wclient, hospital, stand_in, make_worker, wdb, wclock, worker_settings
):
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    alert_id = await fever(wclient, ward)
    doomed, survivor = await make_worker(), await make_worker()
    assert len(await doomed.claim()) == 1  # `sending`: acknowledging does not touch it
    await acknowledge(wclient, ward.nurses[0], alert_id)
    wclock.advance(seconds=worker_settings.delivery_lease_seconds)
    assert (await survivor.run_once()).claimed == 0
    assert [row["status"] for row in await deliveries(wdb, alert_id)] == ["cancelled"]
    assert stand_in.received == []


async def test_without_vapid_keys_deliveries_wait_in_the_outbox(wclient, hospital, make_worker, wdb):
    ward = await open_ward(wclient, hospital, None, nurses=1)
    alert_id = await fever(wclient, ward)
    assert (await (await make_worker(push=False)).run_once()).claimed == 0
    assert [row["status"] for row in await deliveries(wdb, alert_id)] == ["pending"]


# -- settle: what one attempt makes of a delivery (pure) ------------------------------------------

POLICY = delivery.Policy(max_attempts=3, backoff_seconds=5, backoff_max_seconds=15, lease_seconds=60, ttl_seconds=60)
NOW = START


def claimed(attempt: int = 1, delivered_before: bool = False) -> delivery.Claimed:
    return delivery.Claimed(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), "high", attempt, 0, NOW, delivered_before)


def tried(d: delivery.Claimed, *outcomes) -> list[delivery.Attempt]:
    sub = Subscription(uuid.uuid4(), "http://127.0.0.1/x", "k", "a")
    return [delivery.Attempt(d, sub if o is not None else None, o, NOW, NOW, NOW, 1.0) for o in outcomes]


@pytest.mark.parametrize(
    ("attempt", "before", "outcomes", "expected"),
    [
        (1, False, [Delivered(201)], ("sent", None)),
        (1, False, [Delivered(201), Retry("x", 500)], ("pending", 5)),  # the other phone is retried
        (2, False, [Retry("x", 500)], ("pending", 10)),
        (3, False, [Retry("x", 500)], ("failed", None)),
        (3, True, [Retry("x", 500)], ("sent", None)),  # bound reached, but a phone had it
        (2, False, [RateLimited(120.0), Retry("x", 503, 30.0)], ("pending", 120)),  # the longest wait
        (1, False, [RateLimited(0.0)], ("pending", 1)),  # "now" still waits a second
        (3, False, [Retry("x")] * 1, ("failed", None)),
        (1, False, [Gone(410, "gone")], ("failed", None)),
        (1, True, [Gone(410, "gone")], ("sent", None)),
        (1, False, [Rejected(403, "no")], ("failed", None)),
        (1, False, [None], ("failed", None)),
        (1, False, [Retry("x", 500, None), Delivered(201)], ("pending", 5)),
    ],
)
def test_settle(attempt, before, outcomes, expected):
    d = claimed(attempt, before)
    settled = delivery.settle(d, tried(d, *outcomes), NOW, POLICY)
    status, wait = expected
    assert settled.status == status
    if wait is None:
        assert settled.next_attempt_at is None
    else:
        assert settled.next_attempt_at == NOW + timedelta(seconds=wait)
    assert (settled.sent_at is not None) == (status == "sent")
