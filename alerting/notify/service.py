"""Notification on a connection: the units following a patient with their policies, and the
first pushes of a raised alert (alerting/service.py calls `first_deliveries` in the raising
transaction, so an alert is committed with its deliveries or not at all)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from alerting.notify import promise as promises
from alerting.notify.policy import DEFAULT, Member, Policy, deliver_at, first_circle
from alerting.notify.promise import UnitPromise, choose
from backend.db import load_queries

queries = load_queries(__file__)

LAST_STEP = 2
CIRCLES = {0: "policy", 1: "unit", 2: "unit and physicians"}


@dataclass(frozen=True, slots=True)
class NotifyUnit:
    """A unit following a patient, as notifying needs it."""

    unit_id: UUID
    contact_within_hours: int | None
    stored: Policy | None  # None: the unit follows the default
    members: tuple[Member, ...]
    physicians: frozenset[UUID]  # of the unit's organisation

    @property
    def policy(self) -> Policy:
        return self.stored or DEFAULT

    @property
    def promise(self) -> UnitPromise:
        return UnitPromise(self.contact_within_hours, self.policy)


def decode_policy(stored: Any) -> Policy | None:
    return None if stored is None else msgspec.convert(stored, Policy)


async def load_units(
    conn: asyncpg.Connection, patient_ids: Iterable[UUID], now: datetime
) -> dict[UUID, list[NotifyUnit]]:
    """The units following each patient at `now` (a patient followed by none is absent)."""
    rows = await conn.fetch(queries.select_notification_units, list(patient_ids), now)
    units: dict[UUID, list[NotifyUnit]] = {}
    for row in rows:
        members = tuple(Member(UUID(m["user_id"]), m["profession"]) for m in row["members"])
        units.setdefault(row["patient_id"], []).append(
            NotifyUnit(
                unit_id=row["unit_id"],
                contact_within_hours=row["contact_within_hours"],
                stored=decode_policy(row["policy"]),
                members=members,
                physicians=frozenset(row["physicians"]),
            )
        )
    return units


def promise_of(units: Sequence[NotifyUnit]) -> UnitPromise | None:
    """What the patient is promised: the shortest promise of the units following them."""
    return choose([unit.promise for unit in units])


def circle(units: Sequence[NotifyUnit], step: int, severity: str, now: datetime) -> set[UUID]:
    """Who is told at an escalation step: 0 the policies' choice for the period, 1 every
    clinician of the patient's units, 2 those and the physicians of the units' organisations."""
    if step == 0:
        return set().union(*(first_circle(u.policy, severity, now, u.members) for u in units))  # type: ignore[arg-type]
    everyone: set[UUID] = {m.user_id for u in units for m in u.members}
    if step >= 2:
        everyone.update(*(u.physicians for u in units))
    return everyone


def _first_rows(units: Sequence[NotifyUnit], alert_id: UUID, severity: str, now: datetime) -> list[dict[str, Any]]:
    """Each unit's choice of who is told and when; a clinician of two units is told once, at the
    earlier of the two times."""
    best: dict[UUID, tuple[datetime, bool]] = {}
    for unit in units:
        when, digest = deliver_at(unit.policy, severity, now)  # type: ignore[arg-type]
        for user_id in first_circle(unit.policy, severity, now, unit.members):  # type: ignore[arg-type]
            held = best.get(user_id)
            if held is None or when < held[0]:
                best[user_id] = (when, digest)
    return [
        {
            "alert_id": alert_id,
            "user_id": user_id,
            "severity": severity,
            "next_attempt_at": when,
            "step": 0,
            "kind": "digest" if digest else "alert",
        }
        for user_id, (when, digest) in sorted(best.items())
    ]


async def first_deliveries(
    conn: asyncpg.Connection, units: Sequence[NotifyUnit], alerts: Sequence[tuple[UUID, str]], now: datetime
) -> int:
    """The pending pushes of newly raised (or more severe) alerts; how many go out now (those
    that wait for a digest are found by the worker's poll when they are due)."""
    rows = [row for alert_id, severity in alerts for row in _first_rows(units, alert_id, severity, now)]
    if rows:
        await conn.execute(queries.insert_alert_deliveries, rows, now)
    return sum(1 for row in rows if row["kind"] == "alert")


async def write_deliveries(
    conn: asyncpg.Connection, alert_id: UUID, severity: str, step: int, users: Iterable[UUID], now: datetime
) -> None:
    rows = [
        {
            "alert_id": alert_id,
            "user_id": u,
            "severity": severity,
            "next_attempt_at": now,
            "step": step,
            "kind": "alert",
        }
        for u in sorted(users)
    ]
    if rows:
        await conn.execute(queries.insert_alert_deliveries, rows, now)


async def contact_reply(conn: asyncpg.Connection, patient_id: UUID, now: datetime) -> dict[str, str]:
    """What a patient or parent reads after asking to be contacted (alerting/notify/promise.py)."""
    units = (await load_units(conn, [patient_id], now)).get(patient_id, [])
    return promises.contact_reply(promise_of(units), now)
