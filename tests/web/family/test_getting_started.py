"""Getting started: activation with a code and a device name, the child switcher of a guardian of
twins, registering for each twin and for both at once, and the language switch."""

from __future__ import annotations

import uuid

from tests.helpers import API, INFANT, activation_code, make_patient
from tests.web.family.support import all_sent, choose, register_feed, sign_in


async def test_activation_signs_the_device_in_under_its_name(page, family, client):
    await page.goto("/app/")
    await page.get_by_role("heading", name="Kom i gang").wait_for()
    await page.get_by_label("Aktiveringskode").fill("WRONG-CODE")
    await page.get_by_role("button", name="Aktiver").click()
    await page.get_by_role("alert").filter(has_text="Koden virket ikke").wait_for()

    await sign_in(page, family, device="Mammas telefon")
    # Both children are offered, and the screen says whom a registration is for.
    await page.get_by_role("group", name="Velg barn").get_by_role("button", name=family.name_a).wait_for()
    await page.get_by_role("button", name=family.name_b, exact=True).wait_for()
    assert family.name_a in await page.get_by_test_id("for-whom").inner_text()
    sessions = (await client.get(f"{API}/me/sessions", headers=family.guardian_headers)).json()["items"]
    assert "Mammas telefon" in {s["device_name"] for s in sessions}
    # The tokens survive a reload: still signed in.
    await page.reload()
    await page.get_by_test_id("for-whom").wait_for()


async def feeds(db, patient_id: str) -> list[tuple[float, str]]:
    rows = await db.fetch(
        "select value, attributes->>'route' as route from measurements where patient_id = $1 "
        "and type = 'feeding_volume' order by value",
        uuid.UUID(patient_id),
    )
    return [(row["value"], row["route"]) for row in rows]


async def test_a_guardian_of_twins_registers_for_each_and_for_both(signed_in, family, db):
    page = signed_in
    await choose(page, family.name_a)
    await register_feed(page, "42", route="Flaske")
    await page.get_by_role("status").filter(has_text=f"Lagret for {family.name_a}.").wait_for()
    await choose(page, family.name_b)
    await register_feed(page, "38")
    await all_sent(page)
    # Both twins: one tap, one item per child.
    await page.get_by_role("button", name="Begge", exact=True).click()
    await page.get_by_test_id("for-whom").filter(has_text=f"{family.name_a} + {family.name_b}").wait_for()
    await register_feed(page, "45,5")
    await all_sent(page)
    assert await feeds(db, family.twin_a) == [(42.0, "bottle"), (45.5, "tube")]
    assert await feeds(db, family.twin_b) == [(38.0, "tube"), (45.5, "tube")]


async def test_an_impossible_value_is_caught_on_the_phone_with_the_servers_range(signed_in, family, db):
    page = signed_in
    await page.get_by_role("button", name="Måltid (mengde)").click()
    await page.get_by_label("Måltid (mengde) (ml)").fill("900")
    await page.get_by_role("button", name="Lagre").click()
    # The range of feeding_volume in the catalogue (GET /programmes) is 0-500 mL.
    await page.get_by_text("Må være mellom 0 og 500 ml").wait_for()
    await page.get_by_label("Måltid (mengde) (ml)").fill("ti")
    await page.get_by_role("button", name="Lagre").click()
    await page.get_by_text("Skriv et tall").wait_for()
    assert await feeds(db, family.twin_a) == []


async def test_the_language_switch_changes_the_app_and_is_remembered(signed_in):
    page = signed_in
    await page.get_by_role("button", name="English").click()
    await page.get_by_test_id("for-whom").filter(has_text="Registering for").wait_for()
    await page.get_by_role("button", name="Feed volume").wait_for()
    assert await page.evaluate("document.documentElement.lang") == "en"
    await page.reload()
    await page.get_by_role("link", name="Overview").wait_for()
    await page.get_by_role("button", name="Norsk (bokmål)").click()
    await page.get_by_role("link", name="Oversikt").wait_for()


async def test_the_app_fits_a_320_px_screen(signed_in):
    page = signed_in
    await page.set_viewport_size({"width": 320, "height": 640})
    for route in ("#/", "#/overview", "#/more"):
        await page.goto(f"/app/{route}")
        await page.get_by_role("link", name="Oversikt").wait_for()
        assert await page.evaluate("document.documentElement.scrollWidth") <= 320, route


async def test_a_code_for_another_child_is_added_in_the_signed_in_app(signed_in, family, client):
    page = signed_in
    sibling = await make_patient(
        client, family.clinician, family.unit_id, "premature-home", INFANT, f"Søsken {family.name_a[-4:]}"
    )
    code = await activation_code(client, family.clinician, sibling, "guardian", family.guardian_id)
    await page.get_by_role("link", name="Mer").click()
    await page.get_by_role("region", name="Legg til et barn").get_by_label("Aktiveringskode").fill(code)
    await page.get_by_role("button", name="Legg til", exact=True).click()
    await page.get_by_role("status").filter(has_text="Barnet er lagt til").wait_for()
    await (
        page.get_by_role("group", name="Velg barn")
        .get_by_role("button", name=f"Søsken {family.name_a[-4:]}")
        .wait_for()
    )
