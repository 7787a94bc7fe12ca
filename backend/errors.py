"""One error shape: RFC 9457 problem+json, built here and nowhere else."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import ResponseSpec

if TYPE_CHECKING:
    from asyncpg import Connection

log = logging.getLogger("heima.errors")

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "Malformed request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid content",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


class ProblemError(Exception):
    """Raise anywhere below a handler to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.title = title or _TITLES.get(status, "Error")
        self.headers = headers or {}


def problem_responses(meanings: dict[int, str]) -> dict[int, ResponseSpec]:
    """A handler's `responses=`: the problem answers it gives beyond those every operation of its
    kind can (backend/docs.py derives 401/403/404/422/503), each with what it means there."""
    return {
        status: ResponseSpec(data_container=Problem, description=meaning, media_type=PROBLEM_JSON)
        for status, meaning in meanings.items()
    }


def invalid(field: str, message: str) -> ProblemError:
    """A 422 naming one field: the common case of bad content."""
    return ProblemError(422, "The request content is not valid.", errors=[FieldError(field, message)])


class RecordedFailure(ProblemError):
    """A failure whose trace must outlive the rolled-back transaction.

    Denied access must be logged (Normen, ASVS V4) and failed logins must count towards the rate
    limit, yet the request's own transaction is rolled back. The transaction dependency calls
    `record` in a fresh transaction after the rollback.
    """

    async def record(self, conn: Connection) -> None:
        raise NotImplementedError


class CommittedFailure(ProblemError):
    """A refusal whose transaction is committed, not rolled back: what it wrote before refusing
    (a reserved sign-in attempt, which must count while its advisory lock is still held) stays."""


class BusyError(ProblemError):
    """503 with `Retry-After` for a bounded queue that is full (pooled connections, password
    hashing): the client comes back later instead of waiting without end."""

    def __init__(self, detail: str, retry_after_seconds: int = 1) -> None:
        super().__init__(503, detail, headers={"Retry-After": str(retry_after_seconds)})


def problem_response(
    status: int,
    detail: str,
    *,
    errors: list[FieldError] | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    body = Problem(
        type="about:blank",
        title=title or _TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        errors=errors,
    )
    return Response(
        content=msgspec.json.encode(body),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _validation_errors(extra: Any) -> list[FieldError]:
    errors: list[FieldError] = []
    for item in extra or []:
        if isinstance(item, dict):
            key = item.get("key") or item.get("source") or "body"
            if key == "data" and item.get("source") == "body":
                # Litestar reports an empty body as the handler's missing `data` argument; that is
                # a malformed request (400), not invalid parameters (422).
                key = "body"
            errors.append(FieldError(str(key), str(item.get("message", "invalid"))))
    return errors


# A lost or restarting PostgreSQL: answer 503 + Retry-After, which the phone retries with the same
# idempotency ids. InternalClientError ("cannot switch to state 15") is what asyncpg raises when a
# restart interrupts an operation (docs/reliability.md, F7 and R7); it is no PostgresConnectionError.
_UNAVAILABLE = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    # 57P01-57P03: shutting down, crashed, or still starting up (the server is back, not yet ready);
    # 53300: every connection slot taken. None of them is a PostgresConnectionError.
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    OSError,
    TimeoutError,
)


# PostgreSQL refusing a value a client sent: U+0000 in text (22021) or in jsonb (22P05), an instant
# or number out of its range (22008, 22003).
_UNSTORABLE = (
    asyncpg.CharacterNotInRepertoireError,
    asyncpg.UntranslatableCharacterError,
    asyncpg.DatetimeFieldOverflowError,
    asyncpg.NumericValueOutOfRangeError,
)


# A transaction PostgreSQL chose to abort so that another could go on: nothing was written, and the
# same request run again normally succeeds.
_ABORTED = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)
# Marks a 503 that backend/retry.py may answer by running the request again; never sent out.
RETRYABLE_HEADER = b"x-heima-retryable"
_RETRYABLE = {"Retry-After": "5", RETRYABLE_HEADER.decode(): "1"}


def _database_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, BaseExceptionGroup):
        # Litestar groups errors raised while cleaning up dependencies (the request's transaction).
        return all(_database_unavailable(inner) for inner in exc.exceptions)
    return isinstance(exc, _UNAVAILABLE)


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    if isinstance(exc, ProblemError):
        return problem_response(exc.status, exc.detail, errors=exc.errors, title=exc.title, headers=exc.headers)
    if isinstance(exc, ValidationException):
        # Litestar's own validation covers query/path parameters and a missing body.
        errors = _validation_errors(exc.extra)
        if any(e.field != "body" for e in errors):
            return problem_response(422, "The request parameters are not valid.", errors=errors)
        return problem_response(400, "The request body is missing or not JSON.", errors=errors or None)
    if isinstance(exc, HTTPException):
        status = exc.status_code
        if status == 404:
            detail = "There is nothing here, or nothing you may see."
        elif status >= 500:
            detail = "The service could not complete the request."
        else:
            detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(status, "Error")
        return problem_response(status, detail, headers=getattr(exc, "headers", None) or None)
    if isinstance(exc, asyncpg.UniqueViolationError):
        # Constraints, not check-then-insert: the database decides, this maps it once.
        return problem_response(409, "That already exists.")
    if isinstance(exc, asyncpg.ForeignKeyViolationError):
        return problem_response(422, "The request refers to something that does not exist.")
    if isinstance(exc, _UNSTORABLE):
        # The backstop behind strict decoding (backend/decoding.py `unsafe_values`): what the client
        # sent, somewhere decoding did not look (a query parameter), cannot be stored or compared.
        log.warning("request.unstorable_value", extra={"error": type(exc).__name__})
        return problem_response(422, "The request contains a character or value that cannot be stored (e.g. U+0000).")
    if _database_unavailable(exc):
        log.warning("request.database_unavailable", extra={"error": type(exc).__name__})
        return problem_response(503, "The database is not answering; try again shortly.", headers=_RETRYABLE)
    if isinstance(exc, _ABORTED):
        log.info("request.transaction_aborted", extra={"error": type(exc).__name__})
        return problem_response(503, "The request collided with another; try again.", headers=_RETRYABLE)
    log.exception("request.unhandled", extra={"error": type(exc).__name__})
    return problem_response(500, "The service could not complete the request.")
