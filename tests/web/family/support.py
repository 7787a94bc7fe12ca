"""Steps the family app's tests take on a page."""

from __future__ import annotations

from typing import Any


async def sign_in(page, family: Any, device: str = "Testtelefon") -> None:
    """Activate the family app on `page` as the twins' guardian and wait for the register screen."""
    await page.goto("/app/")
    await page.get_by_label("Aktiveringskode").fill(await family.code())
    await page.get_by_label("Navn på enheten").fill(device)
    await page.get_by_role("button", name="Aktiver").click()
    await page.get_by_test_id("for-whom").wait_for()


# Whether the phone's outbox holds nothing that waits to be sent (read from IndexedDB itself).
_NOTHING_PENDING = """() => new Promise((resolve) => {
    const open = indexedDB.open("heima-family");
    open.onsuccess = () => {
        const all = open.result.transaction("outbox").objectStore("outbox").getAll();
        all.onsuccess = () => {
            resolve(all.result.every((item) => item.status !== "pending"));
            open.result.close();
        };
    };
})"""


async def all_sent(page) -> None:
    """Everything saved so far has had its answer (call it after the save was confirmed)."""
    # Polled here: wait_for_function takes a predicate's promise for a truthy answer at once.
    for _ in range(100):
        if await page.evaluate(_NOTHING_PENDING):
            break
        await page.wait_for_timeout(100)  # polling the phone's outbox, not test logic
    else:
        raise AssertionError("the outbox still holds registrations waiting to be sent")
    await page.get_by_test_id("pending").filter(has_text="Alt er sendt").wait_for()


async def choose(page, name: str) -> None:
    await page.get_by_role("button", name=name, exact=True).click()
    await page.get_by_test_id("for-whom").filter(has_text=name).wait_for()


async def register_feed(page, ml: str, route: str = "Sonde") -> None:
    await page.get_by_role("button", name="Måltid (mengde)").click()
    await page.get_by_label("Måltid (mengde) (ml)").fill(ml)
    await page.get_by_role("group", name="Hvordan").get_by_role("button", name=route).click()
    await page.get_by_role("button", name="Lagre").click()
    await page.get_by_role("status").filter(has_text="Lagret for").wait_for()
