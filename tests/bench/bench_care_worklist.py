"""The care app's worklist with 500 open alerts, in Chromium: does it stay responsive? A script,
not a test (docs/performance.md records its figures; nothing here is a pass/fail timing).

    .venv/bin/python tests/bench/bench_care_worklist.py [--alerts 500] [--rounds 5]

One run, on loopback, and it cleans up after itself:
  1. creates a database on HEIMA_BENCH_DATABASE_URL (the conventions of bench_upload.py), starts
     `heima serve` on it, seeds the demo (for its administrator), and through the API makes a unit
     of its own, its nurse, and `--alerts` infants each with a fever: that many open high alerts;
  2. signs the nurse in on the system Chromium (Playwright, 1280×900) and measures, `--rounds`
     times each, with timestamps taken in the page (a MutationObserver, so a figure is the moment
     the DOM had changed, not when a test harness polled):
       - load: from navigation start to every alert's row in the DOM (the first paint of the full
         list), with the longest main-thread task and the total blocking time (long tasks' excess
         over 50 ms) during it;
       - live, new alert: a parent's upload raising another alert, from just before the request
         is sent to its row in the DOM (the live feed, then the worklist re-read);
       - live, update: a new breach of an alert already listed, until its occurrence count changes;
       - acknowledge: from the click to the row saying "acknowledged" (the POST and the re-render);
       - filter: choosing "medium" (no rows) and back to all severities, until the rows are back;
  3. prints each round and the medians; stops the server by PID and drops the database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_upload import DEFAULT_SERVER_DSN, running_server  # noqa: E402
from tests.bench.bench_web import CHROMIUM, DEMO_PASSWORD, seed_demo  # noqa: E402
from tests.localhost import create_database, drop_database  # noqa: E402

API = "/api/v1"
INFANT = {"birth_weight_g": 1650, "prescribed_ml_per_kg_day": 160}
NURSE_PASSWORD = "bench-nurse-password-123"
VIEWPORT = {"width": 1280, "height": 900}

# In the page before any script: long tasks, and a promise that resolves with the time a condition
# on the DOM first held (checked on every mutation).
INIT_SCRIPT = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__longTasks.push([entry.startTime, entry.duration]);
}).observe({ type: "longtask", buffered: true });
// The first moment each number of worklist rows was in the DOM, from navigation start.
window.__rowsAt = {};
new MutationObserver(() => {
  const count = document.querySelectorAll("ul.alerts > li[data-alert-id]").length;
  if (!(count in window.__rowsAt)) window.__rowsAt[count] = performance.now();
}).observe(document, { subtree: true, childList: true });
window.__when = (test) => new Promise((resolve) => {
  const check = () => {
    if (test()) { observer.disconnect(); resolve({ now: performance.now(), epoch: Date.now() }); return true; }
    return false;
  };
  const observer = new MutationObserver(check);
  if (!check()) observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
});
"""


def median(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} ms (rounds {', '.join(f'{v:.0f}' for v in values)})"


class Hospital:
    """The API as the bench's nurse uses it."""

    def __init__(self, http: httpx.AsyncClient, headers: dict[str, str], unit_id: str) -> None:
        self.http, self.headers, self.unit_id = http, headers, unit_id

    async def infant(self) -> str:
        body = {"display_name": f"Bench {uuid.uuid4().hex[:6]}", "birth_date": _born(), "unit_id": self.unit_id}
        patient = (await self.http.post(f"{API}/patients", json=body, headers=self.headers)).raise_for_status().json()
        enrolment = {"programme": "premature-home", "unit_id": self.unit_id, "parameters": INFANT}
        url = f"{API}/patients/{patient['id']}/enrolments"
        (await self.http.post(url, json=enrolment, headers=self.headers)).raise_for_status()
        return patient["id"]

    async def fever(self, patient_id: str) -> str:
        item = {
            "id": str(uuid.uuid4()),
            "type": "body_temperature",
            "value": 38.9,
            "unit": "Cel",
            "attributes": {"site": "axillary"},
            "measured_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        }
        url = f"{API}/patients/{patient_id}/measurements"
        answer = (await self.http.post(url, json={"measurements": [item]}, headers=self.headers)).raise_for_status()
        return answer.json()["alerts"][0]["id"]


def _born() -> str:
    return (date.today() - timedelta(days=40)).isoformat()


async def open_ward(base_url: str, alerts: int) -> tuple[Hospital, str, list[str]]:
    """A unit of its own, its nurse, and `alerts` infants with a fever each (in parallel, 8 at a time)."""
    http = httpx.AsyncClient(base_url=base_url, timeout=30)
    login = await http.post(f"{API}/auth/login", json={"username": "admin", "password": DEMO_PASSWORD})
    admin = {"Authorization": f"Bearer {login.raise_for_status().json()['access_token']}"}
    organisations = (await http.get(f"{API}/organisations", headers=admin)).raise_for_status().json()["items"]
    hospital = next(o for o in organisations if o["kind"] == "hospital")
    unit = await http.post(
        f"{API}/organisations/{hospital['id']}/units", json={"name": "Benchmark ward"}, headers=admin
    )
    unit_id = unit.raise_for_status().json()["id"]
    nurse = f"bench.nurse.{uuid.uuid4().hex[:6]}"
    body = {
        "username": nurse,
        "password": NURSE_PASSWORD,
        "display_name": "Bench Nurse",
        "role": "clinician",
        "profession": "nurse",
        "unit_ids": [unit_id],
    }
    (await http.post(f"{API}/users", json=body, headers=admin)).raise_for_status()
    login = await http.post(f"{API}/auth/login", json={"username": nurse, "password": NURSE_PASSWORD})
    ward = Hospital(http, {"Authorization": f"Bearer {login.raise_for_status().json()['access_token']}"}, unit_id)
    gate = asyncio.Semaphore(8)
    patients: list[str] = []

    async def one() -> None:
        async with gate:
            patient = await ward.infant()
            await ward.fever(patient)
            patients.append(patient)

    await asyncio.gather(*(one() for _ in range(alerts)))
    return ward, nurse, patients


async def arm(page: Any, script: str, arg: Any) -> None:
    """Start watching the DOM for a condition (`script` stores `window.__when(…)` as
    `window.__pending`) before the action whose effect it waits for."""
    await page.evaluate(f"(arg) => {{ ({script})(arg); return true; }}", arg)


async def fired(page: Any) -> dict[str, float]:
    """When the armed condition first held: page time and epoch milliseconds."""
    return await page.evaluate("() => window.__pending")


async def measure(base_url: str, ward: Hospital, nurse: str, patients: list[str], alerts: int, rounds: int) -> None:
    from playwright.async_api import async_playwright

    rows = "document.querySelectorAll('ul.alerts > li[data-alert-id]').length"
    results: dict[str, list[float]] = {k: [] for k in ("load", "longest", "blocking", "new", "update", "ack", "filter")}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        context = await browser.new_context(base_url=base_url, viewport=VIEWPORT, locale="en-GB")
        await context.add_init_script(INIT_SCRIPT)
        page = await context.new_page()
        await page.goto("/care/")
        await page.get_by_label("Username").fill(nurse)
        await page.get_by_label("Password").fill(NURSE_PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_function(f"(n) => {rows} >= n", arg=alerts, timeout=120_000)
        expected = alerts

        for round_ in range(rounds):
            # Load: navigation start to the full list.
            await page.reload()
            await page.wait_for_function(f"(n) => {rows} >= n", arg=expected, timeout=60_000)
            full = await page.evaluate("(n) => window.__rowsAt[n]", expected)
            tasks = await page.evaluate("(until) => window.__longTasks.filter(([start]) => start <= until)", full)
            results["load"].append(full)
            results["longest"].append(max((d for _, d in tasks), default=0))
            results["blocking"].append(sum(max(0, d - 50) for _, d in tasks))
            await page.get_by_role("status").filter(has_text="Live").wait_for()

            # Live: a new alert (a new patient's fever) reaches the list.
            patient = await ward.infant()
            await arm(page, f"(n) => window.__pending = window.__when(() => {rows} >= n)", expected + 1)
            sent = time.time() * 1000
            alert_id = await ward.fever(patient)
            results["new"].append((await fired(page))["epoch"] - sent)
            expected += 1
            patients.append(patient)

            # Live: a new breach of a listed alert updates its occurrence count.
            target = patients[round_]
            listed = await page.evaluate(
                "(href) => [...document.querySelectorAll('li[data-alert-id]')]"
                ".find((li) => li.querySelector('.patient-link')?.getAttribute('href') === href)?.dataset.alertId",
                f"/care/patients/{target}",
            )
            await arm(
                page,
                "(id) => window.__pending = window.__when("
                "() => document.querySelector(`li[data-alert-id='${id}'] .meta`)?.textContent.includes('×2'))",
                listed,
            )
            sent = time.time() * 1000
            await ward.fever(target)
            results["update"].append((await fired(page))["epoch"] - sent)

            # Acknowledge the new alert: the click to its row saying so.
            row = page.locator(f"li[data-alert-id='{alert_id}']")
            await arm(
                page,
                "(id) => window.__pending = window.__when(() => document.querySelector(`li[data-alert-id='${id}']`)"
                "?.classList.contains('status-acknowledged'))",
                alert_id,
            )
            clicked = await page.evaluate("() => Date.now()")
            await row.get_by_role("button", name="Acknowledge").click()
            results["ack"].append((await fired(page))["epoch"] - clicked)

            # Filter: medium (no rows here), then all severities again.
            severity = page.get_by_label("Severity")
            await severity.select_option("medium")
            await page.wait_for_function(f"() => {rows} === 0")
            await arm(page, f"(n) => window.__pending = window.__when(() => {rows} >= n)", expected)
            chosen = await page.evaluate("() => Date.now()")
            await severity.select_option("")
            results["filter"].append((await fired(page))["epoch"] - chosen)

            print(
                f"round {round_ + 1}: load {results['load'][-1]:.0f} ms (longest task {results['longest'][-1]:.0f} ms,"
                f" blocking {results['blocking'][-1]:.0f} ms), new alert {results['new'][-1]:.0f} ms,"
                f" update {results['update'][-1]:.0f} ms, acknowledge {results['ack'][-1]:.0f} ms,"
                f" filter {results['filter'][-1]:.0f} ms ({expected} alerts listed)"
            )
        await browser.close()

    print(f"\nWorklist with {alerts}+ open alerts, medians of {rounds} rounds:")
    print(f"  load to every row in the DOM:       {median(results['load'])}")
    print(f"  longest main-thread task in it:     {median(results['longest'])}")
    print(f"  total blocking time in it:          {median(results['blocking'])}")
    print(f"  live, new alert: upload → row:      {median(results['new'])}")
    print(f"  live, new breach: upload → ×2:      {median(results['update'])}")
    print(f"  acknowledge: click → row updated:   {median(results['ack'])}")
    print(f"  filter back to all: choice → rows:  {median(results['filter'])}")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alerts", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    server_dsn = os.environ.get("HEIMA_BENCH_DATABASE_URL", DEFAULT_SERVER_DSN)
    name, dsn = await create_database(server_dsn)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="heima-bench-care-") as tmp,
            running_server(dsn, Path(tmp), None) as server,
        ):
            await asyncio.to_thread(seed_demo, server)
            started = time.monotonic()
            ward, nurse, patients = await open_ward(server.base_url, args.alerts)
            print(f"seeded {args.alerts} open alerts through the API in {time.monotonic() - started:.0f} s")
            await measure(server.base_url, ward, nurse, patients, args.alerts, args.rounds)
            await ward.http.aclose()
    finally:
        await drop_database(server_dsn, name)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
