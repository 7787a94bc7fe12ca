"""PostgreSQL: the pool, the one-transaction-per-request dependency, and named SQL.

SQL lives in `queries.sql` files beside each domain's service (`-- name: verb_object` headers).
`load_queries(__file__)` gives a module its own; `all_query_files()` lets a test PREPARE every one
against the migrated schema, so a renamed column fails CI rather than a request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import msgspec
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from backend.errors import BusyError, CommittedFailure, RecordedFailure
from backend.tracing import trace_statements

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

log = logging.getLogger(__name__)

_NAME = re.compile(r"^--\s*name:\s*(?P<name>[a-z_][a-z0-9_]*)\s*$", re.MULTILINE)
PACKAGE_ROOT = Path(__file__).resolve().parent

# The request's connection, inside its one transaction (see provide_connection).
DbConnection = NamedDependency[asyncpg.Connection]

# The name of every query loaded from a queries.sql, by its text: what a statement's trace span is
# called (backend/tracing.py), since asyncpg hands the query logger the text alone.
QUERY_NAMES: dict[str, str] = {}


class Queries(dict[str, str]):
    def __getattr__(self, name: str) -> str:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def parse_queries(text: str) -> Queries:
    queries = Queries()
    matches = list(_NAME.finditer(text))
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else len(text)
        sql = text[match.end() : end].strip()
        name = match.group("name")
        if name in queries:
            raise ValueError(f"query {name!r} is defined twice")
        queries[name] = sql
        QUERY_NAMES.setdefault(sql, name)
    return queries


def named_query(name: str, sql: str) -> str:
    """SQL composed in code from named queries, under a name of its own (what its trace span is
    called)."""
    QUERY_NAMES.setdefault(sql, name)
    return sql


def load_queries(module_file: str) -> Queries:
    return parse_queries((Path(module_file).parent / "queries.sql").read_text(encoding="utf-8"))


def all_query_files() -> list[Path]:
    """Every queries.sql of the three packages (backend, alerting, video)."""
    return sorted(
        path
        for package in ("backend", "alerting", "video")
        for path in (PACKAGE_ROOT.parent / package).rglob("queries.sql")
    )


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb travels as msgspec-encoded bytes in the binary wire format (a version byte, then the
    # JSON text), which binary COPY needs and which skips a str round trip both ways.
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda value: b"\x01" + msgspec.json.encode(value),
        decoder=lambda data: msgspec.json.decode(data[1:]),
        schema="pg_catalog",
        format="binary",
    )
    await conn.set_type_codec(
        "json", encoder=msgspec.json.encode, decoder=msgspec.json.decode, schema="pg_catalog", format="binary"
    )


async def connect(dsn: str) -> asyncpg.Connection:
    """A single connection with the same codecs as the pool's (CLI, worker, tests)."""
    conn = await asyncpg.connect(dsn, server_settings={"application_name": "heima", "timezone": "UTC"})
    await _init_connection(conn)
    return conn


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Released connections skip asyncpg's reset query (unlock advisory locks, CLOSE ALL, UNLISTEN,
    RESET ALL): a round trip on every request (P1), and there is nothing to reset. Pooled
    connections take only transaction-level advisory locks, never LISTEN (listeners have
    connections of their own), never SET outside a transaction and keep no cursors open; an open
    transaction is still rolled back by the pool before this is called."""


async def create_pool(dsn: str, *, min_size: int, max_size: int, tracer: Tracer | None = None) -> asyncpg.Pool:
    async def init(conn: asyncpg.Connection) -> None:
        await _init_connection(conn)
        trace_statements(conn, tracer, QUERY_NAMES)

    return await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=init,
        reset=_keep_session,
        # A bounded wait: a request must not hang forever on a stuck statement.
        command_timeout=30,
        server_settings={"application_name": "heima", "timezone": "UTC"},
    )


@asynccontextmanager
async def pooled_connection(pool: asyncpg.Pool, timeout_seconds: float) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the pool, waited for at most `timeout_seconds`: when every connection stays
    busy that long, 503 with `Retry-After` rather than a queue that grows without end."""
    try:
        conn = await pool.acquire(timeout=timeout_seconds)
    except TimeoutError:
        raise BusyError("Every database connection is busy; try again shortly.") from None
    try:
        yield conn
    finally:
        await pool.release(conn)


async def provide_connection(state: State, request: Request[Any, Any, Any]) -> AsyncGenerator[asyncpg.Connection, None]:
    """One transaction per request: a 2xx means committed, an exception means rolled back.

    The caller is authenticated here, inside the same transaction, rather than in a dependency of
    its own: Litestar does not unwind an already-entered generator dependency when a later
    dependency raises, so a refused token would otherwise keep its connection checked out.

    What must outlive a rollback is written after it, in a transaction of its own: the failure's
    own trace (a denial, `RecordedFailure`) and the accesses the request was allowed before it
    failed (`state.record_failed_access`), so the access log misses neither.
    """
    async with pooled_connection(state.db_pool, state.settings.db_pool_acquire_timeout_seconds) as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            await state.authenticate(request, conn)
            yield conn
        except CommittedFailure:
            await transaction.commit()
            raise
        except RecordedFailure as failure:
            await transaction.rollback()
            async with conn.transaction():
                await failure.record(conn)
                await state.record_failed_access(request, conn)
            raise
        except BaseException as exc:
            # When the connection itself died (PostgreSQL restarted mid-request), the server has
            # already rolled back, and a rollback here would raise a second error that Litestar
            # wraps in an ExceptionGroup, turning the retryable 503 into a 500 (tests/faults).
            if not conn.is_closed():
                await transaction.rollback()
                if isinstance(exc, Exception):  # not a cancellation: nothing more may be awaited then
                    await _record_failed_access(state, request, conn)
            raise
        else:
            await transaction.commit()


async def _record_failed_access(state: State, request: Request[Any, Any, Any], conn: asyncpg.Connection) -> None:
    """Best effort: the request's own error is what it answers, whatever happens here."""
    try:
        async with conn.transaction():
            await state.record_failed_access(request, conn)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        log.exception("access_log.failed_rows_lost")


def rows_to(model: type[Any], rows: list[asyncpg.Record]) -> list[Any]:
    return [model(**dict(row)) for row in rows]
