"""Privacy on the phone: "who has seen my data" in plain words, the signed-in devices with a way to
sign a lost one out, and signing this device out, which forgets what the phone kept."""

from __future__ import annotations

from tests.helpers import API
from tests.web.family.support import all_sent, register_feed


async def test_the_access_log_and_devices_and_signing_out(signed_in, family, client):
    page = signed_in
    await register_feed(page, "30")
    await all_sent(page)
    await page.get_by_role("link", name="Mer").click()
    log = page.get_by_test_id("access-log")
    await log.get_by_text("registrerte i measurements").first.wait_for()
    await log.get_by_text("så på").first.wait_for()

    devices = page.get_by_role("region", name="Innloggede enheter")
    await devices.get_by_text("Testtelefon (denne enheten)").wait_for()
    # The guardian's first phone (activated through the API) is signed out from here.
    await devices.get_by_role("button", name="Logg ut phone").click()
    await devices.get_by_role("button", name="Logg ut phone").wait_for(state="detached")
    # That phone's token (the one this test's API calls used) stopped working at once.
    assert (await client.get(f"{API}/me", headers=family.guardian_headers)).status_code == 401

    await page.get_by_role("button", name="Logg ut denne enheten").click()
    await page.get_by_role("heading", name="Kom i gang").wait_for()
    kept = await page.evaluate(
        """() => new Promise((resolve) => {
            const open = indexedDB.open("heima-family");
            open.onsuccess = () => {
                const all = open.result.transaction("outbox").objectStore("outbox").count();
                all.onsuccess = () => resolve({outbox: all.result, keys: Object.keys(localStorage)});
            };
        })"""
    )
    assert kept["outbox"] == 0
    assert [key for key in kept["keys"] if key.startswith(("heima.family.tokens", "heima.family.profile"))] == []
