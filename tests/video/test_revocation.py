"""A signalling socket lasts only as long as the sign-in that got its ticket (finding: a meeting
socket kept relaying after logout): the hub's heartbeat re-checks every socket it holds."""

from __future__ import annotations

import asyncio
import uuid

from tests.helpers import API, expect, make_clinician
from tests.video.support import connect, plan_meeting


async def _meeting_with_guest(http, world, clock, host):
    meeting = await plan_meeting(http, host, world.twin_a, clock.now)
    host_signal, _ = await connect(http, host, meeting["id"], "host")
    guest, _ = await connect(http, world.guardian, meeting["id"], "guardian")
    waiting = await host_signal.expect("waiting")
    await host_signal.send({"type": "admit", "peer_id": waiting["peer"]["peer_id"]})
    admitted = await guest.expect("admitted")
    await host_signal.expect("peer-joined")
    return host_signal, guest, admitted["peers"][0]["peer_id"]


async def test_logging_out_closes_the_meeting_socket_with_4401_and_the_others_see_it_leave(
    http, world, clock, video_server
):
    nurse = await make_clinician(http, world.admin.headers, [world.unit_u1])
    async with asyncio.timeout(30):
        host, guest, host_peer = await _meeting_with_guest(http, world, clock, nurse)
        await expect(await http.post(f"{API}/auth/logout", headers=nurse.headers), 204)
        await video_server.hub.tick()
        told = await host.expect("error")
        assert told["title"] == "Signed out"
        assert await host.closed() == 4401
        assert (await guest.expect("peer-left"))["peer_id"] == host_peer
        # Nothing of hers is relayed any more: the guest can no longer address her.
        await guest.send({"type": "offer", "to": host_peer, "sdp": "v=0"})
        assert (await guest.expect("error"))["title"] == "No such peer"
        await guest.close()


async def test_a_disabled_account_is_closed_with_4401(http, world, clock, video_server, db):
    nurse = await make_clinician(http, world.admin.headers, [world.unit_u1])
    async with asyncio.timeout(30):
        host, guest, host_peer = await _meeting_with_guest(http, world, clock, nurse)
        await db.execute("update users set disabled_at = now() where id = $1", uuid.UUID(nurse.id))
        await video_server.hub.tick()
        assert (await host.expect("error"))["title"] == "Signed out"
        assert await host.closed() == 4401
        assert (await guest.expect("peer-left"))["peer_id"] == host_peer
        await guest.close()


async def test_a_socket_still_signed_in_is_left_alone(http, world, clock, video_server):
    nurse = await make_clinician(http, world.admin.headers, [world.unit_u1])
    async with asyncio.timeout(30):
        host, guest, host_peer = await _meeting_with_guest(http, world, clock, nurse)
        await video_server.hub.tick()
        await guest.send({"type": "offer", "to": host_peer, "sdp": "v=0 still here"})
        assert (await host.expect("offer"))["sdp"] == "v=0 still here"
        await host.close()
        await guest.close()
