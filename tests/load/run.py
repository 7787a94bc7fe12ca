"""One realistic load run from nothing: fresh database, `heima serve`, admin, seed, locust, clean-up.

    .venv/bin/python tests/load/run.py --families 60 -- -u 300 -r 50 -t 60s
    HEIMA_LOAD_PACE=600 .venv/bin/python tests/load/run.py -- -u 300 -r 50 -t 60s

Everything after `--` goes to locust (headless, --host and --csv are added). It:
  1. creates a database `heima_load_<pid>_<hex>` on the PostgreSQL server named by
     HEIMA_BENCH_DATABASE_URL (default: postgres on 127.0.0.1:5432) and migrates it;
  2. starts `heima serve` on a free loopback port (tests/bench/bench_upload.py `running_server`:
     the shipped configuration, production password hashing, Redis when it answers);
  3. makes an admin (`heima create-admin`, password on stdin) and seeds through the API (seed.py);
  4. runs locust as its own process (gevent monkey-patching) and prints, per route, requests,
     failures, req/s and p50/p95/p99 from locust's CSV, and how busy the locust process was;
  5. stops the server (by its PID) and drops the database.

Not collected by pytest (no `test_` prefix). The machine is shared: figures are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench.bench_upload import (  # noqa: E402
    DEFAULT_SERVER_DSN,
    PASSWORD,
    Server,
    create_admin,
    running_server,
)
from tests.load import seed  # noqa: E402
from tests.localhost import create_database, drop_database  # noqa: E402

HERE = Path(__file__).resolve().parent
LOCUSTFILE = HERE / "locustfile.py"
ADMIN = "load-admin"
# A locust run here is bounded by its -t; this is how long we wait for it beyond that.
LOCUST_GRACE_SECONDS = 60


@contextlib.contextmanager
def service(workdir: Path) -> Iterator[tuple[Server, str]]:
    """A migrated database of its own and `heima serve` on it; both gone afterwards."""
    server_dsn = os.environ.get("HEIMA_BENCH_DATABASE_URL") or DEFAULT_SERVER_DSN
    name, dsn = asyncio.run(create_database(server_dsn, f"heima_load_{os.getpid()}_{uuid.uuid4().hex[:8]}"))
    try:
        with running_server(dsn, workdir, None) as server:
            yield server, dsn
    finally:
        asyncio.run(drop_database(server_dsn, name))


def run_locust(
    locustfile: Path, host: str, csv_prefix: Path, args: list[str], env: dict[str, str], timeout: float
) -> tuple[int, float, float]:
    """(exit code, wall seconds, CPU seconds) of one headless locust process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    command = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--host", host]
    command += ["--csv", str(csv_prefix), "--only-summary", *args]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        code = process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return process.returncode if code is None else code, time.monotonic() - began, cpu


def read_stats(csv_prefix: Path) -> list[dict[str, str]]:
    with open(f"{csv_prefix}_stats.csv", newline="") as f:
        return list(csv.DictReader(f))


def print_stats(rows: list[dict[str, str]]) -> None:
    print(f"{'type':<5} {'name':<52} {'reqs':>7} {'fail':>5} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6}  (ms)")
    for row in rows:
        print(
            f"{row['Type']:<5} {row['Name'][:52]:<52} {row['Request Count']:>7} {row['Failure Count']:>5}"
            f" {float(row['Requests/s']):>7.1f} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}"
        )


def duration_seconds(args: list[str]) -> float:
    for flag in ("-t", "--run-time"):
        if flag in args:
            text = args[args.index(flag) + 1]
            units = {"s": 1, "m": 60, "h": 3600}
            return float(text[:-1]) * units[text[-1]] if text[-1] in units else float(text)
    raise SystemExit("give locust a bounded run time (-t 60s)")


def main() -> int:
    argv = sys.argv[1:]
    locust_args = argv[argv.index("--") + 1 :] if "--" in argv else []
    ours = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=50)
    parser.add_argument("--copd", type=int)
    parser.add_argument("--dialysis", type=int)
    parser.add_argument("--keep", type=Path, help="copy locust's CSV files to this directory")
    args = parser.parse_args(ours)
    seconds = duration_seconds(locust_args)
    if not {"-s", "--stop-timeout"} & set(locust_args):
        # Let users finish the request in flight when time is up: a greenlet killed mid-request is
        # reported as a failure with status 0 that the service never caused.
        locust_args += ["--stop-timeout", "10"]
    with tempfile.TemporaryDirectory(prefix="heima-load-") as tmp, service(Path(tmp)) as (server, _):
        workdir = Path(tmp)
        create_admin(server, ADMIN)
        credentials = workdir / "credentials.json"
        seed_args = ["--base-url", server.base_url, "--admin-username", ADMIN, "--out", str(credentials)]
        seed_args += ["--families", str(args.families)]
        if args.copd is not None:
            seed_args += ["--copd", str(args.copd)]
        if args.dialysis is not None:
            seed_args += ["--dialysis", str(args.dialysis)]
        os.environ["HEIMA_LOAD_ADMIN_PASSWORD"] = PASSWORD
        seed.main(seed_args)
        env = {**os.environ, "HEIMA_LOAD_CREDENTIALS": str(credentials)}
        env.pop("HEIMA_LOAD_ADMIN_PASSWORD")
        prefix = workdir / "load"
        code, wall, cpu = run_locust(
            LOCUSTFILE, server.base_url, prefix, locust_args, env, seconds + LOCUST_GRACE_SECONDS
        )
        rows = read_stats(prefix)
        print_stats(rows)
        print(f"locust process: {cpu:.1f} CPU s over {wall:.1f} s wall ({cpu / wall:.0%} of one core), exit {code}")
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for path in workdir.glob("load_*.csv"):
                (args.keep / path.name).write_bytes(path.read_bytes())
    return code


if __name__ == "__main__":
    raise SystemExit(main())
