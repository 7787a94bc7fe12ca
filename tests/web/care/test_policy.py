"""A unit's notification policy in the care app (/care/units/{id}/notifications): a nurse of the unit
reads the default in plain words, sets staffed hours, an on-call list, the phone and the promise
with a reason, and the API answers exactly that; a refused policy shows the server's message by
its control and changes nothing; another unit's nurse sees only "not there"; an administrator
opens it from the administration screen.

Each test makes a unit of its own: the shared ward's policy stays the default other tests rely on.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.helpers import API, Actor, create_admin, expect, make_clinician, unique
from tests.web.care.conftest import sign_in

pytestmark = pytest.mark.asyncio(loop_scope="session")

EVERYONE = {"who": "everyone", "professions": []}


@dataclass
class Unit:
    id: str
    name: str
    nurse: Actor
    physician: Actor


@pytest.fixture
async def unit(client, web_world) -> Unit:
    name = unique("Hjemmesykehus")
    response = await client.post(
        f"{API}/organisations/{web_world.organisation_id}/units", json={"name": name}, headers=web_world.admin.headers
    )
    unit_id = (await expect(response, 201))["id"]
    nurse = await make_clinician(client, web_world.admin.headers, [unit_id])
    physician = await make_clinician(client, web_world.admin.headers, [unit_id], profession="physician")
    return Unit(unit_id, name, nurse, physician)


def policy_url(unit_id: str, *rest: str) -> str:
    return "/".join([f"{API}/units/{unit_id}/notification-policy", *rest])


async def open_policy(care, unit: Unit) -> None:
    """From the unit overview, as a nurse finds it."""
    await sign_in(care, unit.nurse.name)
    await care.get_by_role("link", name="Avdelingsoversikt").click()
    await care.get_by_role("link", name="Varsling for avdelingen").click()
    await care.get_by_role("heading", name=f"Varsling: {unit.name}").wait_for()


async def test_a_nurse_sets_the_units_policy_and_the_api_answers_exactly_that(care, client, unit):
    await open_policy(care, unit)
    assert care.url.endswith(f"/care/units/{unit.id}/notifications")
    # The default, in plain words.
    await care.get_by_text("Innebygd standard: ingen har satt varsling for avdelingen ennå.").wait_for()
    assert (
        await care.locator("dd[data-policy='staffed']").inner_text()
        == "Hele døgnet, alle dager (Europe/Oslo) Bemannet nå"
    )
    who = care.get_by_role("table", name="Hvem varsles")
    assert await who.locator("tr[data-severity='medium'] td").all_inner_texts() == [
        "Alle i avdelingen",
        "Alle i avdelingen",
    ]
    assert await who.locator("tr[data-severity='low'] td").all_inner_texts() == [
        "Alle i avdelingen",
        "Venter til morgenoppsummeringen",
    ]
    assert await care.locator("dd[data-policy='timers']").inner_text() == (
        "Høy: sendes på nytt etter 15 min, eskaleres etter 15 min\n"
        "Middels: sendes på nytt etter 15 min, eskaleres etter 60 min"
    )
    await care.get_by_text("Ingen endringer ennå: avdelingen følger den innebygde standarden.").wait_for()

    # Weekdays 08:00–15:30; medium alerts out of hours to the on-call physician; phone and promise.
    form = care.locator("form.policy-form")
    await form.get_by_label("Fra klokken").fill("08:00")
    await form.get_by_label("Til midnatt (24:00)").uncheck()
    await form.get_by_label("Til klokken").fill("15:30")
    days = form.get_by_role("group", name="Dager")
    await days.get_by_label("Lørdag").uncheck()
    await days.get_by_label("Søndag").uncheck()
    night = form.get_by_role("group", name="Utenfor bemannet tid")
    await night.get_by_role("group", name="Middels").get_by_label("Vaktlisten", exact=True).check()
    # Low alerts out of hours are no choice: the form says why instead of offering a control.
    assert await night.get_by_role("group", name="Lav").count() == 0
    await night.get_by_text("Lave varsler utenfor bemannet tid kan ikke stilles inn").wait_for()
    on_call = form.get_by_role("group", name="Vaktliste")
    assert await on_call.get_by_role("checkbox").count() == 2
    await on_call.get_by_label(unit.physician.name).check()
    await form.get_by_label("Telefon familier ringer når avdelingen er stengt").fill("+47 22 11 00 00")
    await form.get_by_label("Svarer familier innen (timer, 1–168)").fill("2")
    await form.get_by_label("Begrunnelse (hvorfor endres varslingen?)").fill("Dagbemanning fra januar")
    await form.get_by_role("button", name="Lagre varsling").click()
    await care.get_by_role("status").get_by_text("Lagret.").wait_for()

    saved = await expect(await client.get(policy_url(unit.id), headers=unit.nurse.headers), 200)
    assert saved["policy"] == {
        "time_zone": "Europe/Oslo",
        "staffed": {"start": "08:00", "end": "15:30", "days": [1, 2, 3, 4, 5]},
        "in_hours": {"high": EVERYONE, "medium": EVERYONE, "low": EVERYONE},
        "out_of_hours": {"high": EVERYONE, "medium": {"who": "on_call", "professions": []}},
        "on_call": [unit.physician.id],
        "high": {"repeat_minutes": 15, "escalate_after_minutes": 15},
        "medium": {"repeat_minutes": 15, "escalate_after_minutes": 60},
        "phone": "+47 22 11 00 00",
    }
    assert (saved["source"], saved["set_by"], saved["reason"], saved["contact_within_hours"]) == (
        "unit",
        unit.nurse.id,
        "Dagbemanning fra januar",
        2,
    )

    # The screen shows the new policy: as the unit leader reads it, and as families read it.
    now = "Bemannet nå" if saved["staffed_now"] else "Ikke bemannet nå"
    assert await care.locator("dd[data-policy='staffed']").inner_text() == (
        f"Kl. 08:00–15:30 på hverdager (Europe/Oslo) {now}"
    )
    assert await who.locator("tr[data-severity='medium'] td").all_inner_texts() == [
        "Alle i avdelingen",
        f"Vaktlisten: {unit.physician.name}",
    ]
    assert await care.locator("dd[data-policy='on_call']").inner_text() == unit.physician.name
    assert await care.locator("dd[data-policy='phone']").inner_text() == "+47 22 11 00 00"
    assert await care.locator("dd[data-policy='contact_within_hours']").inner_text() == "Innen 2 t"
    promise = care.locator("[data-policy='promise']")
    assert await promise.locator("dd[lang='nb']").inner_text() == saved["promise"]["nb"]
    assert await promise.locator("dd[lang='en']").inner_text() == saved["promise"]["en"]
    assert saved["promise"]["nb"].startswith("Avdelingen svarer innen 2 timer mellom kl. 08.00 og kl. 15.30")
    await care.get_by_text(f"Satt av {unit.nurse.name}").wait_for()

    # The history: who, why, and a short summary of what.
    rows = care.locator("table.policy-history tbody tr")
    await care.get_by_role("cell", name="Dagbemanning fra januar").wait_for()
    assert await rows.count() == 1
    cells = await rows.first.locator("td").all_inner_texts()
    assert cells[1:3] == [unit.nurse.name, "Dagbemanning fra januar"]
    assert cells[3] == (
        f"Kl. 08:00–15:30 på hverdager · Utenfor bemannet tid: Middels – Vaktlisten: {unit.physician.name}"
        " · Innen 2 t · +47 22 11 00 00"
    )
    assert cells[4] == "Gjelder nå"
    history = await expect(await client.get(policy_url(unit.id, "history"), headers=unit.nurse.headers), 200)
    assert [h["reason"] for h in history["items"]] == ["Dagbemanning fra januar"]

    # The form starts again from the policy in force; and the screen speaks English too.
    assert await form.get_by_label("Til klokken").input_value() == "15:30"
    assert await form.get_by_label("Begrunnelse (hvorfor endres varslingen?)").input_value() == ""
    await care.get_by_role("button", name="English").click()
    await care.get_by_role("heading", name=f"Notifications: {unit.name}").wait_for()
    assert await care.locator("dd[data-policy='staffed']").inner_text() == (
        f"08:00–15:30 on weekdays (Europe/Oslo) {'Staffed now' if saved['staffed_now'] else 'Not staffed now'}"
    )
    await care.get_by_text("Low alerts out of hours cannot be set").wait_for()


async def test_a_refused_policy_shows_the_servers_message_and_changes_nothing(care, client, unit):
    await open_policy(care, unit)
    form = care.locator("form.policy-form")
    night = form.get_by_role("group", name="Utenfor bemannet tid")
    medium = night.get_by_role("group", name="Middels").get_by_label("Vaktlisten", exact=True)
    reason = form.get_by_label("Begrunnelse (hvorfor endres varslingen?)")

    # Medium alerts to an on-call list that names nobody.
    await medium.check()
    await reason.fill("Natt: bare vakthavende")
    await form.get_by_role("button", name="Lagre varsling").click()
    summary = care.get_by_role("alert")
    await summary.get_by_text("Ikke lagret. Rett dette:").wait_for()
    message = "must name at least one clinician when a severity goes to the on-call list"
    assert await summary.locator("li[data-field='on_call']").inner_text() == f"Vaktliste: {message}"
    on_call = form.get_by_role("group", name="Vaktliste")
    assert await on_call.locator(".field-error").inner_text() == message
    assert "policy-on-call-error" in (await on_call.get_attribute("aria-describedby")).split()
    # What was typed is kept.
    assert await medium.is_checked() and await reason.input_value() == "Natt: bare vakthavende"

    # The on-call list named, but the staffed hours end before they start.
    await on_call.get_by_label(unit.nurse.name).check()
    await form.get_by_label("Fra klokken").fill("15:30")
    await form.get_by_label("Til midnatt (24:00)").uncheck()
    end = form.get_by_label("Til klokken")
    await end.fill("08:00")
    await form.get_by_role("button", name="Lagre varsling").click()
    await summary.locator("li[data-field='staffed.end']").wait_for()
    message = "must be after staffed.start (24:00 for the end of the day)"
    assert await summary.locator("li").all_inner_texts() == [f"Bemannet tid: Til klokken: {message}"]
    assert await end.get_attribute("aria-invalid") == "true"
    described = await end.get_attribute("aria-describedby")
    assert await care.locator(f"#{described}").inner_text() == message
    assert await end.input_value() == "08:00" and await reason.input_value() == "Natt: bare vakthavende"

    # Nothing changed.
    body = await expect(await client.get(policy_url(unit.id), headers=unit.nurse.headers), 200)
    assert body["source"] == "default"
    history = await expect(await client.get(policy_url(unit.id, "history"), headers=unit.nurse.headers), 200)
    assert history["items"] == []
    await care.get_by_text("Innebygd standard: ingen har satt varsling for avdelingen ennå.").wait_for()


async def test_a_nurse_of_another_unit_finds_nothing_there(care, client, unit, web_world):
    stranger = await make_clinician(client, web_world.admin.headers, [web_world.unit_u2])
    assert (await client.get(policy_url(unit.id), headers=stranger.headers)).status_code == 404
    await sign_in(care, stranger.name, path=f"/care/units/{unit.id}/notifications")
    await care.get_by_text("Finnes ikke, eller er ikke tilgjengelig for deg.").wait_for()
    assert await care.get_by_role("button", name="Lagre varsling").count() == 0
    assert await care.get_by_text(unit.nurse.name).count() == 0


async def test_an_administrator_opens_it_from_the_administration_screen(care, client, unit, database_url):
    admin_name = unique("admin")
    await create_admin(database_url, client.app.state.settings, admin_name)
    await sign_in(care, admin_name)
    await care.get_by_role("link", name=f"Varsling for {unit.name}").click()
    await care.get_by_role("heading", name=f"Varsling: {unit.name}").wait_for()
    on_call = care.get_by_role("group", name="Vaktliste")
    await on_call.get_by_label(unit.physician.name).wait_for()
    # Only the unit's own clinicians can be named.
    assert await on_call.get_by_role("checkbox").count() == 2
