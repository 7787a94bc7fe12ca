"""The shared browser fixtures work: each app loads in Chromium from Heima alone, installable (a
manifest), and the family app's service worker takes control of its scope."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.parametrize("mount", ["/app/", "/care/"])
async def test_each_app_loads_from_heima_alone(page, mount):
    await page.goto(mount)
    # The app rendered (its script ran under the page's Content-Security-Policy).
    await page.locator("#root > *").first.wait_for()
    await page.get_by_role("heading").first.wait_for()
    assert await page.locator("link[rel=manifest]").get_attribute("href") == f"{mount}manifest.webmanifest"


async def test_the_family_service_worker_controls_the_app(page):
    await page.goto("/app/")
    scope = await page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope.endswith("/app/")
