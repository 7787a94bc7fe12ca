"""Who is calling, what they may see, and the access log (Normen).

Every route declares an access level in its `opt` (checked at start-up and by the access-matrix
test). Route-level roles are checked when the caller is resolved; patient-level visibility is
checked by `authorize_patient`, which also writes the access-log row in the request's transaction.
A patient the caller may not see answers exactly like a patient that does not exist.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal
from uuid import UUID

import asyncpg
import msgspec
from litestar import Request
from litestar.di import NamedDependency

from backend.db import DbConnection, load_queries
from backend.errors import ProblemError, RecordedFailure, invalid
from backend.observability import client_request_id_var, request_id_var
from backend.security import ACCESS_PREFIX, Secrets

queries = load_queries(__file__)

Role = Literal["admin", "clinician", "patient", "guardian"]
Action = Literal["read", "write"]
PATIENT_ROLES: frozenset[str] = frozenset({"clinician", "patient", "guardian"})
CLINICIAN_ONLY: frozenset[str] = frozenset({"clinician"})


class Access(enum.Enum):
    """The access level a route declares in `opt={"access": ...}`."""

    PUBLIC = "public"  # no token
    SIGNED_IN = "signed-in"  # any role
    ADMIN = "admin"  # administrators only
    CLINICIAN = "clinician"  # clinicians only
    PATIENT = "patient"  # a patient in the path: visibility and roles checked per patient
    # The people of care (clinicians, patients, guardians; never administrators): visibility is
    # checked per object, e.g. per meeting.
    CARE = "care"
    # A websocket that signs in with a single-use ticket in its query string (browsers cannot set
    # an Authorization header on a websocket): it never sees a bearer token nor a request
    # transaction, and resolves who it is from the ticket itself.
    TICKET = "ticket"

    def admits(self, role: str) -> bool:
        if self is Access.ADMIN:
            return role == "admin"
        if self is Access.CLINICIAN:
            return role == "clinician"
        if self is Access.CARE:
            return role in PATIENT_ROLES
        # A ticket route admits nobody by token: its socket signs in with the ticket alone.
        return self is not Access.TICKET


class Principal(msgspec.Struct, frozen=True):
    id: UUID
    role: str
    display_name: str
    session_id: UUID
    unit_ids: tuple[UUID, ...]
    patient_ids: tuple[UUID, ...]


class AccessTrail:
    """The allowed accesses whose access-log rows the request's transaction holds.

    Rolled back with it when the request fails after the check (a 4xx raised later, an error), yet
    the access was made: `record_failed_access` writes them again as 'failed' after the rollback,
    as a denial is written."""

    __slots__ = ("entries",)

    def __init__(self) -> None:
        self.entries: list[tuple[UUID, str, str]] = []

    def add(self, patient_ids: Iterable[UUID], resource: str, action: str) -> None:
        self.entries.extend((patient_id, resource, action) for patient_id in patient_ids)


class Caller(msgspec.Struct, frozen=True):
    """The signed-in principal plus the request's clock reading and ids: what services need.

    `request_id` is the server's own; `client_request_id` the X-Request-ID the client sent, kept
    beside it in the access log but never in its place (a client could reuse another's)."""

    principal: Principal
    now: datetime
    request_id: str | None
    client_request_id: str | None = None
    trail: AccessTrail = msgspec.field(default_factory=AccessTrail)

    @property
    def id(self) -> UUID:
        return self.principal.id

    @property
    def role(self) -> str:
        return self.principal.role


# The signed-in caller, resolved by provide_caller; a handler that names it requires a token.
SignedIn = NamedDependency[Caller]


def _not_signed_in() -> ProblemError:
    # A fresh exception each time: a shared one would chain every request's traceback.
    return ProblemError(401, "A valid access token is required.", headers={"WWW-Authenticate": 'Bearer realm="heima"'})


NOT_FOUND_DETAIL = "There is nothing here, or nothing you may see."


def route_access(request: Request[Any, Any, Any]) -> Access:
    return request.route_handler.opt["access"]


# The live alert feed's way in for a browser's EventSource, which cannot send an Authorization
# header: a single-use ticket (POST /alerts/stream/ticket) in an HttpOnly cookie scoped to the
# stream's path, so no token is ever in a URL. Only routes that opt in (`opt["stream_ticket"]`)
# read it, and only when no bearer token is sent.
STREAM_TICKET_COOKIE = "heima_stream_ticket"
STREAM_TICKET_PREFIX = "heima_st_"


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.startswith(ACCESS_PREFIX) or len(token) > 200:
        return None
    return token.strip()


async def authenticate(request: Request[Any, Any, Any], conn: asyncpg.Connection) -> None:
    """Resolve the bearer token in the request's own transaction and check the route's roles.

    Called by the connection dependency for every route that is not public; the result waits in
    the request state for `provide_caller`.
    """
    if route_access(request) is Access.PUBLIC:
        return
    if route_access(request) is Access.TICKET:
        raise _not_signed_in()  # start-up refuses such routes with a connection; never by token
    state = request.app.state
    now = state.clock()
    token = bearer_token(request)
    secrets_: Secrets = state.secrets
    if token is not None:
        row = await conn.fetchrow(queries.select_principal_by_access_token, secrets_.token_hash(token), now)
    elif (ticket := _stream_ticket(request)) is not None:
        row = await conn.fetchrow(queries.select_principal_by_stream_ticket, secrets_.token_hash(ticket), now)
    else:
        raise _not_signed_in()
    if row is None:
        raise _not_signed_in()
    principal = Principal(
        id=row["id"],
        role=row["role"],
        display_name=row["display_name"],
        session_id=row["session_id"],
        unit_ids=tuple(row["unit_ids"]),
        patient_ids=tuple(row["patient_ids"]),
    )
    if not route_access(request).admits(principal.role):
        raise ProblemError(403, "Your role may not do this.")
    request.state.caller = Caller(
        principal=principal, now=now, request_id=request_id_var.get(), client_request_id=client_request_id_var.get()
    )


def _stream_ticket(request: Request[Any, Any, Any]) -> str | None:
    if not request.route_handler.opt.get("stream_ticket"):
        return None
    ticket = request.cookies.get(STREAM_TICKET_COOKIE, "")
    if not ticket.startswith(STREAM_TICKET_PREFIX) or len(ticket) > 200:
        return None
    return ticket


STREAM_TICKET_TTL_SECONDS = 30


async def issue_stream_ticket(conn: asyncpg.Connection, caller: Caller, secrets_: Secrets) -> str:
    """A single-use ticket into the live alert feed for the caller's sign-in, valid for seconds;
    stored as an HMAC like every token."""
    await conn.execute(queries.delete_expired_stream_tickets, caller.now)
    ticket = secrets_.new_token(STREAM_TICKET_PREFIX)
    expires_at = caller.now + timedelta(seconds=STREAM_TICKET_TTL_SECONDS)
    await conn.execute(
        queries.insert_stream_ticket, secrets_.token_hash(ticket), caller.principal.session_id, caller.now, expires_at
    )
    return ticket


async def provide_caller(request: Request[Any, Any, Any], conn: DbConnection) -> Caller:
    """The caller `authenticate` resolved (depending on `conn` orders it after authentication).

    Never raises: a dependency that fails after the connection's was entered would leak it.
    Start-up refuses public routes that ask for a caller, so the value is always there.
    """
    return request.state.caller


class VisiblePatient(msgspec.Struct, frozen=True):
    """What the access check reads of a patient it allows anyway, handed to the service so that it
    need not look the row up again (P1): the birth date and time zone that bound a measurement's
    time from below."""

    birth_date: date
    time_zone: str


class _DeniedPatientAccess(RecordedFailure):
    def __init__(self, status: int, detail: str, entry: tuple[Any, ...]) -> None:
        super().__init__(status, detail)
        self.entry = entry

    async def record(self, conn: asyncpg.Connection) -> None:
        await conn.execute(queries.insert_access_log, *self.entry)


async def authorize_patient(
    conn: asyncpg.Connection,
    caller: Caller,
    patient_id: UUID,
    *,
    resource: str,
    action: Action,
    roles: Iterable[str] = PATIENT_ROLES,
) -> VisiblePatient:
    """Allow and log, or log the denial and answer 404 (not visible) or 403 (visible, wrong role)."""
    principal = caller.principal
    allowed_role = principal.role in roles
    visible = await _visible(conn, caller, patient_id, log=(resource, action) if allowed_role else None)
    if visible is None:
        raise _DeniedPatientAccess(404, NOT_FOUND_DETAIL, _log_entry(caller, patient_id, resource, action, "denied"))
    if not allowed_role:
        raise _DeniedPatientAccess(
            403,
            "Your role may not do this for this patient.",
            _log_entry(caller, patient_id, resource, action, "denied"),
        )
    caller.trail.add((patient_id,), resource, action)
    return visible


async def patient_visible(conn: asyncpg.Connection, caller: Caller, patient_id: UUID) -> bool:
    """Whether the caller may see the patient, without logging: for callers (video meetings) whose
    access to an object does not end at the patient and who log the outcome themselves."""
    return await _visible(conn, caller, patient_id, log=None) is not None


async def _visible(
    conn: asyncpg.Connection, caller: Caller, patient_id: UUID, *, log: tuple[str, Action] | None
) -> VisiblePatient | None:
    """One round trip: the patient if visible (else None), with the allowed access logged if `log`
    names its resource and action."""
    principal = caller.principal
    if principal.role not in PATIENT_ROLES:
        return None
    resource, action = log or ("", "read")
    row = await conn.fetchrow(
        queries.select_patient_visible,
        patient_id,
        principal.id,
        principal.role,
        list(principal.unit_ids),
        caller.now,
        log is not None,
        resource,
        action,
        caller.request_id,
        principal.session_id,
        caller.client_request_id,
    )
    return None if row is None else VisiblePatient(birth_date=row["birth_date"], time_zone=row["time_zone"])


def _log_entry(
    caller: Caller,
    patient_id: UUID | None,
    resource: str,
    action: Action,
    outcome: str,
    object_id: UUID | None = None,
) -> tuple[Any, ...]:
    principal = caller.principal
    return (
        caller.now,
        principal.id,
        principal.role,
        patient_id,
        resource,
        action,
        outcome,
        caller.request_id,
        principal.session_id,
        caller.client_request_id,
        object_id,
    )


async def log_patient_access(
    conn: asyncpg.Connection, caller: Caller, patient_id: UUID, *, resource: str, action: Action
) -> None:
    """An allowed access to something of the patient's, decided elsewhere (one access-log row)."""
    await conn.execute(queries.insert_access_log, *_log_entry(caller, patient_id, resource, action, "allowed"))
    caller.trail.add((patient_id,), resource, action)


def denied_patient_access(
    caller: Caller,
    patient_id: UUID,
    *,
    resource: str,
    action: Action,
    status: int = 404,
    detail: str = NOT_FOUND_DETAIL,
) -> ProblemError:
    """The error to raise for a denied access to something of the patient's: the request answers
    `status`, and the denial is logged after the rollback (one access-log row)."""
    return _DeniedPatientAccess(status, detail, _log_entry(caller, patient_id, resource, action, "denied"))


def denied_object_access(
    caller: Caller, object_id: UUID, patient_id: UUID | None, *, resource: str, action: Action
) -> ProblemError:
    """404 for an object named by id (an alert, a meeting) that the caller may not see or that does
    not exist. Either way one denial row is written after the rollback (on the object's patient's
    log when it has one), so another unit's id and a made-up one cost the same work: the object's
    service finds and authorizes it in one statement that also runs for a missing id."""
    return _DeniedPatientAccess(
        404, NOT_FOUND_DETAIL, _log_entry(caller, patient_id, resource, action, "denied", object_id)
    )


def note_allowed_access(caller: Caller, patient_id: UUID, *, resource: str, action: Action) -> None:
    """An allowed access whose row a domain's own statement wrote (found and authorized in one)."""
    caller.trail.add((patient_id,), resource, action)


async def log_patients_listed(
    conn: asyncpg.Connection, caller: Caller, patient_ids: Sequence[UUID], *, resource: str
) -> None:
    """A list that shows patients is a read of each of them."""
    if patient_ids:
        await conn.execute(
            queries.insert_access_log_many,
            caller.now,
            caller.id,
            caller.role,
            list(patient_ids),
            resource,
            "read",
            caller.request_id,
            caller.principal.session_id,
            caller.client_request_id,
        )
        caller.trail.add(patient_ids, resource, "read")


async def record_failed_access(request: Request[Any, Any, Any], conn: asyncpg.Connection) -> None:
    """After a request's transaction was rolled back: its allowed accesses, logged again as
    'failed' (the transaction dependency calls this in a fresh transaction, as for denials)."""
    caller: Caller | None = getattr(request.state, "caller", None)
    if caller is None or not caller.trail.entries:
        return
    patient_ids, resources, actions = zip(*caller.trail.entries, strict=True)
    await conn.execute(
        queries.insert_access_log_failed,
        caller.now,
        caller.id,
        caller.role,
        list(patient_ids),
        list(resources),
        list(actions),
        caller.request_id,
        caller.principal.session_id,
        caller.client_request_id,
    )


def require_own_unit(caller: Caller, unit_id: UUID, field: str = "unit_id") -> None:
    """A body can never widen access: a unit the caller does not belong to is refused."""
    if unit_id not in caller.principal.unit_ids:
        raise invalid(field, "not a unit you belong to")
