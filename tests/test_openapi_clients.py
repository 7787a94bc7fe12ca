"""What an engineer building on Heima does first: generate a typed client from `/openapi.json` and
lint the document. Both with the npm tools pinned in tools/openapi (installed by ./dev.py).

- openapi-typescript turns the document into types; tsc (strict) must accept tools/openapi/client.ts,
  which uses them as a phone or web app would, including two `@ts-expect-error` lines that fail
  unless the types refuse what the server refuses.
- Redocly's recommended rules must give no error.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent / "tools" / "openapi"
BIN = TOOLS / "node_modules" / ".bin"

pytestmark = pytest.mark.skipif(shutil.which("npm") is None, reason="needs Node.js and npm (Debian package `npm`)")


def _run(*argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert (BIN / str(argv[0])).exists(), "tools/openapi is not installed: run ./dev.py (npm ci there)"
    return subprocess.run(
        [str(BIN / str(argv[0])), *map(str, argv[1:])], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
async def document_file(client, tmp_path: Path) -> Path:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    path = tmp_path / "openapi.json"
    path.write_bytes(response.content)
    return path


async def test_a_typescript_client_generated_from_the_document_compiles(document_file: Path, tmp_path: Path):
    generated = _run("openapi-typescript", document_file, "--output", tmp_path / "api.d.ts", cwd=tmp_path)
    assert generated.returncode == 0, generated.stderr
    for name in ("client.ts", "tsconfig.json"):
        shutil.copy(TOOLS / name, tmp_path / name)
    checked = _run("tsc", "--project", tmp_path / "tsconfig.json", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


async def test_the_document_lints_without_errors(document_file: Path, tmp_path: Path):
    linted = _run(
        "redocly", "lint", document_file, "--config", TOOLS / "redocly.yaml", "--format", "json", cwd=tmp_path
    )
    report = json.loads(linted.stdout)
    problems = report["problems"]
    errors = [p for p in problems if p["severity"] == "error"]
    assert errors == [], errors
    # The only warnings: probes and the scrape, which answer no 4xx of their own.
    warned = {(p["ruleId"], p["location"][0]["pointer"]) for p in problems}
    assert warned <= {
        ("operation-4xx-response", "#/paths/~1health~1live/get/responses"),
        ("operation-4xx-response", "#/paths/~1health~1ready/get/responses"),
        ("operation-4xx-response", "#/paths/~1metrics/get/responses"),
    }, warned
    assert linted.returncode == 0
