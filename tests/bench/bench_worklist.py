"""P6 (docs/performance.md): the clinician's unit overview vs the trivial POST, and flat from 10 thousand to
10 million stored measurements.

    .venv/bin/python tests/bench/bench_worklist.py [--rounds 3] [--seconds 5] [--large 5000000]
    .venv/bin/python tests/bench/bench_worklist.py --large 10000000 --strict   # P6's full size

One run, on loopback, bounded, and it cleans up after itself:
  1. creates two fresh databases on the PostgreSQL server named by HEIMA_BENCH_DATABASE_URL (default
     postgresql://postgres@127.0.0.1:5432/postgres), "small" and "large", migrates both, and starts
     `heima serve` (the shipped server config, 1 worker) on each, plus the trivial Litestar POST app
     (tests/bench/trivial_app.py, same server config) as the ceiling;
  2. in each database builds, through the API, the same unit of 50 patients (17 premature-home,
     17 COPD, 16 home-dialysis), uploads a current value of every measurement type of their
     programmes, with breaching values and contact requests so that about half of them have real
     open alerts; then bulk-loads history in SQL up to `--small` (10 thousand) and `--large`
     (5 million by default, to stay within about six minutes on a shared two-core machine; P6 names
     10 million: `--large 10000000`) stored measurements: a fifth of it years of history of the 50
     unit patients, the rest spread over other patients, loaded by parallel `insert … select … from
     generate_series` chunks with every index in place (the product's schema, unchanged; the loading
     sessions skip the per-row foreign-key triggers), then `analyze`;
  3. (a) throughput, interleaved per round: A the trivial POST, B the overview
     `GET /units/{id}/overview` on the large database and on the small one, each with wrk
     (`-t1 -c16`) for `--seconds`; the median of B/A against the goal (≥ 0.35×);
     (b) latency, interleaved per round: wrk at a light load (`-t1 -c2`) on the overview of the
     small and of the large database; p99 of each, and the ratio of the median p99s against the
     goal (≤ 1.5×);
  4. prints each round, the medians, MET / NOT MET with the reason; stops the servers by PID and
     drops the databases. `--strict` exits 1 when a goal is missed.

The file name has no `test_` prefix so pytest never collects it. The machine is shared and has two
cores, which wrk, the servers and PostgreSQL share: figures are noisy, ratios are what count.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from backend.measurements.service import COPY_COLUMNS  # noqa: E402
from tests.bench.bench_single_upload import trivial_server  # noqa: E402
from tests.bench.bench_upload import (  # noqa: E402
    DEFAULT_SERVER_DSN,
    PASSWORD,
    Server,
    _call,
    create_admin,
    create_nurse,
    running_server,
)
from tests.localhost import create_database, drop_database  # noqa: E402

THROUGHPUT_GOAL = 0.35
FLATNESS_GOAL = 1.5
PATIENTS = 50
PROGRAMMES = ("premature-home", "copd", "home-dialysis")
# A fifth of the history belongs to the unit's own patients, the rest to other patients.
UNIT_SHARE = 5
HISTORY_YEARS = 3
CHUNK = 250_000
LOADERS = 2  # parallel loading connections (two cores)


# --- the unit, through the API ----------------------------------------------------------------------


@dataclass
class Unit:
    server: Server
    dsn: str
    unit_id: str
    other_unit_id: str
    nurse_id: str
    patient_ids: list[str]
    alerts: int = 0
    patients_with_alerts: int = 0


def _m(type_: str, value: Any, unit: str, at: datetime, **extra: Any) -> dict[str, Any]:
    body = {"id": str(uuid.uuid4()), "type": type_, "unit": unit, "measured_at": at.isoformat(), **extra}
    if value is not None:
        body["value"] = value
    return body


def _current_values(programme: str, breach: bool, at: datetime) -> list[dict[str, Any]]:
    """A current value of every type of the programme; `breach` makes some of them raise alerts."""
    if programme == "premature-home":
        return [
            _m("body_weight", 2100, "g", at),
            _m("feeding_volume", 45, "mL", at, attributes={"route": "tube"}),
            _m("body_temperature", 38.4 if breach else 36.8, "Cel", at, attributes={"site": "axillary"}),
            _m("wet_nappies", 6, "{count}", at),
            _m("stools", 2, "{count}", at),
            _m("vomiting", 0, "{episodes}", at),
        ]
    if programme == "copd":
        return [
            _m("spo2", 89 if breach else 96, "%", at),
            _m("heart_rate", 115 if breach else 78, "/min", at),
            _m("respiratory_rate", 24 if breach else 15, "/min", at),
            _m("body_temperature", 36.9, "Cel", at),
            _m("blood_pressure", None, "mm[Hg]", at, components={"systolic": 130, "diastolic": 80}),
        ]
    return [
        _m("body_weight", 73.5 if breach else 70.5, "kg", at),
        _m("blood_pressure", None, "mm[Hg]", at, components={"systolic": 185 if breach else 130, "diastolic": 85}),
        _m("ultrafiltration_volume", 800, "mL", at),
        _m("effluent_appearance", "cloudy" if breach else "clear", "1", at),
        _m("body_temperature", 36.8, "Cel", at),
    ]


async def login(client: httpx.AsyncClient, username: str) -> str:
    body = {"username": username, "password": PASSWORD}
    return (await _call(client, "POST", "/auth/login", json=body))["access_token"]


async def build_unit(server: Server, dsn: str) -> Unit:
    create_admin(server, "bench-admin")
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        nurse = await create_nurse(client, "bench-admin", units=("Hjemmesykehus", "Andre"))
        token, (unit_id, other_id) = nurse.token, nurse.unit_ids
        now = datetime.now(UTC)
        infant_birth = (now - timedelta(days=50)).date().isoformat()
        parameters = {
            "premature-home": {"birth_weight_g": 1650, "prescribed_ml_per_kg_day": 160},
            "copd": {"spo2_scale": 1},
            "home-dialysis": {"dry_weight_kg": 70},
        }
        patient_ids = []
        for i in range(PATIENTS):
            programme = PROGRAMMES[i % len(PROGRAMMES)]
            birth = infant_birth if programme == "premature-home" else "1951-03-14"
            patient = await _call(
                client,
                "POST",
                "/patients",
                token,
                json={"display_name": f"Pasient {i:02d}", "birth_date": birth, "unit_id": unit_id},
            )
            enrolment = {"programme": programme, "unit_id": unit_id, "parameters": parameters[programme]}
            await _call(client, "POST", f"/patients/{patient['id']}/enrolments", token, json=enrolment)
            # Measured over the last hours, a little apart per patient.
            at = now - timedelta(minutes=5 + 3 * i)
            items = _current_values(programme, breach=i % 2 == 0, at=at)
            url = f"/patients/{patient['id']}/measurements"
            answer = await _call(client, "POST", url, token, json={"measurements": items})
            bad = [r for r in answer["results"] if r["status"] != "created"]
            if bad:
                raise RuntimeError(f"upload refused: {bad}")
            if i % 5 == 0:
                body = {"message": "Kan dere ringe meg?"}
                await _call(client, "POST", f"/patients/{patient['id']}/contact-requests", token, json=body)
            patient_ids.append(patient["id"])
        overview = await _call(client, "GET", f"/units/{unit_id}/overview", token)
    result = Unit(server, dsn, unit_id, other_id, nurse.id, patient_ids)
    check_overview(overview, result)
    result.alerts = sum(len(p["alerts"]) for p in overview["patients"])
    result.patients_with_alerts = sum(1 for p in overview["patients"] if p["alerts"])
    return result


def check_overview(overview: dict[str, Any], unit: Unit) -> None:
    patients = overview["patients"]
    if sorted(p["id"] for p in patients) != sorted(unit.patient_ids):
        raise RuntimeError("the overview does not list the unit's 50 patients")
    if any(p["never_measured"] for p in patients):
        raise RuntimeError("a type without a value: the uploads should cover every type")
    if not any(p["alerts"] for p in patients):
        raise RuntimeError("no alerts: the breaching uploads raised nothing")


# --- history, in SQL ----------------------------------------------------------------------------

# A valid row of each type in canonical form (the table's checks: exactly one of value, value_code,
# components).
_TYPES = """(values
    (0, 'body_weight', 3000.0::float8, null::text, null::jsonb, 'g', '{}'::jsonb),
    (1, 'feeding_volume', 45.0, null, null, 'mL', '{"route": "tube"}'),
    (2, 'body_temperature', 36.8, null, null, 'Cel', '{}'),
    (3, 'spo2', 95.0, null, null, '%', '{}'),
    (4, 'heart_rate', 80.0, null, null, '/min', '{}'),
    (5, 'respiratory_rate', 16.0, null, null, '/min', '{}'),
    (6, 'blood_pressure', null, null, '{"systolic": 128, "diastolic": 82}', 'mm[Hg]', '{}'),
    (7, 'ultrafiltration_volume', 800.0, null, null, 'mL', '{}'),
    (8, 'effluent_appearance', null, 'clear', null, '1', '{}'),
    (9, 'wet_nappies', 6.0, null, null, '{count}', '{}')
) as t(k, type, value, value_code, components, unit, attributes)"""

# Rows g in [$3, $4) of $8: every UNIT_SHARE-th to the unit's patients ($1), the rest to the others
# ($2); measured from $5 − $6 seconds up to $5, in g order, so that each (patient, type) grows
# forward in time as a phone's data does. Columns as the service's COPY names them.
_LOAD = f"""
insert into measurements ({", ".join(COPY_COLUMNS)})
select case when g % {UNIT_SHARE} = 0
            then ($1::uuid[])[1 + (g / {UNIT_SHARE}) % cardinality($1::uuid[])]
            else ($2::uuid[])[1 + g % cardinality($2::uuid[])] end,
       gen_random_uuid(), t.type, t.value, t.value_code, t.components, t.unit, t.value, t.unit, t.attributes, null,
       $5::timestamptz - make_interval(secs => ($8::bigint - g) * $6::float8 / $8::bigint),
       $5::timestamptz - make_interval(secs => ($8::bigint - g) * $6::float8 / $8::bigint),
       $7::uuid, 'clinician', uuid_send(gen_random_uuid())
from generate_series($3::bigint, $4::bigint - 1) as g
join {_TYPES} on t.k = g % 10
"""


async def load_history(unit: Unit, total: int) -> tuple[int, float]:
    """Bring the database to `total` stored measurements; (rows loaded, seconds)."""
    conn = await asyncpg.connect(unit.dsn)
    try:
        stored = await conn.fetchval("select count(*) from measurements")
        rows = max(total - stored, 0)
        others = max(20, rows // 5000)
        other_ids = await conn.fetch(
            """insert into patients (id, display_name, birth_date, registered_unit_id, created_by)
               select gen_random_uuid(), 'Annen ' || g, date '1950-01-01' + g, $1, $2
               from generate_series(1, $3) as g returning id""",
            uuid.UUID(unit.other_unit_id),
            uuid.UUID(unit.nurse_id),
            others,
        )
    finally:
        await conn.close()
    unit_ids = [uuid.UUID(p) for p in unit.patient_ids]
    other_list = [r["id"] for r in other_ids]
    # The history ends a day before now: the values uploaded through the API stay the latest.
    end = datetime.now(UTC) - timedelta(days=1)
    span = HISTORY_YEARS * 365 * 86400.0
    chunks = [(lo, min(lo + CHUNK, rows)) for lo in range(0, rows, CHUNK)]
    queue: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
    for chunk in chunks:
        queue.put_nowait(chunk)
    done = 0
    began = time.perf_counter()

    async def loader() -> None:
        nonlocal done
        # The rows are valid by construction (existing patients, types and recorder): the loading
        # sessions skip the per-row foreign-key triggers, which otherwise cost most of the load.
        # Schema, indexes and constraints stay as the product has them.
        conn = await asyncpg.connect(unit.dsn, server_settings={"session_replication_role": "replica"})
        try:
            while not queue.empty():
                lo, hi = queue.get_nowait()
                await conn.execute(_LOAD, unit_ids, other_list, lo, hi, end, span, uuid.UUID(unit.nurse_id), rows)
                done += hi - lo
                if rows >= 1_000_000:
                    rate = done / (time.perf_counter() - began)
                    print(f"  loaded {done:>11,} / {rows:,} ({rate:,.0f} rows/s)", flush=True)
        finally:
            await conn.close()

    await asyncio.gather(*(loader() for _ in range(min(LOADERS, max(len(chunks), 1)))))
    conn = await asyncpg.connect(unit.dsn)
    try:
        await conn.execute("analyze")
    finally:
        await conn.close()
    return rows, time.perf_counter() - began


async def stored(dsn: str, unit: Unit) -> tuple[int, int]:
    conn = await asyncpg.connect(dsn)
    try:
        total = await conn.fetchval("select count(*) from measurements")
        mine = await conn.fetchval(
            "select count(*) from measurements where patient_id = any($1::uuid[])",
            [uuid.UUID(p) for p in unit.patient_ids],
        )
        return total, mine
    finally:
        await conn.close()


# --- the ceiling ----------------------------------------------------------------------------------


TRIVIAL_BODY = (
    b'{"measurements":[{"id":"5b7f0c3e-8a43-4a35-9a57-2b4a4d0c9e11","type":"body_temperature",'
    b'"value":37.1,"unit":"Cel","measured_at":"2026-11-22T08:00:00+01:00"}]}'
)


# --- wrk ----------------------------------------------------------------------------------------


@dataclass
class Wrk:
    rate: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, suffix = re.fullmatch(r"([\d.]+)([a-z]+)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[suffix]


def wrk(url: str, *, seconds: float, connections: int, headers: dict[str, str], script: Path | None = None) -> Wrk:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{round(seconds)}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad_match = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    bad = (int(bad_match.group(1)) if bad_match else 0) + (sum(map(int, errors.groups())) if errors else 0)
    return Wrk(rate, p50, p99, requests, bad)


async def nurse_token(unit: Unit) -> str:
    """A fresh token for each measurement: access tokens live 15 minutes."""
    async with httpx.AsyncClient(base_url=unit.server.base_url, timeout=30) as client:
        return await login(client, "bench-nurse")


async def measure_overview(unit: Unit, *, seconds: float, connections: int) -> Wrk:
    token = await nurse_token(unit)
    url = f"{unit.server.base_url}/api/v1/units/{unit.unit_id}/overview"
    result = wrk(url, seconds=seconds, connections=connections, headers={"Authorization": f"Bearer {token}"})
    if result.bad:
        raise RuntimeError(f"{result.bad} failed overview requests (non-2xx or socket errors)")
    return result


# --- the run ----------------------------------------------------------------------------------------


async def bench(args: argparse.Namespace, small: Unit, large: Unit, trivial: str, workdir: Path) -> bool:
    post_script = workdir / "post.lua"
    post_script.write_text(
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = '{TRIVIAL_BODY.decode()}'\n"
    )
    for unit, label in ((small, "small"), (large, "large")):
        total, mine = await stored(unit.dsn, unit)
        print(
            f"{label}: {total:,} measurements stored ({mine:,} of them the unit's 50 patients'); "
            f"{unit.alerts} unresolved alerts on {unit.patients_with_alerts} of 50 patients"
        )
    # Warm-up, not counted: connections, prepared statements, caches.
    for unit in (small, large):
        await measure_overview(unit, seconds=2, connections=args.connections)
    wrk(f"{trivial}/upload", seconds=2, connections=args.connections, headers={}, script=post_script)

    print(f"\n(a) throughput, wrk -t1 -c{args.connections}, {args.seconds:g} s each")
    print(f"{'round':>5}  {'A trivial r/s':>13}  {'B large r/s':>11}  {'B/A':>6}  {'small r/s':>9}  {'small/A':>7}")
    ratios, small_ratios = [], []
    for r in range(args.rounds):
        ceiling = wrk(
            f"{trivial}/upload", seconds=args.seconds, connections=args.connections, headers={}, script=post_script
        )
        if ceiling.bad:
            raise RuntimeError(f"{ceiling.bad} failed trivial requests")
        big = await measure_overview(large, seconds=args.seconds, connections=args.connections)
        little = await measure_overview(small, seconds=args.seconds, connections=args.connections)
        ratios.append(big.rate / ceiling.rate)
        small_ratios.append(little.rate / ceiling.rate)
        print(
            f"{r + 1:>5}  {ceiling.rate:>13,.0f}  {big.rate:>11,.0f}  {ratios[-1]:>5.2f}×"
            f"  {little.rate:>9,.0f}  {small_ratios[-1]:>6.2f}×",
            flush=True,
        )

    print(f"\n(b) latency at a light load, wrk -t1 -c{args.light}, {args.seconds:g} s each")
    print(f"{'round':>5}  {'small p50':>9}  {'small p99':>9}  {'large p50':>9}  {'large p99':>9}  {'L/S p99':>7}")
    p99_small, p99_large = [], []
    for r in range(args.rounds):
        s = await measure_overview(small, seconds=args.seconds, connections=args.light)
        lg = await measure_overview(large, seconds=args.seconds, connections=args.light)
        p99_small.append(s.p99_ms)
        p99_large.append(lg.p99_ms)
        print(
            f"{r + 1:>5}  {s.p50_ms:>7.2f}ms  {s.p99_ms:>7.2f}ms  {lg.p50_ms:>7.2f}ms  {lg.p99_ms:>7.2f}ms"
            f"  {lg.p99_ms / s.p99_ms:>6.2f}×",
            flush=True,
        )

    throughput = statistics.median(ratios)
    flat = statistics.median(p99_large) / statistics.median(p99_small)
    met_throughput = throughput >= THROUGHPUT_GOAL
    met_flat = flat <= FLATNESS_GOAL
    print(
        f"\nthroughput: median B/A = {throughput:.2f}× at the large size"
        f" (small: {statistics.median(small_ratios):.2f}×)"
        f" (goal P6: ≥ {THROUGHPUT_GOAL:.2f}×) → {'MET' if met_throughput else 'NOT MET'}"
    )
    print(
        f"flatness: median p99 {statistics.median(p99_small):.2f} ms small → {statistics.median(p99_large):.2f} ms"
        f" large = {flat:.2f}× (goal P6: ≤ {FLATNESS_GOAL:.1f}×) → {'MET' if met_flat else 'NOT MET'}"
    )
    if not met_throughput:
        print(
            "  reason: each overview is 50 patients' alerts and ~270 latest values in one statement plus 50"
            " access-log rows and a commit; the server, PostgreSQL and wrk share two cores"
        )
    if not met_flat:
        print("  reason: p99 grew with the stored history; see EXPLAIN (ANALYZE) of select_unit_overview")
    return met_throughput and met_flat


async def main_async(args: argparse.Namespace) -> int:
    server_dsn = os.environ.get("HEIMA_BENCH_DATABASE_URL") or DEFAULT_SERVER_DSN
    # The shipped server with one worker, for the product and the ceiling alike.
    os.environ["HEIMA_WORKERS"] = "1"
    names: list[str] = []
    try:
        small_name, small_dsn = await create_database(server_dsn)
        names.append(small_name)
        large_name, large_dsn = await create_database(server_dsn)
        names.append(large_name)
        with tempfile.TemporaryDirectory(prefix="heima-bench-") as tmp:
            work = Path(tmp)
            (work / "small").mkdir()
            (work / "large").mkdir()
            with (
                running_server(small_dsn, work / "small", None) as small_server,
                running_server(large_dsn, work / "large", None) as large_server,
                trivial_server(work, small_server.env) as trivial,
            ):
                began = time.perf_counter()
                small = await build_unit(small_server, small_dsn)
                large = await build_unit(large_server, large_dsn)
                print(f"two units of 50 patients built through the API in {time.perf_counter() - began:.1f} s")
                rows, seconds = await load_history(small, args.small)
                print(f"small: {rows:,} rows of history loaded in {seconds:.1f} s")
                print(f"large: loading {args.large:,} measurements in {LOADERS} parallel chunks of {CHUNK:,} …")
                rows, seconds = await load_history(large, args.large)
                rate = rows / seconds
                print(f"large: {rows:,} rows of history loaded in {seconds:.1f} s ({rate:,.0f} rows/s, with analyze)")
                met = await bench(args, small, large, trivial, work)
    finally:
        for name in names:
            await drop_database(server_dsn, name)
    return 0 if met or not args.strict else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (≥ 3)")
    parser.add_argument("--seconds", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections for throughput")
    parser.add_argument("--light", type=int, default=2, help="wrk connections for the latency comparison")
    parser.add_argument("--small", type=int, default=10_000, help="stored measurements in the small database")
    parser.add_argument(
        "--large", type=int, default=5_000_000, help="stored measurements in the large database (P6 names 10,000,000)"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is not met")
    args = parser.parse_args()
    if args.rounds < 3:
        parser.error('at least 3 rounds (docs/performance.md, "How to measure")')
    if not 1 <= args.seconds <= 30:
        parser.error("--seconds must be 1 to 30")
    if not 1_000 <= args.small < args.large <= 50_000_000:
        parser.error("need 1,000 ≤ --small < --large ≤ 50,000,000")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
