"""What comes back: a fever in a young infant is answered with "call 113" at once; a form drawn from
its definition is checked, stored and its mapped answers become measurements; a contact request
reaches the unit and the family is told."""

from __future__ import annotations

import uuid

from tests.helpers import API, expect
from tests.web.family.support import all_sent


async def test_a_fever_brings_the_call_113_guidance_at_once(signed_in, family):
    page = signed_in
    await page.get_by_role("button", name="Temperatur", exact=True).click()
    await page.get_by_label("Temperatur (°C)").fill("38,6")
    await page.get_by_role("button", name="Lagre").click()
    guidance = page.get_by_role("alert").filter(has_text="Ring 113 nå")
    await guidance.wait_for()
    assert await guidance.get_attribute("data-severity") == "high"
    assert "feber" in await guidance.inner_text()
    assert await guidance.get_by_role("link", name="Ring 113").get_attribute("href") == "tel:113"
    # It stays until the parent says they have read it, also across a reload.
    await page.reload()
    await guidance.wait_for()
    await guidance.get_by_role("button", name="Jeg har lest dette").click()
    await guidance.wait_for(state="detached")


async def test_a_form_is_rendered_from_its_definition_checked_and_stored(signed_in, family, db):
    page = signed_in
    await page.get_by_role("button", name="Daglig sjekk").click()
    form = page.locator("form[data-form='premature-daily']")
    await form.get_by_role("button", name="Lagre").click()
    # Required items are named; nothing is queued.
    assert await form.get_by_text("Må fylles ut").count() == 3
    await form.get_by_role("group", name="problemer med sonden").get_by_label("Nei").check()
    await form.get_by_role("group", name="kastet opp").get_by_label("Har ikke kastet opp").check()
    await form.get_by_label("Hvor mange våte bleier").fill("25")
    await form.get_by_role("button", name="Lagre").click()
    await form.get_by_text("Må være mellom 0 og 20").wait_for()
    await form.get_by_label("Hvor mange våte bleier").fill("6")
    await form.get_by_label("Temperatur målt i armhulen").fill("36,9")
    await form.get_by_role("button", name="Lagre").click()
    await page.get_by_role("status").filter(has_text="Lagret for").wait_for()
    await all_sent(page)

    row = await db.fetchrow(
        "select answers, measurement_ids from form_responses where patient_id = $1 and form = 'premature-daily'",
        uuid.UUID(family.twin_a),
    )
    assert row is not None
    assert row["answers"] == {"tube_problem": False, "vomit_colour": "none", "wet_nappies": 6, "temperature": 36.9}
    types = await db.fetch(
        "select type, value from measurements where patient_id = $1 order by type", uuid.UUID(family.twin_a)
    )
    assert [(r["type"], r["value"]) for r in types] == [("body_temperature", 36.9), ("wet_nappies", 6.0)]


async def test_a_contact_request_reaches_the_unit_and_the_family_is_told(signed_in, family, client):
    page = signed_in
    await page.get_by_label("Hva gjelder det?").fill("Sonden har løsnet, kan dere ringe?")
    await page.get_by_role("button", name="Send forespørsel").click()
    # The unit's own promise (family_unit was made with contact_within_hours = 4).
    told = "Avdelingen har fått forespørselen din og kontakter deg innen 4 timer"
    await page.get_by_role("status").filter(has_text=told).wait_for()
    listed = await client.get(f"{API}/patients/{family.twin_a}/contact-requests", headers=family.clinician.headers)
    messages = [item["message"] for item in (await expect(listed, 200))["items"]]
    assert messages == ["Sonden har løsnet, kan dere ringe?"]
