"""Guardians and devices on the patient's screen, in Chromium: a lost phone signed out, and a
guardian unlinked after a custody change; the server's answers checked through the API."""

from __future__ import annotations

import pytest

from tests.helpers import API, activate, activation_code, bearer, expect
from tests.web.care.conftest import sign_in

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_lost_phone_is_signed_out_and_a_guardian_unlinked(care, ward, client):
    mother = bearer(
        (await activate(client, await activation_code(client, ward.nurse, ward.infant, "guardian"), "mors telefon"))[
            "access_token"
        ]
    )
    father = bearer(
        (await activate(client, await activation_code(client, ward.nurse, ward.infant, "guardian"), "fars telefon"))[
            "access_token"
        ]
    )
    father_id = (await expect(await client.get(f"{API}/me", headers=father), 200))["id"]

    await sign_in(care, ward.nurse.name)
    await care.goto(f"/care/patients/{ward.infant}?tab=people")
    lost = care.locator("tr", has_text="mors telefon")
    await lost.wait_for()
    assert await care.locator("tr", has_text="fars telefon").count() == 1

    # The mother lost her phone: it is signed out, and asked twice.
    await lost.get_by_role("button", name="Logg ut telefonen").click()
    await lost.get_by_role("button", name="Bekreft").click()
    await lost.wait_for(state="detached")
    assert (await client.get(f"{API}/me", headers=mother)).status_code == 401
    await expect(await client.get(f"{API}/me", headers=father), 200)

    # A custody change: the father no longer sees the child, and with no child left he is signed out.
    guardian = care.locator(f"[data-guardian-id='{father_id}']")
    await guardian.get_by_role("button", name="Fjern tilgang").click()
    await guardian.get_by_role("button", name="Bekreft").click()
    await guardian.wait_for(state="detached")
    await care.locator("tr", has_text="fars telefon").wait_for(state="detached")
    assert (await client.get(f"{API}/me", headers=father)).status_code == 401
    assert await care.locator("[data-guardian-id]").count() == 1  # the mother keeps her access
    await care.get_by_text("Ingen telefoner er logget inn.").wait_for()
