"""The worker's own health, where operations staff look: /metrics says when its loops last went
round, how many deliveries wait and how old the oldest is, pushes by outcome and sweeps; and
`heima worker-health` (compose's health check) fails when the delivery loop stops going round."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

from backend.settings import Settings
from backend.worker import check_heartbeat, heartbeat_limit
from tests.worker.support import fever, open_ward

HEIMA = Path(sys.executable).parent / "heima"


def _value(worker, name: str, labels: dict[str, str] | None = None) -> float | None:
    return worker.metrics.registry.get_sample_value(name, labels or {})


async def test_metrics_show_the_backlog_and_its_oldest_then_empty_once_delivered(
    wclient, hospital, stand_in, make_worker, wclock
):
    ward = await open_ward(wclient, hospital, stand_in, nurses=2)
    await fever(wclient, ward)
    waiting = await make_worker(push=False)  # push not configured: the deliveries wait
    wclock.advance(minutes=7)
    await waiting.run_once()
    assert _value(waiting, "heima_worker_deliveries_pending") == 2  # one per nurse
    assert _value(waiting, "heima_worker_oldest_pending_delivery_age_seconds") == 7 * 60
    assert _value(waiting, "heima_worker_sweeps_total") == 1

    sending = await make_worker()
    await sending.run_once()
    assert _value(sending, "heima_worker_deliveries_pending") == 0
    assert _value(sending, "heima_worker_oldest_pending_delivery_age_seconds") == 0
    assert _value(sending, "heima_push_attempts_total", {"outcome": "delivered"}) == 2
    assert _value(sending, "heima_db_pool_max_connections") == 4
    assert _value(sending, "heima_build_info", {"version": _version(), "python": _python()}) == 1


def _version() -> str:
    from importlib.metadata import version

    return version("heima")


def _python() -> str:
    import platform

    return platform.python_version()


def test_the_heartbeat_check_says_what_is_wrong(tmp_path: Path) -> None:
    beat = tmp_path / "heartbeat"
    assert check_heartbeat(beat, 1000.0, 30) == (
        False,
        f"no heartbeat at {beat}: the worker has not started, or writes it elsewhere",
    )
    beat.touch()
    os.utime(beat, (1000.0, 1000.0))
    assert check_heartbeat(beat, 1020.0, 30)[0] is True
    healthy, message = check_heartbeat(beat, 1100.0, 30)
    assert not healthy and "100 s ago (limit 30 s)" in message
    # A few rounds of the delivery loop, never less than 30 s.
    assert heartbeat_limit(Settings(delivery_poll_seconds=2)) == 30
    assert heartbeat_limit(Settings(delivery_poll_seconds=60)) == 180


async def test_a_running_loop_keeps_the_heartbeat_fresh(make_worker, tmp_path: Path) -> None:
    beat = tmp_path / "heartbeat"
    worker = await make_worker(worker_heartbeat_file=str(beat))
    worker.went_round("delivery")
    worker.went_round("schedule")
    assert _value(worker, "heima_worker_last_loop_timestamp_seconds", {"loop": "delivery"}) is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEIMA_")}
    env.update(HEIMA_WORKER_HEARTBEAT_FILE=str(beat), HEIMA_DATA_DIR=str(tmp_path), HEIMA_LOG_LEVEL="WARNING")
    code, err = await _worker_health(env)
    assert code == 0, err
    stale = beat.stat().st_mtime - 600  # the real clock: `heima worker-health` reads it
    os.utime(beat, (stale, stale))
    code, err = await _worker_health(env)
    assert code == 1
    # At least the 600 s it was set back; the process's start-up adds its own seconds.
    match = re.search(r"last went round (\d+) s ago \(limit 30 s\)", err)
    assert match is not None and int(match[1]) >= 600, err


async def _worker_health(env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(HEIMA), "worker-health", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, err.decode()
