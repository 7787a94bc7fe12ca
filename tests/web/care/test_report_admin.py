"""The tertial report on the demo data (figures checked against the database) with its CSV, and an
administrator creating a unit and a nurse who can then sign in."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from backend.demo import DEMO_HOSPITAL, DEMO_PASSWORD, seed_demo
from backend.security import Secrets
from tests.helpers import API, PASSWORD, database, expect, login, unique
from tests.web.care.conftest import sign_in

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="session")
async def demo(database_url, settings, session_clock) -> None:
    """The demo hospital in the suite's database, seeded at the suite's instant."""
    secrets = Secrets(settings.secret_key, time_cost=1, memory_kib=8)
    async with database(database_url) as conn:
        await seed_demo(conn, settings, secrets, session_clock)


async def test_the_tertial_report_of_the_demo_matches_the_database(care, demo, database_url):
    await sign_in(care, "nurse.neo", DEMO_PASSWORD)
    await care.get_by_role("link", name="Tertialrapport").click()
    table = care.locator("table.report[data-programme='premature-home']")
    await table.wait_for()
    async with database(database_url) as conn:
        unit = await conn.fetchrow(
            """select u.id from units u join organisations o on o.id = u.organisation_id
               where o.name = $1 and u.name = 'Nyfødtintensiv'""",
            DEMO_HOSPITAL,
        )
        followed = await conn.fetchval(
            "select count(distinct patient_id) from enrolments where unit_id = $1 and programme = 'premature-home'",
            unit["id"],
        )
        registrations = await conn.fetchval(
            """select count(*) from measurements m join enrolments e on e.patient_id = m.patient_id
               where e.unit_id = $1 and m.measured_at >= e.started_at""",
            unit["id"],
        )
        high = await conn.fetchval(
            """select count(*) from alerts a join enrolments e on e.patient_id = a.patient_id
               where e.unit_id = $1 and a.severity = 'high'""",
            unit["id"],
        )
    assert await table.get_attribute("data-unit") == str(unit["id"])
    assert await table.locator("[data-figure='patients_followed']").inner_text() == str(followed) == "2"
    assert await table.locator("[data-figure='registrations']").inner_text() == str(registrations)
    assert (await table.locator("[data-figure='alerts_high']").inner_text()).startswith(f"{high} ")

    async with care.expect_download() as downloading:
        await care.get_by_role("button", name="Last ned CSV").click()
    download = await downloading.value
    assert download.suggested_filename.startswith("heima-tertial-2026-T3")
    rows = list(csv.DictReader(io.StringIO((await download.path()).read_text(encoding="utf-8"))))
    [row] = [r for r in rows if r["unit_id"] == str(unit["id"])]
    assert row["patients_followed"] == "2" and row["registrations"] == str(registrations)


async def test_an_admin_creates_a_unit_and_a_nurse(care, client, web_world, database_url):
    admin_name = unique("admin")
    from tests.helpers import create_admin

    await create_admin(database_url, client.app.state.settings, admin_name)
    await sign_in(care, admin_name)
    await care.get_by_role("heading", name="Administrasjon").wait_for()
    # An administrator sees no clinical screens.
    assert await care.get_by_role("link", name="Arbeidsliste").count() == 0

    unit_name = unique("Barneavdeling")
    await care.get_by_text("Ny avdeling", exact=True).first.click()
    await care.locator("input[name='unit-name']").fill(unit_name)
    await care.get_by_role("button", name="Ny avdeling").click()
    await care.get_by_text(unit_name).first.wait_for()

    username = unique("sykepleier")
    await care.get_by_text("Ny ansatt", exact=True).first.click()
    await care.locator("input[name='new-username']").fill(username)
    await care.locator("input[name='new-password']").fill(PASSWORD)
    await care.locator("input[name='new-display-name']").fill("Siri Sykepleier")
    await care.get_by_role("checkbox", name=unit_name, exact=False).check()
    await care.get_by_role("button", name="Ny ansatt").click()
    await care.locator(f"tr[data-user='{username}']").wait_for()

    tokens = await login(client, username)
    units = await expect(
        await client.get(f"{API}/me/units", headers={"Authorization": f"Bearer {tokens['access_token']}"}), 200
    )
    assert [u["name"] for u in units["items"]] == [unit_name]
    assert uuid.UUID(units["items"][0]["id"])
