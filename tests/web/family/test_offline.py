"""Offline first: a registration is kept on the phone, survives a reload without a network, and is
stored exactly once when the network is back; an answer lost on the way is resent harmlessly; a
conflict is shown to the parent with the reason and a way to put it right."""

from __future__ import annotations

import asyncio
import uuid

from tests.helpers import API, expect
from tests.web.family.support import all_sent


async def outbox_ids(page) -> list[str]:
    return await page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open("heima-family");
            open.onsuccess = () => {
                const all = open.result.transaction("outbox").objectStore("outbox").getAllKeys();
                all.onsuccess = () => resolve(all.result);
                all.onerror = () => reject(all.error);
            };
        })"""
    )


async def register_temperature(page, value: str) -> None:
    await page.get_by_role("button", name="Temperatur", exact=True).click()
    await page.get_by_label("Temperatur (°C)").fill(value)
    await page.get_by_role("button", name="Lagre").click()
    await page.get_by_role("status").filter(has_text="Lagret for").wait_for()


async def stored(db, patient_id: str, measurement_id: str) -> int:
    return await db.fetchval(
        "select count(*) from measurements where patient_id = $1 and id = $2",
        uuid.UUID(patient_id),
        uuid.UUID(measurement_id),
    )


async def test_offline_registration_survives_a_reload_and_is_stored_once(signed_in, context, family, db):
    page = signed_in
    # The service worker has cached the app shell, so the app opens without a network.
    await page.evaluate("navigator.serviceWorker.ready")
    await context.set_offline(True)
    await register_temperature(page, "37,2")
    await page.get_by_test_id("pending").filter(has_text="1 venter på å bli sendt").wait_for()
    [measurement_id] = await outbox_ids(page)
    assert await stored(db, family.twin_a, measurement_id) == 0

    await page.reload()
    await page.get_by_text("Du er uten nett").wait_for()
    await page.get_by_test_id("pending").filter(has_text="1 venter på å bli sendt").wait_for()

    await context.set_offline(False)
    await all_sent(page)
    await page.get_by_text("Lagret hos sykehuset").wait_for()
    assert await stored(db, family.twin_a, measurement_id) == 1
    value = await db.fetchval("select value from measurements where id = $1", uuid.UUID(measurement_id))
    assert value == 37.2


async def test_an_upload_whose_answer_was_lost_is_resent_and_stored_once(signed_in, family, db):
    page = signed_in
    lost = asyncio.Event()

    async def lose_the_answer(route) -> None:
        # The server gets the upload and stores it; the phone never hears back.
        if not lost.is_set():
            await route.fetch()
            await route.abort("connectionreset")
            lost.set()
        else:
            await route.continue_()

    await page.route("**/measurements", lose_the_answer)
    await register_temperature(page, "36,8")
    [measurement_id] = await outbox_ids(page)
    async with asyncio.timeout(30):
        await lost.wait()
    await page.get_by_test_id("pending").filter(has_text="1 venter").wait_for()
    assert await stored(db, family.twin_a, measurement_id) == 1

    await page.get_by_role("button", name="Send nå").click()
    await all_sent(page)
    await page.get_by_text("Var allerede lagret").wait_for()
    assert await stored(db, family.twin_a, measurement_id) == 1


async def test_a_conflict_is_shown_with_its_reason_and_can_be_sent_as_new(signed_in, context, family, client, db):
    page = signed_in
    await context.set_offline(True)
    await page.get_by_role("button", name="Vekt", exact=True).click()
    await page.get_by_label("Vekt (g)").fill("2100")
    await page.get_by_role("button", name="Lagre").click()
    await page.get_by_role("status").filter(has_text="Lagret for").wait_for()
    [measurement_id] = await outbox_ids(page)
    # Meanwhile something else was stored under the same id, with other content.
    other = {
        "id": measurement_id,
        "type": "body_weight",
        "value": 2500,
        "unit": "g",
        "measured_at": "2026-11-22T07:00:00+01:00",
    }
    answer = await client.post(
        f"{API}/patients/{family.twin_a}/measurements",
        json={"measurements": [other]},
        headers=family.guardian_headers,
    )
    assert (await expect(answer, 200))["results"][0]["status"] == "created"

    await context.set_offline(False)
    item = page.locator(f"li[data-id='{measurement_id}']")
    await item.filter(has_text="Konflikt").wait_for()
    await item.get_by_text("Sykehuset har allerede en annen registrering med samme id").wait_for()
    await page.get_by_role("alert").filter(has_text="1 trenger at du ser på dem").wait_for()
    # Nothing was dropped: the parent's value is still on the phone until they decide.
    assert measurement_id in await outbox_ids(page)

    await item.get_by_role("button", name="Send som ny registrering").click()
    await page.locator("li[data-status=created]").filter(has_text="2100").wait_for()
    assert await item.count() == 0
    values = await db.fetch(
        "select value from measurements where patient_id = $1 and type = 'body_weight' order by value",
        uuid.UUID(family.twin_a),
    )
    assert [row["value"] for row in values] == [2100.0, 2500.0]


async def test_a_refused_item_shows_the_servers_reason_and_is_corrected_in_place(signed_in, family, db):
    page = signed_in
    await page.get_by_role("button", name="Vekt", exact=True).click()
    await page.get_by_label("Vekt (g)").fill("2300")
    # A time the phone accepts but the server refuses: before the child was born.
    await page.get_by_label("Tidspunkt").fill("2026-01-01T08:00")
    await page.get_by_role("button", name="Lagre").click()
    await page.get_by_role("status").filter(has_text="Lagret for").wait_for()
    [measurement_id] = await outbox_ids(page)
    item = page.locator(f"li[data-id='{measurement_id}']")
    await item.filter(has_text="Ikke godtatt").wait_for()
    await item.get_by_text("measured_at").wait_for()  # the server's reason names the field

    await item.get_by_role("button", name="Rett opp").click()
    await item.get_by_label("Tidspunkt").fill("2026-11-22T07:00")
    await item.get_by_role("button", name="Lagre").click()
    # Sent again under the same id, now stored.
    await page.locator(f"li[data-id='{measurement_id}'][data-status=created]").wait_for()
    assert await stored(db, family.twin_a, measurement_id) == 1
