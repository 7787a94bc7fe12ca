"""Escalation: a high alert nobody acknowledges is pushed again to the unit, then to the
physicians of the organisation too, then again to them every repeat interval; each step and
repeat an event; none after acknowledgement."""

from __future__ import annotations

import asyncio
import uuid

from tests.alerts.support import acknowledge
from tests.helpers import API, expect, make_clinician
from tests.worker.support import (
    deliveries,
    events,
    fever,
    ids,
    new_unit,
    open_ward,
    received_by,
    subscribe,
)

AFTER = 900  # escalation_after_seconds in this suite's settings


async def staffed_ward(wclient, hospital, stand_in, subscribed: bool = True):
    """A ward with two nurses; in another unit of the same hospital a physician and a nurse; in
    another hospital a physician. All with a phone on the stand-in (the ward's nurses only when
    `subscribed`)."""
    ward = await open_ward(wclient, hospital, stand_in if subscribed else None, nurses=2)
    other_unit = await new_unit(wclient, hospital, ward.organisation_id)
    physician = await make_clinician(wclient, hospital.admin.headers, [other_unit], profession="physician")
    other_nurse = await make_clinician(wclient, hospital.admin.headers, [other_unit])
    elsewhere = await open_ward(wclient, hospital, None, nurses=1)
    stranger = await make_clinician(wclient, hospital.admin.headers, [elsewhere.unit_id], profession="physician")
    for actor in (physician, other_nurse, stranger):
        await subscribe(wclient, ward, stand_in, actor)
    return ward, physician, other_nurse, stranger


def by_step(rows) -> dict[int, set[uuid.UUID]]:
    steps: dict[int, set[uuid.UUID]] = {}
    for row in rows:
        steps.setdefault(row["escalation_step"], set()).add(row["user_id"])
    return steps


async def test_unacknowledged_high_alert_goes_to_the_unit_again_then_to_the_physicians(
    wclient, hospital, stand_in, make_worker, wdb, wclock
):
    ward, physician, other_nurse, stranger = await staffed_ward(wclient, hospital, stand_in)
    alert_id = await fever(wclient, ward)
    worker = await make_worker()
    await worker.run_once()
    assert len(stand_in.received) == 2

    wclock.advance(seconds=AFTER - 1)
    assert (await worker.run_once()).escalated == []
    wclock.advance(seconds=1)
    [first] = (await worker.run_once()).escalated
    assert (first.step, first.reason, first.recipients) == (1, "unacknowledged", 2)
    assert by_step(await deliveries(wdb, alert_id)) == {0: ids(ward.nurses), 1: ids(ward.nurses)}
    assert len(stand_in.received) == 4

    wclock.advance(seconds=AFTER)
    [second] = (await worker.run_once()).escalated
    assert (second.step, second.recipients) == (2, 3)
    steps = by_step(await deliveries(wdb, alert_id))
    assert steps[2] == ids([*ward.nurses, physician])  # not the other unit's nurse, nor another hospital
    assert {row["status"] for row in await deliveries(wdb, alert_id)} == {"sent"}
    assert len(received_by(stand_in, ward, physician.id)) == 1
    assert received_by(stand_in, ward, other_nurse.id) == received_by(stand_in, ward, stranger.id) == []

    # The last step: no wider circle, but it keeps coming back to it until someone acknowledges.
    wclock.advance(seconds=AFTER - 1)
    assert (await worker.run_once()).repeated == []
    wclock.advance(seconds=1)
    done = await worker.run_once()
    assert done.escalated == [] and [(r.step, r.recipients) for r in done.repeated] == [(2, 3)]
    assert len(received_by(stand_in, ward, physician.id)) == 2
    history = await events(wdb, alert_id)
    assert [e["kind"] for e in history] == ["raise", "escalate", "escalate", "repeat"]
    assert [(e["actor_id"], e["severity"], e["details"]) for e in history[1:]] == [
        (None, "high", {"step": 1, "circle": "unit", "reason": "unacknowledged", "recipients": 2}),
        (None, "high", {"step": 2, "circle": "unit and physicians", "reason": "unacknowledged", "recipients": 3}),
        (None, "high", {"step": 2, "repeat": 1, "reason": "unacknowledged", "recipients": 3}),
    ]
    assert worker.metrics.registry.get_sample_value("heima_alert_escalations_total", {"step": "2"}) == 1


async def test_acknowledgement_stops_escalation(wclient, hospital, stand_in, make_worker, wdb, wclock):
    ward, *_ = await staffed_ward(wclient, hospital, stand_in)
    alert_id = await fever(wclient, ward)
    worker = await make_worker()
    await worker.run_once()
    await acknowledge(wclient, ward.nurses[1], alert_id)
    wclock.advance(seconds=AFTER * 3)
    assert (await worker.run_once()).escalated == []
    assert by_step(await deliveries(wdb, alert_id)) == {0: ids(ward.nurses)}
    assert [e["kind"] for e in await events(wdb, alert_id)] == ["raise", "acknowledge"]


async def test_acknowledged_after_a_step_cancels_its_pushes_and_the_next_step(
    wclient, hospital, stand_in, make_worker, wdb, wclock
):
    ward, *_ = await staffed_ward(wclient, hospital, stand_in)
    alert_id = await fever(wclient, ward)
    worker = await make_worker(escalation_after_seconds=60)  # within the nurse's sign-in
    await worker.run_once()
    wclock.advance(seconds=60)
    assert len(await worker.escalate()) == 1  # step 1 written, not yet sent …
    await acknowledge(wclient, ward.nurses[0], alert_id)  # … when a nurse takes it
    wclock.advance(seconds=60)
    done = await worker.run_once()
    assert done.escalated == [] and done.claimed == 0
    steps = {(r["escalation_step"], r["status"]) for r in await deliveries(wdb, alert_id)}
    assert steps == {(0, "sent"), (1, "cancelled")}
    assert len(stand_in.received) == 2


async def test_when_nobody_could_be_reached_it_escalates_at_once(wclient, hospital, stand_in, make_worker, wdb, wclock):
    ward, physician, *_ = await staffed_ward(wclient, hospital, stand_in, subscribed=False)
    alert_id = await fever(wclient, ward)
    worker = await make_worker()
    await worker.run_once()  # the ward's nurses have no phone: step 0 fails
    assert {r["status"] for r in await deliveries(wdb, alert_id)} == {"failed"}

    [first] = (await worker.run_once()).escalated  # same instant: no waiting for acknowledgement
    assert (first.step, first.reason) == (1, "undelivered")
    [second] = (await worker.run_once()).escalated
    assert (second.step, second.reason) == (2, "undelivered")
    assert [p.path for p in received_by(stand_in, ward, physician.id)] and len(stand_in.received) == 1


async def test_two_workers_take_each_step_once(wclient, hospital, stand_in, make_worker, wdb, wclock):
    ward, *_ = await staffed_ward(wclient, hospital, stand_in)
    alert_id = await fever(wclient, ward)
    one, two = await make_worker(), await make_worker()
    await one.run_once()
    wclock.advance(seconds=AFTER)
    both = await asyncio.gather(one.escalate(), two.escalate())
    assert sorted(len(done) for done in both) == [0, 1]
    assert by_step(await deliveries(wdb, alert_id))[1] == ids(ward.nurses)
    assert [e["kind"] for e in await events(wdb, alert_id)] == ["raise", "escalate"]


async def test_an_escalation_is_in_the_alerts_history(wclient, hospital, stand_in, make_worker, wclock):
    ward, *_ = await staffed_ward(wclient, hospital, stand_in)
    alert_id = await fever(wclient, ward)
    worker = await make_worker(escalation_after_seconds=60)  # within the nurse's sign-in
    await worker.run_once()
    wclock.advance(seconds=60)
    await worker.run_once()
    response = await wclient.get(f"{API}/alerts/{alert_id}/events", headers=ward.nurses[0].headers)
    items = (await expect(response, 200))["items"]
    assert [e["kind"] for e in items] == ["raise", "escalate"]
    escalation = items[1]
    assert (escalation["actor_id"], escalation["escalation_step"], escalation["escalated_to"]) == (None, 1, "unit")
    assert escalation["recipients"] == 2
