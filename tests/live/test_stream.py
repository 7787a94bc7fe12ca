"""GET /alerts/stream: the dashboards hear of new and changed alerts of their units' patients,
committed, from any process, with or without Redis."""

from __future__ import annotations

import asyncio
import socket
import uuid

import pytest
from litestar.testing import AsyncTestClient

from tests.alerts.support import acknowledge, alerts_of, resolve, temperature, upload
from tests.conftest import make_settings
from tests.helpers import API, Actor, World, app_client, expect, make_clinician
from tests.live.support import STREAM, EventStream


async def settle(client: AsyncTestClient, world: World, patient_id: str) -> None:
    """No unresolved alert left for the patient, so that the next breach opens a new one."""
    for alert in await alerts_of(client, world.clin_u1, patient_id):
        await resolve(client, world.clin_u1, alert["id"])


async def contact_p2(client: AsyncTestClient, world: World) -> None:
    response = await client.post(
        f"{API}/patients/{world.p2}/contact-requests", json={"message": "Ring meg"}, headers=world.patient_p2.headers
    )
    await expect(response, 201)


async def test_a_breach_reaches_the_unit_and_nobody_else_then_its_acknowledgement(client, world, db):
    await settle(client, world, world.twin_a)
    async with EventStream(client, world.clin_u1) as u1, EventStream(client, world.clin_u2) as u2:
        assert u1.status == 200 and u1.response_headers["content-type"].startswith("text/event-stream")
        last_log_id = await db.fetchval("select coalesce(max(id), 0) from access_log")
        uploaded = await upload(client, world.guardian, world.twin_a, temperature(38.9))
        [raised] = uploaded["alerts"]

        name, event = await u1.next_event()
        assert name == "alert"
        assert event["id"] == raised["id"] and event["patient_id"] == world.twin_a
        assert event["status"] == "open" and event["occurrences"] == 1
        assert {"rule", "severity", "title", "raised_at", "last_seen_at", "reach"} <= event.keys()
        logged = await db.fetch(
            "select patient_id, resource, action, outcome from access_log where id > $1 and actor_id = $2",
            last_log_id,
            uuid.UUID(world.clin_u1.id),
        )
        assert [tuple(map(str, row.values())) for row in logged] == [(world.twin_a, "alerts", "read", "allowed")]

        # U2's stream was offered the same fan-out: its next event is its own patient's.
        await contact_p2(client, world)
        name, event = await u2.next_event()
        assert event["patient_id"] == world.p2

        await acknowledge(client, world.clin_u1, raised["id"])
        name, event = await u1.next_event()
        assert (name, event["id"], event["status"]) == ("alert", raised["id"], "acknowledged")
        assert event["acknowledged_at"] is not None
        await acknowledge(client, world.clin_u1, raised["id"])  # again: nothing changes, nothing sent
        await resolve(client, world.clin_u1, raised["id"])
        name, event = await u1.next_event()
        assert (event["id"], event["status"]) == (raised["id"], "resolved")


async def test_a_breach_uploaded_on_one_process_reaches_a_stream_on_another(
    database_url, redis_url, session_clock, world
):
    settings = make_settings(database_url, redis_url)
    async with app_client(settings, session_clock) as a, app_client(settings, session_clock) as b:
        await settle(a, world, world.twin_a)
        async with EventStream(b, world.clin_u1) as stream:
            [raised] = (await upload(a, world.guardian, world.twin_a, temperature(39.1)))["alerts"]
            name, event = await stream.next_event()
            assert (name, event["id"], event["status"]) == ("alert", raised["id"], "open")
            await acknowledge(a, world.clin_u1, raised["id"])
            name, event = await stream.next_event()
            assert (event["id"], event["status"]) == (raised["id"], "acknowledged")
        await resolve(a, world.clin_u1, raised["id"])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens here once the socket is closed


async def test_with_redis_down_uploads_alerts_and_the_stream_carry_on(database_url, session_clock, world):
    settings = make_settings(database_url, f"redis://127.0.0.1:{_closed_port()}/0")
    async with app_client(settings, session_clock) as client:
        await settle(client, world, world.twin_a)
        async with EventStream(client, world.clin_u1) as stream:
            async with asyncio.timeout(5):
                # The test client blocks the loop while the app answers: the yield lets a timeout
                # that expired meanwhile fire here.
                uploaded = await upload(client, world.guardian, world.twin_a, temperature(39.3))
                await asyncio.sleep(0)
            [raised] = uploaded["alerts"]
            assert raised["id"] in [alert["id"] for alert in await alerts_of(client, world.clin_u1, world.twin_a)]
            name, event = await stream.next_event()
            assert (name, event["id"]) == ("alert", raised["id"])
        await resolve(client, world.clin_u1, raised["id"])


async def test_a_reconnect_with_a_last_event_id_is_told_to_resync(client, world):
    async with EventStream(client, world.clin_u1, {"Last-Event-ID": "x"}) as stream:
        assert await stream.next_event() == ("resync", {})


async def test_once_answers_the_opening_and_ends(client, world):
    response = await client.get(STREAM, params={"once": "true"}, headers=world.clin_u1.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert ": heima alerts" in response.text


async def test_the_last_stream_to_close_stops_listening(client, world):
    actor: Actor = world.clin_u1
    async with EventStream(client, actor), EventStream(client, actor):
        hub = client.app.state.alert_hub
        assert hub.subscribers == 2
    async with asyncio.timeout(5):
        # The streams unwind on the app's loop after their calls are cancelled: wait for that.
        while hub.subscribers:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    assert hub._listener is None


async def _rows_in_name_since(db, actor: Actor, after_id: int) -> int:
    return await db.fetchval(
        "select count(*) from access_log where id > $1 and actor_id = $2", after_id, uuid.UUID(actor.id)
    )


async def _breach_seen_by_the_unit(client, world) -> None:
    """A breach of twin A that clin_u1's own stream receives: the fan-out ran for every stream."""
    await settle(client, world, world.twin_a)
    async with EventStream(client, world.clin_u1) as witness:
        [raised] = (await upload(client, world.guardian, world.twin_a, temperature(39.0)))["alerts"]
        name, event = await witness.next_event()
        assert (name, event["id"]) == ("alert", raised["id"])


async def test_logging_out_ends_the_stream_and_no_more_access_is_logged_in_her_name(client, world, db):
    nurse = await make_clinician(client, world.admin.headers, [world.unit_u1])
    async with EventStream(client, nurse) as stream:
        await expect(await client.post(f"{API}/auth/logout", headers=nurse.headers), 204)
        last_log_id = await db.fetchval("select coalesce(max(id), 0) from access_log")
        assert await stream.next_event() == ("end", {"reason": "signed-out"})
        await _breach_seen_by_the_unit(client, world)
        with pytest.raises(EOFError):
            await stream.next_event()
    assert await _rows_in_name_since(db, nurse, last_log_id) == 0


async def test_disabling_the_account_ends_its_streams(client, world, db):
    nurse = await make_clinician(client, world.admin.headers, [world.unit_u1])
    async with EventStream(client, nurse) as stream:
        await db.execute("update users set disabled_at = now() where id = $1", uuid.UUID(nurse.id))
        last_log_id = await db.fetchval("select coalesce(max(id), 0) from access_log")
        assert await stream.next_event() == ("end", {"reason": "signed-out"})
        await _breach_seen_by_the_unit(client, world)
    assert await _rows_in_name_since(db, nurse, last_log_id) == 0


async def test_a_change_of_units_ends_the_stream_so_that_it_follows_the_new_ones(client, world, db):
    nurse = await make_clinician(client, world.admin.headers, [world.unit_u1])
    async with EventStream(client, nurse) as stream:
        await db.execute(
            "delete from unit_memberships where user_id = $1 and unit_id = $2",
            uuid.UUID(nurse.id),
            uuid.UUID(world.unit_u1),
        )
        assert await stream.next_event() == ("end", {"reason": "units-changed"})


async def test_an_event_is_neither_sent_nor_logged_once_the_sign_in_is_over(client, world, db, settings):
    """Should the revocation's notice be missed, the event's own access-log row is refused."""
    nurse = await make_clinician(client, world.admin.headers, [world.unit_u1])
    async with EventStream(client, nurse) as stream:
        # Revoked without the notice (as if it had been lost): the trigger is bypassed.
        await db.execute("set session_replication_role = replica")
        try:
            await db.execute("update auth_sessions set revoked_at = now() where user_id = $1", uuid.UUID(nurse.id))
        finally:
            await db.execute("set session_replication_role = default")
        last_log_id = await db.fetchval("select coalesce(max(id), 0) from access_log")
        await settle(client, world, world.twin_a)
        await upload(client, world.guardian, world.twin_a, temperature(39.0))
        assert await stream.next_event() == ("end", {"reason": "signed-out"})
    assert await _rows_in_name_since(db, nurse, last_log_id) == 0
