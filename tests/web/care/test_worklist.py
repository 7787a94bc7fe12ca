"""The nurse's worklist in Chromium: sign in and out, a parent's upload appears live without a
reload, acknowledge and resolve, the wall display shows initials only, and a nurse of another unit
sees nothing of the patient."""

from __future__ import annotations

import contextlib
import uuid

import pytest
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from alerting.push.sender import Pusher
from alerting.worker import AlertWorker, WorkerMetrics
from backend.db import create_pool
from tests.alerts.support import temperature, upload
from tests.helpers import API, expect, make_clinician
from tests.web.care.conftest import sign_in

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_sign_in_stay_and_sign_out(care, ward, client):
    await sign_in(care, ward.nurse.name)
    await care.get_by_role("heading", name="Arbeidsliste").wait_for()
    # A reload keeps the shift going.
    await care.reload()
    await care.get_by_role("heading", name="Arbeidsliste").wait_for()
    await care.get_by_role("button", name="Logg ut").click()
    await care.get_by_role("heading", name="Du er logget ut.").wait_for()
    # The tokens are gone from the device.
    assert await care.evaluate("localStorage.getItem('heima.care.tokens')") is None


async def test_an_alert_nobody_could_be_told_of_says_so_and_explains_itself_in_bokmal(
    care, ward, client, database_url, web_settings, session_clock
):
    """Nobody in the unit has turned notifications on: once the worker has tried, the alert can
    reach nobody but this list, and the row says so without a reload (the live event carries it),
    beside the explanation in bokmål. (No browser of these tests holds a push subscription, so the
    worker sends nothing anywhere: every delivery it claims settles as "no live push subscription".)"""
    await sign_in(care, ward.nurse.name)
    await care.get_by_role("status").filter(has_text="Direkte").wait_for()
    raised = await upload(client, ward.nurse, ward.other_infant, temperature(35.7))
    row = care.locator(f"[data-alert-id='{raised['alerts'][0]['id']}']")
    await row.wait_for()
    assert await row.locator(".badge.unreachable").count() == 0  # not yet tried: nothing to say
    pool = await create_pool(database_url, min_size=1, max_size=2)
    pusher = Pusher.from_settings(web_settings, clock=session_clock)
    try:
        worker = AlertWorker(pool, web_settings, pusher=pusher, clock=session_clock, metrics=WorkerMetrics())
        while await worker.deliver():
            pass
    finally:
        await pusher.aclose()
        await pool.close()
    badge = row.locator(".badge.unreachable")
    await badge.wait_for()
    assert await badge.inner_text() == "Ingen varslet"
    assert "Følg opp herfra" in await badge.get_attribute("title")
    await row.get_by_role("button", name="Detaljer").click()
    explanation = await row.locator(".explanation").inner_text()
    assert explanation.startswith("Temperatur 35,7 °C < 36,0 °C. Programmets standard")
    # The reader's language, switched without asking the server again.
    await care.get_by_role("button", name="English", exact=True).click()
    await badge.filter(has_text="Nobody notified").wait_for()
    explanation = await row.locator(".explanation").inner_text()
    assert explanation.startswith("Temperature 35.7 °C < 36.0 °C. Programme default")
    await care.get_by_role("button", name="Norsk (bokmål)").click()
    await row.get_by_role("button", name="Løs").click()
    await row.get_by_label("Notat (hva ble gjort)").fill("Ringte foreldrene.")
    await row.get_by_role("button", name="Lagre").click()
    await row.wait_for(state="detached")


async def test_a_session_that_ends_elsewhere_shows_a_clear_screen(care, ward, client):
    await sign_in(care, ward.nurse.name)
    tokens = await care.evaluate("JSON.parse(localStorage.getItem('heima.care.tokens'))")
    # Signed out from elsewhere: the refresh token stops working, the app says so.
    await expect(await client.post(f"{API}/auth/logout", headers={"Authorization": f"Bearer {tokens['access']}"}), 204)
    # The app finds out without a reload: from the next request it makes (opening the patient
    # list), or sooner from the live feed, which ends with the sign-in. (A reload after the feed
    # ended would show the plain sign-in form: the tokens are already gone.)
    with contextlib.suppress(PlaywrightTimeoutError):
        await care.get_by_role("link", name="Pasienter").first.click(timeout=5000)
    await care.get_by_role("heading", name="Økten er avsluttet").wait_for()
    assert await care.get_by_text("Ada Nordmann").count() == 0


async def test_an_upload_appears_live_then_acknowledge_and_resolve(care, ward, client):
    await sign_in(care, ward.nurse.name)
    await care.get_by_role("status").filter(has_text="Direkte").wait_for()
    await care.get_by_text("Ingen varsler her.").wait_for()

    raised = await upload(client, ward.nurse, ward.infant, temperature(39.2))
    alert_id = raised["alerts"][0]["id"]
    row = care.locator(f"[data-alert-id='{alert_id}']")
    await row.wait_for()  # no reload: it came through the live feed
    await care.get_by_role("alert").filter(has_text="Nytt høyt varsel").wait_for()
    assert "Høy" in await row.inner_text()

    await row.get_by_role("button", name="Detaljer").click()
    details = row.locator(".alert-details")
    await details.get_by_text("39.2").first.wait_for()
    assert "Forekomster" in await details.inner_text()

    await row.get_by_role("button", name="Kvitter").click()
    await row.get_by_text("Kvittert", exact=False).first.wait_for()
    # Who did what when (GET /alerts/{id}/events), read again as the alert changed.
    history = details.locator("ol.history")
    acknowledged = history.locator("[data-event-kind='acknowledge']")
    await acknowledged.filter(has_text=f"Kvittert av {ward.nurse.name}").wait_for()
    raised_event = await history.locator("[data-event-kind='raise']").inner_text()
    assert "infant_fever" in raised_event and "1 registrering" in raised_event
    await row.get_by_role("button", name="Løs").click()
    await row.get_by_label("Notat (hva ble gjort)").fill("Ringte foreldrene, feber målt på nytt.")
    await row.get_by_role("button", name="Lagre").click()
    await row.wait_for(state="detached")

    stored = await expect(
        await client.get(
            f"{API}/alerts", params={"patient_id": ward.infant, "status": "resolved"}, headers=ward.nurse.headers
        ),
        200,
    )
    [done] = [a for a in stored["items"] if a["id"] == alert_id]
    assert done["acknowledged_by"] == ward.nurse.id and done["resolved_by"] == ward.nurse.id
    assert done["resolution_note"] == "Ringte foreldrene, feber målt på nytt."


async def test_the_wall_display_shows_initials_and_no_actions(care, ward, client):
    await upload(client, ward.nurse, ward.other_infant, temperature(38.8))
    await sign_in(care, ward.nurse.name, path=f"/care/wall?unit={ward.unit_id}")
    await care.get_by_role("heading", name="Varsler", exact=False).wait_for()
    wall = care.locator(".wall-list")
    await wall.locator(".wall-item").first.wait_for()
    text = await wall.inner_text()
    assert "B. N." in text and "Bo Nordmann" not in text
    assert await wall.get_by_role("button").count() == 0


async def test_a_nurse_of_another_unit_sees_nothing_of_the_patient(care, ward, client, web_world):
    await upload(client, ward.nurse, ward.infant, temperature(39.0))
    stranger = await make_clinician(client, web_world.admin.headers, [web_world.unit_u2])
    await sign_in(care, stranger.name)
    await care.get_by_role("status").filter(has_text="Direkte").wait_for()
    assert await care.get_by_text("Ada Nordmann").count() == 0
    await care.goto(f"/care/patients/{ward.infant}")
    await care.get_by_text("Finnes ikke, eller er ikke tilgjengelig for deg", exact=False).wait_for()
    assert await care.get_by_text("Ada Nordmann").count() == 0
    await care.goto(f"/care/patients/{uuid.uuid4()}")
    await care.get_by_text("Finnes ikke, eller er ikke tilgjengelig for deg", exact=False).wait_for()
