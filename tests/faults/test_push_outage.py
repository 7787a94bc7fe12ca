"""The push service failing while a real `heima worker` sends and uploads keep coming through
`heima serve` (docs/reliability.md, R6): refused connections, a service that never
answers, 500s, 429 with Retry-After, 410 Gone, and 500s that never end.

Whatever push does, every upload is answered 200 and stored and every alert is on the worklist.
Retryable failures end in exactly one accepted push per (alert, subscription) once the service
recovers; 410 deletes the subscription and nothing is sent to it again; when every attempt fails
up to HEIMA_DELIVERY_MAX_ATTEMPTS the delivery is `failed` and the alert escalates
(alerting/notify/renotify.py: step 1 the unit's clinicians, reason "undelivered"; with nobody left to
reach, step 2 adds the organisation's physicians, and it stops there).

The service recovers on an event (every (alert, subscription) has failed at least once, read from
the worker's receipts), never after a sleep; the intervals between retries are checked on the
receipts' own timestamps.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest

from tests.bench.bench_alert_latency import Child
from tests.faults.push_service import FaultyPushService
from tests.faults.service import (
    FEVER,
    NORMAL,
    SUBJECT,
    Ward,
    eventually,
    open_ward,
    quiet,
    start_worker,
    stop_all,
    temperature,
    upload,
    worklist,
)
from tests.helpers import API, expect
from tests.localhost import free_port

MAX_ATTEMPTS = 4
RETRY_AFTER = 2  # seconds, in the 429s: longer than the backoff, so honouring it shows
BACKOFF = 1
WORKER = {
    "push_connect_timeout_seconds": 1,
    "push_read_timeout_seconds": 1,  # the hanging service costs one second per attempt
    "delivery_lease_seconds": 4,  # outlasts one send: 1 + 2 × 1
    "delivery_poll_seconds": 1,
    "delivery_max_attempts": MAX_ATTEMPTS,
    "delivery_backoff_seconds": BACKOFF,
    "delivery_backoff_max_seconds": BACKOFF,
}
INFANTS = 2  # one fever each: two alerts, each for two nurses with a phone each
UPLOAD_EVERY = 0.1  # seconds between the background uploads (a paced stream, not a wait)
WITHIN = 15.0  # seconds, any single wait


@pytest.fixture(scope="module")
async def outage_worker(fault_api, fault_env, fault_workdir) -> AsyncIterator[Child]:
    await quiet(fault_api.database_url)
    env = {**fault_env, **{f"HEIMA_{k.upper()}": str(v) for k, v in WORKER.items()}}
    worker = await start_worker(env, fault_workdir, free_port(), "worker-outage")
    try:
        yield worker
    finally:
        stop_all([worker])


@dataclass
class Case:
    client: httpx.AsyncClient
    db: asyncpg.Connection
    ward: Ward
    stand_in: FaultyPushService
    worker: Child
    subscriptions: dict[str, str]  # subscription id → endpoint

    def topic(self, alert: str) -> str:
        return uuid.UUID(alert).hex

    def path(self, subscription: str) -> str:
        return self.stand_in.path_of(self.subscriptions[subscription])

    async def wait(self, check: Callable[[], Awaitable[Any]], what: str) -> Any:
        return await eventually(check, what, WITHIN, self.worker.tail)


@dataclass
class Stream:
    """Normal readings for the ward's infants, one every UPLOAD_EVERY seconds until stopped; each
    must be answered 200 and stored ("created") whatever the push service does."""

    items: list[str] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, client: httpx.AsyncClient, ward: Ward) -> None:
        n = 0
        while not self.stop.is_set():
            item = temperature(NORMAL, minutes_ago=2 + n / 100)
            await upload(client, ward.nurses[n % len(ward.nurses)], ward.infants[n % len(ward.infants)], item)
            self.items.append(item["id"])
            n += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), UPLOAD_EVERY)


@pytest.mark.parametrize("mode", ["refused", "hanging", "500", "429", "410", "500-forever"])
async def test_push_outage_uploads_and_worklist_unaffected_and_deliveries_settle(
    mode, fault_api, fault_admin, fault_vapid_keys, fault_push_port, outage_worker
):
    assert outage_worker.process.poll() is None, outage_worker.tail()
    stand_in = await FaultyPushService(fault_vapid_keys[1], SUBJECT, fault_push_port).start(listening=mode != "refused")
    if mode == "hanging":
        stand_in.hold()
    elif mode in ("500", "500-forever"):
        stand_in.answer(500)
    elif mode == "429":
        stand_in.answer(429, {"Retry-After": str(RETRY_AFTER)})
    elif mode == "410":
        stand_in.answer(410)
    db = await asyncpg.connect(fault_api.database_url)
    stream = Stream()
    try:
        async with fault_api.client() as client:
            ward = await open_ward(client, fault_admin, nurses=2, infants=INFANTS, endpoint_for=stand_in.endpoint_for)
            case = Case(client, db, ward, stand_in, outage_worker, await subscription_ids(db, ward))
            background = asyncio.create_task(stream.run(client, ward))
            try:
                alerts = await CHECKS[mode](case)
            finally:
                stream.stop.set()
                await background  # re-raises an upload that was not answered 200 "created"
            stored = await db.fetchval(
                "select count(*) from measurements where id = any($1::uuid[])", [uuid.UUID(i) for i in stream.items]
            )
            assert stored == len(stream.items) > 0
            for alert in alerts:  # tidy: nothing of this ward is left to send or escalate
                await resolve(client, ward, alert)
    finally:
        stream.stop.set()
        await db.close()
        await stand_in.stop()
    assert stand_in.problems() == []
    print(f"\npush {mode}: {len(stream.items)} uploads besides the fevers, all 200; stand-in {stand_in.summary()}")


# --- per mode ------------------------------------------------------------------------------------


async def fevers(case: Case, infants: list[str]) -> set[str]:
    """One fever per infant, at once: a new high alert each, for both nurses; on the worklist
    straight away, whatever push is doing."""
    bodies = await asyncio.gather(*(upload(case.client, case.ward.nurses[0], i, temperature(FEVER)) for i in infants))
    alerts = {alert["id"] for body in bodies for alert in body["alerts"]}
    assert len(alerts) == len(infants), bodies
    await on_worklist(case, alerts)
    return alerts


async def on_worklist(case: Case, alerts: set[str]) -> None:
    for nurse in case.ward.nurses:
        assert {item["id"] for item in await worklist(case.client, nurse, case.ward.unit_id)} == alerts


async def retryable(case: Case) -> set[str]:
    """Fails until every (alert, subscription) has failed once, then recovers: each delivered once."""
    alerts = await fevers(case, case.ward.infants)
    pairs = {(a, s) for a in alerts for s in case.subscriptions}

    async def each_failed_once() -> bool:
        rows = await receipts(case.db, alerts)
        return {(r["alert_id"], r["subscription_id"]) for r in rows if r["outcome"] != "delivered"} >= pairs

    await case.wait(each_failed_once, "every (alert, subscription) failed once")
    assert not case.stand_in.accepted()
    # The push service is back.
    if not case.stand_in.listening:
        await case.stand_in.up()
    case.stand_in.answer(201)

    async def all_sent() -> bool:
        rows = await deliveries(case.db, alerts)
        return len(rows) == len(pairs) and all(r["status"] == "sent" for r in rows)

    await case.wait(all_sent, "every delivery sent after recovery")
    rows, attempts = await deliveries(case.db, alerts), await receipts(case.db, alerts)
    # Exactly once per subscription: one accepted push per (alert, subscription), none twice.
    assert case.stand_in.accepted() == Counter({(case.topic(a), case.path(s)): 1 for a, s in pairs})
    # The table agrees: each delivery sent after more than one attempt, within the bound, with one
    # receipt per POST; those refused at connect never reached the service.
    assert all(r["status"] == "sent" and 2 <= r["attempts"] <= MAX_ATTEMPTS for r in rows), rows
    assert all(r["escalation_step"] == 0 for r in rows), "a retried, then delivered alert escalated"
    reached = Counter(
        (case.topic(r["alert_id"]), case.path(r["subscription_id"]))
        for r in attempts
        if "connection failed" not in (r["detail"] or "")
    )
    assert case.stand_in.requests() == reached
    for tries in by_pair(attempts).values():
        assert len(tries) >= 2 and tries[-1]["outcome"] == "delivered", tries
        # After a failure the next attempt waits: the backoff, or the 429's Retry-After.
        for before, after in itertools.pairwise(tries):
            wait = RETRY_AFTER if before["outcome"] == "rate_limited" else BACKOFF
            assert (after["at"] - before["at"]).total_seconds() >= wait, (before, after)
    return alerts


def failures(attempts: list[dict]) -> list[dict]:
    return [r for r in attempts if r["outcome"] != "delivered"]


async def refused(case: Case) -> set[str]:
    alerts = await retryable(case)
    failed = failures(await receipts(case.db, alerts))
    assert {(r["outcome"], r["http_status"]) for r in failed} == {("retry", None)}, failed
    assert all(r["detail"].startswith("retry: connection failed") for r in failed), failed
    return alerts


async def hanging(case: Case) -> set[str]:
    alerts = await retryable(case)
    failed = failures(await receipts(case.db, alerts))
    assert {(r["outcome"], r["detail"]) for r in failed} == {("retry", "retry: timeout")}, failed
    # Each send gave up after the read timeout, within the total bound (connect + 2 × read).
    read = WORKER["push_read_timeout_seconds"]
    total = WORKER["push_connect_timeout_seconds"] + 2 * read
    assert all(read * 1000 <= r["duration_ms"] <= total * 1000 + 500 for r in failed), failed
    return alerts


async def status_500(case: Case) -> set[str]:
    alerts = await retryable(case)
    failed = failures(await receipts(case.db, alerts))
    assert {(r["outcome"], r["http_status"]) for r in failed} == {("retry", 500)}, failed
    return alerts


async def status_429(case: Case) -> set[str]:
    alerts = await retryable(case)
    failed = failures(await receipts(case.db, alerts))
    assert {(r["outcome"], r["http_status"], r["retry_after_seconds"]) for r in failed} == {
        ("rate_limited", 429, RETRY_AFTER)
    }, failed
    return alerts


async def gone(case: Case) -> set[str]:
    """410: both subscriptions deleted after their first push, and nothing is sent to them again;
    the next alert finds nobody to push to; both escalate to the last step."""
    [first] = await fevers(case, case.ward.infants[:1])
    subscriptions = [uuid.UUID(s) for s in case.subscriptions]

    async def forgotten() -> bool:
        query = "select count(*) from push_subscriptions where id = any($1::uuid[])"
        return await case.db.fetchval(query, subscriptions) == 0

    await case.wait(forgotten, "gone subscriptions deleted")
    sent = case.stand_in.requests()
    assert sent == Counter({(case.topic(first), case.path(s)): 1 for s in case.subscriptions})
    # A second alert after the deletion: no live subscription, so no POST at all.
    body = await upload(case.client, case.ward.nurses[0], case.ward.infants[1], temperature(FEVER))
    [second] = [alert["id"] for alert in body["alerts"]]
    alerts = {first, second}
    await on_worklist(case, alerts)

    async def last_step() -> bool:
        steps = await case.db.fetch("select escalation_step from alerts where id = any($1::uuid[])", uuids(alerts))
        if len(steps) != 2 or any(r["escalation_step"] != 2 for r in steps):
            return False
        return all(r["status"] == "failed" for r in await deliveries(case.db, alerts))

    await case.wait(last_step, "both alerts escalated to the last step, every delivery failed")
    assert case.stand_in.requests() == sent, "sent to a subscription the push service said is gone"
    attempts = await receipts(case.db, alerts)
    assert Counter(r["outcome"] for r in attempts if r["subscription_id"] is not None) == {"gone": 2}, attempts
    assert {r["outcome"] for r in attempts if r["subscription_id"] is None} == {"no_subscription"}, attempts
    for alert in alerts:
        await check_escalations(case, alert, last=2)
    await on_worklist(case, alerts)  # still there, for someone to act on
    return alerts


async def forever_500(case: Case) -> set[str]:
    """Every attempt fails: after MAX_ATTEMPTS each delivery is `failed` and the alert escalates."""
    alerts = await fevers(case, case.ward.infants)

    async def escalated() -> bool:
        steps = await case.db.fetch("select escalation_step from alerts where id = any($1::uuid[])", uuids(alerts))
        return len(steps) == len(alerts) and all(r["escalation_step"] >= 1 for r in steps)

    await case.wait(escalated, "every alert escalated after its deliveries failed")
    await on_worklist(case, alerts)
    # Stop what the escalation started (resolving cancels pending deliveries) and let sends in
    # flight record, so that the stand-in and the receipts compare one to one.
    for alert in alerts:
        await resolve(case.client, case.ward, alert)

    async def settled() -> bool:
        return all(r["status"] in ("sent", "failed", "cancelled") for r in await deliveries(case.db, alerts))

    await case.wait(settled, "nothing of these alerts in flight")
    rows = await deliveries(case.db, alerts)
    first = [r for r in rows if r["escalation_step"] == 0]
    assert len(first) == len(alerts) * len(case.ward.nurses)
    for row in first:
        assert (row["status"], row["attempts"]) == ("failed", MAX_ATTEMPTS), row
        assert row["last_error"].startswith(f"gave up after {MAX_ATTEMPTS} attempts: retry (500)"), row
    attempts = await receipts(case.db, alerts)
    per_delivery = Counter(r["delivery_id"] for r in attempts)
    assert {per_delivery[r["id"]] for r in first} == {MAX_ATTEMPTS}, per_delivery
    assert {(r["outcome"], r["http_status"]) for r in attempts} == {("retry", 500)}
    # One receipt per POST the push service saw, none accepted.
    seen = Counter((case.topic(r["alert_id"]), case.path(r["subscription_id"])) for r in attempts)
    assert case.stand_in.requests() == seen and not case.stand_in.accepted()
    # Step 1 wrote a delivery for each of the unit's clinicians again.
    nurses = {uuid.UUID(n.id or "") for n in case.ward.nurses}
    for alert in alerts:
        assert {r["user_id"] for r in rows if r["alert_id"] == alert and r["escalation_step"] == 1} == nurses
        await check_escalations(case, alert, last=1)
    return set()  # resolved above


async def check_escalations(case: Case, alert: str, last: int) -> None:
    """alerting/notify/renotify.py's steps up to `last`: 1 = the unit's clinicians (two nurses), 2 = also
    the organisation's physicians (one, in the other unit); here because nobody was reached."""
    rows = await case.db.fetch(
        "select details from alert_events where alert_id = $1 and kind = 'escalate' order by id", uuid.UUID(alert)
    )
    nurses = len(case.ward.nurses)
    circles = {1: ("unit", nurses), 2: ("unit and physicians", nurses + 1)}
    expected = [
        {"step": step, "circle": circles[step][0], "reason": "undelivered", "recipients": circles[step][1]}
        for step in range(1, last + 1)
    ]
    assert [json.loads(r["details"]) if isinstance(r["details"], str) else r["details"] for r in rows] == expected


CHECKS: dict[str, Callable[[Case], Awaitable[set[str]]]] = {
    "refused": refused,
    "hanging": hanging,
    "500": status_500,
    "429": status_429,
    "410": gone,
    "500-forever": forever_500,
}


# --- rows ------------------------------------------------------------------------------------------


async def resolve(client: httpx.AsyncClient, ward: Ward, alert: str) -> None:
    response = await client.post(
        f"{API}/alerts/{alert}/resolve", json={"note": "fault test"}, headers=ward.nurses[0].headers
    )
    await expect(response, 200)


def uuids(values: set[str]) -> list[uuid.UUID]:
    return [uuid.UUID(v) for v in values]


def by_pair(attempts: list[dict]) -> dict[tuple[str, str], list[dict]]:
    out: dict[tuple[str, str], list[dict]] = {}
    for row in attempts:
        out.setdefault((row["alert_id"], row["subscription_id"]), []).append(row)
    return out


async def subscription_ids(db: asyncpg.Connection, ward: Ward) -> dict[str, str]:
    rows = await db.fetch(
        "select id::text, endpoint from push_subscriptions where endpoint = any($1::text[])",
        list(ward.endpoints.values()),
    )
    assert len(rows) == len(ward.nurses)
    return {r["id"]: r["endpoint"] for r in rows}


async def deliveries(db: asyncpg.Connection, alerts: set[str]) -> list[dict]:
    rows = await db.fetch(
        "select id, alert_id::text, user_id, status, attempts, escalation_step, last_error"
        " from push_deliveries where alert_id = any($1::uuid[])",
        uuids(alerts),
    )
    return [dict(r) for r in rows]


async def receipts(db: asyncpg.Connection, alerts: set[str]) -> list[dict]:
    rows = await db.fetch(
        "select p.delivery_id, d.alert_id::text, p.subscription_id::text, p.attempt, p.at, p.duration_ms,"
        " p.outcome, p.http_status, p.retry_after_seconds, p.detail"
        " from push_attempts p join push_deliveries d on d.id = p.delivery_id"
        " where d.alert_id = any($1::uuid[]) order by p.at, p.id",
        uuids(alerts),
    )
    return [dict(r) for r in rows]
