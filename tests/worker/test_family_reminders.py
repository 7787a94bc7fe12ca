"""The family is reminded of a registration that is due before it becomes missing data, and told
when a meeting is about to start; each kind can be turned off.

The frozen clock starts on Sunday 22 November 2026, 08:30 in Oslo, when the infant's monitoring
begins: the first daily weight is due on Monday the 23rd, the missing-data alert comes at the end
of that day (midnight, 23:00 UTC), and the reminder at three quarters of the day, 18:00 in Oslo."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.alerts.support import upload
from tests.helpers import API, Actor, expect, login
from tests.measurements.support import weight
from tests.video.support import plan_meeting
from tests.worker.support import Ward, family_member, open_ward, received_by, subscribe

REMINDER_AT = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 18:00 in Oslo
WEIGHT_DEADLINE = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)  # midnight in Oslo


def read(stand_in, ward: Ward, actor: Actor) -> list[dict]:
    return [json.loads(r.plaintext) for r in received_by(stand_in, ward, actor.id or "") if r.plaintext]


async def test_a_due_weight_is_reminded_once_before_it_is_missing(wclient, hospital, stand_in, make_worker, wclock):
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    guardian = await family_member(wclient, ward)
    await subscribe(wclient, ward, stand_in, guardian)
    one, two = await make_worker(), await make_worker()

    wclock.now = REMINDER_AT - timedelta(minutes=1)
    await one.run_once()
    assert read(stand_in, ward, guardian) == []

    wclock.now = REMINDER_AT
    await one.run_once()
    await two.run_once()
    assert read(stand_in, ward, guardian) == [{"type": "reminder", "patient_id": ward.patient}]
    assert received_by(stand_in, ward, ward.nurses[0].id or "") == []  # clinicians are not reminded

    # Once per gap: later sweeps that day do not remind again; at the deadline the alert comes.
    wclock.now = WEIGHT_DEADLINE - timedelta(minutes=1)
    assert (await one.run_once()).swept == 0
    wclock.now = WEIGHT_DEADLINE
    assert (await one.run_once()).swept == 1
    assert [p["type"] for p in read(stand_in, ward, guardian)] == ["reminder"]


async def test_a_weight_registered_in_time_starts_a_new_gap(wclient, hospital, stand_in, make_worker, wclock):
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    guardian = await family_member(wclient, ward)
    await subscribe(wclient, ward, stand_in, guardian)
    worker = await make_worker()
    wclock.now = REMINDER_AT - timedelta(hours=1)
    nurse = Actor(ward.nurses[0].name, "clinician", (await login(wclient, ward.nurses[0].name))["access_token"])
    await upload(wclient, nurse, ward.patient, weight(1700, measured_at=wclock.now.isoformat()))
    wclock.now = REMINDER_AT
    await worker.run_once()
    assert read(stand_in, ward, guardian) == []
    # The next weight is due on the 24th: its reminder at 18:00 that day.
    wclock.now = REMINDER_AT + timedelta(days=1)
    await worker.run_once()
    assert read(stand_in, ward, guardian) == [{"type": "reminder", "patient_id": ward.patient}]


async def test_a_family_that_turned_reminders_off_is_not_reminded(wclient, hospital, stand_in, make_worker, wclock):
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    guardian, other_parent = await family_member(wclient, ward), await family_member(wclient, ward)
    await subscribe(wclient, ward, stand_in, guardian)
    await subscribe(wclient, ward, stand_in, other_parent)
    response = await wclient.put(f"{API}/me/notification-settings", json={"reminder": False}, headers=guardian.headers)
    assert await expect(response, 200) == {"seen": True, "handled": True, "reminder": False, "meeting": True}
    wclock.now = REMINDER_AT
    await (await make_worker()).run_once()
    assert read(stand_in, ward, guardian) == []
    assert read(stand_in, ward, other_parent) == [{"type": "reminder", "patient_id": ward.patient}]


async def test_a_meeting_about_to_start_is_pushed_once_to_the_family_and_participants(
    wclient, hospital, stand_in, make_worker, wclock
):
    ward = await open_ward(wclient, hospital, stand_in, nurses=2)
    host, other = ward.nurses
    guardian, parent = await family_member(wclient, ward), await family_member(wclient, ward)
    await subscribe(wclient, ward, stand_in, guardian)
    await subscribe(wclient, ward, stand_in, parent)
    response = await wclient.put(f"{API}/me/notification-settings", json={"meeting": False}, headers=parent.headers)
    await expect(response, 200)
    starts = wclock.now + timedelta(hours=1)
    meeting = await plan_meeting(wclient, host, ward.patient, starts, participants=[{"user_id": other.id}])
    expected = [{"type": "meeting", "meeting_id": meeting["id"]}]
    one, two = await make_worker(), await make_worker()

    wclock.now = starts - timedelta(minutes=10, seconds=1)
    assert (await one.run_once()).meeting_pushes == 0
    wclock.now = starts - timedelta(minutes=10)
    done = [await one.run_once(), await two.run_once()]
    assert [d.meeting_pushes for d in done] == [3, 0]  # the guardian, the host and the participant
    wclock.now = starts + timedelta(minutes=1)
    assert (await one.run_once()).meeting_pushes == 0
    for actor in (guardian, host, other):
        assert read(stand_in, ward, actor) == expected
    assert read(stand_in, ward, parent) == []
