"""One scrape shows the whole server: `heima serve` with two worker processes, requests spread over
both, and `/metrics` (answered by either) counts every one of them (backend/observability.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import SECRET_KEY
from tests.video.support import Subprocesses, serve_env

REQUESTS = 60
LIVE = 'heima_http_requests_total{method="GET",route="/health/live",status="200"}'


@pytest.fixture
def two_workers(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[str]:
    servers = Subprocesses()
    try:
        base = servers.start(serve_env(database_url, redis_url, SECRET_KEY, HEIMA_WORKERS="2"), tmp_path)
        servers.wait_ready()
        yield base
    finally:
        servers.stop()


def _samples(text: str, name: str) -> dict[str, float]:
    """Every sample of the metric `name`, by its label set as written."""
    found = {}
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            series, _, value = line.rpartition(" ")
            found[series] = float(value)
    return found


def test_one_scrape_sums_every_worker_process(two_workers: str) -> None:
    answered_by: set[str] = set()
    for _ in range(REQUESTS):
        # A connection per request, so that the kernel hands them to both workers.
        with httpx.Client(base_url=two_workers, timeout=10) as http:
            assert http.get("/health/live").status_code == 200
    scrapes = []
    for _ in range(6):
        with httpx.Client(base_url=two_workers, timeout=10) as http:
            scrapes.append(http.get("/metrics").text)
    for text in scrapes:
        # Every scrape, whichever worker answered it, counts all the requests.
        assert _samples(text, "heima_http_requests_total")[LIVE] == REQUESTS
        pids = {re.search(r'pid="(\d+)"', series)[1] for series in _samples(text, "process_resident_memory_bytes")}
        answered_by.add(",".join(sorted(pids)))
        assert len(pids) == 2, pids  # one series per worker process
        assert _samples(text, "heima_db_pool_max_connections")["heima_db_pool_max_connections"] == 2 * 10
        assert any(series.startswith("heima_build_info{") for series in _samples(text, "heima_build_info"))
    assert len(answered_by) == 1  # the same two workers throughout
