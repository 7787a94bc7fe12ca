"""The family app's budgets (docs/web.md): what a phone downloads on the first load, and Lighthouse
in mobile emulation. A script, not a test.

    .venv/bin/python tests/bench/bench_web.py               # first-load bytes (from web/dist)
    .venv/bin/python tests/bench/bench_web.py --lighthouse  # and Lighthouse against a real server

First load: the page and every script and stylesheet it names, each compressed as gzip -9 (what a
server or proxy in front of Heima sends), against the goal of 150 KB of JavaScript and CSS.

Lighthouse (npm `lighthouse@12.2.3`, the last that runs on Node 20, fetched by `npx` from the npm
registry on first use) runs against `heima serve` on a database of its own (the same conventions as
bench_upload.py: HEIMA_BENCH_DATABASE_URL, HEIMA_BENCH_REDIS_URL) with the system Chromium, and
prints the performance, accessibility and best-practices scores of /app/ (the activation screen:
what a parent sees first). Goals: ≥ 90, ≥ 95, ≥ 95.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_upload import DEFAULT_SERVER_DSN, running_server  # noqa: E402
from tests.localhost import create_database, drop_database  # noqa: E402

DIST = ROOT / "web" / "dist" / "family"
BUDGET_BYTES = 150 * 1024
GOALS = {"performance": 90, "accessibility": 95, "best-practices": 95}
LIGHTHOUSE = "lighthouse@12.2.3"
CHROMIUM = "/usr/bin/chromium"


def first_load() -> dict[str, tuple[int, int]]:
    """Each file the first page load fetches: (bytes, gzip -9 bytes)."""
    page = (DIST / "index.html").read_text()
    names = ["index.html"] + [m.removeprefix("/app/") for m in re.findall(r'(?:src|href)="(/app/assets/[^"]+)"', page)]
    sizes = {}
    for name in names:
        body = (DIST / name).read_bytes()
        sizes[name] = (len(body), len(gzip.compress(body, compresslevel=9)))
    return sizes


def report_bytes() -> bool:
    sizes = first_load()
    for name, (raw, packed) in sizes.items():
        print(f"  {name:<40} {raw:>8} B   gzip {packed:>7} B")
    code = sum(packed for name, (_, packed) in sizes.items() if name.endswith((".js", ".css")))
    met = code <= BUDGET_BYTES
    print(
        f"JavaScript + CSS on first load: {code / 1024:.1f} KB compressed (goal ≤ 150 KB): {'met' if met else 'MISSED'}"
    )
    return met


def lighthouse(url: str, workdir: Path) -> dict[str, int]:
    output = workdir / "lighthouse.json"
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    flags = "--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking"
    subprocess.run(
        [
            "npx",
            "--yes",
            LIGHTHOUSE,
            url,
            "--quiet",
            "--output=json",
            f"--output-path={output}",
            "--form-factor=mobile",
            "--only-categories=performance,accessibility,best-practices",
            f"--chrome-flags={flags}",
        ],
        check=True,
        env=env,
        cwd=workdir,
    )
    categories = json.loads(output.read_text())["categories"]
    return {name: round(category["score"] * 100) for name, category in categories.items()}


async def report_lighthouse() -> bool:
    server_dsn = os.environ.get("HEIMA_BENCH_DATABASE_URL", DEFAULT_SERVER_DSN)
    name, dsn = await create_database(server_dsn)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="heima-bench-web-") as tmp,
            running_server(dsn, Path(tmp), None) as server,
        ):
            scores = await asyncio.to_thread(lighthouse, f"{server.base_url}/app/", Path(tmp))
    finally:
        await drop_database(server_dsn, name)
    met = True
    for category, goal in GOALS.items():
        ok = scores.get(category, 0) >= goal
        met = met and ok
        print(f"Lighthouse {category}: {scores.get(category)} (goal ≥ {goal}): {'met' if ok else 'MISSED'}")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lighthouse", action="store_true", help="also run Lighthouse against a real server")
    args = parser.parse_args()
    if not (DIST / "index.html").is_file():
        print("web/dist is missing: run ./dev.py (or npm ci && npm run build in web/)", file=sys.stderr)
        return 2
    met = report_bytes()
    if args.lighthouse:
        met = asyncio.run(report_lighthouse()) and met
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
