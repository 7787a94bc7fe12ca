"""Join tickets: single use, seconds long, bound to the meeting and to the user; only participants
get one, and only while the meeting is open for joining."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from datetime import timedelta

from tests.helpers import API, expect, login, make_clinician
from tests.video.support import Signal, join, plan_meeting


async def refused(url: str, headers: dict[str, str] | None = None) -> tuple[dict, int | None]:
    signal = await Signal.open(url, headers=headers)
    frame = await signal.expect("error")
    return frame, await signal.closed()


async def test_a_ticket_works_once(http, world, clock):
    meeting = await plan_meeting(http, world.clin_u1, world.twin_a, clock.now)
    ticket = await join(http, world.clin_u1, meeting["id"])
    async with asyncio.timeout(15):
        first = await Signal.open(ticket["signalling_url"])
        await first.expect("welcome")
        frame, code = await refused(ticket["signalling_url"])
        assert code == 4401 and frame["title"] == "Not signed in"
        await first.close()


async def test_an_expired_ticket_is_refused(http, world, clock, video_server):
    ttl = video_server.app.state.settings.video_ticket_ttl_seconds
    meeting = await plan_meeting(http, world.clin_u1, world.twin_a, clock.now)
    ticket = await join(http, world.clin_u1, meeting["id"])
    clock.advance(seconds=ttl)
    async with asyncio.timeout(15):
        _, code = await refused(ticket["signalling_url"])
        assert code == 4401
        clock.advance(seconds=-1)
        fresh = await join(http, world.clin_u1, meeting["id"])
        clock.advance(seconds=ttl - 0.001)  # still valid a moment before it expires
        ok = await Signal.open(fresh["signalling_url"])
        await ok.expect("welcome")
        await ok.close()


async def test_a_ticket_for_another_meeting_is_refused(http, world, clock):
    first = await plan_meeting(http, world.clin_u1, world.twin_a, clock.now)
    second = await plan_meeting(http, world.clin_u1, world.twin_b, clock.now)
    ticket = await join(http, world.clin_u1, first["id"])
    url = ticket["signalling_url"].replace(first["id"], second["id"])
    async with asyncio.timeout(15):
        frame, code = await refused(url)
        assert code == 4403 and frame["title"] == "Wrong meeting"
        # Burnt by the attempt: it does not work for its own meeting afterwards either.
        _, code = await refused(ticket["signalling_url"])
        assert code == 4401


async def test_a_ticket_presented_by_another_user_is_refused(http, world, clock):
    meeting = await plan_meeting(http, world.clin_u1, world.twin_a, clock.now)
    ticket = await join(http, world.guardian, meeting["id"])
    async with asyncio.timeout(15):
        frame, code = await refused(ticket["signalling_url"], headers=world.clin_u1.headers)
        assert code == 4403 and frame["title"] == "Not your ticket"
        # Its owner's own token is fine.
        ticket = await join(http, world.guardian, meeting["id"])
        own = await Signal.open(ticket["signalling_url"], headers=world.guardian.headers)
        assert (await own.expect("welcome"))["peer_id"] == ticket["peer_id"]
        await own.close()


async def test_a_ticket_of_a_signed_out_session_is_refused(http, world, clock):
    clinician = await make_clinician(http, world.admin.headers, [world.unit_u1])
    meeting = await plan_meeting(http, clinician, world.twin_a, clock.now)
    ticket = await join(http, clinician, meeting["id"])
    await expect(await http.post(f"{API}/auth/logout", headers=clinician.headers), 204)
    async with asyncio.timeout(15):
        _, code = await refused(ticket["signalling_url"])
        assert code == 4401


async def test_missing_or_forged_tickets_are_refused(http, world, clock, video_server):
    meeting = await plan_meeting(http, world.clin_u1, world.twin_a, clock.now)
    base = f"ws://127.0.0.1:{video_server.port}{API}/meetings/{meeting['id']}/signal"
    async with asyncio.timeout(15):
        for url in (base, f"{base}?ticket=", f"{base}?ticket=heima_wt_forged", f"{base}?ticket={'x' * 5000}"):
            frame, code = await refused(url)
            assert code == 4401, url
            assert frame["title"] == "Not signed in"


async def test_only_participants_get_a_ticket(http, world, clock):
    meeting = await plan_meeting(http, world.clin_u1, world.twin_a, clock.now)
    url = f"{API}/meetings/{meeting['id']}/join"
    # A clinician of the patient's unit may read the meeting but is not in it.
    colleague = await make_clinician(http, world.admin.headers, [world.unit_u1])
    assert (await expect(await http.post(url, headers=colleague.headers), 403))["detail"]
    await expect(await http.get(f"{API}/meetings/{meeting['id']}", headers=colleague.headers), 200)
    # Anyone who may not see it: the 404 of a meeting that does not exist.
    outsider = await expect(await http.post(url, headers=world.clin_u2.headers), 404)
    missing = await http.post(
        f"{API}/meetings/00000000-0000-4000-8000-000000000000/join", headers=world.clin_u2.headers
    )
    assert (await expect(missing, 404)) == outsider
    await expect(await http.post(url, headers=world.patient_p2.headers), 404)
    await expect(await http.post(url, headers=world.admin.headers), 403)
    await expect(await http.post(url), 401)


async def test_joining_opens_shortly_before_the_start_and_closes_after_the_end(http, world, clock, video_server):
    settings = video_server.app.state.settings
    host = await make_clinician(http, world.admin.headers, [world.unit_u1])
    starts = clock.now + timedelta(hours=2)
    meeting = await plan_meeting(http, host, world.twin_a, starts)
    url = f"{API}/meetings/{meeting['id']}/join"
    early = await expect(await http.post(url, headers=host.headers), 409)
    assert early["errors"][0]["field"] == "starts_at"
    clock.advance(hours=2, minutes=-settings.video_join_early_minutes, seconds=-1)
    host.token = (await login(http, host.name))["access_token"]  # hours later: a fresh sign-in
    await expect(await http.post(url, headers=host.headers), 409)
    clock.advance(seconds=1)
    await expect(await http.post(url, headers=host.headers), 200)
    clock.now = starts + timedelta(minutes=settings.video_meeting_default_minutes + settings.video_join_late_minutes)
    host.token = (await login(http, host.name))["access_token"]
    await expect(await http.post(url, headers=host.headers), 200)
    clock.advance(seconds=1)
    late = await expect(await http.post(url, headers=host.headers), 409)
    assert late["errors"][0]["field"] == "ends_at"


async def test_ice_servers_carry_coturn_rest_credentials(http, world, clock, video_server):
    settings = video_server.app.state.settings
    meeting = await plan_meeting(http, world.clin_u1, world.twin_a, clock.now)
    ticket = await join(http, world.guardian, meeting["id"])
    stun, turn = ticket["ice_servers"]
    assert stun == {"urls": ["stun:stun.heima.test:3478"]}
    assert turn["urls"] == ["turn:turn.heima.test:3478?transport=udp"]
    expiry, user = turn["username"].split(":")
    guardian = await expect(await http.get(f"{API}/me", headers=world.guardian.headers), 200)
    assert user == guardian["id"]
    assert int(expiry) == int(clock.now.timestamp()) + settings.turn_credential_ttl_seconds
    digest = hmac.new(b"turn-shared-secret", turn["username"].encode(), hashlib.sha1).digest()
    assert turn["credential"] == base64.b64encode(digest).decode()
    assert ticket["expires_at"].startswith(str((clock.now + timedelta(seconds=30)).date()))
