#!/usr/bin/env python3
"""The two commands of the README, for a fresh machine that has Python 3.11+ and Node 20+.

    ./dev.py serve   virtualenv, install, web apps, embedded PostgreSQL, migrations, demo data, then
                     the API and the apps (http://127.0.0.1:8000/app/ and /care/)
    ./dev.py test    the same set-up and Chromium for the browser tests, then the whole test suite
                     (extra arguments go to pytest)

Each set-up step is skipped when what it depends on has not changed since it last ran: the Python
install on pyproject.toml, `npm ci` on web/'s lock file (and on tools/openapi/'s, for the npm tools
that check the OpenAPI document), the build on web/'s sources.
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
WEB = ROOT / "web"
NODE_MODULES_STAMP = WEB / "node_modules" / ".heima-installed"
BUILD_STAMP = WEB / "dist" / ".heima-built"
# What the build reads: everything in web/ but what npm and the build write.
WEB_OUTPUTS = ("node_modules", "dist")
CHROMIUM = Path("/usr/bin/chromium")


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
    subprocess.run([BIN / "python", "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[embedded,test]"], check=True)
    STAMP.write_text(wanted)


def _digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _stale(stamp: Path, wanted: str) -> bool:
    return not (stamp.exists() and stamp.read_text() == wanted)


def npm_ci(npm: str, folder: Path) -> None:
    """`npm ci` from the committed lock file; tried a second time, since a registry that drops one
    connection should not fail a whole set-up."""
    command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    if subprocess.run(command, cwd=folder, check=False).returncode != 0:
        print(f"npm ci in {folder.name}/ failed; trying once more …", flush=True)
        subprocess.run(command, cwd=folder, check=True)


def ensure_web_apps() -> None:
    """`npm ci` when the lock file changed, the build when any source did (web/dist, gitignored)."""
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("Heima's web apps need Node 20+ with npm on the PATH (then run this again)")
    installed = _digest([WEB / "package.json", WEB / "package-lock.json"])
    if _stale(NODE_MODULES_STAMP, installed):
        print("installing the web apps' packages (npm ci) …", flush=True)
        npm_ci(npm, WEB)
        NODE_MODULES_STAMP.write_text(installed)
    sources = [
        path
        for path in WEB.rglob("*")
        if path.is_file() and path.relative_to(WEB).parts[0] not in WEB_OUTPUTS and "__pycache__" not in path.parts
    ]
    built = _digest(sources)
    if _stale(BUILD_STAMP, built):
        print("building the web apps …", flush=True)
        subprocess.run([npm, "run", "--silent", "build"], cwd=WEB, check=True)
        BUILD_STAMP.write_text(built)


def ensure_chromium() -> None:
    """The browser tests drive Debian's Chromium (Playwright cannot download its own here)."""
    if CHROMIUM.exists():
        return
    if os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing Chromium for the browser tests (apt-get) …", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
        return
    print(
        f"The browser tests need Chromium at {CHROMIUM}: on Debian or Ubuntu run "
        "`sudo apt-get install -y chromium` (they fail without it).",
        file=sys.stderr,
        flush=True,
    )


def ensure_openapi_tools() -> None:
    """openapi-typescript, tsc and Redocly's CLI at the locked versions (tests/test_openapi_clients.py)."""
    npm = shutil.which("npm")
    if npm is None:
        print("npm not found: the OpenAPI client tests will be skipped (Debian package `npm`)", flush=True)
        return
    stamp = OPENAPI_TOOLS / "node_modules" / ".heima-installed"
    wanted = _digest([OPENAPI_TOOLS / "package-lock.json"])
    if not _stale(stamp, wanted):
        return
    print("installing the OpenAPI tools (npm ci) …", flush=True)
    npm_ci(npm, OPENAPI_TOOLS)
    stamp.write_text(wanted)


def main() -> int:
    command, *rest = sys.argv[1:] or ["help"]
    if command not in ("serve", "test"):
        print(__doc__)
        return 2
    ensure_environment()
    ensure_web_apps()
    if command == "test":
        ensure_chromium()
    os.chdir(ROOT)
    if command == "serve":
        argv = [str(BIN / "heima"), "serve", "--demo", *rest]
    else:
        ensure_openapi_tools()
        argv = [str(BIN / "python"), "-m", "pytest", *rest]
    os.execv(argv[0], argv)


if __name__ == "__main__":
    sys.exit(main())
