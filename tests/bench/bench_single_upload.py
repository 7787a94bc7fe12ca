"""P1 and P2 (docs/performance.md): one measurement per upload vs a trivial Litestar POST, same server.

    .venv/bin/python tests/bench/bench_single_upload.py [--rounds 3] [--seconds 8] [--rate 400]

One run, on loopback, bounded (about two minutes by default), and it cleans up after itself:
  1. creates and migrates a fresh database (HEIMA_BENCH_DATABASE_URL, as bench_upload.py) and
     starts two servers as child processes on free 127.0.0.1 ports, both through `backend.asgi.run`
     with the same server configuration (HEIMA_SERVER / HEIMA_WORKERS, or the shipped defaults):
       A (ceiling): tests/bench/trivial_app.py, one `@post` that strictly decodes the same body
         into msgspec Structs and answers a small JSON;
       B (product): `heima serve` (Redis from HEIMA_BENCH_REDIS_URL, or 127.0.0.1:6379 when it
         answers), POST /api/v1/patients/{id}/measurements with one item: bearer token, access
         check and access log, strict decoding, validation, insert, the programme's rules, the
         open-alert upsert when a rule breaches, all in one transaction;
  2. through the API: an administrator, a unit, a clinician and `--patients` premature-home infants
     (under three months old, so a fever is a high alert), each with a guardian signed in by
     activation code; uploads go round-robin over them, so no single patient's rows (or its one
     open alert per rule) are a hot spot;
  3. P1: wrk (closed loop, `--connections` keep-alive connections) against A and B interleaved,
     A B A B … for `--rounds` rounds of `--seconds` each. The lua script (written per run) makes
     every request a fresh measurement: a v4-shaped uuid from a per-thread random prefix and
     counter, a `measured_at` at a random moment of the last three days (the server refuses more
     than five minutes in the future), a type drawn from a phone's mix (weight in g, feeding in mL,
     temperature, one in twenty a fever of 38.4 °C), and it counts every non-200 answer. After each
     product run (outside its timing) the rows in `measurements` are counted: every 200 must have
     landed. Prints req/s per round and side, and the median of the per-round ratios B/A against
     P1 (≥ 0.25×);
  4. P2: an open-loop asyncio client (aiohttp; tests/bench/bench_alert_latency.offer) sends
     `--rate` requests/s for `--p2-seconds` to A and to B, interleaved over the same rounds: each
     request leaves at its scheduled time whether or not earlier ones have been answered, and its
     latency is measured from that scheduled time (no coordinated omission). Prints each side's
     p50/p99 and achieved rate per round, then the median p99s and the median per-round ratio
     against P2 (product p99 ≤ 8× the trivial p99, and under 25 ms);
  5. prints MET / NOT MET with the reason for each, stops both servers (SIGINT, by PID) and drops
     the database. `--strict` exits 1 when a goal is missed.

The file name has no `test_` prefix so pytest never collects it. On a shared two-core machine wrk,
the client, both servers and PostgreSQL share the cores: ratios, not absolute figures, count.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx
import msgspec

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_alert_latency import Infant, Upload, create_infants, offer, percentile  # noqa: E402
from tests.bench.bench_upload import (  # noqa: E402
    DEFAULT_SERVER_DSN,
    Server,
    create_admin,
    create_nurse,
    running_server,
)
from tests.localhost import create_database, drop_database, free_port  # noqa: E402

GOAL_P1 = 0.25
GOAL_P2_RATIO, GOAL_P2_MS = 8.0, 25.0
API = "/api/v1"
TRIVIAL_PATH = "/upload"
# Set-up and warm-up allowance; the whole run stops after it plus the rounds' own time.
SLACK_SECONDS = 90
FEVER = 38.4


# --- servers and actors -----------------------------------------------------------------------------


@contextlib.contextmanager
def trivial_server(workdir: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """tests/bench/trivial_app.py as a child process on a free port (SIGINT, by PID, at the end)."""
    port = free_port()
    log_path = workdir / f"trivial-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.trivial_app", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env or dict(os.environ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        body = msgspec.json.encode({"measurements": [_item(0, datetime.now(UTC) - timedelta(minutes=1))]})
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError("the trivial app exited:\n" + log_path.read_text(errors="replace")[-3000:])
            try:
                headers = {"Content-Type": "application/json"}
                if httpx.post(base + TRIVIAL_PATH, content=body, headers=headers, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the trivial app did not answer within 30 s")
            time.sleep(0.1)  # polling a child process that is starting up
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


async def create_guardians(client: httpx.AsyncClient, admin_username: str, count: int) -> list[Infant]:
    """A unit, a clinician and `count` infants under three months (a fever is a high alert), each
    enrolled in premature-home with a guardian signed in by activation code."""
    nurse = await create_nurse(client, admin_username)
    return await create_infants(client, nurse.unit_ids[0], nurse.token, count)


async def set_up_heima(server: Server, patients: int) -> list[Infant]:
    create_admin(server, "bench-admin")
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        return await create_guardians(client, "bench-admin", patients)


# --- the workload ----------------------------------------------------------------------------------


def _item(i: int, measured_at: datetime) -> dict[str, Any]:
    """Measurement i of a phone's mix (the same kinds as the lua script below)."""
    kind = i % 4
    item: dict[str, Any] = {"id": str(uuid.uuid4()), "measured_at": measured_at.isoformat()}
    if kind == 0:
        item |= {"type": "body_weight", "value": 1650 + i % 900, "unit": "g"}
    elif kind == 1:
        item |= {"type": "feeding_volume", "value": 20 + i % 40, "unit": "mL", "attributes": {"route": "tube"}}
    else:
        value = FEVER if i % 20 == 2 else round(36.5 + (i % 10) / 10, 1)
        item |= {"type": "body_temperature", "value": value, "unit": "Cel"}
    return item


LUA = r"""
-- Written by tests/bench/bench_single_upload.py for one run: one fresh measurement per request.
local targets = {TARGETS}
local counter = 0
local prefix = "00000000"
non200 = 0  -- globals: done() reads them with thread:get
first_bad = ""
local threads = {}
local next_tid = 1

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + tid * 7919)
  prefix = string.format("%08x", math.random(0, 0x7fffffff))
  counter = tid * 100003
end

function request()
  counter = counter + 1
  local target = targets[counter % #targets + 1]
  local id = string.format("%s-%04x-4%03x-a%03x-%06x%06x", prefix, math.random(0, 0xffff),
    math.random(0, 0xfff), math.random(0, 0xfff), math.floor(counter / 0x1000000) % 0x1000000,
    counter % 0x1000000)
  -- a moment of the last three days (never in the future)
  local at = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() - math.random(60, 3 * 86400))
  local kind = counter % 4
  local item
  if kind == 0 then
    item = string.format('"type":"body_weight","value":%d,"unit":"g"', 1650 + counter % 900)
  elseif kind == 1 then
    item = string.format('"type":"feeding_volume","value":%d,"unit":"mL","attributes":{"route":"tube"}',
      20 + counter % 40)
  else
    local value = 36.5 + (counter % 10) / 10
    if counter % 20 == 2 then value = 38.4 end
    item = string.format('"type":"body_temperature","value":%.1f,"unit":"Cel"', value)
  end
  local body = string.format('{"measurements":[{"id":"%s",%s,"measured_at":"%s"}]}', id, item, at)
  return wrk.format("POST", target[1], {["Authorization"] = target[2],
    ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if first_bad == "" then first_bad = status .. " " .. string.sub(body, 1, 200) end
  end
end

function done(summary, latency, requests)
  local bad, sample = 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non200")
    local s = thread:get("first_bad")
    if sample == "" and s ~= nil then sample = s end
  end
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d non200=%d errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, bad, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
  if sample ~= "" then io.write("BENCH first_bad=" .. sample .. "\n") end
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_lua(path: Path, targets: list[tuple[str, str]]) -> Path:
    """A wrk script posting to `targets` (path, Authorization value) round-robin."""
    table = ",\n  ".join(f"{{{_lua_string(p)}, {_lua_string(a)}}}" for p, a in targets)
    path.write_text(LUA.replace("{TARGETS}", "{\n  " + table + "\n}"))
    return path


def product_targets(guardians: list[Infant]) -> list[tuple[str, str]]:
    return [(f"{API}/patients/{g.patient_id}/measurements", f"Bearer {g.token}") for g in guardians]


def trivial_targets(guardians: list[Infant]) -> list[tuple[str, str]]:
    # The same headers (bytes on the wire), to a route that ignores them.
    return [(TRIVIAL_PATH, f"Bearer {g.token}") for g in guardians]


@dataclass
class WrkResult:
    rate: float
    requests: int
    non200: int
    errors: int
    p50_ms: float
    p99_ms: float
    first_bad: str


def wrk_available() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    return wrk


async def run_wrk(base: str, script: Path, seconds: float, threads: int, connections: int) -> WrkResult:
    process = await asyncio.create_subprocess_exec(
        wrk_available(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        base,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout=seconds + 30)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    text = out.decode(errors="replace")
    found = re.search(
        r"BENCH requests=(\d+) duration_us=(\d+) non200=(\d+) errors=(\d+) p50_us=(\d+) p99_us=(\d+)", text
    )
    if process.returncode != 0 or found is None:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{text[-2000:]}")
    requests, duration, non200, errors, p50, p99 = (int(g) for g in found.groups())
    bad = re.search(r"BENCH first_bad=(.*)", text)
    return WrkResult(
        requests / (duration / 1e6), requests, non200, errors, p50 / 1000, p99 / 1000, bad[1] if bad else ""
    )


async def count_rows(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval("select count(*) from measurements")
    finally:
        await conn.close()


def check_landed(before: int, after: int, result: WrkResult, connections: int) -> str | None:
    """Every 200 landed; at most the requests in flight when wrk stopped landed on top (wrk stops
    counting them, the server still commits them). None when all is well, else what went wrong."""
    landed = after - before
    ok = result.requests - result.non200
    problems = []
    if result.non200 or result.errors:
        problems.append(f"{result.non200} non-200 answers, {result.errors} socket errors {result.first_bad[:200]}")
    if not ok <= landed <= ok + connections:
        problems.append(f"{landed} rows landed for {ok} answers of 200")
    return "; ".join(problems) or None


# --- CPU per upload (Linux /proc) -------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after its "(comm)": [1] the parent, [11] and [12] user and
    system CPU in clock ticks. None for a process that is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def process_tree(root: int) -> list[int]:
    """`root` and every process below it (granian runs its workers under a supervisor)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = int(fields[1])
    tree: set[int] = {root}
    while more := {pid for pid, parent in parents.items() if parent in tree} - tree:
        tree |= more
    return sorted(tree)


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU these processes have used so far."""
    ticks = 0
    for pid in pids:
        if (fields := _stat(pid)) is not None:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / _TICKS


async def database_backends(dsn: str) -> list[int]:
    """The PostgreSQL backends serving the bench database, when the server runs on this machine
    (else none: its CPU is not ours to read)."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    return [row["pid"] for row in rows if _is_local_postgres(row["pid"])]


def _is_local_postgres(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().startswith("postgres")
    except OSError:
        return False


# --- P2: open loop ----------------------------------------------------------------------------------


def open_loop_plan(base: str, targets: list[tuple[str, str]], total: int, offset: int) -> list[Upload]:
    """`total` single-item requests (fresh ids, the phone mix), round-robin over `targets`; the
    Upload's path is the full URL and `base` is then passed to `offer` as ''."""
    now = datetime.now(UTC)
    plan = []
    for i in range(total):
        path, auth = targets[i % len(targets)]
        measured_at = now - timedelta(seconds=60 + (i * 7919 + offset) % (3 * 86400))
        body = msgspec.json.encode({"measurements": [_item(offset + i, measured_at)]})
        plan.append(Upload(base + path, {"Authorization": auth, "Content-Type": "application/json"}, body, False))
    return plan


@dataclass
class OpenLoopResult:
    p50_ms: float
    p99_ms: float
    achieved: float
    failures: int
    first_failure: str


async def run_open_loop(plan: list[Upload], rate: float) -> OpenLoopResult:
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10)) as session:
        offered = await offer(session, "", plan, rate)
    lat = [x for x in offered.latencies_ms if not math.isnan(x)]
    return OpenLoopResult(
        percentile(lat, 50),
        percentile(lat, 99),
        len(plan) / offered.elapsed if offered.elapsed > 0 else math.nan,
        len(offered.failures),
        offered.failures[0] if offered.failures else "",
    )


# --- the run -----------------------------------------------------------------------------------------


def verdict(met: bool, what: str, reason: str) -> str:
    return f"{what}: {'MET' if met else 'NOT MET'} ({reason})"


async def bench(args: argparse.Namespace, heima: Server, trivial_base: str, dsn: str, workdir: Path) -> bool:
    guardians = await set_up_heima(heima, args.patients)
    product_lua = write_lua(workdir / "product.lua", product_targets(guardians))
    trivial_lua = write_lua(workdir / "trivial.lua", trivial_targets(guardians))
    sides = {"A trivial": (trivial_base, trivial_lua), "B upload": (heima.base_url, product_lua)}
    print(
        f"server: {os.environ.get('HEIMA_SERVER') or 'shipped default'}, workers "
        f"{os.environ.get('HEIMA_WORKERS') or 'shipped default'}; {args.patients} infants; "
        f"wrk -t{args.threads} -c{args.connections}"
    )
    # Warm-up, not counted: connections, prepared statements, caches, the JIT of wrk's lua.
    for base, script in sides.values():
        await run_wrk(base, script, 2, args.threads, args.connections)

    ok = True
    print(f"\nP1 single-measurement upload vs trivial POST: wrk closed loop, {args.seconds:g} s per side per round")
    # CPU per upload: of heima serve's processes and of its database's backends during B's run
    # (n/a for a PostgreSQL on another machine). Less sensitive to other work on a shared machine
    # than a rate: what an upload costs, not how much of the cores it got.
    print(
        f"{'round':>5}  {'A trivial req/s':>15}  {'B upload req/s':>14}  {'B/A':>7}  {'A p99 ms':>8}  {'B p99 ms':>8}"
        f"  {'B CPU ms/upload: server':>23}  {'PostgreSQL':>10}"
    )
    ratios, server_costs, database_costs = [], [], []
    for r in range(1, args.rounds + 1):
        a = await run_wrk(trivial_base, trivial_lua, args.seconds, args.threads, args.connections)
        before = await count_rows(dsn)
        server, backends = process_tree(heima.process.pid), await database_backends(dsn)
        server_cpu, database_cpu = cpu_seconds(server), cpu_seconds(backends)
        b = await run_wrk(heima.base_url, product_lua, args.seconds, args.threads, args.connections)
        server_ms = (cpu_seconds(server) - server_cpu) / b.requests * 1000
        database_ms = (cpu_seconds(backends) - database_cpu) / b.requests * 1000
        landed = check_landed(before, await count_rows(dsn), b, args.connections)
        trivial_bad = a.non200 + a.errors
        ratios.append(b.rate / a.rate)
        server_costs.append(server_ms)
        database_costs.extend([database_ms] if backends else [])
        database = f"{database_ms:>10.2f}" if backends else f"{'n/a':>10}"
        print(
            f"{r:>5}  {a.rate:>15.0f}  {b.rate:>14.0f}  {b.rate / a.rate:>6.3f}×  {a.p99_ms:>8.1f}  {b.p99_ms:>8.1f}"
            f"  {server_ms:>23.2f}  {database}"
        )
        if landed or trivial_bad:
            ok = False
            print(f"       FAILED: {landed or ''} {f'trivial: {trivial_bad} bad answers' if trivial_bad else ''}")
    p1 = statistics.median(ratios)
    p1_met = p1 >= GOAL_P1
    print(verdict(p1_met, "P1", f"median ratio {p1:.3f}× against ≥ {GOAL_P1:.2f}×"))
    database_cost = f"{statistics.median(database_costs):.2f} ms" if database_costs else "n/a"
    print(f"upload CPU (median): server {statistics.median(server_costs):.2f} ms, PostgreSQL {database_cost}")

    print(
        f"\nP2 fixed offered load: open loop at {args.rate:g} req/s, {args.p2_seconds:g} s per side per round, "
        "latency from the scheduled send time"
    )
    print(
        f"{'round':>5}  {'A p50 ms':>8}  {'A p99 ms':>8}  {'A req/s':>7}  "
        f"{'B p50 ms':>8}  {'B p99 ms':>8}  {'B req/s':>7}  {'B/A p99':>7}"
    )
    total = round(args.rate * args.p2_seconds)
    p2_ratios, a_p99s, b_p99s = [], [], []
    for r in range(1, args.rounds + 1):
        offset = r * 1_000_003
        a_plan = open_loop_plan(trivial_base, trivial_targets(guardians), total, offset)
        b_plan = open_loop_plan(heima.base_url, product_targets(guardians), total, offset)
        a = await run_open_loop(a_plan, args.rate)
        before = await count_rows(dsn)
        b = await run_open_loop(b_plan, args.rate)
        landed = await count_rows(dsn) - before
        a_p99s.append(a.p99_ms)
        b_p99s.append(b.p99_ms)
        p2_ratios.append(b.p99_ms / a.p99_ms)
        print(
            f"{r:>5}  {a.p50_ms:>8.2f}  {a.p99_ms:>8.2f}  {a.achieved:>7.0f}  "
            f"{b.p50_ms:>8.2f}  {b.p99_ms:>8.2f}  {b.achieved:>7.0f}  {b.p99_ms / a.p99_ms:>6.1f}×"
        )
        # Every 200 landed; a request the client gave up on (timeout) may still have committed.
        if a.failures or b.failures or not total - b.failures <= landed <= total:
            ok = False
            print(
                f"       FAILED: trivial {a.failures} failures, upload {b.failures} failures, {landed} rows landed "
                f"for {total} requests {(a.first_failure or b.first_failure)[:200]}"
            )
    p2_ratio, b_p99 = statistics.median(p2_ratios), statistics.median(b_p99s)
    ratio_met, ms_met = p2_ratio <= GOAL_P2_RATIO, b_p99 < GOAL_P2_MS
    reasons = [
        f"median p99 ratio {p2_ratio:.1f}× {'≤' if ratio_met else '>'} {GOAL_P2_RATIO:g}×",
        f"median upload p99 {b_p99:.1f} ms {'<' if ms_met else '≥'} {GOAL_P2_MS:g} ms",
        f"median trivial p99 {statistics.median(a_p99s):.1f} ms",
    ]
    print(verdict(ratio_met and ms_met, "P2", "; ".join(reasons)))
    if not ok:
        print("NOT MET: some requests failed or rows did not land (see FAILED above)")
    return ok and p1_met and ratio_met and ms_met


def keep_logs(workdir: Path, to: Path) -> None:
    to.mkdir(parents=True, exist_ok=True)
    for log in workdir.rglob("*.log"):
        shutil.copy(log, to / f"{log.parent.name}-{log.name}")


async def main_async(args: argparse.Namespace) -> int:
    server_dsn = os.environ.get("HEIMA_BENCH_DATABASE_URL", DEFAULT_SERVER_DSN)
    wrk_available()
    name, dsn = await create_database(server_dsn)
    try:
        with tempfile.TemporaryDirectory(prefix="heima-bench-") as tmp:
            workdir = Path(tmp)
            logs = os.environ.get("HEIMA_BENCH_LOGS")
            try:
                with running_server(dsn, workdir, None) as heima, trivial_server(workdir) as trivial_base:
                    deadline = SLACK_SECONDS + args.rounds * 2 * (args.seconds + args.p2_seconds + 15)
                    met = await asyncio.wait_for(bench(args, heima, trivial_base, dsn, workdir), deadline)
            finally:
                if logs:
                    keep_logs(workdir, Path(logs))
    finally:
        await drop_database(server_dsn, name)
    return 1 if args.strict and not met else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8, help="wrk duration per side per round (P1)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--rate", type=float, default=400, help="P2 offered load, requests/s")
    parser.add_argument("--p2-seconds", type=float, default=5, help="P2 duration per side per round")
    parser.add_argument("--patients", type=int, default=50, help="infants (each with a guardian) to upload for")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    return parser.parse_args(argv)


def main() -> int:
    return asyncio.run(main_async(parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
