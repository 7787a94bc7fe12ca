#!/usr/bin/env python3
"""The two commands of the README, for a fresh machine that has only Python 3.11+.

    ./dev.py serve   virtualenv, install, embedded PostgreSQL, migrations, demo data, then the API
    ./dev.py test    virtualenv, install, then the whole test suite (extra arguments go to pytest)

Set-up is skipped when pyproject.toml (and tools/openapi/package-lock.json, for the npm tools that
check the OpenAPI document) has not changed since the last install.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".heima-installed"
OPENAPI_TOOLS = ROOT / "tools" / "openapi"


def ensure_environment() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs on whatever python3 the machine has
        sys.exit("Heima needs Python 3.11 or newer")
    if not (BIN / "python").exists():
        print("creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("installing Heima and its test tools into .venv …", flush=True)
    subprocess.run([BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([BIN / "python", "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def ensure_openapi_tools() -> None:
    """openapi-typescript, tsc and Redocly's CLI at the locked versions (tests/test_openapi_clients.py)."""
    npm = shutil.which("npm")
    if npm is None:
        print("npm not found: the OpenAPI client tests will be skipped (Debian package `npm`)", flush=True)
        return
    stamp = OPENAPI_TOOLS / "node_modules" / ".heima-installed"
    wanted = hashlib.sha256((OPENAPI_TOOLS / "package-lock.json").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print("installing the OpenAPI tools (npm ci) …", flush=True)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=OPENAPI_TOOLS, check=True)
    stamp.write_text(wanted)


def main() -> int:
    command, *rest = sys.argv[1:] or ["help"]
    if command not in ("serve", "test"):
        print(__doc__)
        return 2
    ensure_environment()
    os.chdir(ROOT)
    if command == "serve":
        argv = [str(BIN / "heima"), "serve", "--demo", *rest]
    else:
        ensure_openapi_tools()
        argv = [str(BIN / "python"), "-m", "pytest", *rest]
    os.execv(argv[0], argv)


if __name__ == "__main__":
    sys.exit(main())
