"""How many requests/s ONE locust process can generate here, against wrk on the same endpoint.

    .venv/bin/python tests/load/ceiling.py                 # 3 rounds x (wrk 8 s, locust 8 s); ~1 min
    .venv/bin/python tests/load/ceiling.py --rounds 5 --seconds 10 --users 64

docs/performance.md ("How to measure"): a locust result counts only when the offered load is <= 0.7x what one locust
process can generate on the machine. This measures that maximum the way docs/performance.md asks for
ratios: one `heima serve` (fresh database, as run.py), then interleaved rounds of
  A: wrk (1 thread, --connections) on GET /health/live;
  B: locust, one process, FastHttpUser with no wait and --users users on GET /health/live
     (trivial_locustfile.py), headless, its req/s read from its CSV;
and prints each round, the median of each, the median ratio B/A, and 0.7x the locust median: the
highest offered load a locust result on this machine may have. Load generators, server and
PostgreSQL share the machine's cores; the machine is shared with others, so read the spread.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.load.run import HERE, read_stats, run_locust, service  # noqa: E402

COUNTABLE = 0.7


def wrk(url: str, seconds: int, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match or "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk did not run cleanly:\n{out}")
    return float(match.group(1))


def locust(host: str, seconds: int, users: int, workdir: Path, index: int) -> tuple[float, float]:
    """(req/s, share of one core the locust process used)."""
    prefix = workdir / f"trivial_{index}"
    args = ["-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--loglevel", "WARNING"]
    code, wall, cpu = run_locust(HERE / "trivial_locustfile.py", host, prefix, args, {}, seconds + 60)
    aggregated = next(r for r in read_stats(prefix) if r["Name"] == "Aggregated")
    if code != 0 or int(aggregated["Failure Count"]):
        raise RuntimeError(f"locust exit {code}, {aggregated['Failure Count']} failures")
    return float(aggregated["Requests/s"]), cpu / wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--users", type=int, default=50, help="locust users (and wrk connections)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed")
    if not (1 <= args.rounds <= 7 and 2 <= args.seconds <= 30):
        parser.error("keep the run short: 1-7 rounds of 2-30 s")
    wrk_rates, locust_rates, ratios = [], [], []
    with tempfile.TemporaryDirectory(prefix="heima-ceiling-") as tmp, service(Path(tmp)) as (server, _):
        url = f"{server.base_url}/health/live"
        wrk(url, 2, args.users)  # warm-up, not counted
        print(f"GET /health/live on one `heima serve`; wrk -t1 -c{args.users} vs locust -u {args.users} (FastHttpUser)")
        print(f"{'round':>5}  {'wrk req/s':>10}  {'locust req/s':>12}  {'locust/wrk':>10}  {'locust CPU':>10}")
        for r in range(args.rounds):
            a = wrk(url, args.seconds, args.users)
            b, busy = locust(server.base_url, args.seconds, args.users, Path(tmp), r)
            wrk_rates.append(a)
            locust_rates.append(b)
            ratios.append(b / a)
            print(f"{r + 1:>5}  {a:>10,.0f}  {b:>12,.0f}  {b / a:>9.2f}x  {busy:>9.0%}", flush=True)
    best = statistics.median(locust_rates)
    print(
        f"median: wrk {statistics.median(wrk_rates):,.0f} req/s, one locust process {best:,.0f} req/s, "
        f"ratio {statistics.median(ratios):.2f}x"
    )
    print(f"a locust result counts when its offered load is <= {COUNTABLE}x that: <= {COUNTABLE * best:,.0f} req/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
