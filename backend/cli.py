"""`heima …`: the command line the operations staff use (docs/api.md, "Command line").

With no HEIMA_DATABASE_URL, commands that need a database start the embedded PostgreSQL and apply
migrations to it first, so a laptop with only Python runs the whole service.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from backend.clock import system_clock
from backend.db import connect
from backend.migrate import MigrationError, apply_migrations, migrate, pending_migrations
from backend.observability import configure_logging
from backend.settings import Settings, SettingsError

log = logging.getLogger("heima.cli")

# `heima serve`'s worker processes when HEIMA_WORKERS is not set and Redis is: the best measured
# on two cores (tests/bench/bench_servers.py, docs/performance.md, P8).
DEFAULT_WORKERS_WITH_REDIS = 2


# Commands that run no part of the service: they need no development secret or VAPID key made
# for them (`heima init` in a fresh container, `heima openapi` in a build).
COMMANDS_WITHOUT_SERVICE = frozenset({"init", "vapid-keys", "openapi", "worker-health"})
# How long a command waits for PostgreSQL before it says it cannot reach it.
CONNECT_TIMEOUT_SECONDS = 10


class CommandError(Exception):
    """What a command tells the operator instead of a traceback (exit status 1)."""


@contextmanager
def database(settings: Settings, *, schema: bool = True) -> Iterator[str]:
    """The DSN of a reachable database, migrated unless `schema` is False (for `heima migrate`).
    A database that lacks migrations is migrated in development, as the embedded one is; in
    production that is `heima migrate`'s job (compose runs it before the API and the worker)."""
    if settings.database_url is not None:
        asyncio.run(_check_database(settings, settings.database_url, schema))
        yield settings.database_url
        return
    from backend.embedded import embedded_postgresql, is_installed

    if not is_installed():
        raise CommandError(
            "HEIMA_DATABASE_URL is not set, and the embedded PostgreSQL for development is not installed "
            "(pip install 'heima[embedded]'): set HEIMA_DATABASE_URL to your PostgreSQL"
        )
    with embedded_postgresql(settings.embedded_data_path) as dsn:
        asyncio.run(migrate(dsn))
        yield dsn


def where(dsn: str) -> str:
    """host:port/database of a DSN, without its user or password, for what the operator reads."""
    try:
        parts = urlsplit(dsn)
        host, port = parts.hostname or "localhost", parts.port or 5432
    except ValueError:
        return "the HEIMA_DATABASE_URL given"
    return f"{host}:{port}/{parts.path.lstrip('/') or parts.username or ''}"


async def _open(dsn: str) -> asyncpg.Connection:
    try:
        return await asyncio.wait_for(connect(dsn), CONNECT_TIMEOUT_SECONDS)
    except (OSError, TimeoutError, ValueError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        if isinstance(exc, asyncpg.InvalidCatalogNameError):
            hint = "create it (createdb), or correct HEIMA_DATABASE_URL"
        elif isinstance(exc, asyncpg.InvalidAuthorizationSpecificationError | asyncpg.InvalidPasswordError):
            hint = "check the user and password in HEIMA_DATABASE_URL"
        else:
            hint = "is PostgreSQL running there, and reachable from this host?"
        reason = str(exc) or type(exc).__name__
        message = f"cannot connect to PostgreSQL at {where(dsn)} (HEIMA_DATABASE_URL): {reason}; {hint}"
        raise CommandError(message) from None


async def _check_database(settings: Settings, dsn: str, schema: bool) -> None:
    conn = await _open(dsn)
    try:
        if not schema or not (pending := await pending_migrations(conn)):
            return
        if settings.is_production:
            raise CommandError(
                f"the database at {where(dsn)} lacks {len(pending)} migration(s), from "
                f"{pending[0].version:04d}_{pending[0].name}: run `heima migrate` first"
            )
        applied = await apply_migrations(conn)
        print(f"heima: applied {len(applied)} pending migration(s) to {where(dsn)} (development)", file=sys.stderr)
    finally:
        await conn.close()


def _with_connection(dsn: str, work: Callable[[asyncpg.Connection], Coroutine[Any, Any, Any]]) -> Any:
    async def run() -> Any:
        conn = await connect(dsn)
        try:
            return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(run())


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    with database(settings, schema=False) as dsn:
        applied = asyncio.run(migrate(dsn))
    print(f"applied {len(applied)} migration(s)" if applied else "database is up to date")
    return 0


def cmd_create_admin(settings: Settings, args: argparse.Namespace) -> int:
    import msgspec

    from backend.organisation.schemas import UserCreate
    from backend.organisation.service import create_user
    from backend.security import Secrets

    password = sys.stdin.readline().rstrip("\n")
    try:
        data = msgspec.convert(
            {
                "username": args.username,
                "password": password,
                "display_name": args.display_name or args.username,
                "role": "admin",
            },
            UserCreate,
        )
    except msgspec.ValidationError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    secrets = Secrets(
        settings.secret_key, time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )

    async def work(conn: asyncpg.Connection) -> Any:
        async with conn.transaction():
            return await create_user(conn, secrets, data, system_clock())

    with database(settings) as dsn:
        try:
            user = _with_connection(dsn, work)
        except asyncpg.UniqueViolationError:
            print(f"refused: the username {args.username!r} is taken", file=sys.stderr)
            return 1
    print(f"created admin {user.username} ({user.id})")
    return 0


def cmd_seed_demo(settings: Settings, args: argparse.Namespace) -> int:
    with database(settings) as dsn:
        _print_demo(settings, dsn)
    return 0


def _print_demo(settings: Settings, dsn: str) -> Any:
    from backend.demo import seed_demo
    from backend.security import Secrets

    secrets = Secrets(
        settings.secret_key, time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    report = _with_connection(dsn, lambda conn: seed_demo(conn, settings, secrets, system_clock))
    if report.already_seeded:
        print("Demo data was already there (topped up to today): the same logins, new activation codes.")
    for line in report.lines():
        print(line)
    return report


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from backend.asgi import HEIMA_APP, run

    workers = serving_workers(settings)
    with database(settings) as dsn:
        report = _print_demo(settings, dsn) if args.demo else None
        # The app is built by a factory in the process that serves it (a worker process, for a
        # server that has them): the resolved database URL and secret go down in the environment.
        os.environ.update(replace(settings, database_url=dsn, workers=workers).as_env())
        # The demo is the whole service in one command: the alert worker (push delivery,
        # escalation, missing-data sweeps) runs beside the API as a child process.
        worker = start_worker_process() if args.demo or args.with_worker else None
        origin = f"http://{args.host}:{args.port}"
        print(f"Heima listens on {origin} (docs at /docs)")
        print(f"The family app: {origin}/app/ · the care app: {origin}/care/")
        if report is not None and report.codes:
            # The twins' parent shows the most of the app (child switcher, both twins at once).
            code, _, who = next((c for c in report.codes if c[1] == "guardian"), report.codes[0])
            print(f"Sign the family app in with the activation code {code} ({who}).")
        sys.stdout.flush()
        log.info("serve.starting", extra={"server": settings.server, "workers": workers})
        try:
            run(
                HEIMA_APP,
                server=settings.server,
                workers=workers,
                host=args.host,
                port=args.port,
                log_level=settings.log_level,
            )
        finally:
            if worker is not None:
                stop_worker_process(worker)
    return 0


def start_worker_process() -> subprocess.Popen[bytes]:
    """`heima worker` as a child, on the environment `serve` resolved (the same database, secret
    and VAPID key); on Linux it is told to stop when `serve` dies, however it dies."""
    return subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "worker"],
        env=dict(os.environ),
        preexec_fn=_stop_with_parent if sys.platform.startswith("linux") else None,
    )


def _stop_with_parent() -> None:
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def stop_worker_process(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.terminate()  # the worker finishes its round and stops on SIGTERM
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=5)


def serving_workers(settings: Settings) -> int:
    """Worker processes for `heima serve`: by default (0) 2 with Redis and 1 without (measured:
    tests/bench/bench_servers.py); more than one only with Redis. Without it the video rooms, the
    signalling hub and the live alert feed are kept in the process, and two processes would each
    see half of them."""
    if settings.workers == 0:
        return DEFAULT_WORKERS_WITH_REDIS if settings.redis_url else 1
    if settings.workers > 1 and not settings.redis_url:
        print(
            f"heima: HEIMA_WORKERS={settings.workers} needs HEIMA_REDIS_URL (without Redis, video rooms and the live "
            "alert feed live in one process); serving with 1 worker",
            file=sys.stderr,
            flush=True,
        )
        return 1
    return settings.workers


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    from backend.worker import run_worker

    with database(settings) as dsn:
        asyncio.run(run_worker(settings, dsn))
    return 0


def cmd_worker_health(settings: Settings, args: argparse.Namespace) -> int:
    import time

    from backend.worker import check_heartbeat, heartbeat_limit

    healthy, message = check_heartbeat(settings.worker_heartbeat_path, time.time(), heartbeat_limit(settings))
    print(f"heima: {message}", file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


def cmd_vapid_keys(settings: Settings, args: argparse.Namespace) -> int:
    from alerting.push.vapid import new_key_pair

    private, public = new_key_pair()
    print(f"HEIMA_VAPID_PRIVATE_KEY={private}")
    print(f"# public key (GET /api/v1/push/public-key serves it): {public}")
    return 0


def cmd_init(settings: Settings, args: argparse.Namespace) -> int:
    """A `.env` for compose.yaml with fresh secrets (docs/operations.md, "Deploying")."""
    from backend.deploy import EnvRequest, render_env

    try:
        text = render_env(EnvRequest(args.domain, args.contact, args.turn_external_ip))
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    try:
        # Never over an existing file: its secrets key every token, code and push subscription.
        fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CommandError(f"{args.output} exists: its secrets are in use, so it is left as it is") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    print(f"wrote {args.output} (readable by you only); keep a copy apart from the database backups")
    return 0


def cmd_openapi(settings: Settings, args: argparse.Namespace) -> int:
    """The OpenAPI document as `/openapi.json` serves it (backend/docs.py), without a database or a
    server: the web apps' API types are generated from it (docs/web.md). Without the database's
    catalogue, a measurement's `type` is a string rather than the enum of its codes."""
    import json

    import msgspec

    from backend import docs
    from backend.app import create_app

    offline = Settings(database_url="postgresql://unused", secret_key="x" * 32)
    document = docs.finish_document(create_app(offline, configure_logs=False), measurement_types=[])
    # msgspec encodes the structs the document holds (examples); json sorts it for stable diffs.
    print(json.dumps(json.loads(msgspec.json.encode(document)), indent=2, sort_keys=True, ensure_ascii=False))
    return 0


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="heima", description="Heima: hospital care at home.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply pending migrations").set_defaults(run=cmd_migrate)
    admin = commands.add_parser("create-admin", help="create an administrator (password on stdin)")
    admin.add_argument("--username", required=True)
    admin.add_argument("--display-name")
    admin.set_defaults(run=cmd_create_admin)
    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default=settings.host)
    serve.add_argument("--port", type=int, default=settings.port)
    serve.add_argument(
        "--demo", action="store_true", help="seed demo data first, print its logins, and run the worker too"
    )
    serve.add_argument("--with-worker", action="store_true", help="run `heima worker` beside the API")
    serve.set_defaults(run=cmd_serve)
    commands.add_parser("worker", help="run background jobs").set_defaults(run=cmd_worker)
    commands.add_parser(
        "worker-health", help="exit 0 when this host's worker went round lately (a container health check)"
    ).set_defaults(run=cmd_worker_health)
    commands.add_parser("seed-demo", help="create demo data; print logins and codes").set_defaults(run=cmd_seed_demo)
    commands.add_parser("vapid-keys", help="print a new VAPID key pair").set_defaults(run=cmd_vapid_keys)
    commands.add_parser("openapi", help="print the OpenAPI document (no database needed)").set_defaults(run=cmd_openapi)
    init = commands.add_parser("init", help="write a .env for compose.yaml with fresh secrets (stdout by default)")
    init.add_argument("--domain", required=True, help="the name phones and browsers reach Heima at (TLS by caddy)")
    init.add_argument("--contact", required=True, help="mailto: or https: contact push services may use")
    init.add_argument("--turn-external-ip", help="this host's public IPv4 address: video through TURN")
    init.add_argument("--output", default="-", help="a file to create (never overwritten), or - for stdout")
    init.set_defaults(run=cmd_init)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"heima: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    args = build_parser(settings).parse_args(argv)
    if args.command not in COMMANDS_WITHOUT_SERVICE:
        settings = settings.with_development_secret().with_development_vapid()
    try:
        return args.run(settings, args)
    except (CommandError, MigrationError) as exc:
        print(f"heima: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
