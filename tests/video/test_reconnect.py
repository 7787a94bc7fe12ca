"""A dropped socket keeps its place for the grace period; a process that stops vouching for its
sockets loses them. The clock is moved and the hub's sweep and heartbeat run on demand."""

from __future__ import annotations

import asyncio
import time

from tests.video.conftest import GRACE_SECONDS, HEARTBEAT_SECONDS
from tests.video.support import connect, plan_meeting
from video import rooms


async def admitted_pair(http, world, clock):
    meeting = await plan_meeting(http, world.clin_u1, world.twin_a, clock.now)
    host, host_welcome = await connect(http, world.clin_u1, meeting["id"], "host")
    guest, guest_welcome = await connect(http, world.guardian, meeting["id"], "guardian")
    await host.expect("waiting")
    await host.send({"type": "admit", "peer_id": guest_welcome["peer_id"]})
    await guest.expect("admitted")
    await host.expect("peer-joined")
    return meeting, host, host_welcome["peer_id"], guest, guest_welcome["peer_id"]


async def test_a_socket_back_within_the_grace_keeps_its_place_without_a_left(http, world, clock, video_server):
    hub = video_server.hub
    async with asyncio.timeout(30):
        meeting, host, host_id, guest, guest_id = await admitted_pair(http, world, clock)
        guest.drop()  # no closing handshake: the network went away
        started = time.monotonic()
        clock.advance(seconds=GRACE_SECONDS - 0.5)
        await hub.tick()  # a sweep within the grace takes nobody out

        guest, welcome = await connect(http, world.guardian, meeting["id"], "guardian again")
        assert time.monotonic() - started < 5
        assert welcome["peer_id"] == guest_id
        assert welcome["state"] == "joined" and welcome["resumed"] is True
        assert [p["peer_id"] for p in welcome["peers"]] == [host_id]
        clock.advance(seconds=GRACE_SECONDS)
        await hub.tick()

        # The host saw no "left" (nor a second "joined"): the next frame it gets is the offer.
        await guest.send({"type": "offer", "to": host_id, "sdp": "v=0 resumed"})
        assert await host.expect("offer") == {"type": "offer", "from": guest_id, "sdp": "v=0 resumed"}
        await host.send({"type": "answer", "to": guest_id, "sdp": "v=0 answer"})
        assert (await guest.expect("answer"))["sdp"] == "v=0 answer"

        # Dropped for longer than the grace: now the others are told.
        guest.drop()
        await asyncio.sleep(0.05)  # let the server notice the dropped TCP connection
        await wait_for_gone(hub, meeting["id"], guest_id)
        clock.advance(seconds=GRACE_SECONDS + 0.1)
        await hub.sweep()
        assert (await host.expect("peer-left"))["peer_id"] == guest_id
        await host.close()


async def wait_for_gone(hub, meeting_id: str, peer_id: str) -> None:
    while True:
        room = await hub.store.change(meeting_id, lambda room: dict(room))
        if room[peer_id].gone is not None:
            return
        await asyncio.sleep(0.02)


async def test_a_second_socket_of_the_same_sign_in_takes_over(http, world, clock):
    async with asyncio.timeout(20):
        meeting, host, host_id, guest, guest_id = await admitted_pair(http, world, clock)
        second, welcome = await connect(http, world.guardian, meeting["id"], "second tab")
        assert welcome["resumed"] is True and welcome["peer_id"] == guest_id
        taken = await guest.expect("error")
        assert taken["title"] == "Taken over"
        assert await guest.closed() == 4000
        # The place is intact: no "left" to the host, and the new socket relays.
        await second.send({"type": "offer", "to": host_id, "sdp": "v=0 second"})
        assert (await host.expect("offer"))["sdp"] == "v=0 second"
        await host.close()
        await second.close()


async def test_peers_of_a_process_that_stopped_beating_are_swept_out(http, world, clock, video_server):
    """Another process held a peer and died: nobody refreshes it, and after three heartbeats the
    live processes take it out and tell the room."""
    hub = video_server.hub
    async with asyncio.timeout(20):
        meeting = await plan_meeting(http, world.clin_u1, world.twin_a, clock.now)
        host, host_welcome = await connect(http, world.clin_u1, meeting["id"], "host")
        ghost = rooms.Peer(
            peer_id="00000000-0000-4000-8000-00000000dead",
            user_id=world.clin_u2.id or "",
            display_name="Ghost",
            role="host",
            state="joined",
            conn="gone-process",
            seen=clock.now.timestamp(),
        )
        await hub.store.change(meeting["id"], lambda room: room.__setitem__(ghost.peer_id, ghost))
        clock.advance(seconds=HEARTBEAT_SECONDS)
        await hub.tick()
        # Our own socket is vouched for; the ghost is not yet old enough.
        room = await hub.store.change(meeting["id"], lambda room: dict(room))
        assert set(room) == {host_welcome["peer_id"], ghost.peer_id}
        clock.advance(seconds=2 * HEARTBEAT_SECONDS)
        await hub.tick()
        assert (await host.expect("peer-left"))["peer_id"] == ghost.peer_id
        room = await hub.store.change(meeting["id"], lambda room: dict(room))
        assert set(room) == {host_welcome["peer_id"]}
        await host.close()


async def test_single_process_without_redis_signals_in_memory(database_url, world, session_clock):
    """The embedded mode has no Redis: rooms and channels live in the one process."""
    from backend.app import create_app
    from tests.conftest import make_settings
    from tests.video.support import InProcessServer, http_client

    settings = make_settings(database_url, None)
    server = InProcessServer(create_app(settings, clock=session_clock, configure_logs=False))
    await server.start()
    try:
        async with http_client(server.base) as http, asyncio.timeout(20):
            meeting = await plan_meeting(http, world.clin_u1, world.twin_a, session_clock.now)
            host, host_welcome = await connect(http, world.clin_u1, meeting["id"], "host")
            guest, guest_welcome = await connect(http, world.guardian, meeting["id"], "guardian")
            assert isinstance(server.hub.store, rooms.MemoryRoomStore)
            await host.expect("waiting")
            await host.send({"type": "admit", "peer_id": guest_welcome["peer_id"]})
            await guest.expect("admitted")
            await host.expect("peer-joined")
            await guest.send({"type": "offer", "to": host_welcome["peer_id"], "sdp": "v=0"})
            assert (await host.expect("offer"))["from"] == guest_welcome["peer_id"]
            await host.close()
            await guest.close()
    finally:
        await server.stop()


async def test_sockets_arriving_at_once_on_a_fresh_process_all_get_their_frames(
    http, world, database_url, redis_url, session_clock, video_server
):
    """Many sockets subscribing at once in a process that has not subscribed yet: every one of
    them receives what a peer on another process sends it (redis-py's PubSub used to make one
    connection per concurrent first subscriber, and all but one went unread)."""
    from backend.app import create_app
    from tests.conftest import make_settings
    from tests.helpers import login, make_clinician
    from tests.video.support import InProcessServer, Signal, http_client, join

    clinician = await make_clinician(http, world.admin.headers, [world.unit_u1])
    pairs = 12
    meetings = [await plan_meeting(http, clinician, world.twin_a, session_clock.now) for _ in range(pairs)]
    fresh = InProcessServer(
        create_app(make_settings(database_url, redis_url), clock=session_clock, configure_logs=False)
    )
    await fresh.start()
    try:
        async with http_client(fresh.base) as http_b, asyncio.timeout(30):
            tickets = []
            for meeting in meetings:
                clinician.token = (await login(http, clinician.name))["access_token"]
                first = await join(http, clinician, meeting["id"])
                clinician.token = (await login(http, clinician.name))["access_token"]
                tickets.append((first, await join(http_b, clinician, meeting["id"])))
            senders = [await Signal.open(a["signalling_url"]) for a, _ in tickets]
            for sender in senders:
                await sender.expect("welcome")
            receivers = await asyncio.gather(*(Signal.open(b["signalling_url"]) for _, b in tickets))
            for receiver in receivers:
                await receiver.expect("welcome")
            for sender in senders:
                await sender.expect("peer-joined")
            for sender, (_, b) in zip(senders, tickets, strict=True):
                await sender.send({"type": "offer", "to": b["peer_id"], "sdp": "v=0"})
            for receiver in receivers:
                assert (await receiver.expect("offer"))["sdp"] == "v=0"
            for signal in (*senders, *receivers):
                await signal.close()
    finally:
        await fresh.stop()
