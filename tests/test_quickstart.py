"""The README's promise: with only Python, `heima serve --demo` runs on an embedded PostgreSQL without
Redis, prints demo logins and activation codes, and those work over HTTP.

A real child process on a real port, so this test polls (with short sleeps) until it is ready.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.localhost import free_port

HEIMA = Path(sys.executable).with_name("heima")
READY_DEADLINE_SECONDS = 60
# "  nurse.neo              heima-demo-password    Nina Neonatal (nurse)"
_LOGIN = re.compile(r"^  (?P<username>\S+)\s+(?P<password>\S+)\s+(?P<who>\S.*)$")
# "  3PYQ-CV2B-5HHY   patient   Eva Berg"
_CODE = re.compile(r"^  (?P<code>\S+)\s+(?P<role>patient|guardian)\s+(?P<who>\S.*)$")


def _sections(stdout: str) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    logins: list[dict[str, str]] = []
    codes: list[dict[str, str]] = []
    section = None
    for line in stdout.splitlines():
        if line.startswith("Staff logins"):
            section = "logins"
        elif line.startswith("Activation codes"):
            section = "codes"
        elif not line.startswith("  "):
            section = None
        elif section == "logins" and (match := _LOGIN.match(line)):
            logins.append(match.groupdict())
        elif section == "codes" and (match := _CODE.match(line)):
            codes.append(match.groupdict())
    return logins, codes


def _postmaster_pid(pgdata: Path) -> int | None:
    pid_file = pgdata / "postmaster.pid"
    try:
        return int(pid_file.read_text().splitlines()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def test_serve_demo_on_embedded_postgresql(tmp_path):
    data_dir = tmp_path / "data"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEIMA_")}
    env["HEIMA_DATA_DIR"] = str(data_dir)
    assert "HEIMA_DATABASE_URL" not in env and "HEIMA_REDIS_URL" not in env
    stdout_path, stderr_path = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    base = f"http://127.0.0.1:{port}"

    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        process = subprocess.Popen(
            [str(HEIMA), "serve", "--demo", "--port", str(port)], env=env, cwd=tmp_path, stdout=out, stderr=err
        )
    postgres_pid = None
    try:
        deadline = time.monotonic() + READY_DEADLINE_SECONDS
        ready = None
        with httpx.Client(base_url=base, timeout=2) as http:
            while time.monotonic() < deadline:
                assert process.poll() is None, f"heima exited with {process.returncode}: {stderr_path.read_text()}"
                try:
                    ready = http.get("/health/ready")
                except httpx.TransportError:
                    ready = None
                if ready is not None and ready.status_code == 200:
                    break
                time.sleep(0.1)  # waiting for a child process to start, not for test logic
            assert ready is not None and ready.status_code == 200, f"not ready in time: {stderr_path.read_text()}"
            postgres_pid = _postmaster_pid(data_dir / "pgdata")
            assert postgres_pid is not None, "the embedded PostgreSQL is not running in HEIMA_DATA_DIR"
            # Single process, no Redis: ready on PostgreSQL alone, and says so.
            assert ready.json()["checks"]["postgresql"] == "ok"
            assert ready.json()["failed"] == []

            stdout = stdout_path.read_text()
            logins, codes = _sections(stdout)
            assert logins, stdout
            assert {c["role"] for c in codes} == {"patient", "guardian"}, stdout

            # Where the apps are, and a code that signs the family app in (the twins' parent's).
            assert f"The family app: {base}/app/" in stdout
            family_code = re.search(r"activation code (\S+) \(", stdout)
            assert family_code is not None, stdout
            assert family_code.group(1) in {c["code"] for c in codes if c["role"] == "guardian"}
            app = http.get("/app/")
            assert app.status_code == 200
            assert '<link rel="manifest" href="/app/manifest.webmanifest"' in app.text

            clinician = next(login for login in logins if login["username"] == "nurse.neo")
            tokens = http.post(
                "/api/v1/auth/login", json={"username": clinician["username"], "password": clinician["password"]}
            )
            assert tokens.status_code == 200, tokens.text
            assert tokens.json()["token_type"] == "Bearer"
            me = http.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens.json()['access_token']}"})
            assert me.status_code == 200
            assert me.json()["role"] == "clinician"
            nurse = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
            # The demo has a development VAPID key (kept in the data directory) and runs the worker.
            key = http.get("/api/v1/push/public-key", headers=nurse)
            assert key.status_code == 200 and len(key.json()["public_key"]) == 87, key.text
            assert (data_dir / "vapid_private_key").exists()
            # Recent data whatever the day: the worklist has the week's alerts.
            worklist = http.get("/api/v1/alerts", headers=nurse)
            assert worklist.status_code == 200 and worklist.json()["items"], worklist.text

            patient_code = next(c for c in codes if c["role"] == "patient")
            activation = {"code": patient_code["code"], "device_name": "quickstart phone"}
            activated = http.post("/api/v1/auth/activate", json=activation)
            assert activated.status_code == 200, activated.text
            phone = http.get("/api/v1/me", headers={"Authorization": f"Bearer {activated.json()['access_token']}"})
            assert phone.status_code == 200
            assert phone.json()["role"] == "patient"
            assert phone.json()["display_name"] == patient_code["who"]
            assert len(phone.json()["patient_ids"]) == 1
            # Single use.
            assert http.post("/api/v1/auth/activate", json=activation).status_code == 401
    finally:
        process.terminate()  # SIGTERM to the PID we started
        try:
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
            # The embedded server must stop with heima; if it did not, end it here (we started it).
            leaked = _postmaster_pid(data_dir / "pgdata")
            if leaked is not None and leaked == postgres_pid:
                os.kill(leaked, signal.SIGTERM)

    # The worker ran beside the API, and stopped with it.
    assert '"worker.started"' in stderr_path.read_text() or "worker.started" in stderr_path.read_text()
    assert "worker.stopped" in stderr_path.read_text()
    # A graceful stop also stopped the embedded PostgreSQL (its pid file is gone).
    assert leaked is None, "the embedded PostgreSQL outlived `heima serve`"
    assert process.returncode == 128 + signal.SIGTERM
