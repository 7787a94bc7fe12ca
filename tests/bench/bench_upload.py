"""P3 (docs/performance.md): batch upload of 1,000 measurements per request vs raw asyncpg COPY.

    .venv/bin/python tests/bench/bench_upload.py [--rounds 5] [--batches 10]

One run, on loopback, bounded (well under two minutes), and it cleans up after itself:
  1. creates a fresh database on the PostgreSQL server named by HEIMA_BENCH_DATABASE_URL (a DSN of
     any database on it, e.g. postgresql://postgres@127.0.0.1:5432/postgres; that is the default)
     and applies the migrations;
  2. starts the real service (`heima serve`, the shipped configuration) as a child
     process on a free 127.0.0.1 port; creates an administrator, a unit and a clinician through
     the API, and per round (and for the warm-up) a premature-home infant born just before the
     round's registrations and its guardian (activation code → phone tokens): the server refuses
     a measurement from before the patient's day of birth;
  3. interleaves rounds A B A B …:
       A (ceiling): `copy_records_to_table` of 1,000 measurement rows into the same `measurements`
         table (the round's infant), one batch after another on one connection;
       B (product): HTTP POST of 1,000-item batches (fresh ids each) by the guardian, one request
         after another on one keep-alive connection — strict decoding, access check and access
         log, validation and unit conversion, idempotent insert, all in one transaction;
     rows/s for each over the same number of batches; payloads and rows are built before the
     clock starts, so neither side pays for making its input;
  4. prints each round, the median ratio B/A and whether goal P3 (≥ 0.70×) is met; stops the
     server and drops the database.

The file name has no `test_` prefix so pytest never collects it. Ratios, not absolute figures, are
what count on a shared two-core machine; the load generator shares those cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from backend.measurements.service import COPY_COLUMNS  # noqa: E402
from tests.localhost import answers, create_database, drop_database, free_port  # noqa: E402

GOAL = 0.70
BATCH = 1000
API = "/api/v1"
DEFAULT_SERVER_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench password that is long enough"
# The whole run stops here whatever happens (the brief: under two minutes).
DEADLINE_SECONDS = 110


# --- set-up -------------------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    env: dict[str, str]


@contextlib.contextmanager
def running_server(dsn: str, workdir: Path, profile: Path | None) -> Iterator[Server]:
    port = free_port()
    env = {
        **os.environ,
        "HEIMA_DATABASE_URL": dsn,
        "HEIMA_SECRET_KEY": secrets.token_urlsafe(48),
        "HEIMA_DATA_DIR": str(workdir / "data"),
    }
    redis_url = os.environ.get("HEIMA_BENCH_REDIS_URL") or (
        "redis://127.0.0.1:6379/0" if answers("127.0.0.1", 6379) else ""
    )
    env["HEIMA_REDIS_URL"] = redis_url
    command = [sys.executable]
    if profile is not None:
        # cProfile sees only its own process: serve in it (granian's workers are processes of their own).
        env.update(HEIMA_SERVER="uvicorn", HEIMA_WORKERS="1")
        command += ["-m", "cProfile", "-o", str(profile)]
    command += ["-m", "backend.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    log_path = workdir / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", log_path, env)
    try:
        _wait_until_live(server)
        yield server
    finally:
        # SIGINT: uvicorn shuts down gracefully, then re-raises it as KeyboardInterrupt, which lets
        # cProfile write its file (after SIGTERM the process dies before it can).
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_until_live(server: Server) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError("the server exited:\n" + server.log_path.read_text(errors="replace")[-3000:])
        try:
            if httpx.get(f"{server.base_url}/health/live", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)  # polling a child process that is starting up
    raise RuntimeError("the server did not answer /health/live within 30 s")


def create_admin(server: Server, username: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "backend.cli", "create-admin", "--username", username],
        input=(PASSWORD + "\n").encode(),
        cwd=ROOT,
        env=server.env,
        check=True,
        capture_output=True,
        timeout=60,
    )


async def _call(client: httpx.AsyncClient, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.request(method, f"{API}{path}", headers=headers, **kw)
    if response.status_code >= 300:
        raise RuntimeError(f"{method} {path} → {response.status_code}: {response.text[:500]}")
    return response.json() if response.content else None


@dataclass
class Actors:
    patient_id: str
    guardian_id: str
    guardian_token: str


@dataclass
class Nurse:
    id: str
    token: str
    unit_ids: list[str]  # the nurse works in the first


async def create_nurse(client: httpx.AsyncClient, admin_username: str, units: tuple[str, ...] = ("Nyfødt",)) -> Nurse:
    """Through the API: a hospital with `units`, and a nurse of the first one, signed in."""
    login = {"username": admin_username, "password": PASSWORD}
    admin = (await _call(client, "POST", "/auth/login", json=login))["access_token"]
    org = await _call(client, "POST", "/organisations", admin, json={"name": "Bench hospital", "kind": "hospital"})
    unit_ids = [
        (await _call(client, "POST", f"/organisations/{org['id']}/units", admin, json={"name": name}))["id"]
        for name in units
    ]
    nurse = {
        "username": "bench-nurse",
        "password": PASSWORD,
        "display_name": "Bench nurse",
        "role": "clinician",
        "profession": "nurse",
        "unit_ids": unit_ids[:1],
    }
    nurse_id = (await _call(client, "POST", "/users", admin, json=nurse))["id"]
    login = {"username": "bench-nurse", "password": PASSWORD}
    token = (await _call(client, "POST", "/auth/login", json=login))["access_token"]
    return Nurse(nurse_id, token, unit_ids)


async def create_infant(client: httpx.AsyncClient, nurse: Nurse, birth: date) -> Actors:
    """Through the API: a premature-home infant born on `birth`, and its guardian signed in."""
    clinician, unit_id = nurse.token, nurse.unit_ids[0]
    body = {"display_name": "Bench baby", "birth_date": birth.isoformat(), "unit_id": unit_id}
    patient = await _call(client, "POST", "/patients", clinician, json=body)
    enrolment = {
        "programme": "premature-home",
        "unit_id": unit_id,
        "parameters": {"birth_weight_g": 1650, "prescribed_ml_per_kg_day": 160},
    }
    await _call(client, "POST", f"/patients/{patient['id']}/enrolments", clinician, json=enrolment)
    code = await _call(
        client,
        "POST",
        f"/patients/{patient['id']}/activation-codes",
        clinician,
        json={"role": "guardian", "display_name": "Bench parent"},
    )
    tokens = await _call(client, "POST", "/auth/activate", json={"code": code["code"], "device_name": "bench phone"})
    me = await _call(client, "GET", "/me", tokens["access_token"])
    return Actors(patient["id"], me["id"], tokens["access_token"])


# --- workloads ------------------------------------------------------------------------------------

# Realistic phone content: a mix of types as a premature-home family registers them.
# Registrations six minutes apart, moving forward in time like a phone's queue: a 1,000-item batch
# is four days of offline backlog, about 60 feeds a day — dense but real-looking. Packed a second
# apart (and going backwards), every batch landed on one local day before everything stored, and
# the rules re-read tens of thousands of rows: a patient no phone produces.
SPACING = timedelta(minutes=6)

_KINDS = (
    ("body_weight", "g", lambda i: 1650 + i % 900, None),
    ("body_weight", "kg", lambda i: round(1.65 + (i % 900) / 1000, 3), None),
    ("feeding_volume", "mL", lambda i: 20 + i % 40, {"route": "tube"}),
    ("body_temperature", "Cel", lambda i: round(36.5 + (i % 10) / 10, 1), None),
)


def upload_payloads(batches: int, start: datetime) -> list[tuple[bytes, list[str]]]:
    payloads = []
    for b in range(batches):
        items = []
        for i in range(BATCH):
            type_, unit, value, attributes = _KINDS[i % len(_KINDS)]
            item: dict[str, Any] = {
                "id": str(uuid.uuid4()),
                "type": type_,
                "value": value(i),
                "unit": unit,
                "measured_at": (start + SPACING * (b * BATCH + i)).isoformat(),
            }
            if attributes:
                item["attributes"] = attributes
            items.append(item)
        payloads.append((msgspec.json.encode({"measurements": items}), [m["id"] for m in items]))
    return payloads


def copy_batches(batches: int, actors: Actors, start: datetime) -> list[list[tuple[Any, ...]]]:
    patient, recorder = uuid.UUID(actors.patient_id), uuid.UUID(actors.guardian_id)
    out = []
    for b in range(batches):
        rows = []
        for i in range(BATCH):
            type_, unit, value, attributes = _KINDS[i % len(_KINDS)]
            canonical = value(i) * 1000 if unit == "kg" else value(i)
            ident = uuid.uuid4()
            rows.append(
                (
                    patient,
                    ident,
                    type_,
                    float(canonical),
                    None,
                    None,
                    "g" if unit == "kg" else unit,
                    float(value(i)),
                    unit,
                    msgspec.json.encode(attributes or {}).decode(),
                    None,
                    start + SPACING * (b * BATCH + i),
                    start,
                    recorder,
                    "guardian",
                    hashlib.sha256(ident.bytes).digest(),
                )
            )
        out.append(rows)
    return out


async def run_copy(conn: asyncpg.Connection, batches: list[list[tuple[Any, ...]]]) -> float:
    began = time.perf_counter()
    for rows in batches:
        await conn.copy_records_to_table("measurements", records=rows, columns=COPY_COLUMNS)
    return len(batches) * BATCH / (time.perf_counter() - began)


async def run_upload(
    client: httpx.AsyncClient, actors: Actors, payloads: list[tuple[bytes, list[str]]]
) -> tuple[float, list[httpx.Response]]:
    url = f"{API}/patients/{actors.patient_id}/measurements"
    headers = {"Authorization": f"Bearer {actors.guardian_token}", "Content-Type": "application/json"}
    responses = []
    began = time.perf_counter()
    for body, _ in payloads:
        responses.append(await client.post(url, content=body, headers=headers))
    rate = len(payloads) * BATCH / (time.perf_counter() - began)
    return rate, responses


async def server_time(client: httpx.AsyncClient) -> tuple[float, int]:
    """(seconds, requests) the server's own histogram has recorded for uploads so far: how much of
    each batch's wall time the server spent, between receiving the request and answering."""
    text = (await client.get("/metrics")).text
    total, count = 0.0, 0
    for line in text.splitlines():
        if 'method="POST"' in line and "/measurements" in line:
            if line.startswith("heima_http_request_duration_seconds_sum"):
                total += float(line.rsplit(" ", 1)[1])
            elif line.startswith("heima_http_request_duration_seconds_count"):
                count += int(float(line.rsplit(" ", 1)[1]))
    return total, count


def check_uploads(responses: list[httpx.Response], payloads: list[tuple[bytes, list[str]]]) -> None:
    """Outside the timed section: every item of every batch was created."""
    for response, (_, ids) in zip(responses, payloads, strict=True):
        if response.status_code != 200:
            raise RuntimeError(f"upload answered {response.status_code}: {response.text[:500]}")
        results = response.json()["results"]
        if [r["id"] for r in results] != ids or {r["status"] for r in results} != {"created"}:
            bad = [r for r in results if r["status"] != "created"][:3]
            raise RuntimeError(f"not every item was created: {bad}")


# --- the run ---------------------------------------------------------------------------------------


def round_span(batches: int) -> timedelta:
    """How long a round's registrations span (10 batches: about 42 days)."""
    return SPACING * batches * BATCH


async def bench(server: Server, dsn: str, rounds: int, batches: int) -> bool:
    admin = "bench-admin"
    create_admin(server, admin)
    # The server's clock is the machine's: measurements lie in the past of it, and never before the
    # patient was born (the server refuses those). Every round (and the warm-up) therefore has an
    # infant of its own, born just before the round's window, which ends an hour before now: the
    # same age and the same empty history each round, whatever the number of rounds.
    span = round_span(batches)
    base = datetime.now(UTC) - timedelta(hours=1) - span - timedelta(hours=12)
    birth = (base - timedelta(days=2)).date()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        nurse = await create_nurse(client, admin)
        copy_conn = await asyncpg.connect(dsn)
        try:
            # Warm-up, not counted: connections, prepared statements, caches.
            warm_infant = await create_infant(client, nurse, birth)
            await run_copy(copy_conn, copy_batches(1, warm_infant, base))
            warm = upload_payloads(1, base + timedelta(hours=12))
            check_uploads((await run_upload(client, warm_infant, warm))[1], warm)

            print(f"P3 batch upload vs raw COPY: {BATCH} rows per batch, {batches} batches per side per round")
            print(
                f"{'round':>5}  {'A copy rows/s':>14}  {'B upload rows/s':>16}  {'B/A':>6}"
                f"  {'A ms/batch':>10}  {'B ms/batch':>10}  {'B in server':>11}"
            )
            ratios = []
            for r in range(rounds):
                infant = await create_infant(client, nurse, birth)
                # The COPY's rows and the uploads' interleave in time (12 hours apart), on one patient.
                rows = copy_batches(batches, infant, base)
                payloads = upload_payloads(batches, base + timedelta(hours=12))
                copy_rate = await run_copy(copy_conn, rows)
                seconds_before, requests_before = await server_time(client)
                upload_rate, responses = await run_upload(client, infant, payloads)
                seconds_after, requests_after = await server_time(client)
                check_uploads(responses, payloads)
                ratios.append(upload_rate / copy_rate)
                in_server = (seconds_after - seconds_before) / max(requests_after - requests_before, 1) * 1000
                print(
                    f"{r + 1:>5}  {copy_rate:>14,.0f}  {upload_rate:>16,.0f}  {ratios[-1]:>5.2f}×"
                    f"  {BATCH / copy_rate * 1000:>10.1f}  {BATCH / upload_rate * 1000:>10.1f}  {in_server:>8.1f} ms",
                    flush=True,
                )

            stored = await copy_conn.fetchval("select count(*) from measurements")
            expected = 2 * BATCH * (1 + rounds * batches)
            if stored != expected:
                raise RuntimeError(f"{stored} rows stored, {expected} expected")
        finally:
            await copy_conn.close()

    median = statistics.median(ratios)
    met = median >= GOAL
    print(f"median B/A = {median:.2f}× (goal P3: ≥ {GOAL:.2f}×) → {'MET' if met else 'NOT MET'}")
    print(f"rows stored and checked: {stored:,} (every upload item answered 'created')")
    return met


async def main_async(args: argparse.Namespace) -> int:
    server_dsn = os.environ.get("HEIMA_BENCH_DATABASE_URL") or DEFAULT_SERVER_DSN
    profile: Path | None = args.profile
    name, dsn = await create_database(server_dsn)
    try:
        with tempfile.TemporaryDirectory(prefix="heima-bench-") as tmp:
            with running_server(dsn, Path(tmp), profile) as server:
                async with asyncio.timeout(DEADLINE_SECONDS):
                    met = await bench(server, dsn, args.rounds, args.batches)
            if profile is not None:
                print(f"server profile written to {profile} (python -m pstats {profile})")
    finally:
        await drop_database(server_dsn, name)
    return 0 if met or not args.strict else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved A/B rounds (≥ 3)")
    parser.add_argument("--batches", type=int, default=10, help="1000-row batches per side per round")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the goal is not met")
    parser.add_argument("--profile", metavar="FILE", help="run the server under cProfile, write stats to FILE")
    args = parser.parse_args()
    # The server runs in the repository root: a relative path must mean the caller's directory.
    args.profile = Path(args.profile).resolve() if args.profile else None
    if args.rounds < 3:
        parser.error('at least 3 rounds (docs/performance.md, "How to measure")')
    if not 1 <= args.batches <= 50:
        parser.error("--batches must be 1 to 50 (the run must stay short)")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
