"""The shared browser fixtures work: each app loads in Chromium from Heima alone, installable (a
manifest), and the family app's service worker takes control of its scope."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.parametrize(("mount", "heading"), [("/app/", "Heima"), ("/care/", "Heima for helsepersonell")])
async def test_each_app_loads_from_heima_alone(page, mount, heading):
    await page.goto(mount)
    await page.get_by_role("heading", name=heading, exact=True).wait_for()
    assert await page.locator("link[rel=manifest]").get_attribute("href") == f"{mount}manifest.webmanifest"


async def test_the_family_service_worker_controls_the_app(page):
    await page.goto("/app/")
    scope = await page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope.endswith("/app/")
