"""Video and push in Chromium: a physician hosts, a nurse waits and is admitted, both pages decode
each other's video; a push delivered to the care app's service worker (CDP) shows a notification
that carries no health data and opens the alert."""

from __future__ import annotations

import json

import pytest

from tests.helpers import API, expect, make_clinician
from tests.web.care.conftest import sign_in

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def decoding(page) -> bool:
    """Whether the page's remote video shows frames."""
    video = page.locator("video.remote").first
    await video.wait_for()
    for _ in range(100):
        if await video.evaluate("v => v.videoWidth > 0 && v.readyState >= 2"):
            return True
        await page.wait_for_timeout(100)  # polling the browser's decoder, not test logic
    return False


async def test_a_meeting_with_the_waiting_room_and_video_both_ways(
    browser, desk, ward, client, web_world, session_clock, web_server
):
    physician = await make_clinician(client, web_world.admin.headers, [ward.unit_id], profession="physician")
    body = {
        "patient_id": ward.infant,
        "kind": "consultation",
        "title": "Oppfølging etter utskrivning",
        "starts_at": session_clock.now.isoformat(),
        "participants": [{"user_id": physician.id, "role": "host"}, {"user_id": ward.nurse.id, "role": "participant"}],
    }
    meeting = await expect(await client.post(f"{API}/meetings", json=body, headers=physician.headers), 201)

    host = await desk.new_page()
    await sign_in(host, physician.name, path=f"/care/meetings/{meeting['id']}")
    await host.get_by_role("button", name="Bli med").click()
    await host.get_by_role("heading", name="Venterom").wait_for()

    other = await browser.new_context(base_url=web_server, locale="nb-NO")
    await other.clock.set_fixed_time(session_clock.now)
    try:
        guest = await other.new_page()
        await sign_in(guest, ward.nurse.name, path=f"/care/meetings/{meeting['id']}")
        await guest.get_by_role("button", name="Bli med").click()
        await guest.get_by_text("Venter på å bli sluppet inn").wait_for()
        waiting = host.locator(".waiting li", has_text=ward.nurse.name)
        await waiting.wait_for()
        await waiting.get_by_role("button", name="Slipp inn").click()
        assert await decoding(host) and await decoding(guest)
        await host.get_by_role("button", name="Avslutt for alle").click()
        await guest.get_by_text("Møtet er avsluttet.").wait_for()
    finally:
        await other.close()


async def test_a_push_shows_a_notification_without_health_data_that_opens_the_alert(desk, ward, web_server):
    await desk.grant_permissions(["notifications"], origin=web_server)
    page = await desk.new_page()
    await sign_in(page, ward.nurse.name)
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    cdp = await desk.new_cdp_session(page)
    await cdp.send("ServiceWorker.enable")
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    for _ in range(50):
        if any(r["scopeURL"].endswith("/care/") for r in registrations):
            break
        await page.wait_for_timeout(100)  # waiting for the browser to report the registration
    [registration] = [r for r in registrations if r["scopeURL"].endswith("/care/")][:1]
    alert_id = "7f0c1a2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
    await cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": web_server,
            "registrationId": registration["registrationId"],
            "data": json.dumps({"type": "alert", "alert_id": alert_id, "severity": "high"}),
        },
    )
    notifications = []
    for _ in range(50):
        notifications = await page.evaluate(
            """navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns =>
                 ns.map(n => ({title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url})))"""
        )
        if notifications:
            break
        await page.wait_for_timeout(100)  # the worker shows it asynchronously
    [shown] = notifications
    assert shown["title"] == "Høyt varsel i Heima" and shown["tag"] == alert_id
    assert shown["url"] == f"/care/alerts/{alert_id}"
    # The click target is the alert in the worklist: the app opens it there.
    await page.goto(shown["url"])
    await page.get_by_role("heading", name="Arbeidsliste").wait_for()
