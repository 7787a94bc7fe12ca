"""The care app's browser tests: a desktop-sized profile per test on the shared fixtures
(tests/web/conftest.py), and a ward of their own (a unit, its nurse, two infants)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from tests.helpers import API, INFANT, PASSWORD, Actor, World, expect, make_clinician, make_patient, unique

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
async def desk(browser, web_server: str, session_clock) -> AsyncIterator[object]:
    """A desktop browser profile at the suite's instant; fails the test when a page asked for
    anything outside Heima."""
    context = await browser.new_context(
        base_url=web_server, viewport=DESKTOP, locale="nb-NO", timezone_id="Europe/Oslo", service_workers="allow"
    )
    await context.clock.set_fixed_time(session_clock.now)
    elsewhere: list[str] = []
    context.on(
        "request",
        lambda request: (
            None if request.url.startswith((web_server, "data:", "blob:")) else elsewhere.append(request.url)
        ),
    )
    try:
        yield context
    finally:
        await context.close()
    assert elsewhere == [], f"requests left for somewhere other than Heima: {elsewhere}"


@pytest.fixture
async def care(desk) -> object:
    return await desk.new_page()


@dataclass
class Ward:
    unit_id: str
    nurse: Actor
    infant: str
    other_infant: str
    guardian_headers: dict[str, str]


@pytest.fixture
async def ward(client, web_world: World) -> Ward:
    """A unit of its own in the web world's hospital, its nurse, and two infants; the nurse records
    for them as a parent would."""
    response = await client.post(
        f"{API}/organisations/{web_world.organisation_id}/units",
        json={"name": unique("Nyfødt")},
        headers=web_world.admin.headers,
    )
    unit_id = (await expect(response, 201))["id"]
    nurse = await make_clinician(client, web_world.admin.headers, [unit_id])
    infant = await make_patient(client, nurse, unit_id, "premature-home", INFANT, unique("Ada Nordmann"))
    other = await make_patient(client, nurse, unit_id, "premature-home", INFANT, unique("Bo Nordmann"))
    return Ward(unit_id, nurse, infant, other, nurse.headers)


async def sign_in(page, username: str, password: str = PASSWORD, path: str = "/care/") -> None:
    await page.goto(path)
    await page.get_by_label("Brukernavn").fill(username)
    await page.get_by_label("Passord").fill(password)
    await page.get_by_role("button", name="Logg inn").click()
    # Signed in: the sign-in form's own password field is gone (the wall display has no menu to
    # wait for; the admin screen has a "Passord" field of its own, for new staff).
    await page.locator("input[autocomplete='current-password']").wait_for(state="detached")
