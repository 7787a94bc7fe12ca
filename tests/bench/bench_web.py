"""The web apps' budgets (docs/web.md, docs/care-app.md): what a browser downloads on the first
load, and Lighthouse. A script, not a test.

    .venv/bin/python tests/bench/bench_web.py               # first-load bytes of both apps (web/dist)
    .venv/bin/python tests/bench/bench_web.py --lighthouse  # and Lighthouse against a real server
    .venv/bin/python tests/bench/bench_web.py --app care --lighthouse   # one app

First load: the page and every script and stylesheet it names, each compressed as gzip -9 (what a
server or proxy in front of Heima sends). The family app's goal is 150 KB of JavaScript and CSS on
a phone; the care app (a desktop or tablet on the hospital's network) is held to the same figure.

Lighthouse (npm `lighthouse@12.2.3`, the last that runs on Node 20, fetched by `npx` from the npm
registry on first use) runs against `heima serve` on a database of its own (the same conventions as
bench_upload.py: HEIMA_BENCH_DATABASE_URL, HEIMA_BENCH_REDIS_URL) with the system Chromium:
  - family: /app/ in mobile emulation (the activation screen: what a parent sees first);
    goals performance ≥ 90, accessibility ≥ 95, best practices ≥ 95;
  - care: desktop, on the demo data (`heima seed-demo`): /care/ signed out (the sign-in screen), and
    the worklist signed in as the demo's neonatal nurse. For the second, the script starts Chromium
    with a DevTools port, signs in through the page with Playwright, and points Lighthouse at the
    same browser without resetting its storage, so the session the page keeps is used. Goals
    accessibility ≥ 95 and best practices ≥ 95 (and performance reported).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_upload import DEFAULT_SERVER_DSN, Server, running_server  # noqa: E402
from tests.localhost import create_database, drop_database  # noqa: E402

DIST = ROOT / "web" / "dist"
MOUNTS = {"family": "/app/", "care": "/care/"}
BUDGET_BYTES = 150 * 1024
FAMILY_GOALS = {"performance": 90, "accessibility": 95, "best-practices": 95}
CARE_GOALS = {"accessibility": 95, "best-practices": 95}
LIGHTHOUSE = "lighthouse@12.2.3"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
DEMO_NURSE, DEMO_PASSWORD = "nurse.neo", "heima-demo-password"


def first_load(app: str) -> dict[str, tuple[int, int]]:
    """Each file the first page load of `app` fetches: (bytes, gzip -9 bytes)."""
    mount, folder = MOUNTS[app], DIST / app
    page = (folder / "index.html").read_text()
    pattern = rf'(?:src|href)="({re.escape(mount)}assets/[^"]+)"'
    names = ["index.html"] + [m.removeprefix(mount) for m in re.findall(pattern, page)]
    sizes = {}
    for name in names:
        body = (folder / name).read_bytes()
        sizes[name] = (len(body), len(gzip.compress(body, compresslevel=9)))
    return sizes


def report_bytes(app: str) -> bool:
    print(f"{app} app ({MOUNTS[app]}), first load:")
    sizes = first_load(app)
    for name, (raw, packed) in sizes.items():
        print(f"  {name:<40} {raw:>8} B   gzip {packed:>7} B")
    js = sum(packed for name, (_, packed) in sizes.items() if name.endswith(".js"))
    css = sum(packed for name, (_, packed) in sizes.items() if name.endswith(".css"))
    met = js + css <= BUDGET_BYTES
    print(
        f"  JavaScript + CSS: {(js + css) / 1024:.1f} KB compressed (JS {js / 1024:.1f} KB, CSS {css / 1024:.1f} KB;"
        f" goal ≤ 150 KB): {'met' if met else 'MISSED'}"
    )
    return met


def lighthouse(url: str, workdir: Path, *, desktop: bool, port: int | None = None) -> dict[str, int]:
    output = workdir / f"lighthouse-{time.monotonic_ns()}.json"
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    command = [
        "npx",
        "--yes",
        LIGHTHOUSE,
        url,
        "--quiet",
        "--output=json",
        f"--output-path={output}",
        "--only-categories=performance,accessibility,best-practices",
    ]
    command += ["--preset=desktop"] if desktop else ["--form-factor=mobile"]
    if port is None:
        command.append(f"--chrome-flags={' '.join(CHROMIUM_FLAGS)}")
    else:
        # A browser already running (signed in): keep its storage, or the session is wiped first.
        command += [f"--port={port}", "--disable-storage-reset"]
    subprocess.run(command, check=True, env=env, cwd=workdir)
    report = json.loads(output.read_text())
    failed = [
        audit["id"]
        for category in ("accessibility", "best-practices")
        for ref in report["categories"][category]["auditRefs"]
        if ref["weight"] and (audit := report["audits"][ref["id"]])["score"] is not None and audit["score"] < 1
    ]
    if failed:
        print(f"  {url}: audits not passed: {', '.join(failed)}")
    # The page audited, in one figure: the signed-in worklist has many more elements than sign-in.
    print(f"  {url}: {report['audits']['dom-size']['numericValue']:.0f} DOM elements")
    return {name: round(category["score"] * 100) for name, category in report["categories"].items()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def debuggable_chromium(workdir: Path) -> Iterator[int]:
    """The system Chromium with a DevTools port and a profile of its own; stopped by PID."""
    port = free_port()
    profile = workdir / "chromium-profile"
    process = subprocess.Popen(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--remote-debugging-port={port}", f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        shutil.rmtree(profile, ignore_errors=True)


async def sign_in_care(port: int, base_url: str) -> None:
    """Sign the demo nurse in on the browser at `port` (English, the headless default); the tokens
    stay in its localStorage."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
        page = await browser.contexts[0].new_page()
        await page.goto(f"{base_url}/care/")
        await page.get_by_label("Username").fill(DEMO_NURSE)
        await page.get_by_label("Password").fill(DEMO_PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.locator("[data-alert-id]").first.wait_for()
        await page.close()


def seed_demo(server: Server) -> None:
    subprocess.run(
        [sys.executable, "-m", "backend.cli", "seed-demo"],
        cwd=ROOT,
        env=server.env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def verdict(label: str, scores: dict[str, int], goals: dict[str, int]) -> bool:
    met = True
    for category in ("performance", "accessibility", "best-practices"):
        goal = goals.get(category)
        ok = goal is None or scores.get(category, 0) >= goal
        met = met and ok
        said = f"(goal ≥ {goal}): {'met' if ok else 'MISSED'}" if goal else "(reported)"
        print(f"Lighthouse {label} {category}: {scores.get(category)} {said}")
    return met


async def report_lighthouse(apps: list[str]) -> bool:
    server_dsn = os.environ.get("HEIMA_BENCH_DATABASE_URL", DEFAULT_SERVER_DSN)
    name, dsn = await create_database(server_dsn)
    met = True
    try:
        with (
            tempfile.TemporaryDirectory(prefix="heima-bench-web-") as tmp,
            running_server(dsn, Path(tmp), None) as server,
        ):
            workdir = Path(tmp)
            if "family" in apps:
                scores = await asyncio.to_thread(lighthouse, f"{server.base_url}/app/", workdir, desktop=False)
                met = verdict("family /app/ (mobile)", scores, FAMILY_GOALS) and met
            if "care" in apps:
                await asyncio.to_thread(seed_demo, server)
                scores = await asyncio.to_thread(lighthouse, f"{server.base_url}/care/", workdir, desktop=True)
                met = verdict("care /care/ signed out (desktop)", scores, CARE_GOALS) and met
                with debuggable_chromium(workdir) as port:
                    await sign_in_care(port, server.base_url)
                    scores = await asyncio.to_thread(
                        lighthouse, f"{server.base_url}/care/", workdir, desktop=True, port=port
                    )
                met = verdict("care worklist signed in, demo data (desktop)", scores, CARE_GOALS) and met
    finally:
        await drop_database(server_dsn, name)
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app", choices=["family", "care", "all"], default="all")
    parser.add_argument("--lighthouse", action="store_true", help="also run Lighthouse against a real server")
    args = parser.parse_args()
    apps = list(MOUNTS) if args.app == "all" else [args.app]
    if not all((DIST / app / "index.html").is_file() for app in apps):
        print("web/dist is missing: run ./dev.py (or npm ci && npm run build in web/)", file=sys.stderr)
        return 2
    met = all([report_bytes(app) for app in apps])
    if args.lighthouse:
        met = asyncio.run(report_lighthouse(apps)) and met
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
