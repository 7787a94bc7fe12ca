"""Sign-in: staff login, activation, device and recovery codes for phones, linking a child to a
guardian, token rotation, and the sessions an account can see and end."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from backend.access.service import NOT_FOUND_DETAIL, Caller, log_patient_access
from backend.db import load_queries, pooled_connection
from backend.errors import BusyError, CommittedFailure, FieldError, ProblemError, RecordedFailure
from backend.identity import throttle
from backend.identity.schemas import (
    ActivateRequest,
    DeviceCode,
    LoginRequest,
    Me,
    SessionList,
    TokenPair,
    session_info,
)
from backend.security import ACCESS_PREFIX, REFRESH_PREFIX, Secrets
from backend.settings import Settings

queries = load_queries(__file__)

# A phone on a bad connection may send the same refresh token twice when the first answer was
# lost. Within this grace the replay rotates again instead of signing the parent out at 3 am;
# later, a reused refresh token means theft, and the whole token family is revoked.
REFRESH_REPLAY_GRACE = timedelta(seconds=30)

WRONG_LOGIN = "Wrong username or password."
BAD_CODE = "The activation code is not valid: it may be mistyped, used or expired."
LINK_CODE_ON_NEW_PHONE = (
    "This code links a child to a parent who already uses Heima: enter it in that parent's signed-in app."
)
RECOVERY_NOT_CONFIRMED = (
    "This recovery code works once a second clinician has confirmed it: ask the care team, then try again."
)
PATIENT_HAS_ACCOUNT = (
    "The patient already has an account: add this phone with a device code from their signed-in phone."
)


class _RefreshReused(RecordedFailure):
    def __init__(self, session_id: UUID, now: datetime) -> None:
        super().__init__(401, "The refresh token is no longer valid; sign in again.")
        self.session_id = session_id
        self.now = now

    async def record(self, conn: asyncpg.Connection) -> None:
        await conn.execute(queries.revoke_session, self.session_id, self.now, "refresh token reused")


class _NotAGuess(ProblemError):
    """A real code refused for what it is, not a wrong one: its reserved attempt is given back."""


def _window(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.login_failure_window_seconds)


async def _start_session(
    conn: asyncpg.Connection,
    secrets: Secrets,
    settings: Settings,
    user_id: UUID,
    device_name: str | None,
    now: datetime,
    *,
    activation_code_id: UUID | None = None,
    device_code_id: UUID | None = None,
    recovery_code_id: UUID | None = None,
    issued_by: UUID | None = None,
) -> TokenPair:
    session_id = uuid.uuid4()
    await conn.execute(
        queries.insert_session,
        session_id,
        user_id,
        device_name,
        now,
        activation_code_id,
        device_code_id,
        issued_by,
        recovery_code_id,
    )
    return await _issue_pair(conn, secrets, settings, session_id, now)


async def _issue_pair(
    conn: asyncpg.Connection, secrets: Secrets, settings: Settings, session_id: UUID, now: datetime
) -> TokenPair:
    access = secrets.new_token(ACCESS_PREFIX)
    refresh = secrets.new_token(REFRESH_PREFIX)
    await conn.execute(
        queries.insert_token_pair,
        session_id,
        secrets.token_hash(access),
        now + timedelta(seconds=settings.access_token_ttl_seconds),
        secrets.token_hash(refresh),
        now + timedelta(seconds=settings.refresh_token_ttl_seconds),
        now,
    )
    return TokenPair(access_token=access, expires_in=settings.access_token_ttl_seconds, refresh_token=refresh)


async def log_in(
    pool: asyncpg.Pool,
    secrets: Secrets,
    settings: Settings,
    request: LoginRequest,
    address: str,
    now: datetime,
) -> TokenPair:
    """Three steps, and no connection held while the password is checked: argon2 waits for a
    hashing slot and then takes a core for tens of milliseconds, and a burst of sign-ins holding
    pooled connections (in open transactions) meanwhile starved every upload of one."""
    account_scope = "login-account:" + request.username.lower()
    limits = {
        account_scope: settings.login_failures_per_account,
        "login-address:" + address: settings.login_failures_per_address,
    }
    timeout = settings.db_pool_acquire_timeout_seconds
    async with pooled_connection(pool, timeout) as conn, conn.transaction():
        reservation = await throttle.reserve_attempt(conn, limits, _window(settings), now)
        row = await conn.fetchrow(queries.select_staff_for_login, request.username)
    password_hash = row["password_hash"] if row else None
    try:
        # Unknown usernames cost the same argon2 work and get the same answer as wrong passwords.
        verified = await secrets.verify_password(password_hash, request.password)
    except BusyError:
        async with pooled_connection(pool, timeout) as conn:
            await throttle.release_attempt(conn, reservation)  # turned away unchecked: no guess
        raise
    async with pooled_connection(pool, timeout) as conn:
        async with conn.transaction():
            # Disabled, or the password changed, while it was being checked: as if it were wrong.
            if verified and await conn.fetchval(queries.select_staff_still_signing_in, row["id"], password_hash):
                await throttle.lock_scopes(conn, [account_scope])
                await throttle.release_attempt(conn, reservation)
                await throttle.clear_scope(conn, account_scope)
                return await _start_session(conn, secrets, settings, row["id"], None, now)
        await throttle.settle_attempt(conn, reservation)
    raise ProblemError(401, WRONG_LOGIN)


async def activate(
    pool: asyncpg.Pool,
    secrets: Secrets,
    settings: Settings,
    request: ActivateRequest,
    address: str,
    now: datetime,
) -> TokenPair:
    """A new phone signs in with a clinician's code for a new account, or with a device code its
    owner made on a signed-in phone of an existing account; never otherwise into an account that
    exists. The attempt is reserved (and committed) before the code is looked at."""
    limits = {"activate-address:" + address: settings.login_failures_per_address}
    timeout = settings.db_pool_acquire_timeout_seconds
    code_hash = secrets.activation_code_hash(request.code)
    async with pooled_connection(pool, timeout) as conn:
        async with conn.transaction():
            reservation = await throttle.reserve_attempt(conn, limits, _window(settings), now)
        try:
            async with conn.transaction():
                tokens = await _sign_in_new_phone(conn, secrets, settings, code_hash, request.device_name, now)
                await throttle.release_attempt(conn, reservation)
                return tokens
        except _NotAGuess:
            await throttle.release_attempt(conn, reservation)
            raise
        except ProblemError:
            await throttle.settle_attempt(conn, reservation)
            raise


async def _sign_in_new_phone(
    conn: asyncpg.Connection, secrets: Secrets, settings: Settings, code_hash: bytes, device_name: str, now: datetime
) -> TokenPair:
    code = await conn.fetchrow(queries.use_new_account_code, code_hash, now)
    if code is not None:
        user_id = await _new_account(conn, code, now)
        await conn.execute(queries.mark_activation_code_user, code["id"], user_id)
        return await _start_session(
            conn,
            secrets,
            settings,
            user_id,
            device_name,
            now,
            activation_code_id=code["id"],
            issued_by=code["created_by"],
        )
    device = await conn.fetchrow(queries.use_device_code, code_hash, now)
    if device is not None:
        # The account's own code: the account itself vouches for its new phone.
        return await _start_session(
            conn,
            secrets,
            settings,
            device["user_id"],
            device_name,
            now,
            device_code_id=device["id"],
            issued_by=device["user_id"],
        )
    recovery = await conn.fetchrow(queries.use_recovery_code, code_hash, now)
    if recovery is not None:
        # Two clinicians of the patient vouched for it (backend/patients/recovery.py).
        return await _start_session(
            conn,
            secrets,
            settings,
            recovery["user_id"],
            device_name,
            now,
            recovery_code_id=recovery["id"],
            issued_by=recovery["requested_by"],
        )
    if await conn.fetchval(queries.select_link_code_exists, code_hash, now):
        raise _NotAGuess(409, LINK_CODE_ON_NEW_PHONE)
    if await conn.fetchval(queries.select_recovery_awaiting_confirmation, code_hash, now):
        raise _NotAGuess(409, RECOVERY_NOT_CONFIRMED)
    raise ProblemError(401, BAD_CODE)


async def _new_account(conn: asyncpg.Connection, code: asyncpg.Record, now: datetime) -> UUID:
    """The new patient or guardian account a clinician's code makes (never an existing one)."""
    user_id = uuid.uuid4()
    await conn.execute(queries.insert_person, user_id, code["role"], code["display_name"])
    if code["role"] == "patient":
        if await conn.fetchval(queries.link_patient_user, code["patient_id"], user_id) is None:
            # Another code for the patient was used first: that account exists, and this code may
            # not sign into it. The transaction rolls back, so this code is left unused.
            raise _NotAGuess(409, PATIENT_HAS_ACCOUNT)
    else:
        await conn.execute(queries.insert_guardianship, user_id, code["patient_id"], now)
    return user_id


async def link_child(
    conn: asyncpg.Connection, secrets: Secrets, settings: Settings, caller: Caller, code: str, address: str
) -> Me:
    """A signed-in guardian redeems a guardian code for another child (a twin): one naming them, or
    naming nobody. Only the guardian can complete the link, from a phone already theirs."""
    if caller.role != "guardian":
        raise ProblemError(403, "Only a guardian links a child to their account.")
    limits = {
        "activate-address:" + address: settings.login_failures_per_address,
        f"link-account:{caller.id}": settings.login_failures_per_account,
    }
    # Reserved in the request's transaction: its advisory lock is held until the request commits,
    # and a refused code commits too (CommittedFailure), so the reservation counts as a failure.
    reservation = await throttle.reserve_attempt(conn, limits, _window(settings), caller.now)
    row = await conn.fetchrow(queries.use_guardian_link_code, secrets.activation_code_hash(code), caller.now, caller.id)
    if row is None:
        await throttle.settle_attempt(conn, reservation)
        raise CommittedFailure(
            422,
            "The request content is not valid.",
            errors=[FieldError("code", "not a valid guardian code for you: mistyped, used or expired")],
        )
    await throttle.release_attempt(conn, reservation)
    await conn.execute(queries.insert_guardianship, caller.id, row["patient_id"], caller.now)
    await log_patient_access(conn, caller, row["patient_id"], resource="guardianship", action="write")
    patient_ids = await conn.fetchval(queries.select_guardian_patients, caller.id)
    return Me(
        id=caller.id,
        role=caller.role,
        display_name=caller.principal.display_name,
        patient_ids=list(patient_ids),
        unit_ids=[],
    )


async def create_device_code(
    conn: asyncpg.Connection, secrets: Secrets, settings: Settings, caller: Caller
) -> DeviceCode:
    """A code for a new phone of the caller's own account, made on a phone already signed in."""
    if caller.role not in ("patient", "guardian"):
        raise ProblemError(403, "Staff sign in with their password on every device.")
    ttl = timedelta(minutes=settings.device_code_ttl_minutes)
    return await issue_device_code(conn, secrets, caller.id, caller.principal.session_id, caller.now, ttl)


async def issue_device_code(
    conn: asyncpg.Connection, secrets: Secrets, user_id: UUID, session_id: UUID | None, now: datetime, ttl: timedelta
) -> DeviceCode:
    """A device code of `user_id`'s, made by their session `session_id` (None: `heima seed-demo`)."""
    code = secrets.new_activation_code()
    expires_at = now + ttl
    await conn.execute(
        queries.insert_device_code,
        uuid.uuid4(),
        secrets.activation_code_hash(code),
        user_id,
        session_id,
        now,
        expires_at,
    )
    return DeviceCode(code=code, expires_at=expires_at)


async def list_own_sessions(conn: asyncpg.Connection, caller: Caller) -> SessionList:
    rows = await conn.fetch(queries.select_live_sessions, caller.id, caller.principal.session_id, caller.now)
    return SessionList(items=[session_info(row) for row in rows])


async def end_own_session(conn: asyncpg.Connection, caller: Caller, session_id: UUID) -> None:
    """End one of the caller's sessions (a phone given away); another's answers as not there."""
    if await conn.fetchval(queries.revoke_own_session, session_id, caller.id, caller.now) is None:
        raise ProblemError(404, NOT_FOUND_DETAIL)


async def refresh(
    conn: asyncpg.Connection, secrets: Secrets, settings: Settings, refresh_token: str, now: datetime
) -> TokenPair:
    token_hash = secrets.token_hash(refresh_token)
    session_id = await conn.fetchval(queries.use_refresh_token, token_hash, now)
    if session_id is None:
        used = await conn.fetchrow(queries.select_used_refresh_token, token_hash)
        if used is None or used["revoked_at"] is not None:
            raise ProblemError(401, "The refresh token is no longer valid; sign in again.")
        # A token retired by a replay (retire_session_refresh_tokens) gets no grace of its own:
        # honouring it would let two holders keep rotating each other's chain, a fork.
        if used["retired"] or now - used["used_at"] > REFRESH_REPLAY_GRACE:
            raise _RefreshReused(used["session_id"], now)
        session_id = used["session_id"]
        await conn.execute(queries.retire_session_refresh_tokens, session_id, now)
    # Rotation also ends the access tokens issued before it.
    await conn.execute(queries.delete_session_access_tokens, session_id)
    return await _issue_pair(conn, secrets, settings, session_id, now)


async def log_out(conn: asyncpg.Connection, caller: Caller) -> None:
    await conn.execute(queries.revoke_session, caller.principal.session_id, caller.now, "logout")


def describe(caller: Caller) -> Me:
    principal = caller.principal
    return Me(
        id=principal.id,
        role=principal.role,
        display_name=principal.display_name,
        patient_ids=list(principal.patient_ids),
        unit_ids=list(principal.unit_ids),
    )
