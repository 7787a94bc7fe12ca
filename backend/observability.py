"""Request ids, structured JSON logs and Prometheus metrics.

Logs carry the route template (`/api/v1/patients/{patient_id}`), never bodies or query strings:
those may hold health data.
"""

from __future__ import annotations

import logging
import re
import secrets
import sys
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Counter, Histogram

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
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


class Metrics:
    """One registry per app, so several apps (tests, workers) never share counters."""

    def __init__(self) -> None:
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


access_log = logging.getLogger("heima.http")


def observe_requests(metrics: Metrics) -> Any:
    """ASGI middleware factory: request id in and out, one log line and metric per request."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def handle(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
            request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else secrets.token_hex(8)
            token = request_id_var.set(request_id)
            metrics_token = current_metrics.set(metrics)
            status = 500
            started = time.perf_counter()

            async def send_with_id(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    headers = list(message.get("headers", []))
                    headers.append((b"x-request-id", request_id.encode()))
                    message = {**message, "headers": headers}
                await send(message)

            try:
                await app(scope, receive, send_with_id)
            finally:
                elapsed = time.perf_counter() - started
                route = _route_template(scope)
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
                current_metrics.reset(metrics_token)

        return handle

    return middleware


def _route_template(scope: Scope) -> str:
    handler = scope.get("route_handler")
    if handler is not None and scope.get("path_template"):
        return str(scope["path_template"])
    if handler is not None:
        paths = getattr(handler, "paths", None)
        if paths:
            return sorted(paths)[0]
    return "unmatched"
