"""An embedded PostgreSQL for a machine that has only Python (development and demos).

pgserver ships PostgreSQL in a wheel; its data directory persists between runs under the
settings' data_dir, so demo data survives a restart.
"""

from __future__ import annotations

import importlib.util
import logging
import signal
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

log = logging.getLogger("heima.embedded")


def is_installed() -> bool:
    """Whether pgserver is there: it is an extra (`heima[embedded]`), left out of the image."""
    return importlib.util.find_spec("pgserver") is not None


@contextmanager
def embedded_postgresql(data_path: Path) -> Iterator[str]:
    """Start (or join) the embedded server and yield a DSN; stop it when the block ends."""
    with warnings.catch_warnings():
        # pgserver keeps a lock file in the user's runtime directory; without XDG_RUNTIME_DIR (a
        # container, a CI job, a root shell) platformdirs falls back to /tmp/runtime-UID, which
        # serves as well, and warns on every start: nothing the developer needs to act on.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import pgserver  # imported here: production never needs it

    data_path.mkdir(parents=True, exist_ok=True)
    with _sigterm_unwinds():
        server = pgserver.get_server(data_path, cleanup_mode="stop")
        try:
            dsn = server.get_uri()
            log.info("embedded.postgresql.started", extra={"data_path": str(data_path)})
            yield dsn
        finally:
            server.cleanup()


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """Let SIGTERM unwind the stack so the `finally` above stops the server.

    Python's default action for SIGTERM ends the process on the spot, skipping `finally` and
    atexit. uvicorn catches SIGTERM, shuts down gracefully and then re-raises it, so `heima serve
    --demo` stopped by its supervisor (or `kill PID`) left the embedded PostgreSQL running.
    """
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, exit_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
