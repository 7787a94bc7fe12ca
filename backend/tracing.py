"""OpenTelemetry tracing: off unless the standard OTEL_* variables ask for it (backend/settings.py
decides, docs/operations.md says which).

When on, there are three kinds of span, none of which names a value a person sent:

- one server span per HTTP request, named by its method and route template
  (`GET /api/v1/patients/{patient_id}`), never the path, query string or body; a W3C `traceparent`
  the request carries makes it a child of the caller's trace;
- one span per database statement run inside a traced operation, named by the query's name in
  its `queries.sql` (`db select_patient`), never its parameters;
- one span per push sent (`push send`), naming the push service's host and the outcome, never the
  endpoint (a device's address) or the message.

The OpenTelemetry packages are the `tracing` extra (the image ships it) and are imported only when
tracing is on, so the default install runs without them. Code that may trace takes a `Tracer | None`: None is off,
and then nothing is created at all.
"""

from __future__ import annotations

import contextlib
import functools
import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.settings import Settings, SettingsError

if TYPE_CHECKING:
    import asyncpg
    from opentelemetry.trace import Span, Tracer

INSTRUMENTATION_NAME = "heima"
# The first word of a statement, past any comment lines.
_KEYWORD = re.compile(r"^(?:\s*--[^\n]*\n)*\s*([A-Za-z]+)")
DEFAULT_SERVICE_NAME = "heima"


def tracer_from_settings(settings: Settings) -> Tracer | None:
    """This process's tracer when the settings turn tracing on, else None (nothing imported)."""
    if not settings.traces_exporter:
        return None
    return _process_tracer(settings.traces_exporter)


@functools.cache
def _process_tracer(exporter_name: str) -> Tracer:
    """One provider per process (each of `heima serve`'s workers makes its own after it starts),
    exporting in batches from a thread; the SDK flushes it when the process exits."""
    try:
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
    except ImportError:
        raise SettingsError("tracing is on (OTEL_*) but its packages are missing: install heima[tracing]") from None
    if exporter_name == "console":
        exporter: Any = ConsoleSpanExporter()
    else:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError:
            raise SettingsError("OTEL_TRACES_EXPORTER=otlp needs heima[tracing] installed") from None
        # Reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT itself.
        exporter = OTLPSpanExporter()
    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are read by the SDK; unnamed, the service is heima.
    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider.get_tracer(INSTRUMENTATION_NAME)


def trace_requests(tracer: Tracer | None, route_of: Any) -> Any:
    """ASGI middleware factory: a server span around each HTTP request, its name set once the
    route is known (`route_of(scope)` after the app ran). Off, the app is returned untouched."""
    if tracer is None:
        return lambda app: app
    from opentelemetry import trace
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    propagator = TraceContextTextMapPropagator()

    def middleware(app: ASGIApp) -> ASGIApp:
        async def handle(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            carrier = {
                name.decode("latin-1"): value.decode("latin-1")
                for name, value in scope["headers"]
                if name in (b"traceparent", b"tracestate")
            }
            method = scope["method"]
            status = 500

            async def send_with_status(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            with tracer.start_as_current_span(
                method, context=propagator.extract(carrier), kind=trace.SpanKind.SERVER, record_exception=False
            ) as span:
                try:
                    await app(scope, receive, send_with_status)
                finally:
                    route = route_of(scope)
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.request.method", method)
                    span.set_attribute("http.route", route)
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(trace.StatusCode.ERROR)

        return handle

    return middleware


class StatementTracer:
    """An asyncpg query logger that turns each finished statement into a span named by its query.

    asyncpg calls it just after the statement, in the context of the code that ran it, so the span
    becomes a child of the request's (or push's) span. Statements outside any traced operation (the
    worker's polls, the pool's own) are left alone: a root span per poll is noise, not a trace."""

    def __init__(self, tracer: Tracer, names: dict[str, str]) -> None:
        self._tracer = tracer
        self._names = names

    def __call__(self, record: Any) -> None:
        from opentelemetry import trace

        if not trace.get_current_span().get_span_context().is_valid:
            return
        # Named queries come from queries.sql; anything else is named by its first keyword only.
        name = self._names.get(record.query) or _first_keyword(record.query)
        end = time.time_ns()
        span = self._tracer.start_span(
            f"db {name}", kind=trace.SpanKind.CLIENT, start_time=end - int(record.elapsed * 1e9)
        )
        span.set_attribute("db.system.name", "postgresql")
        span.set_attribute("db.operation.name", name)
        if record.exception is not None:
            span.set_status(trace.StatusCode.ERROR, type(record.exception).__name__)
        span.end(end_time=end)


def _first_keyword(sql: str) -> str:
    """BEGIN, COMMIT, SELECT…: what an unnamed statement (a transaction's own, or SQL built in
    code) is called; never more of its text, which might hold a literal."""
    match = _KEYWORD.search(sql)
    return match.group(1).upper() if match else "statement"


def trace_statements(conn: asyncpg.Connection, tracer: Tracer | None, names: dict[str, str]) -> None:
    if tracer is not None:
        conn.add_query_logger(StatementTracer(tracer, names))


@contextlib.contextmanager
def push_span(tracer: Tracer | None) -> Iterator[Span | None]:
    """The span of one push (alerting/push/sender.py), or None when tracing is off."""
    if tracer is None:
        yield None
        return
    from opentelemetry import trace

    with tracer.start_as_current_span("push send", kind=trace.SpanKind.CLIENT) as span:
        yield span
