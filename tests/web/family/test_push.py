"""Notifications: a push reaches the service worker (delivered through the Chrome DevTools Protocol,
as the browser vendor's push service would) and is shown without health data; a click opens the
app's guidance. Subscribing, which needs the vendor's push service that this machine cannot reach,
fails gracefully: the app says so and goes on working."""

from __future__ import annotations

import asyncio
import json


async def registration_id(cdp) -> str:
    found: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def on_update(event) -> None:
        for registration in event["registrations"]:
            if registration["scopeURL"].endswith("/app/") and not registration["isDeleted"] and not found.done():
                found.set_result(registration["registrationId"])

    cdp.on("ServiceWorker.workerRegistrationUpdated", on_update)
    await cdp.send("ServiceWorker.enable")
    async with asyncio.timeout(30):
        return await found


async def test_a_push_is_shown_as_a_notification_that_opens_the_guidance(signed_in, context, web_server):
    page = signed_in
    await context.grant_permissions(["notifications"], origin=web_server)
    await page.evaluate("navigator.serviceWorker.ready")
    cdp = await context.new_cdp_session(page)
    payload = {"type": "alert", "alert_id": "5d1f3a52-6f1e-4c8e-9d8e-3f1f7b0c2a11", "severity": "high"}
    await cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": web_server, "registrationId": await registration_id(cdp), "data": json.dumps(payload)},
    )
    shown = await page.wait_for_function(
        """() => navigator.serviceWorker.ready
            .then((r) => r.getNotifications())
            .then((list) => list.length ? list.map((n) => ({title: n.title, body: n.body, data: n.data})) : null)"""
    )
    [notification] = await shown.json_value()
    assert notification["title"] == "Heima"
    assert notification["body"] == "Sykehuset har en melding til deg."
    assert notification["data"]["url"] == "/app/#/guidance"


async def test_a_failed_subscription_is_said_and_the_app_goes_on(signed_in, context, web_server):
    page = signed_in
    await context.grant_permissions(["notifications"], origin=web_server)
    await page.get_by_role("link", name="Mer").click()
    await page.get_by_role("button", name="Slå på varsler").click()
    await page.get_by_test_id("push-state").filter(has_text="kunne ikke slås på").wait_for(timeout=60_000)
    await page.get_by_role("link", name="Registrer").click()
    await page.get_by_test_id("for-whom").wait_for()
