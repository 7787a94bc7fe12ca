"""Tracing of requests and their statements (backend/tracing.py): a server span named by the
route template, a child span per statement named by its query, an incoming traceparent honoured,
no value a person sent in any span, and nothing at all with tracing off."""

from __future__ import annotations

from dataclasses import replace

from litestar.testing import AsyncTestClient
from opentelemetry.trace import SpanKind

from backend.app import create_app
from backend.db import QUERY_NAMES
from backend.settings import Settings, traces_exporter_from_env
from tests.helpers import API, app_client

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"


def attribute_values(span) -> list[str]:
    return [str(value) for value in (span.attributes or {}).values()]


async def test_a_request_is_a_server_span_named_by_its_route_with_a_child_span_per_statement(
    settings: Settings, world, session_clock, tracer, spans
):
    app = create_app(settings, clock=session_clock, configure_logs=False, tracer=tracer)
    async with AsyncTestClient(app) as client:
        spans.clear()  # the start-up's own statements are not this request's
        response = await client.get(f"{API}/patients/{world.twin_a}?secret=fever", headers=world.clin_u1.headers)
        assert response.status_code == 200

    finished = spans.get_finished_spans()
    [server] = [span for span in finished if span.kind is SpanKind.SERVER]
    assert server.name == "GET /api/v1/patients/{patient_id}"
    assert server.attributes["http.route"] == "/api/v1/patients/{patient_id}"
    assert server.attributes["http.response.status_code"] == 200
    statements = [span for span in finished if span.name.startswith("db ")]
    for statement in statements:
        assert statement.parent is not None and statement.parent.span_id == server.context.span_id
        assert statement.context.trace_id == server.context.trace_id
    names = [statement.attributes["db.operation.name"] for statement in statements]
    # The request's own transaction, and its queries by their names in queries.sql.
    assert names[0] == "BEGIN" and names[-1] == "COMMIT"
    assert "select_patient" in names
    # SQL composed in code is named by its first keyword alone.
    assert all(name in QUERY_NAMES.values() or (name.isalpha() and name.isupper()) for name in names)
    # No id, query string or parameter of the request in any span.
    for span in finished:
        for value in [span.name, *attribute_values(span)]:
            assert world.twin_a not in value and "fever" not in value


async def test_an_incoming_traceparent_makes_the_server_span_its_child(
    settings: Settings, session_clock, tracer, spans
):
    app = create_app(settings, clock=session_clock, configure_logs=False, tracer=tracer)
    async with AsyncTestClient(app) as client:
        spans.clear()
        response = await client.get("/health/live", headers={"traceparent": f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"})
        assert response.status_code == 200

    [server] = [span for span in spans.get_finished_spans() if span.kind is SpanKind.SERVER]
    assert server.name == "GET /health/live"
    assert format(server.context.trace_id, "032x") == TRACE_ID
    assert server.parent is not None and format(server.parent.span_id, "016x") == PARENT_SPAN_ID
    assert server.parent.is_remote


async def test_with_tracing_off_nothing_is_traced(settings: Settings, world, session_clock, spans):
    assert settings.traces_exporter == ""
    async with app_client(settings, session_clock) as client:
        response = await client.get(f"{API}/patients/{world.twin_a}", headers=world.clin_u1.headers)
        assert response.status_code == 200
    assert spans.get_finished_spans() == ()


def test_tracing_is_off_unless_the_otel_variables_ask_for_it():
    assert traces_exporter_from_env({}) == ""
    assert traces_exporter_from_env({"OTEL_SERVICE_NAME": "heima-oslo"}) == ""
    assert traces_exporter_from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}) == "otlp"
    assert traces_exporter_from_env({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}) == "otlp"
    assert traces_exporter_from_env({"OTEL_TRACES_EXPORTER": "console"}) == "console"
    assert traces_exporter_from_env({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c"}) == ""
    assert traces_exporter_from_env({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}) == ""
    on = Settings.from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert on.traces_exporter == "otlp"
    # The worker processes of `heima serve` inherit the OTEL_* variables themselves.
    assert not any("TRACES" in name for name in replace(on, port=9000).as_env())
