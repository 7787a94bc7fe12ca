"""Tracing off sets nothing up (backend/tracing.py), though the image ships the `tracing` extra: in a
fresh process with no OTEL_* variables, the API and the worker's tracer leave the SDK's tracing and
the exporters unimported. redis-py imports the SDK's metrics module when it is installed, for its
own opt-in metrics that Heima never turns on, so "no opentelemetry module at all" is not the test."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.localhost import real_time_env

PROGRAM = """
import json, sys
from backend.app import create_app
from backend.settings import Settings
from backend.tracing import tracer_from_settings

settings = Settings.from_env()
create_app(settings, configure_logs=False)
print(json.dumps({
    "tracer": repr(tracer_from_settings(settings)),
    "modules": sorted(name for name in sys.modules if name.startswith("opentelemetry")),
}))
"""


def test_with_no_otel_variables_no_tracer_and_no_exporter_is_loaded():
    environ = {k: v for k, v in real_time_env().items() if not k.startswith(("OTEL_", "HEIMA_"))}
    # create_app needs these; nothing connects, since the app is built and never started.
    environ |= {"HEIMA_DATABASE_URL": "postgresql://127.0.0.1/unused", "HEIMA_SECRET_KEY": "k" * 32}
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], env=environ, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["tracer"] == "None"
    tracing_modules = ("opentelemetry.sdk.trace", "opentelemetry.exporter")
    assert [name for name in result["modules"] if name.startswith(tracing_modules)] == []
