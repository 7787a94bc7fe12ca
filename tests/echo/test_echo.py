"""`POST /video/echo` with a real aiortc caller on this machine: real peers, as docs/reliability.md
("How the fault tests run") asks."""

from __future__ import annotations

import asyncio
import gc
import re
import uuid
import weakref

from aiortc import RTCConfiguration, RTCPeerConnection

from tests.echo.conftest import ECHO_MAX_SECONDS, ECHO_MAX_SESSIONS, close_all, sessions_of
from tests.echo.support import (
    LEFT,
    RIGHT,
    Caller,
    candidate_addresses,
    is_public,
    local_addresses,
    shows,
    wait_until,
)
from tests.helpers import API, expect

ECHO = f"{API}/video/echo"


async def offer_of(**tracks: str) -> str:
    """An offer with transceivers of the given directions (`video="recvonly"`), then closed."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        for kind, direction in tracks.items():
            if kind == "data":
                pc.createDataChannel("stats")
            else:
                pc.addTransceiver(kind.rstrip("2"), direction=direction)
        await pc.setLocalDescription(await pc.createOffer())
        return pc.localDescription.sdp
    finally:
        await pc.close()


async def test_the_echo_sends_the_callers_own_video_back(echo_client, world):
    sessions = sessions_of(echo_client)
    caller = Caller(audio=True)
    try:
        async with asyncio.timeout(15):
            response = await echo_client.post(
                ECHO, json={"type": "offer", "sdp": await caller.offer()}, headers=world.guardian.headers
            )
            answer = await expect(response, 200)
            assert answer["type"] == "answer"
            assert answer["max_seconds"] == ECHO_MAX_SECONDS
            # This app may name the machine's own addresses, and names nothing else.
            assert set(candidate_addresses(answer["sdp"])) <= set(local_addresses())
            assert candidate_addresses(answer["sdp"])
            await caller.accept(answer["sdp"])

            frame = await caller.first_video_frame_where(lambda f: shows(f, LEFT, RIGHT))
            assert (frame.width, frame.height) == (320, 240)
            # It is live, not a still: swap the caller's colours and the echo follows.
            caller.camera.swapped = True
            await caller.first_video_frame_where(lambda f: shows(f, RIGHT, LEFT))
            assert await caller.an_audio_frame() is not None
            assert caller.pc.connectionState == "connected"

            session = sessions.get(uuid.UUID(world.guardian.id))
            assert session is not None and sessions.active == 1
            server_peer = weakref.ref(session.pc)
            del session

            # The caller hangs up: the server's peer closes and is forgotten entirely.
            await caller.close()
            await wait_until(lambda: sessions.active == 0 and sessions.closing == 0, "the session ended")
            await wait_until(lambda: gc.collect() >= 0 and server_peer() is None, "the server's peer was freed")
    finally:
        await caller.close()
        close_all(echo_client)


async def test_a_browser_like_offer_with_only_mdns_names_still_connects(echo_client, world):
    """Browsers hide their addresses behind mDNS names, which the server drops unresolved: it
    learns the caller's address from the caller's own connectivity checks (peer-reflexive)."""
    caller = Caller(audio=False)
    try:
        async with asyncio.timeout(15):
            offer = re.sub(
                r"^(a=candidate:\S+ \d+ udp \d+) \S+",
                lambda m: f"{m[1]} {uuid.uuid4()}.local",
                await caller.offer(),
                flags=re.MULTILINE,
            )
            assert ".local" in offer and not set(candidate_addresses(offer)) & set(local_addresses())
            response = await echo_client.post(ECHO, json={"type": "offer", "sdp": offer}, headers=world.clin_u2.headers)
            await caller.accept((await expect(response, 200))["sdp"])
            await caller.first_video_frame_where(lambda f: shows(f, LEFT, RIGHT))
    finally:
        await caller.close()
        close_all(echo_client)


async def test_the_default_policy_names_no_private_server_address(client, world):
    """The shared app runs with the defaults: on this machine every interface address is private
    (or documentation/ULA space), so the answer may name none of them (docs/reliability.md, F5 and R20)."""
    caller = Caller(audio=False)
    try:
        offer = await caller.offer()
        response = await client.post(ECHO, json={"type": "offer", "sdp": offer}, headers=world.clin_u1.headers)
        sdp = (await expect(response, 200))["sdp"]
        assert all(is_public(address) for address in candidate_addresses(sdp))
        for address in [*local_addresses(), "127.0.0.1", "::1"]:
            assert not re.search(rf"(?<![\w:.]){re.escape(address)}(?![\w:.])", sdp), address
        assert re.search(r"^c=IN IP4 0\.0\.0\.0\r?$", sdp, re.MULTILINE)
    finally:
        await caller.close()
        close_all(client)
    assert sessions_of(client).active == 0


async def test_anonymous_callers_are_refused(client, world):
    response = await client.post(ECHO, json={"type": "offer", "sdp": "v=0"}, headers=world.anonymous.headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_an_unusable_offer_is_422_and_leaves_no_session(client, world):
    real = await offer_of(video="sendrecv", audio="sendrecv")
    exotic = re.sub(r"a=rtpmap:(\d+) \w+/", r"a=rtpmap:\1 NOSUCHCODEC/", real)
    offers = {
        "not sdp": "hello, echo",
        "no media": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
        "truncated": real[: len(real) // 3],
        "no ice credentials": re.sub(r"a=ice-(ufrag|pwd):\S+\r\n", "", real),
        "no rtcp-mux": real.replace("a=rtcp-mux\r\n", ""),
        "no common codec": exotic,
        "receive only": await offer_of(video="recvonly"),
        "send only": await offer_of(video="sendonly"),
        "data only": await offer_of(data="-"),
        "two video sections": await offer_of(video="sendrecv", video2="sendrecv"),
        "binary noise": "v=0\r\n\x00\x01\x02" * 50,
    }
    for name, sdp in offers.items():
        response = await client.post(ECHO, json={"type": "offer", "sdp": sdp}, headers=world.guardian.headers)
        problem = await expect(response, 422)
        assert response.headers["content-type"].startswith("application/problem+json"), name
        assert problem["errors"][0]["field"] == "sdp", (name, problem)
        assert sessions_of(client).active == 0, name
    response = await client.post(ECHO, json={"type": "answer", "sdp": real}, headers=world.guardian.headers)
    assert (await expect(response, 422))["errors"][0]["field"] == "type"


async def test_a_full_server_answers_429_with_retry_after(echo_client, world):
    sessions = sessions_of(echo_client)
    assert ECHO_MAX_SESSIONS == 2
    try:
        for actor in (world.guardian, world.clin_u1):
            body = {"type": "offer", "sdp": await offer_of(video="sendrecv")}
            await expect(await echo_client.post(ECHO, json=body, headers=actor.headers), 200)
        assert sessions.active == 2

        body = {"type": "offer", "sdp": await offer_of(video="sendrecv")}
        response = await echo_client.post(ECHO, json=body, headers=world.clin_u2.headers)
        problem = await expect(response, 429)
        assert response.headers["content-type"].startswith("application/problem+json")
        # Neither test has connected: both give their slot back within the connect deadline.
        assert 1 <= int(response.headers["retry-after"]) <= 20, problem

        # A user who already has a test replaces it, full or not.
        first = sessions.get(uuid.UUID(world.guardian.id))
        assert first is not None
        await expect(await echo_client.post(ECHO, json=body, headers=world.guardian.headers), 200)
        assert sessions.active == 2
        assert sessions.get(uuid.UUID(world.guardian.id)) is not first
        await wait_until(lambda: first.pc.connectionState == "closed", "the replaced peer closed")
    finally:
        close_all(echo_client)
    assert sessions.active == 0
