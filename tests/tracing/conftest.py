"""The tracing fixtures (tests/tracing/support.py)."""

from tests.tracing.support import span_exporter, spans, tracer

__all__ = ["span_exporter", "spans", "tracer"]
