"""Throwaway PostgreSQL and Redis servers that the fault tests start, break and stop themselves.

Never the machine's shared servers: each lives in its own temporary directory on a free port and is
stopped by its own PID (docs/reliability.md, "How the fault tests run"). PostgreSQL uses the machine's binaries
(`/usr/lib/postgresql/<n>/bin`), else pgserver's bundled ones; initdb refuses to run as root, so
as root every PostgreSQL command runs as the `postgres` OS user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.localhost import answers, free_port, real_time_env, redis_server_binary

STARTUP_SECONDS = 20.0


def _wait_until(predicate, what: str, seconds: float = STARTUP_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen within {seconds} s")
        time.sleep(0.05)  # polling a child process, not test logic


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _postgres_bin() -> Path | None:
    for candidate in sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    ):
        if Path(candidate, "initdb").exists() and Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    with contextlib.suppress(ImportError):
        import pgserver

        bundled = Path(pgserver.__file__).parent / "pginstall" / "bin"
        if (bundled / "initdb").exists():
            return bundled
    return None


def postgres_available() -> str | None:
    """None when the throwaway cluster can be built here, else why not."""
    if _postgres_bin() is None:
        return "no PostgreSQL binaries (initdb, pg_ctl)"
    if os.geteuid() == 0 and (shutil.which("runuser") is None or not _user_exists("postgres")):
        return "running as root without runuser and a postgres OS user (initdb refuses root)"
    return None


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


class ThrowawayPostgres:
    """initdb'd cluster in a temp directory; `stop_immediate()` / `start()` are the fault."""

    def __init__(self) -> None:
        binaries = _postgres_bin()
        assert binaries is not None
        self.bin = binaries
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="heima-faults-pg-"))
        self.data = self.root / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, user="postgres", group="postgres")
        self.pid: int | None = None
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(
            command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60, env=real_time_env()
        )

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])
        _wait_until(lambda: answers("127.0.0.1", self.port, timeout=0.2), "PostgreSQL listening")

    def stop_immediate(self) -> None:
        """The hard stop: every backend is killed without a checkpoint (crash recovery on start)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self.pid = None

    def cleanup(self) -> None:
        if self.pid is not None and _pid_alive(self.pid):
            with contextlib.suppress(Exception):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            if _pid_alive(self.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
        self.pid = None
        shutil.rmtree(self.root, ignore_errors=True)


class ThrowawayRedis:
    """redis-server on a free port, DEBUG allowed from loopback, no persistence."""

    def __init__(self) -> None:
        binary = redis_server_binary()
        assert binary is not None
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--enable-debug-command",
                "local",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=real_time_env(),
        )
        _wait_until(lambda: answers("127.0.0.1", self.port, timeout=0.2), "Redis listening")

    def kill(self) -> None:
        """SIGKILL by PID: no goodbye on open connections."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)
        self.process = None

    def cleanup(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None
