"""What the hospital's operations staff rely on: health, readiness, metrics, docs, request ids, logs."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest

from backend.app import create_app
from backend.health import CHECK_TIMEOUT_SECONDS
from backend.observability import JsonFormatter
from tests.conftest import make_settings
from tests.helpers import API

PROBLEM = "application/problem+json"


def _closed_port() -> int:
    """A local port nothing listens on: bound once to learn a free number, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_live(client):
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_checks_postgresql_and_redis(client):
    response = await client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"] == {"postgresql": "ok", "redis": "ok"}
    assert body["failed"] == []


async def test_ready_is_503_naming_redis_when_redis_is_down(database_url):
    # Served in this test's own event loop (not on the test client's portal thread), so that
    # `asyncio.timeout` can really interrupt a hanging request; the lifespan is entered and left in
    # this one task, as anyio requires.
    app = create_app(make_settings(database_url, f"redis://127.0.0.1:{_closed_port()}/0"), configure_logs=False)
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://heima.test") as http,
    ):
        started = time.monotonic()
        async with asyncio.timeout(5):  # a hang guard, not the bound under test
            response = await http.get("/health/ready")
        elapsed = time.monotonic() - started
        live = await http.get("/health/live")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["redis"]
    assert body["checks"] == {"postgresql": "ok", "redis": "unavailable"}
    # Each probe has its own deadline and they run side by side.
    assert elapsed < CHECK_TIMEOUT_SECONDS + 1
    # Liveness does not depend on Redis.
    assert live.status_code == 200


async def test_metrics_are_prometheus_text(client):
    await client.get("/health/live")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "# TYPE heima_http_requests_total counter" in text
    assert re.search(r'^heima_http_requests_total\{method="GET",route="/health/live",status="200"\} \d', text, re.M)
    assert "# TYPE heima_http_request_duration_seconds histogram" in text


async def test_openapi_document(client):
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert f"{API}/auth/login" in document["paths"]
    assert "post" in document["paths"][f"{API}/auth/login"]
    assert document["info"]["title"] == "Heima"


class _AssetUrls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


async def test_docs_use_only_local_assets(client):
    """Hospital networks block CDNs (docs/reliability.md, F2)."""
    response = await client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    parser = _AssetUrls()
    parser.feed(html)
    assert parser.urls, "the docs page loads no scripts or styles"
    for url in parser.urls:
        assert url.startswith("/") and not url.startswith("//"), url
    for marker in ("http://", "https://", "//cdn", "cdn.jsdelivr", "unpkg.com"):
        assert marker not in html, marker
    for url in parser.urls:
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health/live", 200),
        ("GET", "/health/ready", 200),
        ("GET", "/metrics", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/docs", 200),
        ("GET", f"{API}/me", 401),
        ("GET", f"{API}/no-such-thing", 404),
        ("POST", f"{API}/auth/login", 400),
        ("DELETE", "/health/live", 405),
    ],
)
async def test_every_response_carries_a_request_id(client, method, path, status):
    response = await client.request(method, path, content=b"{" if method == "POST" else None)
    assert response.status_code == status
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["x-request-id"])


async def test_a_safe_incoming_request_id_is_kept_and_an_unsafe_one_replaced(client):
    kept = await client.get("/health/live", headers={"X-Request-ID": "lb-7f3a.22_x"})
    assert kept.headers["x-request-id"] == "lb-7f3a.22_x"
    replaced = await client.get("/health/live", headers={"X-Request-ID": "bad id\twith spaces"})
    assert re.fullmatch(r"[0-9a-f]{16}", replaced.headers["x-request-id"])


async def test_log_lines_name_the_servers_request_id_and_the_clients_beside_it(client, json_log):
    """A client's X-Request-ID is echoed, but the log names each request by an id of the server's:
    two requests that send the same id are still two requests."""
    for _ in range(2):
        response = await client.get("/health/live", headers={"X-Request-ID": "same-id-twice"})
        assert response.headers["x-request-id"] == "same-id-twice"
    entries = _entries_for(json_log.lines, "same-id-twice")
    assert len(entries) == 2
    assert all(re.fullmatch(r"[0-9a-f]{16}", entry["request_id"]) for entry in entries)
    assert entries[0]["request_id"] != entries[1]["request_id"]


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def json_log() -> Iterator[_Lines]:
    """JSON lines of the access log, formatted exactly as production formats them."""
    logger = logging.getLogger("heima.http")
    handler = _Lines()
    saved_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved_level)


def _entries_for(lines: list[str], client_request_id: str) -> list[dict[str, Any]]:
    return [entry for entry in map(json.loads, lines) if entry.get("client_request_id") == client_request_id]


async def test_log_line_names_request_and_route_template_but_no_patient_data(client, world, json_log):
    read = await client.get(
        f"{API}/patients/{world.twin_a}?unit_id={world.unit_u1}",
        headers={**world.clin_u1.headers, "X-Request-ID": "ops-read-1"},
    )
    assert read.status_code == 200
    secret_name = "Hemmelig Navnesen"
    write = await client.post(
        f"{API}/patients",
        json={"display_name": secret_name, "birth_date": "2099-01-01", "unit_id": world.unit_u1},
        headers={**world.clin_u1.headers, "X-Request-ID": "ops-write-1"},
    )
    assert write.status_code == 422  # a future birth date: refused, nothing stored

    [read_entry] = _entries_for(json_log.lines, "ops-read-1")
    assert read_entry["event"] == "http.request"
    assert read_entry["route"] == f"{API}/patients/{{patient_id}}"
    assert read_entry["method"] == "GET"
    assert read_entry["status"] == 200
    assert isinstance(read_entry["duration_ms"], float | int)
    [write_entry] = _entries_for(json_log.lines, "ops-write-1")
    assert write_entry["route"] == f"{API}/patients"
    assert write_entry["status"] == 422

    everything = "\n".join(json_log.lines)
    for leaked in (world.twin_a, world.unit_u1, secret_name, "2099-01-01", "Tvilling"):
        assert leaked not in everything, leaked


async def test_unknown_route_is_a_problem_and_logged_without_its_path(client, json_log):
    response = await client.get(f"{API}/patients-of/Ola-Nordmann", headers={"X-Request-ID": "ops-404-1"})
    assert response.status_code == 404
    assert response.headers["content-type"].split(";")[0] == PROBLEM
    body = response.json()
    assert body["status"] == 404
    assert body.keys() >= {"type", "title", "status", "detail"}
    [entry] = _entries_for(json_log.lines, "ops-404-1")
    assert entry["route"] == "unmatched"
    assert "Ola-Nordmann" not in "\n".join(json_log.lines)
