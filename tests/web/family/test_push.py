"""Notifications: a push reaches the service worker (delivered through the Chrome DevTools Protocol,
as the browser vendor's push service would) and is shown without health data; a click opens the
app's screen for it. Each payload is the one the server sends for that kind (NoticeMessage, whose
delivery tests/worker covers), about a real alert or contact request of the twins. Subscribing,
which needs the vendor's push service that this machine cannot reach, fails gracefully: the app
says so and goes on working."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from alerting.push.sender import NoticeMessage
from tests.alerts.support import acknowledge, temperature
from tests.helpers import API, expect


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


async def shown_after_push(page, context, web_server: str, payload: str) -> dict[str, Any]:
    """Deliver `payload` to the app's service worker and return the one notification it shows."""
    await context.grant_permissions(["notifications"], origin=web_server)
    await page.evaluate("navigator.serviceWorker.ready")
    cdp = await context.new_cdp_session(page)
    await cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": web_server, "registrationId": await registration_id(cdp), "data": payload},
    )
    # Polled: a predicate that returns a promise counts as truthy at once for wait_for_function,
    # which would read the list before the worker has shown anything (it looks its language up).
    for _ in range(100):
        shown = await page.evaluate(
            """() => navigator.serviceWorker.ready
                .then((r) => r.getNotifications())
                .then((list) => list.map((n) => ({title: n.title, body: n.body, tag: n.tag, data: n.data})))"""
        )
        if shown:
            break
        await page.wait_for_timeout(100)  # polling the service worker, not test logic
    [notification] = shown
    return notification


def assert_no_health_data(notification: dict[str, Any], *secrets: str) -> None:
    """Nothing of what the family registered, wrote or was told, and no name, on the lock screen.
    The tag is left out: it holds the alert's or request's random id, which may contain "38"."""
    shown = {key: value for key, value in notification.items() if key != "tag"}
    everything = json.dumps(shown, ensure_ascii=False).lower()
    for secret in secrets:
        assert secret.lower() not in everything, secret


async def test_a_push_is_shown_as_a_notification_that_opens_the_guidance(signed_in, context, web_server):
    payload = {"type": "alert", "alert_id": "5d1f3a52-6f1e-4c8e-9d8e-3f1f7b0c2a11", "severity": "high"}
    notification = await shown_after_push(signed_in, context, web_server, json.dumps(payload))
    assert notification["title"] == "Heima"
    assert notification["body"] == "Sykehuset har en melding til deg."
    assert notification["data"]["url"] == "/app/#/guidance"


async def test_a_push_speaks_the_language_chosen_in_the_app_not_the_phones(signed_in, context, web_server):
    """The phone is Norwegian (the context's locale); the parent switched the app to English, and
    the notifications follow the app: the service worker was told, and kept it."""
    await signed_in.get_by_role("button", name="English").click()
    await signed_in.get_by_role("button", name="Norsk (bokmål)").wait_for()
    told = None
    for _ in range(100):
        told = await signed_in.evaluate(
            """() => caches.open("heima-language")
                .then((cache) => cache.match("/__heima_language"))
                .then((found) => (found ? found.text() : null))"""
        )
        if told:
            break
        await signed_in.wait_for_timeout(100)  # polling the service worker's cache, not test logic
    assert told == "en"
    payload = {"type": "reminder", "patient_id": "5d1f3a52-6f1e-4c8e-9d8e-3f1f7b0c2a11"}
    notification = await shown_after_push(signed_in, context, web_server, json.dumps(payload))
    assert notification["body"] == "Remember today's registration."


async def test_a_seen_push_says_the_care_team_has_seen_it_and_nothing_more(
    signed_in, context, web_server, family, client
):
    """A fever registered for twin A raises an alert with guidance for the family; the nurse
    acknowledges it, and the family's phone is told only that."""
    response = await client.post(
        f"{API}/patients/{family.twin_a}/measurements",
        json={"measurements": [temperature(38.6)]},
        headers=family.guardian_headers,
    )
    [raised] = (await expect(response, 200))["alerts"]
    await acknowledge(client, family.clinician, raised["id"])
    payload = NoticeMessage("seen", subject_id=uuid.UUID(raised["id"])).payload().decode()

    notification = await shown_after_push(signed_in, context, web_server, payload)
    assert notification["title"] == "Heima"
    assert notification["body"] == "Avdelingen har sett meldingen du fikk i Heima."
    assert notification["data"]["url"] == "/app/#/guidance"
    assert notification["tag"] == f"seen:{raised['id']}"
    message = raised["message"]
    assert_no_health_data(
        notification, family.name_a, family.name_b, "38", "feber", "fever", message["nb"], message["en"]
    )


async def test_a_handled_push_says_the_request_was_followed_up_and_nothing_more(
    signed_in, context, web_server, family, client
):
    url = f"{API}/patients/{family.twin_a}/contact-requests"
    asked = "Sonden har løsnet, kan dere ringe?"
    request = await expect(await client.post(url, json={"message": asked}, headers=family.guardian_headers), 201)
    await expect(await client.post(f"{url}/{request['id']}/handle", headers=family.clinician.headers), 200)
    payload = NoticeMessage("handled", subject_id=uuid.UUID(request["id"])).payload().decode()

    notification = await shown_after_push(signed_in, context, web_server, payload)
    assert notification["title"] == "Heima"
    assert notification["body"] == "Avdelingen har fulgt opp forespørselen din om å bli kontaktet."
    # The start screen: "Contact me" and what the phone sent are there.
    assert notification["data"]["url"] == "/app/#/"
    assert notification["tag"] == f"handled:{request['id']}"
    assert_no_health_data(notification, family.name_a, family.name_b, asked, "sonden")


async def test_a_failed_subscription_is_said_and_the_app_goes_on(signed_in, context, web_server):
    page = signed_in
    await context.grant_permissions(["notifications"], origin=web_server)
    await page.get_by_role("link", name="Mer").click()
    await page.get_by_role("button", name="Slå på varsler").click()
    await page.get_by_test_id("push-state").filter(has_text="kunne ikke slås på").wait_for(timeout=60_000)
    await page.get_by_role("link", name="Registrer").click()
    await page.get_by_test_id("for-whom").wait_for()
