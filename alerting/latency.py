"""How long an alert takes from the request that raised it to its commit, for /metrics.

The service notes when it has evaluated and written a new alert; this ASGI wrapper knows when the
request began and when its response started, which is after the transaction committed (Litestar
cleans up the connection dependency, i.e. commits, before it sends the response). Only a 2xx
counts: any other answer means the transaction was rolled back and the alert never existed.
The push stages (sent, accepted) are observed by the delivery worker, under the same metric name.
The stamps in the `alerts` table measure the same path in the database's own clock.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send


@dataclass
class _Request:
    started: float
    evaluated: list[float] = field(default_factory=list)


# The current request's record, set by the wrapper; None outside a request (CLI, worker, tests
# calling services directly), where nothing is observed.
_current: ContextVar[_Request | None] = ContextVar("alert_latency", default=None)


def note_evaluated(new_alerts: int) -> None:
    """The service has written `new_alerts` new alerts in this request's transaction."""
    record = _current.get()
    if record is not None and new_alerts:
        record.evaluated.extend([time.perf_counter()] * new_alerts)


def track_alert_latency(histogram: Any) -> Any:
    """ASGI middleware factory; `histogram` has a `stage` label (Metrics.alert_latency)."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def handle(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            record = _Request(time.perf_counter())
            token = _current.set(record)
            answered: list[tuple[int, float]] = []

            async def send_noting_status(message: Message) -> None:
                if message["type"] == "http.response.start":
                    answered.append((message["status"], time.perf_counter()))
                await send(message)

            try:
                await app(scope, receive, send_noting_status)
            finally:
                _current.reset(token)
                if record.evaluated and answered and 200 <= answered[0][0] < 300:
                    committed = answered[0][1]
                    for evaluated in record.evaluated:
                        histogram.labels("evaluated").observe(evaluated - record.started)
                        histogram.labels("committed").observe(committed - record.started)

        return handle

    return middleware
