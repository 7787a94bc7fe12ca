"""The units' notification policies drive the worker: who is told of which severity in and
outside staffed hours, the morning digest, repeats and escalation of medium alerts within their
bounds, alerts nobody could be told of, and the family told when their care team has seen it.

The frozen clock starts on Sunday 22 November 2026, 08:30 in Oslo: a unit staffed on weekdays is
closed then, and opens on Monday at 08:00 (07:00 UTC)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.alerts.support import acknowledge, temperature, upload
from tests.helpers import API, START, Actor, activate, activation_code, expect, make_clinician, me
from tests.worker.support import Ward, deliveries, events, fever, ids, open_ward, payloads, received_by, subscribe

MONDAY_OPENING = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def policy(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"reason": "Natt: bare vakthavende for det som haster", "contact_within_hours": 2}
    body.update(changes)
    return body


async def set_policy(wclient, ward: Ward, body: dict[str, Any], actor: Actor | None = None) -> dict[str, Any]:
    response = await wclient.put(
        f"{API}/units/{ward.unit_id}/notification-policy", json=body, headers=(actor or ward.nurses[0]).headers
    )
    return await expect(response, 200)


WEEKDAYS = {"start": "08:00", "end": "22:00", "days": [1, 2, 3, 4, 5]}


async def cold(wclient, ward: Ward, celsius: float) -> dict[str, Any]:
    """Upload an infant temperature below 36.5 (low) or 36.0 (medium); the alert."""
    [alert] = (await upload(wclient, ward.nurses[0], ward.patient, temperature(celsius)))["alerts"]
    return alert


async def test_outside_staffed_hours_medium_goes_to_the_on_call_nurse_and_high_to_everyone_at_once(
    wclient, hospital, stand_in, make_worker, wdb
):
    ward = await open_ward(wclient, hospital, stand_in, nurses=3)
    on_call = ward.nurses[2]
    await set_policy(
        wclient,
        ward,
        policy(
            staffed=WEEKDAYS,
            on_call=[on_call.id],
            out_of_hours={"high": {"who": "everyone"}, "medium": {"who": "on_call"}},
        ),
    )
    medium = await cold(wclient, ward, 35.8)
    assert medium["severity"] == "medium"
    high = await fever(wclient, ward)
    worker = await make_worker()
    await worker.run_once()
    assert {r["user_id"] for r in await deliveries(wdb, medium["id"])} == ids([on_call])
    # Quiet hours never delay a high alert: every nurse, now.
    rows = await deliveries(wdb, high)
    assert {r["user_id"] for r in rows} == ids(ward.nurses) and {r["status"] for r in rows} == {"sent"}
    assert len(received_by(stand_in, ward, on_call.id)) == 2
    assert len(received_by(stand_in, ward, ward.nurses[0].id)) == 1


async def test_in_staffed_hours_a_profession_gets_medium_alerts(wclient, hospital, stand_in, make_worker, wdb):
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    physician = await make_clinician(wclient, hospital.admin.headers, [ward.unit_id], profession="physician")
    await subscribe(wclient, ward, stand_in, physician)
    await set_policy(wclient, ward, policy(in_hours={"medium": {"who": "professions", "professions": ["physician"]}}))
    medium = await cold(wclient, ward, 35.8)
    await (await make_worker()).run_once()
    assert {r["user_id"] for r in await deliveries(wdb, medium["id"])} == ids([physician])


async def test_an_on_call_list_of_nobody_who_can_be_told_falls_back_to_everyone(
    wclient, hospital, stand_in, make_worker, wdb
):
    ward = await open_ward(wclient, hospital, stand_in, nurses=2)
    await set_policy(wclient, ward, policy(on_call=[ward.nurses[1].id], in_hours={"medium": {"who": "on_call"}}))
    await wdb.execute("update users set disabled_at = $2 where id = $1", uuid.UUID(ward.nurses[1].id), START)
    medium = await cold(wclient, ward, 35.8)
    assert {r["user_id"] for r in await deliveries(wdb, medium["id"])} == ids(ward.nurses[:1])


async def test_a_low_alert_outside_staffed_hours_waits_for_the_morning_digest(
    wclient, hospital, stand_in, make_worker, wdb, wclock
):
    ward = await open_ward(wclient, hospital, stand_in, nurses=2)
    await set_policy(wclient, ward, policy(staffed=WEEKDAYS))
    low = await cold(wclient, ward, 36.3)
    assert low["severity"] == "low"
    assert "Avdelingen svarer innen 2 timer mellom kl. 08.00 og kl. 22.00 på hverdager." in low["message"]["nb"]
    worker = await make_worker()
    await worker.run_once()
    assert stand_in.received == []
    rows = await deliveries(wdb, low["id"])
    assert {(r["status"], r["next_attempt_at"]) for r in rows} == {("pending", MONDAY_OPENING)}
    assert await wdb.fetchval("select alert_reach($1)", uuid.UUID(low["id"])) == "digest"

    wclock.now = MONDAY_OPENING - timedelta(seconds=1)
    await worker.run_once()
    assert stand_in.received == []
    wclock.advance(seconds=1)
    await worker.run_once()
    assert payloads(stand_in) == [{"type": "digest", "alerts": 1}] * 2
    assert {r["status"] for r in await deliveries(wdb, low["id"])} == {"sent"}
    assert await wdb.fetchval("select alert_reach($1)", uuid.UUID(low["id"])) == "delivered"


async def test_an_unacknowledged_medium_alert_repeats_every_15_minutes_and_escalates_after_an_hour(
    wclient, hospital, stand_in, make_worker, wdb, wclock
):
    ward = await open_ward(wclient, hospital, stand_in, nurses=2)
    await set_policy(wclient, ward, policy(on_call=[ward.nurses[0].id], in_hours={"medium": {"who": "on_call"}}))
    medium = await cold(wclient, ward, 35.8)
    worker = await make_worker()
    await worker.run_once()
    assert len(stand_in.received) == 1
    for _ in range(3):
        wclock.advance(seconds=15 * 60 - 1)
        assert (await worker.run_once()).repeated == []
        wclock.advance(seconds=1)
        [repeat] = (await worker.run_once()).repeated
        assert (repeat.severity, repeat.step, repeat.recipients) == ("medium", 0, 1)
    assert len(received_by(stand_in, ward, ward.nurses[0].id)) == 4
    wclock.advance(seconds=15 * 60)
    done = await worker.run_once()
    [step] = done.escalated
    assert (step.step, step.reason, step.recipients) == (1, "unacknowledged", 2)
    assert done.repeated == []
    assert len(received_by(stand_in, ward, ward.nurses[1].id)) == 1
    kinds = [e["kind"] for e in await events(wdb, medium["id"])]
    assert kinds == ["raise", "repeat", "repeat", "repeat", "escalate"]
    assert worker.metrics.registry.get_sample_value("heima_alert_repeats_total", {"severity": "medium"}) == 3


async def test_the_units_repeat_interval_is_kept_and_bounded(wclient, hospital, stand_in, make_worker, wclock):
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    for minutes, status in ((14, 422), (241, 422)):
        body = policy(medium={"repeat_minutes": minutes, "escalate_after_minutes": 240})
        response = await wclient.put(
            f"{API}/units/{ward.unit_id}/notification-policy", json=body, headers=ward.nurses[0].headers
        )
        assert (await expect(response, status))["errors"][0]["field"] == "medium.repeat_minutes"
    await set_policy(wclient, ward, policy(medium={"repeat_minutes": 240, "escalate_after_minutes": 240}))
    await cold(wclient, ward, 35.8)
    worker = await make_worker()
    await worker.run_once()
    wclock.advance(seconds=4 * 3600 - 1)
    assert (await worker.run_once()).repeated == []
    wclock.advance(seconds=1)
    done = await worker.run_once()
    assert len(done.escalated) == 1  # four hours are both timers: the wider circle is told
    assert len(stand_in.received) == 2


async def test_acknowledging_stops_the_repeats_and_tells_the_family(
    wclient, hospital, stand_in, make_worker, wdb, wclock
):
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    guardian = await _guardian(wclient, ward)
    parent_phone = await subscribe(wclient, ward, stand_in, guardian)
    medium = await cold(wclient, ward, 35.8)
    worker = await make_worker()
    await worker.run_once()
    await acknowledge(wclient, ward.nurses[0], medium["id"])
    await worker.run_once()
    [told] = [r for r in stand_in.received if stand_in.browsers.get(r.path) is parent_phone]
    assert told.plaintext is not None and told.plaintext == f'{{"type":"seen","alert_id":"{medium["id"]}"}}'.encode()
    wclock.advance(seconds=3600)
    assert (await worker.run_once()).repeated == []
    assert [e["kind"] for e in await events(wdb, medium["id"])] == ["raise", "acknowledge"]


async def test_a_family_that_turned_it_off_is_not_told(wclient, hospital, stand_in, make_worker):
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    guardian = await _guardian(wclient, ward)
    await subscribe(wclient, ward, stand_in, guardian)
    response = await wclient.put(f"{API}/me/notification-settings", json={"seen": False}, headers=guardian.headers)
    assert await expect(response, 200) == {"seen": False, "handled": True, "reminder": True, "meeting": True}
    medium = await cold(wclient, ward, 35.8)
    await acknowledge(wclient, ward.nurses[0], medium["id"])
    await (await make_worker()).run_once()
    assert received_by(stand_in, ward, guardian.id) == []


async def test_a_handled_contact_request_is_pushed_to_the_family(wclient, hospital, stand_in, make_worker):
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    guardian = await _guardian(wclient, ward)
    await subscribe(wclient, ward, stand_in, guardian)
    url = f"{API}/patients/{ward.patient}/contact-requests"
    request = await expect(await wclient.post(url, json={"message": "Ring oss"}, headers=guardian.headers), 201)
    await expect(await wclient.post(f"{url}/{request['id']}/handle", headers=ward.nurses[0].headers), 200)
    await (await make_worker()).run_once()
    [told] = received_by(stand_in, ward, guardian.id)
    assert told.plaintext == f'{{"type":"handled","contact_request_id":"{request["id"]}"}}'.encode()


async def test_the_family_hears_seen_and_handled_though_handling_resolves_the_alert(
    wclient, hospital, stand_in, make_worker
):
    """Acknowledging the contact request's alert tells the family "seen"; handling the request
    then resolves that alert before the worker ran. Resolving stops the clinicians' pushes only:
    the family still hears both."""
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    guardian = await _guardian(wclient, ward)
    await subscribe(wclient, ward, stand_in, guardian)
    url = f"{API}/patients/{ward.patient}/contact-requests"
    request = await expect(await wclient.post(url, json={"message": "Ring oss"}, headers=guardian.headers), 201)
    response = await wclient.get(f"{API}/alerts", params={"patient_id": ward.patient}, headers=ward.nurses[0].headers)
    [alert] = (await expect(response, 200))["items"]
    await acknowledge(wclient, ward.nurses[0], alert["id"])
    await expect(await wclient.post(f"{url}/{request['id']}/handle", headers=ward.nurses[0].headers), 200)
    await (await make_worker()).run_once()
    assert {r.plaintext for r in received_by(stand_in, ward, guardian.id)} == {
        f'{{"type":"seen","alert_id":"{alert["id"]}"}}'.encode(),
        f'{{"type":"handled","contact_request_id":"{request["id"]}"}}'.encode(),
    }


async def test_when_nobody_can_be_told_the_worklist_and_metrics_say_so(wclient, hospital, stand_in, make_worker, wdb):
    ward = await open_ward(wclient, hospital, None, nurses=1)  # nobody has a phone
    medium = await cold(wclient, ward, 35.8)
    worker = await make_worker()
    for _ in range(3):  # step 0, then at once the unit, then the physicians: nobody anywhere
        await worker.run_once()
    response = await wclient.get(f"{API}/alerts", params={"unit_id": ward.unit_id}, headers=ward.nurses[0].headers)
    [alert] = (await expect(response, 200))["items"]
    assert (alert["id"], alert["reach"]) == (medium["id"], "unreachable")
    assert worker.metrics.registry.get_sample_value("heima_alerts_unreachable") >= 1


async def _guardian(wclient, ward: Ward) -> Actor:
    tokens = await activate(wclient, await activation_code(wclient, ward.nurses[0], ward.patient, "guardian"))
    guardian = Actor("guardian", "guardian", tokens["access_token"])
    guardian.id = (await me(wclient, guardian))["id"]
    return guardian
