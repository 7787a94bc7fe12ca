"""Generate (or check) `web/shared/api-types.ts` from Heima's own OpenAPI document.

    .venv/bin/python web/scripts/api_types.py          # regenerate after an API change
    .venv/bin/python web/scripts/api_types.py --check  # exit 1 when the committed file is stale

The document comes from `heima openapi` (the app built without a database or a server), the types
from `openapi-typescript` in web/node_modules (`npm ci` in web/). tests/web/test_api_types.py runs
the check, so an API change that the apps have not caught up with fails the test suite.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

WEB = Path(__file__).resolve().parent.parent
TYPES = WEB / "shared" / "api-types.ts"
GENERATOR = WEB / "node_modules" / ".bin" / "openapi-typescript"


def generate() -> str:
    """The types file as the current code's OpenAPI document makes it."""
    document = subprocess.run(
        [sys.executable, "-m", "backend.cli", "openapi"], check=True, capture_output=True, text=True, cwd=WEB.parent
    ).stdout
    with tempfile.TemporaryDirectory(prefix="heima-api-types-") as tmp:
        source, output = Path(tmp) / "openapi.json", Path(tmp) / "api-types.ts"
        source.write_text(document)
        subprocess.run([GENERATOR, source, "--output", output], check=True, capture_output=True, cwd=WEB)
        return output.read_text()


def main(argv: list[str]) -> int:
    fresh = generate()
    if "--check" in argv:
        if TYPES.read_text() != fresh:
            print(f"{TYPES} is out of date: run web/scripts/api_types.py", file=sys.stderr)
            return 1
        return 0
    TYPES.write_text(fresh)
    print(f"wrote {TYPES}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
