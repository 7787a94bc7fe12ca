"""How `heima serve` runs the app: which HTTP server, and how many worker processes.

A server with worker processes imports the app by name in each of them, so the app is built by a
factory, `create`, from the settings the command line resolved (the embedded database's URL, the
development secret) and handed down in the environment (`Settings.as_env`). `run` is the one place
that knows the servers' options: the benchmarks start their ceiling app through it too, so the
ceiling always runs on the same server configuration as Heima (tests/bench/trivial_app.py).

Which server and how many workers was measured (tests/bench/bench_servers.py, docs/performance.md, P8);
the defaults are in backend/settings.py.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from types import FrameType
from typing import Any

from backend.observability import metrics_shared_by_workers
from backend.settings import Settings

log = logging.getLogger("heima.serve")

# `heima serve`'s own app factory (module:function).
HEIMA_APP = "backend.asgi:create"


def create() -> Any:
    """The app, built in the process that serves it (a server's worker process, or the only one)."""
    from backend.app import create_app

    return create_app(Settings.from_env())


def _load_in_worker(factory: str) -> Any:
    """granian's app loader, run in each worker: the app from `factory` (module:function). Which
    forwarded headers to believe is the app's own business (HEIMA_TRUSTED_PROXIES,
    backend/proxies.py), the same under either server. Module level, so a spawned worker can
    unpickle it."""
    import importlib

    _die_with_supervisor()
    module, _, name = factory.partition(":")
    return getattr(importlib.import_module(module), name)()


# Set in the supervisor before granian forks its workers (None in a spawned worker).
_supervisor_pid: int | None = None


def _die_with_supervisor() -> None:
    """A worker never outlives its supervisor. `kill -9` of `heima serve` then ends the service as it
    ends one process, sockets and all, rather than leaving an orphan serving on (tests/video: the
    peers of a killed process leave the room). Linux only (prctl); elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if _supervisor_pid is not None and os.getppid() != _supervisor_pid:
        os._exit(1)  # the supervisor died before the line above: too late to be told


def run(factory: str, *, server: str, workers: int, host: str, port: int, log_level: str = "INFO") -> None:
    """Serve the app `factory` (module:function, called with no arguments in each worker process)
    until SIGINT or SIGTERM; after a graceful shutdown SIGINT ends in KeyboardInterrupt and SIGTERM
    in SystemExit(143), as a process killed by it would (the embedded database's context unwinds)."""
    if server not in ("uvicorn", "granian"):  # Settings.checked refuses anything else
        raise ValueError(f"unknown server {server!r}")
    # One scrape of /metrics shows every worker process (backend/observability.py).
    with metrics_shared_by_workers():
        if server == "uvicorn":
            _run_uvicorn(factory, workers=workers, host=host, port=port)
        else:
            _run_granian(factory, workers=workers, host=host, port=port, log_level=log_level)


def _run_uvicorn(factory: str, *, workers: int, host: str, port: int) -> None:
    import uvicorn

    # loop and http "auto": uvloop and httptools (uvicorn[standard]). With one worker uvicorn serves
    # in this process; with more it supervises spawned ones, each importing `factory`.
    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        # The app decides whom to believe (HEIMA_TRUSTED_PROXIES); uvicorn's own middleware would
        # trust X-Forwarded-For from 127.0.0.1 behind its back.
        proxy_headers=False,
        server_header=False,
    )


def _run_granian(factory: str, *, workers: int, host: str, port: int, log_level: str) -> None:
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.log import LogLevels
    from granian.server import Server

    global _supervisor_pid
    _supervisor_pid = os.getpid()
    received: list[int] = []

    class _Server(Server):  # type: ignore[misc, valid-type]
        # granian's supervisor stops its workers on SIGINT/SIGTERM and then returns; remember which.
        def signal_handler_interrupt(self, signum: int | None = None, frame: FrameType | None = None) -> None:
            if signum is not None:
                received.append(signum)
            super().signal_handler_interrupt()

    # granian runs the app in worker processes (even one) under a supervisor: this one.
    server = _Server(
        factory,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        loop=Loops.uvloop,
        http=HTTPModes.http1,
        websockets=True,
        log_level=LogLevels(log_level.lower()) if log_level.lower() in LogLevels.__members__ else LogLevels.info,
        # granian's own lines go through the service's JSON logging (backend/observability.py)
        # rather than its plain-text handlers on stdout; the access log is ours (route templates).
        log_dictconfig={
            "handlers": {},
            "loggers": {name: {"handlers": [], "propagate": True} for name in ("_granian", "granian.access")},
        },
        log_access=False,
    )
    server.serve(target_loader=_load_in_worker)
    if received and received[-1] == signal.SIGINT:
        raise KeyboardInterrupt
    if received:
        sys.exit(128 + received[-1])
