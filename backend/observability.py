"""Request ids, structured JSON logs and Prometheus metrics.

Logs carry the route template (`/api/v1/patients/{patient_id}`), never bodies or query strings:
those may hold health data.

Metrics: `heima serve` runs several worker processes behind one port, and a scrape reaches one of
them. So that one scrape shows the whole server, `heima serve` gives its workers a shared directory
(prometheus_client's multiprocess mode, `PROMETHEUS_MULTIPROC_DIR`): each process writes its values
there and whichever answers `/metrics` sums them all (per-process gauges keep a `pid` label). An app
built without that directory (tests, benchmarks) keeps its own registry, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import platform
import re
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import (
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
    multiprocess,
    values,
)

# The server's own id for the request: what the logs and the access log name it by, so a client
# cannot make its request look like another's. The X-Request-ID a client sent (a load balancer's,
# a phone's) is kept beside it and echoed back.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
client_request_id_var: ContextVar[str | None] = ContextVar("client_request_id", default=None)
# The registry of the app or worker that runs the current request or round, for counters that code
# far from the composition root adds to (alerting/failures.py); None outside them (scripts, tests
# that call services directly), where nothing is counted.
current_metrics: ContextVar[Metrics | None] = ContextVar("current_metrics", default=None)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

# Attributes every LogRecord has; anything else was passed in `extra=` and is logged as a field.
_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        client_request_id = client_request_id_var.get()
        if client_request_id:
            entry["client_request_id"] = client_request_id
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return msgspec.json.encode(entry, enc_hook=str).decode()


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's access log prints raw paths with query strings; ours logs route templates instead.
    logging.getLogger("uvicorn.access").disabled = True
    # pgserver narrates every pg_ctl call at INFO, stdout included.
    logging.getLogger("pgserver").setLevel(logging.WARNING)


# prometheus_client's own variable: where processes sharing metrics write them.
SHARED_METRICS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# How often each process refreshes its gauges (pool, process), so that a scrape answered by another
# process sees values at most this old.
REFRESH_SECONDS = 5.0


def shared_metrics_directory() -> str | None:
    return os.environ.get(SHARED_METRICS_VARIABLE) or None


@contextlib.contextmanager
def metrics_shared_by_workers() -> Iterator[str]:
    """For `heima serve`: a fresh directory its worker processes (forked or spawned) write their
    metrics to, removed when the server stops. prometheus_client picks its value store when first
    imported, so it is picked again here for workers forked from this process."""
    saved = os.environ.get(SHARED_METRICS_VARIABLE)
    with tempfile.TemporaryDirectory(prefix="heima-metrics-") as directory:
        os.environ[SHARED_METRICS_VARIABLE] = directory
        values.ValueClass = values.get_value_class()
        try:
            yield directory
        finally:
            if saved is None:
                os.environ.pop(SHARED_METRICS_VARIABLE, None)
            else:
                os.environ[SHARED_METRICS_VARIABLE] = saved
            values.ValueClass = values.get_value_class()


def forget_dead_processes(directory: str) -> None:
    """Drop the live gauges of worker processes that are gone (a crashed worker its server
    replaced), so pool and process gauges count only processes that serve. Counters stay: what a
    dead process counted still happened."""
    for path in Path(directory).glob("gauge_live*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, directory)
        except PermissionError:
            continue  # alive, another user's


class Metrics:
    """One registry per app, so several apps (tests, workers) never share counters; under `heima
    serve` every process's values are summed at the scrape instead."""

    def __init__(self) -> None:
        self.shared_directory = shared_metrics_directory()
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "heima_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "heima_http_request_duration_seconds",
            "HTTP request duration",
            ["method", "route"],
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        # From the start of the request that raised an alert to each stage of its path:
        # evaluated, committed (API, alerting/latency.py), push_sent, push_accepted (worker).
        self.alert_latency = Histogram(
            "heima_alert_latency_seconds",
            "Alert latency from the raising request's start, by stage",
            ["stage"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        # A rule that could not be used (a stored override that no longer fits its schema) or
        # failed while evaluating: skipped, so one rule never fails an upload, an overview or a
        # sweep; counted here so that operations see it.
        self.rule_failures = Counter(
            "heima_rule_failures_total",
            "Rules skipped because they could not be used or evaluated, by where and rule code",
            ["stage", "rule"],
            registry=self.registry,
        )
        self.build_info = Gauge(
            "heima_build_info",
            "The running version of Heima and of Python (always 1)",
            ["version", "python"],
            registry=self.registry,
            multiprocess_mode="max",
        )
        self.build_info.labels(version("heima"), platform.python_version()).set(1)
        self.pool_connections = Gauge(
            "heima_db_pool_connections",
            "PostgreSQL connections of the pools, by state (in_use, idle)",
            ["state"],
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.pool_max = Gauge(
            "heima_db_pool_max_connections",
            "Connections the pools may open in all (HEIMA_DB_POOL_MAX per process)",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self._process: dict[str, Gauge] = {}
        if self.shared_directory is None:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)

    def refresh(self, pool: asyncpg.Pool | None) -> None:
        """Gauges read now: the pool's connections, and in shared mode this process's figures."""
        if pool is not None:
            size, idle = pool.get_size(), pool.get_idle_size()
            self.pool_connections.labels("in_use").set(size - idle)
            self.pool_connections.labels("idle").set(idle)
            self.pool_max.set(pool.get_max_size())
        if self.shared_directory is None:
            return
        # The usual process_* figures, one series per worker (`pid` label), from the collector
        # that would report them for a single process.
        for family in PROCESS_COLLECTOR.collect():
            for sample in family.samples:
                gauge = self._process.get(sample.name)
                if gauge is None:
                    gauge = Gauge(
                        sample.name, family.documentation, registry=self.registry, multiprocess_mode="liveall"
                    )
                    self._process[sample.name] = gauge
                gauge.set(sample.value)

    def exposition(self) -> bytes:
        if self.shared_directory is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=self.shared_directory)
        PlatformCollector(registry=registry)  # python_info: the same in every worker
        return generate_latest(registry)


async def refresh_periodically(metrics: Metrics, pool: asyncpg.Pool) -> None:
    """Until cancelled (the app's lifespan ends)."""
    if metrics.shared_directory is not None:
        forget_dead_processes(metrics.shared_directory)
    while True:
        metrics.refresh(pool)
        await asyncio.sleep(REFRESH_SECONDS)


access_log = logging.getLogger("heima.http")


def observe_requests(metrics: Metrics) -> Any:
    """ASGI middleware factory: request id in and out, one log line and metric per request."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def handle(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
            client_request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else None
            request_id = secrets.token_hex(8)
            token = request_id_var.set(request_id)
            client_token = client_request_id_var.set(client_request_id)
            echoed = client_request_id or request_id
            metrics_token = current_metrics.set(metrics)
            status = 500
            started = time.perf_counter()

            async def send_with_id(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    headers = list(message.get("headers", []))
                    headers.append((b"x-request-id", echoed.encode()))
                    message = {**message, "headers": headers}
                await send(message)

            try:
                await app(scope, receive, send_with_id)
            finally:
                elapsed = time.perf_counter() - started
                route = route_template(scope)
                metrics.requests.labels(scope["method"], route, str(status)).inc()
                metrics.latency.labels(scope["method"], route).observe(elapsed)
                access_log.info(
                    "http.request",
                    extra={
                        "method": scope["method"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
                request_id_var.reset(token)
                client_request_id_var.reset(client_token)
                current_metrics.reset(metrics_token)

        return handle

    return middleware


def route_template(scope: Scope) -> str:
    handler = scope.get("route_handler")
    if handler is not None and scope.get("path_template"):
        return str(scope["path_template"])
    if handler is not None:
        paths = getattr(handler, "paths", None)
        if paths:
            return sorted(paths)[0]
    return "unmatched"
