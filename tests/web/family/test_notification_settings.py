"""Which pushes the family wants: one switch per kind on the More screen, read from and saved to
`/me/notification-settings` (the person's choice, for all their phones, so shown before this phone
may show pushes). A change is stored at once and survives a reload; one that cannot be saved is
said and undone."""

from __future__ import annotations

from typing import Any

from tests.helpers import API, expect

ALL_ON = {"seen": True, "handled": True, "reminder": True, "meeting": True}


async def stored(family) -> dict[str, Any]:
    response = await family.client.get(f"{API}/me/notification-settings", headers=family.guardian_headers)
    return await expect(response, 200)


async def open_more(page) -> None:
    await page.get_by_role("link", name="Mer").click()
    await page.get_by_role("group", name="Hva vil du få varsel om?").get_by_role("switch").first.wait_for()


async def test_turning_reminders_off_is_stored_and_survives_a_reload(signed_in, family):
    page = signed_in
    await open_more(page)
    # Before this phone may show pushes, the choices are there all the same, and say why.
    await page.get_by_role("button", name="Slå på varsler").wait_for()
    await page.get_by_text("Valgene gjelder deg på alle telefonene dine").wait_for()
    switches = page.get_by_role("switch")
    assert await switches.count() == 4
    for kind in ("Sett av avdelingen", "Svar på «Kontakt meg»", "Påminnelser", "Videomøter"):
        assert await page.get_by_role("switch", name=kind, exact=True).is_checked()

    reminder = page.get_by_role("switch", name="Påminnelser", exact=True)
    # A finger's worth: the whole label is the target.
    box = await page.locator("label.switch").filter(has=reminder).bounding_box()
    assert box is not None and box["height"] >= 44
    # The keyboard works: focus and Space.
    await reminder.focus()
    await page.keyboard.press("Space")
    await page.get_by_role("status").filter(has_text="Lagret.").wait_for()
    assert not await reminder.is_checked()
    assert await stored(family) == {**ALL_ON, "reminder": False}

    await page.reload()
    await open_more(page)
    assert not await page.get_by_role("switch", name="Påminnelser", exact=True).is_checked()
    assert await page.get_by_role("switch", name="Videomøter", exact=True).is_checked()


async def test_a_save_that_fails_offline_says_so_and_leaves_the_switch(signed_in, family, context):
    page = signed_in
    await open_more(page)
    meeting = page.get_by_role("switch", name="Videomøter", exact=True)
    assert await meeting.is_checked()

    await context.set_offline(True)
    await meeting.click()
    await page.get_by_role("alert").filter(has_text="Ikke lagret: ingen nettforbindelse").wait_for()
    assert await meeting.is_checked()
    await context.set_offline(False)
    assert await stored(family) == ALL_ON

    # Back online, the same tap is saved.
    await meeting.click()
    await page.get_by_role("status").filter(has_text="Lagret.").wait_for()
    assert not await meeting.is_checked()
    assert await stored(family) == {**ALL_ON, "meeting": False}
