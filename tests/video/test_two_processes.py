"""Two real WebRTC peers, each signalling through its own `heima serve` process: the room lives in
Redis and the frames cross between the processes through Redis pub/sub."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from urllib.parse import urlsplit

from tests.conftest import SECRET_KEY
from tests.helpers import build_world
from tests.video.rtc import MeshPeer
from tests.video.support import Signal, Subprocesses, http_client, join, plan_meeting, serve_env


async def test_two_aiortc_peers_on_two_processes_connect_and_talk(two_servers, database_url, settings):
    base_a, base_b = two_servers.bases
    async with http_client(base_a) as http_a, http_client(base_b) as http_b:
        # These processes run on the system clock: the world is made through their API.
        world = await build_world(http_a, database_url, settings)
        meeting = await plan_meeting(http_a, world.clin_u1, world.twin_a, datetime.now(UTC))
        host_ticket = await join(http_a, world.clin_u1, meeting["id"])
        guest_ticket = await join(http_b, world.guardian, meeting["id"])
        assert urlsplit(host_ticket["signalling_url"]).port == urlsplit(base_a).port
        assert urlsplit(guest_ticket["signalling_url"]).port == urlsplit(base_b).port

        async with asyncio.timeout(40):
            host_signal = await Signal.open(host_ticket["signalling_url"], "host")
            host_welcome = await host_signal.expect("welcome")
            assert host_welcome["state"] == "joined" and host_welcome["role"] == "host"
            guest_signal = await Signal.open(guest_ticket["signalling_url"], "guardian")
            guest_welcome = await guest_signal.expect("welcome")
            assert guest_welcome["state"] == "waiting" and guest_welcome["peers"] == []

            waiting = await host_signal.expect("waiting")  # crossed from process B to A
            assert waiting["peer"]["peer_id"] == guest_ticket["peer_id"]
            host = MeshPeer(host_signal, host_ticket["peer_id"], "host")
            guest = MeshPeer(guest_signal, guest_ticket["peer_id"], "guardian")
            host.start(host_welcome)
            guest.start(guest_welcome)
            await host_signal.send({"type": "admit", "peer_id": guest_ticket["peer_id"]})
            try:
                await asyncio.gather(
                    host.wait_connected([guest_ticket["peer_id"]]),
                    guest.wait_connected([host_ticket["peer_id"]]),
                )
            finally:
                await host.close()
                await guest.close()

        assert host.received[guest_ticket["peer_id"]] == ["hello from guardian"]
        assert guest.received[host_ticket["peer_id"]] == ["hello from host"]
        assert [f["type"] for f in host.frames] == ["welcome", "peer-joined", "offer"]
        assert [f["type"] for f in guest.frames] == ["welcome", "admitted", "answer"]


async def test_peers_of_a_killed_process_leave_the_room_of_the_living(
    two_servers, database_url, redis_url, settings, tmp_path
):
    """A process dies without a word (SIGKILL): nobody vouches for its sockets any more, and after
    three missed heartbeats a live process takes them out and tells the room."""
    doomed = Subprocesses()
    env = serve_env(
        database_url,
        redis_url,
        SECRET_KEY,
        HEIMA_VIDEO_RECONNECT_GRACE_SECONDS="2",
        HEIMA_VIDEO_HEARTBEAT_SECONDS="1",
    )
    base_c = doomed.start(env, tmp_path)
    try:
        doomed.wait_ready()
        async with http_client(two_servers.bases[0]) as http_a, http_client(base_c) as http_c:
            world = await build_world(http_a, database_url, settings)
            meeting = await plan_meeting(http_a, world.clin_u1, world.twin_a, datetime.now(UTC))
            host_ticket = await join(http_a, world.clin_u1, meeting["id"])
            guest_ticket = await join(http_c, world.guardian, meeting["id"])
            async with asyncio.timeout(30):
                host = await Signal.open(host_ticket["signalling_url"], "host")
                await host.expect("welcome")
                guest = await Signal.open(guest_ticket["signalling_url"], "guardian")
                await guest.expect("welcome")
                await host.expect("waiting")
                await host.send({"type": "admit", "peer_id": guest_ticket["peer_id"]})
                await guest.expect("admitted")
                await host.expect("peer-joined")
                doomed.processes[0].kill()
                doomed.processes[0].wait(timeout=10)
                started = asyncio.get_running_loop().time()
                left = await host.expect("peer-left", within=15)
                assert left["peer_id"] == guest_ticket["peer_id"]
                # Three heartbeats of one second, a sweep tick, and the grace for a dropped socket.
                assert asyncio.get_running_loop().time() - started < 8
                await host.close()
    finally:
        doomed.stop()


async def test_frames_cross_processes_in_order_and_none_is_lost(two_servers, database_url, settings):
    base_a, base_b = two_servers.bases
    async with http_client(base_a) as http_a, http_client(base_b) as http_b:
        world = await build_world(http_a, database_url, settings)
        meeting = await plan_meeting(http_a, world.clin_u1, world.twin_a, datetime.now(UTC))
        host_ticket = await join(http_a, world.clin_u1, meeting["id"])
        guest_ticket = await join(http_b, world.guardian, meeting["id"])
        async with asyncio.timeout(30):
            host = await Signal.open(host_ticket["signalling_url"], "host")
            await host.expect("welcome")
            guest = await Signal.open(guest_ticket["signalling_url"], "guardian")
            await guest.expect("welcome")
            await host.expect("waiting")
            await host.send({"type": "admit", "peer_id": guest_ticket["peer_id"]})
            await guest.expect("admitted")
            await host.expect("peer-joined")
            count = 200  # a burst below the backlog (past it, a slow reader is closed: test_signalling)

            async def flood() -> None:
                for index in range(count):
                    await guest.send({"type": "ice", "to": host_ticket["peer_id"], "candidate": {"n": index}})

            sending = asyncio.create_task(flood())
            received = [(await host.expect("ice"))["candidate"]["n"] for _ in range(count)]
            await sending
            assert received == list(range(count))
            await host.close()
            await guest.close()
