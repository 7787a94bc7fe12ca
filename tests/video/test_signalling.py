"""The signalling protocol on one process (the in-process server, frozen clock): waiting room,
admit, remove, end, relaying, the mesh limit and hostile frames."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid

import websockets

from tests.helpers import API, expect, login, make_clinician
from tests.video.support import Signal, connect, join, plan_meeting


async def test_waiting_room_admit_relay_remove_and_end(http, world, clock):
    async with asyncio.timeout(30):
        meeting = await plan_meeting(http, world.clin_u1, world.twin_a, clock.now)
        host, host_welcome = await connect(http, world.clin_u1, meeting["id"], "host")
        assert host_welcome["state"] == "joined" and host_welcome["role"] == "host"
        assert host_welcome["peers"] == []

        guest, guest_welcome = await connect(http, world.guardian, meeting["id"], "guardian")
        assert guest_welcome["state"] == "waiting" and guest_welcome["role"] == "participant"
        assert guest_welcome["peers"] == []  # the waiting room does not show who is inside
        waiting = await host.expect("waiting")
        assert waiting["peer"] == {
            "peer_id": guest_welcome["peer_id"],
            "display_name": waiting["peer"]["display_name"],
            "role": "participant",
        }

        # Waiting: nothing to relay yet, and no host powers.
        await guest.send({"type": "offer", "to": host_welcome["peer_id"], "sdp": "v=0"})
        assert (await guest.expect("error"))["title"] == "Waiting"
        await guest.send({"type": "admit", "peer_id": guest_welcome["peer_id"]})
        assert (await guest.expect("error"))["title"] == "Hosts only"
        await host.send({"type": "admit", "peer_id": str(uuid.uuid4())})
        assert (await host.expect("error"))["title"] == "No such peer"

        await host.send({"type": "admit", "peer_id": guest_welcome["peer_id"]})
        admitted = await guest.expect("admitted")
        assert [p["peer_id"] for p in admitted["peers"]] == [host_welcome["peer_id"]]
        joined = await host.expect("peer-joined")
        assert joined["peer"]["peer_id"] == guest_welcome["peer_id"]

        # SDP and candidates pass untouched, with the sender named.
        sdp = "v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        await guest.send({"type": "offer", "to": host_welcome["peer_id"], "sdp": sdp})
        assert await host.expect("offer") == {"type": "offer", "from": guest_welcome["peer_id"], "sdp": sdp}
        await host.send({"type": "answer", "to": guest_welcome["peer_id"], "sdp": sdp})
        assert await guest.expect("answer") == {"type": "answer", "from": host_welcome["peer_id"], "sdp": sdp}
        # Odd spacing and number spelling survive: the candidate is passed on byte for byte.
        candidate = (
            '{"candidate":"candidate:1 1 udp 2 192.0.2.1 9 typ host","sdpMid":"0","sdpMLineIndex":0, "x" : [1.50]}'
        )
        await guest.send(f'{{"type":"ice","to":"{host_welcome["peer_id"]}","candidate":{candidate}}}')
        raw = await asyncio.wait_for(host.ws.recv(), 5)
        assert raw == f'{{"type":"ice","from":"{guest_welcome["peer_id"]}","candidate":{candidate}}}'
        await guest.send({"type": "ice", "to": host_welcome["peer_id"], "candidate": None})
        assert (await host.expect("ice"))["candidate"] is None

        # Only a host removes, and not another host.
        await guest.send({"type": "remove", "peer_id": host_welcome["peer_id"]})
        assert (await guest.expect("error"))["title"] == "Hosts only"
        await host.send({"type": "remove", "peer_id": host_welcome["peer_id"]})
        assert (await host.expect("error"))["detail"] == "A host cannot be removed."
        await host.send({"type": "remove", "peer_id": guest_welcome["peer_id"]})
        removed = await guest.expect("error")
        assert removed["title"] == "Removed"
        assert await guest.closed() == 4403
        assert (await host.expect("peer-left"))["peer_id"] == guest_welcome["peer_id"]

        # Removed means back to the waiting room, not banned.
        guest, again = await connect(http, world.guardian, meeting["id"], "guardian")
        assert again["state"] == "waiting" and again["peer_id"] == guest_welcome["peer_id"]
        assert (await host.expect("waiting"))["peer"]["peer_id"] == guest_welcome["peer_id"]

        await host.send({"type": "end"})
        assert await host.expect("ended") == {"type": "ended"}
        assert await guest.expect("ended") == {"type": "ended"}
        assert await host.closed() == 1000
        assert await guest.closed() == 1000
        response = await http.post(f"{API}/meetings/{meeting['id']}/join", headers=world.clin_u1.headers)
        assert (await expect(response, 409))["detail"] == "The meeting has ended."
        read = await expect(await http.get(f"{API}/meetings/{meeting['id']}", headers=world.guardian.headers), 200)
        assert read["ended_at"] is not None


async def test_leave_tells_the_others_at_once(http, world, clock):
    async with asyncio.timeout(20):
        meeting = await plan_meeting(http, world.clin_u1, world.twin_a, clock.now)
        host, _ = await connect(http, world.clin_u1, meeting["id"], "host")
        guest, guest_welcome = await connect(http, world.guardian, meeting["id"], "guardian")
        await host.expect("waiting")
        await host.send({"type": "admit", "peer_id": guest_welcome["peer_id"]})
        await guest.expect("admitted")
        await host.expect("peer-joined")
        await guest.send({"type": "leave"})
        assert await guest.closed() == 1000
        assert (await host.expect("peer-left"))["peer_id"] == guest_welcome["peer_id"]
        # Gone from the room: the host can no longer address it.
        await host.send({"type": "offer", "to": guest_welcome["peer_id"], "sdp": "v=0"})
        assert (await host.expect("error"))["title"] == "No such peer"
        await host.close()


async def test_malformed_and_hostile_frames_get_errors_and_the_room_keeps_working(http, world, clock, video_server):
    limit = video_server.app.state.settings.video_max_message_bytes
    async with asyncio.timeout(30):
        meeting = await plan_meeting(http, world.clin_u1, world.twin_a, clock.now)
        host, host_welcome = await connect(http, world.clin_u1, meeting["id"], "host")
        guest, guest_welcome = await connect(http, world.guardian, meeting["id"], "guardian")
        await host.expect("waiting")
        await host.send({"type": "admit", "peer_id": guest_welcome["peer_id"]})
        await guest.expect("admitted")
        await host.expect("peer-joined")
        to_host = host_welcome["peer_id"]
        deep = "[" * 5000 + "]" * 5000
        huge = "[" * 100_000 + "]" * 100_000
        hostile: list[tuple[str | bytes, str]] = [
            ("not json", "Malformed message"),
            ("{", "Malformed message"),
            ("[]", "Invalid message"),
            ("null", "Invalid message"),
            ('{"type":"hello"}', "Invalid message"),
            ('{"sdp":"v=0"}', "Invalid message"),
            ('{"type":"offer","to":"@HOST","sdp":"v=0","admin":true}', "Invalid message"),
            ('{"type":"offer","to":"@HOST","sdp":7}', "Invalid message"),
            ('{"type":"offer","to":"@HOST","sdp":""}', "Invalid message"),
            ('{"type":"offer","to":"not-a-peer","sdp":"v=0"}', "Invalid message"),
            ('{"type":"offer","to":"@STRANGER","sdp":"v=0"}', "No such peer"),
            ('{"type":"offer","to":"@SELF","sdp":"v=0"}', "No such peer"),
            ('{"type":"ice","to":"@HOST"}', "Invalid message"),
            ('{"type":"ice","to":"@HOST","candidate":@HUGE}', "Message too large"),
            ('{"type":"ice","to":"@HOST","candidate":@DEEP}', "Malformed message"),
            ('{"type":"ice","to":"@HOST","candidate":"@BIGCANDIDATE"}', "Invalid message"),  # over 2 KiB
            ('{"type":"offer","to":"@HOST","sdp":"@BIGSDP"}', "Invalid message"),  # over 32 KiB
            ('{"type":"offer","to":"@HOST","sdp":"@LONG"}', "Message too large"),
            ('{"type":"offer","to":"@HOST","sdp":"@WIDE"}', "Message too large"),  # few chars, many bytes
            (b"\x00\x01binary", "Malformed message"),
            ('{"type":"end"}', "Hosts only"),
            ('{"type":"remove","peer_id":"@HOST"}', "Hosts only"),
        ]
        values = {
            "@HOST": to_host,
            "@STRANGER": str(uuid.uuid4()),
            "@SELF": guest_welcome["peer_id"],
            "@HUGE": huge,
            "@DEEP": deep,
            "@LONG": "a" * (limit + 1),
            "@WIDE": "ø" * (limit // 2 + 1),
            "@BIGCANDIDATE": "candidate:1 1 udp 2 192.0.2.1 9 typ host " + "x" * 2048,
            "@BIGSDP": "v=0 " + "x" * 32 * 1024,
        }
        for template, title in hostile:
            frame = template
            if isinstance(frame, str):
                for mark, value in values.items():
                    frame = frame.replace(mark, value)
            await guest.send(frame)
            answer = await guest.expect("error")
            assert answer["title"] == title, (template, answer)
            assert answer["detail"]
        # Nothing reached the host, and the room still relays.
        await guest.send({"type": "offer", "to": to_host, "sdp": "v=0 after"})
        assert await host.expect("offer") == {"type": "offer", "from": guest_welcome["peer_id"], "sdp": "v=0 after"}
        await host.close()
        await guest.close()


async def test_a_mesh_holds_six_and_the_seventh_is_refused(http, world, clock):
    clinician = await make_clinician(http, world.admin.headers, [world.unit_u1])
    meeting = await plan_meeting(http, clinician, world.twin_a, clock.now)
    sockets: list[Signal] = []
    async with asyncio.timeout(30):
        for index in range(7):
            # Every sign-in (session) of the same clinician is a peer of its own.
            clinician.token = (await login(http, clinician.name))["access_token"]
            ticket = await join(http, clinician, meeting["id"])
            signal = await Signal.open(ticket["signalling_url"], f"seat {index}")
            sockets.append(signal)
            if index < 6:
                welcome = await signal.expect("welcome")
                assert len(welcome["peers"]) == index
        refused = await sockets[6].expect("error")
        assert refused["title"] == "Meeting full"
        assert "6" in refused["detail"]
        assert await sockets[6].closed() == 4409
        for signal in sockets[:6]:
            await signal.close()


async def _admitted_pair(http, world, clock):
    meeting = await plan_meeting(http, world.clin_u1, world.twin_a, clock.now)
    host, host_welcome = await connect(http, world.clin_u1, meeting["id"], "host")
    guest, guest_welcome = await connect(http, world.guardian, meeting["id"], "guardian")
    await host.expect("waiting")
    await host.send({"type": "admit", "peer_id": guest_welcome["peer_id"]})
    await guest.expect("admitted")
    await host.expect("peer-joined")
    return meeting, host, host_welcome["peer_id"], guest


async def _flood(guest: Signal, to: str, frames: int) -> None:
    """Offers of ~30 KB as fast as the socket takes them, until sent or the server closes it."""
    sdp = "v=0 " + "x" * 30_000
    with contextlib.suppress(websockets.ConnectionClosed):
        for index in range(frames):
            await guest.send({"type": "offer", "to": to, "sdp": f"{index} {sdp}"})


async def _offers_then_alive(host: Signal) -> list[int]:
    """What the host got of the flood (the offers' indexes), read until the answer to a probe that
    only an open socket gives."""
    await host.send({"type": "admit", "peer_id": str(uuid.uuid4())})
    indexes: list[int] = []
    while True:
        frame = json.loads(await asyncio.wait_for(host.ws.recv(), 10))
        if frame["type"] == "error":
            assert frame["title"] == "No such peer"
            return indexes
        assert frame["type"] == "offer"
        indexes.append(int(frame["sdp"].split(" ")[0]))


async def test_a_peer_flooding_another_is_closed_and_the_reader_is_not(http, world, clock):
    """Sending faster than signalling allows closes the sender (4429, it may resume); the peer it
    flooded, reading all along, keeps its socket."""
    async with asyncio.timeout(60):
        _, host, host_peer, guest = await _admitted_pair(http, world, clock)
        await _flood(guest, host_peer, 400)  # ~12 MB, many times the budget
        told = await guest.expect("error")
        assert told["title"] == "Too many messages"
        assert await guest.closed() == 4429
        received = await _offers_then_alive(host)
        assert received == list(range(len(received))) and 0 < len(received) < 400
        assert host.ws.close_code is None
        await host.close()


async def test_a_sender_that_fills_a_peers_backlog_is_closed_never_the_peer(
    database_url, redis_url, session_clock, world
):
    """Even within its budget (raised here), a sender whose frames pile up at a peer that is not
    reading is the one closed: the peer keeps its socket and reads on when it can."""
    from backend.app import create_app
    from tests.conftest import make_settings
    from tests.video.support import InProcessServer, http_client

    settings = make_settings(
        database_url, redis_url, video_sender_frames_per_second=100_000, video_sender_bytes_per_second=1 << 30
    )
    server = InProcessServer(create_app(settings, clock=session_clock, configure_logs=False))
    await server.start()
    try:
        async with asyncio.timeout(90), http_client(server.base) as http:
            meeting, host, host_peer, guest = await _admitted_pair(http, world, session_clock)
            await _flood(guest, host_peer, 800)  # ~24 MB the host does not read while it is sent
            told = await guest.expect("error", within=20)
            assert told["title"] == "Too many messages"
            assert await guest.closed(within=20) == 4429
            received = await _offers_then_alive(host)
            assert received == sorted(received) and received[:1] == [0]
            assert host.ws.close_code is None
            # 4429: the sender's place was kept, so it resumes.
            again, welcome = await connect(http, world.guardian, meeting["id"], "guardian again")
            assert welcome["resumed"] is True
            await again.close()
            await host.close()
    finally:
        await server.stop()
