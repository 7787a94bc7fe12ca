"""Draw the README's pictures of the care app from the demo data, in the system Chromium.

    .venv/bin/python web/scripts/care_screenshots.py     # writes docs/images/care-*.png

Starts `heima serve` on a fresh database of the local PostgreSQL (HEIMA_BENCH_DATABASE_URL, as the
benches do; dropped afterwards), seeds the demo (`heima seed-demo`: a week of registrations and the
alerts they raise, all made up), signs in as the demo's nurses with Playwright (desktop 1280 px, in
English) and saves: the neonatal nurse's worklist with one alert's details open, a premature
infant's charts, and the COPD patient's charts (SpO2 and NEWS2 with their thresholds).
Run it after `./dev.py` has built the web apps.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_upload import DEFAULT_SERVER_DSN, running_server  # noqa: E402
from tests.bench.bench_web import CHROMIUM, DEMO_PASSWORD, seed_demo  # noqa: E402
from tests.localhost import create_database, drop_database  # noqa: E402

IMAGES = ROOT / "docs" / "images"
VIEWPORT = {"width": 1280, "height": 900}


async def sign_in(page, username: str) -> None:
    await page.goto("/care/")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_label("Password").wait_for(state="detached")


async def open_patient(page, name: str) -> None:
    await page.get_by_role("link", name="Patients").click()
    await page.get_by_role("link", name=name).first.click()
    await page.locator("figure.chart").first.wait_for()
    await page.wait_for_timeout(300)  # let the last charts lay out


async def draw(base_url: str) -> list[Path]:
    from playwright.async_api import async_playwright

    written = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        context = await browser.new_context(
            base_url=base_url, viewport=VIEWPORT, locale="en-GB", timezone_id="Europe/Oslo", device_scale_factor=1
        )
        page = await context.new_page()

        await sign_in(page, "nurse.neo")
        await page.get_by_role("status").filter(has_text="Live").wait_for()
        first = page.locator("ul.alerts > li[data-alert-id]").first
        await first.get_by_role("button", name="Details").click()
        await first.locator("ol.history li").first.wait_for()
        written.append(IMAGES / "care-worklist.png")
        await page.screenshot(path=written[-1])

        await open_patient(page, "Tvilling A Nordmann")
        written.append(IMAGES / "care-patient-charts.png")
        await page.screenshot(path=written[-1], full_page=True)

        await page.get_by_role("button", name="Sign out").click()
        await sign_in(page, "nurse.lung")
        await open_patient(page, "Ola Hansen")
        await page.locator("[data-series='news2']").wait_for()
        written.append(IMAGES / "care-copd-charts.png")
        await page.screenshot(path=written[-1], full_page=True)
        await browser.close()
    return written


async def main() -> int:
    server_dsn = os.environ.get("HEIMA_BENCH_DATABASE_URL", DEFAULT_SERVER_DSN)
    name, dsn = await create_database(server_dsn)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="heima-screenshots-") as tmp,
            running_server(dsn, Path(tmp), None) as server,
        ):
            await asyncio.to_thread(seed_demo, server)
            for path in await draw(server.base_url):
                print(f"wrote {path.relative_to(ROOT)}")
    finally:
        await drop_database(server_dsn, name)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
