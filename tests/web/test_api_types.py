"""The apps' API types are generated from Heima's own OpenAPI document: an API change that the
committed types have not caught up with fails here, before it can fail on a parent's phone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "web" / "scripts" / "api_types.py"


def test_generated_api_types_are_up_to_date():
    if not (SCRIPT.parents[1] / "node_modules" / ".bin" / "openapi-typescript").exists():
        pytest.fail("web/node_modules is missing: run ./dev.py (it runs npm ci in web/)")
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
