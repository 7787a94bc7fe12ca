"""The load scenarios run end to end: `heima serve` on this run's database, seeded through the API by
seed.py, then locust (its own process: gevent monkey-patching) for a few seconds in "tour" mode,
where every simulated user first does each of its activities once.

What is asserted is what happened, not how fast: every main route was requested, nothing failed
(status and every upload item's result were checked by the locustfile), resent batches came back
`duplicate`, and the registrations, alerts and a resolved alert are in the database.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import re
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

from tests.conftest import SECRET_KEY
from tests.localhost import free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
HEIMA = Path(sys.executable).with_name("heima")
READY_SECONDS = 60
# Every route the mix must have exercised ("[...]" marks upload variants of one route).
MAIN_ROUTES = {
    ("GET", "/me"),
    ("POST", "/patients/{id}/measurements"),
    ("POST", "/patients/{id}/measurements [offline batch]"),
    ("POST", "/patients/{id}/measurements [resent batch]"),
    ("GET", "/patients/{id}/measurements"),
    ("GET", "/patients/{id}/forms"),
    ("POST", "/patients/{id}/form-responses"),
    ("GET", "/patients/{id}/alerts"),
    ("POST", "/patients/{id}/contact-requests"),
    ("POST", "/auth/login"),
    ("GET", "/patients?unit_id={id}"),
    ("GET", "/alerts?status=open&unit_id={id}"),
    ("GET", "/patients/{id}"),
    ("GET", "/alerts/stream"),
    ("POST", "/alerts/{id}/acknowledge"),
    ("POST", "/alerts/{id}/resolve"),
    ("POST", "/meetings"),
    ("POST", "/meetings/{id}/join"),
}


def _env(database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEIMA_")}
    env.update(
        HEIMA_DATABASE_URL=database_url,
        HEIMA_REDIS_URL=redis_url,
        HEIMA_SECRET_KEY=SECRET_KEY,
        # argon2id at its cheapest, as the rest of the suite: logins are not what this test is about.
        HEIMA_PASSWORD_HASH_TIME_COST="1",
        HEIMA_PASSWORD_HASH_MEMORY_KIB="8",
        HEIMA_LOG_LEVEL="WARNING",
    )
    return env


def _wait_ready(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    with httpx.Client(timeout=2) as http:
        while True:
            assert process.poll() is None, f"heima serve exited: {log.read_text(errors='replace')[-2000:]}"
            try:
                if http.get(f"{base}/health/ready").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "heima serve did not become ready"
            time.sleep(0.1)  # waiting for a child process to listen, not for test logic


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


async def _stored(database_url: str, credentials: dict) -> dict[str, int]:
    infants = [i["patient_id"] for f in credentials["families"] for i in f["infants"]]
    copd = [p["patient_id"] for p in credentials["copd"]]
    dialysis = [p["patient_id"] for p in credentials["dialysis"]]
    everyone = [uuid.UUID(p) for p in infants + copd + dialysis]
    conn = await asyncpg.connect(database_url)
    try:

        async def measurements(ids: list[str]) -> int:
            query = "select count(*) from measurements where patient_id = any($1::uuid[])"
            return await conn.fetchval(query, [uuid.UUID(p) for p in ids])

        return {
            "infant measurements": await measurements(infants),
            "copd measurements": await measurements(copd),
            "dialysis measurements": await measurements(dialysis),
            "alerts": await conn.fetchval("select count(*) from alerts where patient_id = any($1::uuid[])", everyone),
            "resolved alerts": await conn.fetchval(
                "select count(*) from alerts where patient_id = any($1::uuid[]) and status = 'resolved'", everyone
            ),
        }
    finally:
        await conn.close()


def _run(database_url: str, redis_url: str, tmp_path: Path) -> tuple[dict, dict, str]:
    """Serve, seed, run locust; (credentials, locust's stats rows by (type, name), its output).
    Every process started here is stopped here, by its PID."""
    env = _env(database_url, redis_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_log = tmp_path / "heima.log"
    with server_log.open("wb") as out:
        server = subprocess.Popen(
            [str(HEIMA), "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    locust = None
    try:
        _wait_ready(server, base, server_log)
        admin, password = f"load-admin-{secrets.token_hex(3)}", secrets.token_urlsafe(16)
        subprocess.run(
            [str(HEIMA), "create-admin", "--username", admin],
            input=f"{password}\n".encode(),
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        credentials_path = tmp_path / "credentials.json"
        seed_args = ["--base-url", base, "--admin-username", admin, "--admin-password-stdin", "--families", "3"]
        seed_args += ["--twins-every", "2", "--copd", "2", "--dialysis", "2", "--nurses-per-unit", "1"]
        seeded = subprocess.run(
            [sys.executable, str(HERE / "seed.py"), *seed_args, "--out", str(credentials_path)],
            input=f"{password}\n".encode(),
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=120,
        )
        assert seeded.returncode == 0, seeded.stderr.decode(errors="replace")[-3000:]
        credentials = json.loads(credentials_path.read_text())

        csv_prefix = tmp_path / "smoke"
        locust_env = {
            **env,
            "HEIMA_LOAD_CREDENTIALS": str(credentials_path),
            "HEIMA_LOAD_TOUR": "1",
            "HEIMA_LOAD_PACE": "3600",
            "HEIMA_LOAD_SSE_SECONDS": "1",
        }
        # Three nurses (one per unit) so the neonatal nurse, who sees the tour's fevers, is among them.
        users = json.dumps(
            [
                {"user_class_name": "Clinician", "fixed_count": 3},
                {"user_class_name": "PrematureParent", "fixed_count": 3},
                {"user_class_name": "CopdPatient", "fixed_count": 2},
                {"user_class_name": "DialysisPatient", "fixed_count": 2},
            ]
        )
        command = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless"]
        command += ["--host", base, "-u", "10", "-r", "10", "-t", "6s", "--stop-timeout", "10"]
        command += ["--csv", str(csv_prefix), "--only-summary", "--config-users", users]
        locust_out = tmp_path / "locust.log"
        with locust_out.open("wb") as out:
            locust = subprocess.Popen(command, cwd=ROOT, env=locust_env, stdout=out, stderr=subprocess.STDOUT)
        code = locust.wait(timeout=90)
        output = locust_out.read_text(errors="replace")
        assert code == 0, output[-4000:]
        with open(f"{csv_prefix}_stats.csv", newline="") as f:
            rows = {(r["Type"], r["Name"]): r for r in csv.DictReader(f)}
        with open(f"{csv_prefix}_failures.csv", newline="") as f:
            assert list(csv.DictReader(f)) == [], output[-4000:]
        return credentials, rows, output
    finally:
        if locust is not None and locust.poll() is None:
            locust.terminate()
            locust.wait(timeout=20)
        _stop(server)


async def test_locust_mix_runs_against_heima_serve(database_url, redis_url, tmp_path):
    credentials, rows, output = await asyncio.to_thread(_run, database_url, redis_url, tmp_path)
    assert any(len(f["infants"]) == 2 for f in credentials["families"]), "no twins were seeded"

    missing = sorted(route for route in MAIN_ROUTES if int(rows.get(route, {}).get("Request Count", 0)) == 0)
    assert not missing, f"never requested: {missing}\n{output[-4000:]}"
    assert int(rows[("", "Aggregated")]["Failure Count"]) == 0, output[-4000:]

    # The locustfile's own tally of upload results: the resent batches were all duplicates.
    tally = re.search(r"upload items: (\{.*\})", output)
    assert tally, output[-2000:]
    items = json.loads(tally.group(1).replace("'", '"'))
    assert items.get("created", 0) > 0 and items.get("duplicate", 0) > 0, items

    stored = await _stored(database_url, credentials)
    assert stored["infant measurements"] > 0, stored
    assert stored["copd measurements"] > 0, stored
    assert stored["dialysis measurements"] > 0, stored
    # The tour sends one fever per infant, and the neonatal nurse takes the top alert to the end.
    assert stored["alerts"] > 0, stored
    assert stored["resolved alerts"] > 0, stored
