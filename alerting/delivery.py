"""The outbox's other end: claim due push deliveries, send each to its clinician's subscriptions,
settle what happened (docs/reliability.md, D3 and R6).

A claim is a lease committed before anything is sent (`claim`), so a worker that dies mid-send
leaves rows that another worker takes once the lease ends; the outcome is written only while the
claim still holds (`record`: same attempt number, still `sending`). Delivery is therefore at least
once: a crash between the push service's 201 and `record` sends that push again, and the `Topic`
header (the alert id) lets the push service replace the undelivered copy. Within one delivery a
subscription that has accepted the push, is gone, or refused it is not sent to again.

What each outcome does (`settle`):

- 2xx: the subscription is done; the delivery is `sent` once no subscription is waiting to retry.
- 404/410 (`Gone`): the subscription is deleted (`forget_subscription`).
- 429, 5xx, timeouts: the delivery is `pending` again, due after Retry-After when the push service
  gave one, else after a doubling backoff; after `delivery_max_attempts` it is `sent` if any
  subscription accepted it and `failed` if none did.
- Other 4xx and refused endpoints: that subscription is done, unsuccessfully.
- No live subscription: `failed` at once. An alert nobody could be told of is escalated at once
  (alerting/notify/renotify.py) and shows as `unreachable` on the worklist.

Besides a clinician's `alert` push, a delivery may be a `digest` (low alerts raised outside staffed
hours: one push per clinician and batch, `{"type":"digest","alerts":N}`) or a family's `seen`,
`handled`, `reminder` or `meeting` (alerting/notify/family.py; `meeting` also to its clinicians);
the payload never carries more than ids and a count.

Every POST leaves a `push_attempts` row (and a claim with nobody to send to leaves one too).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
from yarl import URL

from alerting import live
from alerting.push.sender import (
    AlertMessage,
    Delivered,
    Gone,
    NoticeMessage,
    Outcome,
    Pusher,
    RateLimited,
    Refused,
    Rejected,
    Retry,
    urgency_for,
)
from alerting.push.subscriptions.schemas import Subscription
from alerting.push.subscriptions.service import forget_subscription
from backend.clock import Clock
from backend.db import load_queries
from backend.settings import Settings

queries = load_queries(__file__)
log = logging.getLogger("heima.alerting.delivery")

# A push service asking for no delay at all still gets a breath: a tight retry loop helps nobody.
MIN_RETRY_SECONDS = 1.0
_OUTCOME_NAMES: dict[type, str] = {
    Delivered: "delivered",
    Gone: "gone",
    RateLimited: "rate_limited",
    Retry: "retry",
    Rejected: "rejected",
    Refused: "refused",
}


def outcome_name(outcome: Outcome | None) -> str:
    return "no_subscription" if outcome is None else _OUTCOME_NAMES[type(outcome)]


@dataclass(frozen=True, slots=True)
class Policy:
    """Retries: how often, and how long to wait between them."""

    max_attempts: int
    backoff_seconds: float
    backoff_max_seconds: float
    lease_seconds: float
    ttl_seconds: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            max_attempts=settings.delivery_max_attempts,
            backoff_seconds=settings.delivery_backoff_seconds,
            backoff_max_seconds=settings.delivery_backoff_max_seconds,
            lease_seconds=settings.delivery_lease_seconds,
            ttl_seconds=settings.push_ttl_seconds,
        )

    def delay(self, attempt: int, outcome: RateLimited | Retry) -> float:
        """Seconds before the next attempt: Retry-After when the push service said, else backoff."""
        if outcome.retry_after is not None:
            return max(outcome.retry_after, MIN_RETRY_SECONDS)
        return min(self.backoff_seconds * 2 ** (attempt - 1), self.backoff_max_seconds)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this worker holds the lease on, with the subscriptions still to send to."""

    id: UUID
    alert_id: UUID
    user_id: UUID
    severity: Any  # push.Severity
    attempt: int
    escalation_step: int
    received_at: datetime | None  # when the raising upload's transaction began (database time)
    delivered_before: bool  # a subscription accepted it at an earlier attempt
    kind: str = "alert"  # alert | digest | seen | handled | reminder | meeting
    contact_request_id: UUID | None = None
    patient_id: UUID | None = None  # a reminder's subject
    meeting_id: UUID | None = None
    subscriptions: list[Subscription] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One POST (or, with no subscription, the lack of one) and what came of it."""

    delivery: Claimed
    subscription: Subscription | None
    outcome: Outcome | None
    at: datetime  # the worker's clock
    started: datetime  # real time, for the latency stamps
    finished: datetime
    duration_ms: float


@dataclass(frozen=True, slots=True)
class Settlement:
    status: str  # pending | sent | failed
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FirstPush:
    """An alert whose first push this batch sent (and maybe saw accepted), for the histogram."""

    alert_id: UUID
    received_at: datetime
    sent_at: datetime | None
    accepted_at: datetime | None


@dataclass(frozen=True, slots=True)
class Recorded:
    kept: frozenset[UUID]  # deliveries whose claim still held: their outcome was written
    lost: frozenset[UUID]  # leases that ran out before the outcome came: another worker has them
    first_pushes: list[FirstPush]
    forgotten: int  # subscriptions deleted because the push service said they are gone


async def backlog(conn: asyncpg.Connection, now: datetime) -> tuple[int, float]:
    """How many deliveries are not settled yet, and the age in seconds of the oldest (0: none)."""
    row = await conn.fetchrow(queries.select_delivery_backlog)
    oldest = row["oldest"]
    return row["pending"], max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0


async def claim(conn: asyncpg.Connection, now: datetime, limit: int, policy: Policy) -> list[Claimed]:
    """Lease up to `limit` due deliveries. Run it outside a transaction (or commit right after):
    the lease must be visible to other workers before anything is sent."""
    rows = await conn.fetch(queries.claim_deliveries, now, limit, float(policy.lease_seconds), policy.max_attempts)
    claimed: dict[UUID, Claimed] = {}
    for row in rows:
        delivery = claimed.get(row["id"])
        if delivery is None:
            delivery = claimed[row["id"]] = Claimed(
                id=row["id"],
                alert_id=row["alert_id"],
                user_id=row["user_id"],
                severity=row["severity"],
                attempt=row["attempts"],
                escalation_step=row["escalation_step"],
                received_at=row["received_at"],
                delivered_before=row["delivered_before"],
                kind=row["kind"],
                contact_request_id=row["contact_request_id"],
                patient_id=row["patient_id"],
                meeting_id=row["meeting_id"],
            )
        if row["subscription_id"] is not None:
            delivery.subscriptions.append(
                Subscription(
                    id=row["subscription_id"], endpoint=row["endpoint"], p256dh=row["p256dh"], auth=row["auth"]
                )
            )
    return list(claimed.values())


def _message(delivery: Claimed, digest_size: int, day: str) -> AlertMessage | NoticeMessage:
    match delivery.kind:
        case "alert":
            return AlertMessage(alert_id=delivery.alert_id, severity=delivery.severity)
        case "digest":
            return NoticeMessage("digest", count=digest_size, day=day)
        case "seen":
            return NoticeMessage("seen", subject_id=delivery.alert_id)
        case "reminder":
            return NoticeMessage("reminder", subject_id=delivery.patient_id)
        case "meeting":
            return NoticeMessage("meeting", subject_id=delivery.meeting_id)
        case _:
            return NoticeMessage("handled", subject_id=delivery.contact_request_id)


async def send(pusher: Pusher, batch: Sequence[Claimed], policy: Policy, clock: Clock, wall: Clock) -> list[Attempt]:
    """Every subscription of every claimed delivery at once (the pusher bounds its connections).
    A clinician's digest deliveries in the batch go out as one push per subscription, counting
    them; its outcome is each of theirs."""
    now = clock()
    day = now.strftime("%Y%m%d")

    async def one(deliveries: Sequence[Claimed], subscription: Subscription) -> list[Attempt]:
        first = deliveries[0]
        message = _message(first, len(deliveries), day)
        urgency = urgency_for(first.severity) if first.kind == "alert" else "normal"
        started, tick = wall(), time.perf_counter()
        try:
            outcome: Outcome = await pusher.send(subscription, message, urgency=urgency, ttl=policy.ttl_seconds)
        except Exception as exc:  # one bad row must not lose the batch's outcomes
            log.exception("alerting.delivery.send_crashed", extra={"delivery_id": str(first.id)})
            outcome = Retry(f"internal error: {type(exc).__name__}")
        elapsed = (time.perf_counter() - tick) * 1000
        finished = wall()
        return [Attempt(d, subscription, outcome, now, started, finished, elapsed) for d in deliveries]

    sends = []
    digests: dict[UUID, list[Claimed]] = {}
    for delivery in batch:
        if delivery.kind == "digest":
            digests.setdefault(delivery.user_id, []).append(delivery)
        else:
            sends.extend(one([delivery], subscription) for subscription in delivery.subscriptions)
    for waiting in digests.values():
        endpoints = {s.id: s for d in waiting for s in d.subscriptions}
        for subscription in endpoints.values():
            sends.append(one([d for d in waiting if subscription in d.subscriptions], subscription))
    attempts = [attempt for group in await asyncio.gather(*sends) for attempt in group]
    stamp = wall()
    attempts.extend(Attempt(d, None, None, now, stamp, stamp, 0.0) for d in batch if not d.subscriptions)
    return attempts


def _describe(outcome: Outcome | None) -> str:
    match outcome:
        case None:
            return "no live push subscription"
        case Delivered(status=status):
            return f"delivered ({status})"
        case RateLimited(retry_after=after):
            return f"rate limited (429), retry after {after:g} s"
        case Retry(reason=reason) | Gone(reason=reason) | Rejected(reason=reason) | Refused(reason=reason):
            status = getattr(outcome, "status", None)
            return f"{outcome_name(outcome)} ({status}): {reason}" if status else f"{outcome_name(outcome)}: {reason}"
    return repr(outcome)


def settle(delivery: Claimed, attempts: Sequence[Attempt], now: datetime, policy: Policy) -> Settlement:
    """What a delivery becomes after one attempt at its subscriptions (pure: the tests table it)."""
    delivered = delivery.delivered_before or any(isinstance(a.outcome, Delivered) for a in attempts)
    waiting = [a.outcome for a in attempts if isinstance(a.outcome, RateLimited | Retry)]
    failures = [a.outcome for a in attempts if not isinstance(a.outcome, Delivered)]
    last_error = _describe(failures[-1]) if failures else None
    if waiting and delivery.attempt < policy.max_attempts:
        delay = max(policy.delay(delivery.attempt, outcome) for outcome in waiting)  # type: ignore[arg-type]
        return Settlement("pending", next_attempt_at=now + timedelta(seconds=delay), last_error=last_error)
    if delivered:
        return Settlement("sent", last_error=last_error, sent_at=now)
    if waiting:
        last_error = f"gave up after {delivery.attempt} attempts: {last_error}"
    return Settlement("failed", last_error=last_error)


def _first_pushes(attempts: Sequence[Attempt]) -> list[dict[str, Any]]:
    """Per alert: when this batch first POSTed for it, and when a push service first accepted."""
    by_alert: dict[UUID, dict[str, Any]] = {}
    for attempt in attempts:
        if attempt.outcome is None or attempt.delivery.kind != "alert":
            continue  # the latency of an alert is its first push, not a digest or a family's
        alert = by_alert.setdefault(attempt.delivery.alert_id, {"id": attempt.delivery.alert_id, "accepted": None})
        alert["sent"] = min(alert.get("sent", attempt.started), attempt.started)
        if isinstance(attempt.outcome, Delivered):
            alert["accepted"] = min(alert["accepted"] or attempt.finished, attempt.finished)
    return list(by_alert.values())


def _receipt(attempt: Attempt) -> dict[str, Any]:
    outcome = attempt.outcome
    subscription = attempt.subscription
    return {
        "delivery_id": attempt.delivery.id,
        "attempt": attempt.delivery.attempt,
        "subscription_id": subscription.id if subscription else None,
        "push_service": URL(subscription.endpoint).host if subscription else None,
        "at": attempt.at,
        "duration_ms": round(attempt.duration_ms, 3),
        "outcome": outcome_name(outcome),
        "http_status": getattr(outcome, "status", None),
        "retry_after_seconds": getattr(outcome, "retry_after", None),
        "detail": None if isinstance(outcome, Delivered) else _describe(outcome),
    }


def _subscription_health(attempts: Sequence[Attempt]) -> list[dict[str, Any]]:
    """A success clears a subscription's failures; a 5xx, timeout or refusal counts as one. A 429
    says nothing about the subscription, and a gone one is deleted anyway."""
    ok: dict[UUID, bool] = {}
    for attempt in attempts:
        if attempt.subscription is None or isinstance(attempt.outcome, RateLimited | Gone):
            continue
        sid = attempt.subscription.id
        ok[sid] = ok.get(sid, False) or isinstance(attempt.outcome, Delivered)
    return [{"id": sid, "ok": good} for sid, good in ok.items()]


async def record(
    conn: asyncpg.Connection,
    batch: Sequence[Claimed],
    attempts: Sequence[Attempt],
    now: datetime,
    policy: Policy,
) -> Recorded:
    """Write a batch's outcomes in one transaction: the alerts' first-push stamps (alerts before
    deliveries, the order every other writer locks them in), the deliveries' new states, a receipt
    per attempt, the subscriptions' health, and gone subscriptions deleted. The alerts whose
    clinicians' pushes settled are announced to the dashboards: whether anybody could be told
    (`reach`) may have changed, and "nobody could be told" must show on the worklist at once."""
    per_delivery: dict[UUID, list[Attempt]] = {d.id: [] for d in batch}
    for attempt in attempts:
        per_delivery[attempt.delivery.id].append(attempt)
    outcomes = []
    for delivery in batch:
        settlement = settle(delivery, per_delivery[delivery.id], now, policy)
        outcomes.append(
            {
                "id": delivery.id,
                "attempt": delivery.attempt,
                "status": settlement.status,
                "next_attempt_at": settlement.next_attempt_at,
                "last_error": settlement.last_error,
                "sent_at": settlement.sent_at,
            }
        )
    gone = {a.subscription.id for a in attempts if isinstance(a.outcome, Gone) and a.subscription is not None}
    settled = sorted(
        {
            delivery.alert_id
            for delivery, outcome in zip(batch, outcomes, strict=True)
            if delivery.kind in ("alert", "digest") and outcome["status"] != "pending"
        }
    )
    async with conn.transaction():
        first = _first_pushes(attempts)
        stamped = await conn.fetch(queries.stamp_first_push, first) if first else []
        kept = await conn.fetch(
            queries.record_push_outcomes,
            outcomes,
            [_receipt(a) for a in attempts],
            _subscription_health(attempts),
            now,
        )
        forgotten = [sid for sid in sorted(gone) if await forget_subscription(conn, sid)]
        await live.announce(conn, settled)
    kept_ids = frozenset(row["id"] for row in kept)
    lost = frozenset(d.id for d in batch) - kept_ids
    if lost:
        # The lease ran out mid-send (a send slower than the lease): another worker has claimed
        # these again and will send them again; the receipts above still say what this one did.
        log.warning("alerting.delivery.lease_lost", extra={"deliveries": sorted(str(i) for i in lost)})
    for sid in forgotten:
        log.info("alerting.push.gone", extra={"subscription_id": str(sid)})
    first_pushes = [
        FirstPush(
            row["id"],
            row["received_at"],
            row["first_push_sent_at"] if row["first_sent"] else None,
            row["first_push_accepted_at"] if row["first_accepted"] else None,
        )
        for row in stamped
    ]
    return Recorded(kept_ids, lost, first_pushes, len(forgotten))
