"""The missing-data sweep: run by every worker on a schedule, it raises each missing-data rule once
per patient and gap, pushes it like any alert, and the alert resolves itself when data arrives."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from alerting import sweep
from tests.alerts.support import resolve, upload
from tests.helpers import Actor, login
from tests.measurements.support import item, weight
from tests.worker.support import deliveries, events, open_ward, payloads


async def signed_in(client, actor: Actor) -> Actor:
    """The same nurse days later: her access token has expired, she signs in again."""
    return Actor(actor.name, actor.role, (await login(client, actor.name))["access_token"], actor.id)


async def alerts_of(db, patient: str):
    return await db.fetch(
        """select id, rule_code, rule_kind, severity, status, resolved_by
           from alerts where patient_id = $1 order by raised_at""",
        uuid.UUID(patient),
    )


async def test_missing_weight_is_raised_once_by_two_workers_and_resolves_when_a_weight_arrives(
    wclient, hospital, stand_in, make_worker, wdb, wclock
):
    ward = await open_ward(wclient, hospital, stand_in, nurses=2)
    one, two = await make_worker(), await make_worker()
    assert await one.sweep() == 0  # monitoring began just now

    # No weight on the 22nd or the 23rd: on the 24th one whole day is missing.
    wclock.advance(days=2)
    assert sorted(await asyncio.gather(one.sweep(), two.sweep())) == [0, 1]
    # One alert: the 23rd, with no feed registered at all, is a gap, not 0 % of the feeding plan.
    [alert] = await alerts_of(wdb, ward.patient)
    assert (alert["rule_code"], alert["rule_kind"], alert["severity"], alert["status"]) == (
        "weight_missing",
        "missing",
        "low",
        "open",
    )
    alert_id = str(alert["id"])
    assert {(r["status"], r["severity"]) for r in await deliveries(wdb, alert_id)} == {("pending", "low")}
    done = await one.run_once()  # the next round: nothing new to raise, the pushes go out
    assert (done.swept, done.claimed) == (0, 2)
    assert payloads(stand_in) == [{"type": "alert", "alert_id": alert_id, "severity": "low"}] * 2
    assert await two.sweep() == 0

    # Another day without: the same alert, more severe, pushed again.
    wclock.advance(days=1)
    assert sum(await asyncio.gather(one.sweep(), two.sweep())) == 1
    [alert] = await alerts_of(wdb, ward.patient)
    assert (str(alert["id"]), alert["rule_code"], alert["severity"]) == (alert_id, "weight_missing_2_days", "medium")
    await one.run_once()
    assert [p["severity"] for p in payloads(stand_in)] == ["low", "low", "medium", "medium"]
    assert [e["kind"] for e in await events(wdb, alert_id)] == ["raise", "update"]

    # A weight arrives: Heima resolves the alert itself.
    nurse = await signed_in(wclient, ward.nurses[0])
    await upload(wclient, nurse, ward.patient, weight(1700, measured_at=wclock.now.isoformat()))
    [alert] = await alerts_of(wdb, ward.patient)
    assert (alert["status"], alert["resolved_by"]) == ("resolved", None)
    assert await one.sweep() == 0

    # A new gap is a new alert.
    wclock.advance(days=2)
    assert await two.sweep() == 1
    assert [(a["rule_code"], a["status"]) for a in await alerts_of(wdb, ward.patient)] == [
        ("weight_missing_2_days", "resolved"),
        ("weight_missing", "open"),
    ]


async def test_a_missing_data_alert_a_nurse_resolved_is_not_raised_again_for_the_same_gap(
    wclient, hospital, make_worker, wdb, wclock
):
    ward = await open_ward(wclient, hospital, None, nurses=1)
    worker = await make_worker()
    wclock.advance(days=2)
    assert await worker.sweep() == 1
    [alert] = await alerts_of(wdb, ward.patient)
    nurse = await signed_in(wclient, ward.nurses[0])
    await resolve(wclient, nurse, str(alert["id"]), "Vekta er ødelagt, ny kommer i morgen.")

    wclock.advance(hours=6)
    assert await worker.sweep() == 0
    # Worse the next day (two whole days): that is news, and is raised.
    wclock.advance(hours=18)
    assert await worker.sweep() == 1
    assert [(a["rule_code"], a["status"]) for a in await alerts_of(wdb, ward.patient)] == [
        ("weight_missing", "resolved"),
        ("weight_missing_2_days", "open"),
    ]


def feed(millilitres: float, at: str) -> dict:
    return item("feeding_volume", millilitres, "mL", attributes={"route": "tube"}, measured_at=at)


async def test_a_day_of_too_little_milk_is_judged_once_just_after_midnight(wclient, hospital, make_worker, wdb, wclock):
    ward = await open_ward(wclient, hospital, None, nurses=1)  # monitoring began 22 Nov 08:30 in Oslo
    one, two = await make_worker(), await make_worker()
    wclock.now = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)  # 22:00 in Oslo
    nurse = await signed_in(wclient, ward.nurses[0])
    # Eight feeds (as many as a day should have), 200 mL in all: too little milk, not too few feeds.
    day = [feed(25, f"2026-11-23T{hour:02d}:00:00+01:00") for hour in (0, 3, 6, 9, 12, 15, 18, 21)]
    await upload(wclient, nurse, ward.patient, weight(2000, measured_at="2026-11-23T08:00:00+01:00"), *day)
    assert await one.sweep() == 0  # the day is not over

    wclock.now = datetime(2026, 11, 23, 23, 20, tzinfo=UTC)  # 00:20: a phone may still sync the evening
    assert await one.sweep() == 0
    wclock.now = datetime(2026, 11, 23, 23, 40, tzinfo=UTC)
    assert sorted(await asyncio.gather(one.sweep(), two.sweep())) == [0, 1]
    [alert] = await alerts_of(wdb, ward.patient)  # the 22nd, monitored from 08:30 only, is not judged
    assert (alert["rule_code"], alert["severity"], alert["status"]) == ("infant_intake_very_low", "medium", "open")
    explanation = await wdb.fetchval("select explanation from alerts where id = $1", alert["id"])
    assert "200 mL in 8 feeds; plan 320 mL" in explanation
    assert len(await deliveries(wdb, str(alert["id"]))) == 1

    wclock.advance(hours=12)
    assert await one.sweep() == 0  # judged once


async def test_one_patient_that_cannot_be_swept_does_not_stop_the_others(
    wclient, hospital, make_worker, wdb, wclock, monkeypatch
):
    broken, fine = (
        await open_ward(wclient, hospital, None, nurses=1),
        await open_ward(wclient, hospital, None, nurses=1),
    )
    real = sweep.load_patient_rules

    async def failing_for_one(conn, patient_id, now):
        if str(patient_id) == broken.patient:
            raise ValueError("rules that no longer load")  # fault injection: a stand-in for any bug
        return await real(conn, patient_id, now)

    monkeypatch.setattr(sweep, "load_patient_rules", failing_for_one)
    wclock.advance(days=2)
    assert await (await make_worker()).sweep() == 1
    assert [a["rule_code"] for a in await alerts_of(wdb, fine.patient)] == ["weight_missing"]
    assert await alerts_of(wdb, broken.patient) == []
