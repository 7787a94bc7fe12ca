"""Browser tests of the web apps: Debian's Chromium driven by Playwright, against the app served in
this test run's event loop by uvicorn on a free port.

The server is `create_app` on the suite's database and its frozen clock (`session_clock`), so what
the pages see is consistent with the data the tests make; each browser context's clock is fixed at
the same instant. One browser for the whole run; a fresh context (profile) per test. Every request
a page makes is recorded, and a test fails if any left for somewhere other than Heima.

The care app's tests (tests/web/care/) use the same fixtures: `web_server`, `browser`, `context`,
`page`, `web_world`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from alerting.push.vapid import new_key_pair
from backend.app import create_app
from backend.clock import FrozenClock
from backend.settings import Settings
from backend.webapps import default_web_dir
from tests.conftest import make_settings
from tests.helpers import World, build_world
from tests.localhost import real_time_env
from tests.video.support import InProcessServer

CHROMIUM = Path(os.environ.get("HEIMA_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Video: a fake camera and microphone, permission granted, and WebRTC over loopback.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]
# A phone: the family app must work at this width (and at 320 px, tested where it matters).
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def web_settings(database_url: str, redis_url: str) -> Settings:
    private_key, _ = new_key_pair()
    return make_settings(
        database_url,
        redis_url,
        vapid_private_key=private_key,
        vapid_subject="mailto:drift@heima.test",
        # The echo test's peer may name loopback candidates: browser and server share this machine.
        echo_allowed_candidate_ips=("127.0.0.1",),
    )


@pytest.fixture(scope="session")
async def web_server(web_settings: Settings, session_clock: FrozenClock) -> AsyncIterator[str]:
    """The base URL of the app (API and web apps) on a real port."""
    if not (default_web_dir() / "family" / "index.html").is_file():
        pytest.fail("the web apps are not built: run ./dev.py (or `npm ci && npm run build` in web/)")
    server = InProcessServer(create_app(web_settings, clock=session_clock, configure_logs=False))
    await server.start()
    try:
        yield server.base
    finally:
        await server.stop()


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: ./dev.py test installs it as root (else apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        # Chromium keeps the real time when the suite runs under faketime (docs/testing.md); the
        # pages' own clock is set per context.
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, env=real_time_env()
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def context(browser, web_server: str, session_clock: FrozenClock) -> AsyncIterator[object]:
    """A fresh browser profile on a phone-sized screen, in bokmål, at the suite's instant; fails the
    test when a page asked for anything outside Heima."""
    context = await browser.new_context(
        base_url=web_server, viewport=PHONE, locale="nb-NO", timezone_id="Europe/Oslo", service_workers="allow"
    )
    await context.clock.set_fixed_time(session_clock.now)
    elsewhere: list[str] = []

    def record(request) -> None:
        if not request.url.startswith((web_server, "data:", "blob:")):
            elsewhere.append(request.url)

    context.on("request", record)
    try:
        yield context
    finally:
        await context.close()
    assert elsewhere == [], f"requests left for somewhere other than Heima: {elsewhere}"


@pytest.fixture
async def page(context) -> object:
    return await context.new_page()


@pytest.fixture(scope="session")
async def web_world(client, database_url: str, settings: Settings) -> World:
    """Actors of their own for the browser tests (admin, clinicians of two units, a guardian of
    twins, a COPD patient), so what the pages register never meets other tests' data."""
    return await build_world(client, database_url, settings)
