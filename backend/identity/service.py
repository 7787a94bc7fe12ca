"""Sign-in: staff login, activation codes for phones, token rotation and logout."""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from backend.access.service import NOT_FOUND_DETAIL, Caller
from backend.db import load_queries
from backend.errors import ProblemError, RecordedFailure
from backend.identity.schemas import ActivateRequest, DeviceSession, DeviceSessionList, LoginRequest, Me, TokenPair
from backend.security import ACCESS_PREFIX, REFRESH_PREFIX, Secrets
from backend.settings import Settings

queries = load_queries(__file__)

# A phone on a bad connection may send the same refresh token twice when the first answer was
# lost. Within this grace the replay rotates again instead of signing the parent out at 3 am;
# later, a reused refresh token means theft, and the whole token family is revoked.
REFRESH_REPLAY_GRACE = timedelta(seconds=30)


class _SignInFailed(RecordedFailure):
    """401 that still counts towards throttling although the transaction rolls back."""

    def __init__(self, detail: str, scopes: list[str], now: datetime) -> None:
        super().__init__(401, detail)
        self.scopes = scopes
        self.now = now

    async def record(self, conn: asyncpg.Connection) -> None:
        await conn.execute(queries.insert_sign_in_failures, self.scopes, self.now)


class _RefreshReused(RecordedFailure):
    def __init__(self, session_id: UUID, now: datetime) -> None:
        super().__init__(401, "The refresh token is no longer valid; sign in again.")
        self.session_id = session_id
        self.now = now

    async def record(self, conn: asyncpg.Connection) -> None:
        await conn.execute(queries.revoke_session, self.session_id, self.now, "refresh token reused")


async def _check_throttle(conn: asyncpg.Connection, settings: Settings, limits: dict[str, int], now: datetime) -> None:
    """429 while any scope has too many recent failures; the wait ends when the oldest ages out."""
    window = timedelta(seconds=settings.login_failure_window_seconds)
    rows = await conn.fetch(queries.select_sign_in_failures, list(limits), now - window)
    # Blocked until enough failures have aged out to bring the scope back under its limit.
    waits = [
        (row["failed_at"][len(row["failed_at"]) - limits[row["scope"]]] + window - now).total_seconds()
        for row in rows
        if len(row["failed_at"]) >= limits[row["scope"]]
    ]
    if waits:
        retry_after = max(1, math.ceil(max(waits)))
        raise ProblemError(
            429,
            "Too many failed attempts; wait before trying again.",
            headers={"Retry-After": str(retry_after)},
        )


async def _start_session(
    conn: asyncpg.Connection,
    secrets: Secrets,
    settings: Settings,
    user_id: UUID,
    device_name: str | None,
    now: datetime,
) -> TokenPair:
    session_id = uuid.uuid4()
    await conn.execute(queries.insert_session, session_id, user_id, device_name, now)
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
    conn: asyncpg.Connection,
    secrets: Secrets,
    settings: Settings,
    request: LoginRequest,
    address: str,
    now: datetime,
) -> TokenPair:
    account_scope = "login-account:" + request.username.lower()
    address_scope = "login-address:" + address
    await _check_throttle(
        conn,
        settings,
        {account_scope: settings.login_failures_per_account, address_scope: settings.login_failures_per_address},
        now,
    )
    row = await conn.fetchrow(queries.select_staff_for_login, request.username)
    # Unknown usernames cost the same argon2 work and get the same answer as wrong passwords.
    if not await secrets.verify_password(row["password_hash"] if row else None, request.password):
        raise _SignInFailed("Wrong username or password.", [account_scope, address_scope], now)
    await conn.execute(queries.delete_sign_in_failures, account_scope)
    return await _start_session(conn, secrets, settings, row["id"], None, now)


async def activate(
    conn: asyncpg.Connection,
    secrets: Secrets,
    settings: Settings,
    request: ActivateRequest,
    address: str,
    now: datetime,
) -> TokenPair:
    address_scope = "activate-address:" + address
    await _check_throttle(conn, settings, {address_scope: settings.login_failures_per_address}, now)
    code = await conn.fetchrow(queries.use_activation_code, secrets.activation_code_hash(request.code), now)
    if code is None:
        raise _SignInFailed(
            "The activation code is not valid: it may be mistyped, used or expired.", [address_scope], now
        )
    user_id = await _person_for_code(conn, code, now)
    await conn.execute(queries.mark_activation_code_user, code["id"], user_id)
    return await _start_session(conn, secrets, settings, user_id, request.device_name, now)


async def _person_for_code(conn: asyncpg.Connection, code: asyncpg.Record, now: datetime) -> UUID:
    """The user a code signs in: the patient themself, a new guardian, or an existing guardian."""
    patient_id = code["patient_id"]
    if code["role"] == "patient":
        existing = await conn.fetchval(queries.select_patient_user, patient_id)
        if existing is not None:
            return existing  # a new phone for the same patient
        user_id = uuid.uuid4()
        await conn.execute(queries.insert_person, user_id, "patient", code["display_name"])
        await conn.execute(queries.link_patient_user, patient_id, user_id)
        return user_id
    user_id = code["guardian_id"]
    if user_id is None:
        user_id = uuid.uuid4()
        await conn.execute(queries.insert_person, user_id, "guardian", code["display_name"])
    await conn.execute(queries.insert_guardianship, user_id, patient_id, now)
    return user_id


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


async def list_devices(conn: asyncpg.Connection, caller: Caller) -> DeviceSessionList:
    rows = await conn.fetch(queries.select_user_sessions, caller.id)
    current = caller.principal.session_id
    return DeviceSessionList(items=[DeviceSession(**dict(row), current=row["id"] == current) for row in rows])


async def sign_out_device(conn: asyncpg.Connection, caller: Caller, session_id: UUID) -> None:
    """Sign one of the caller's own devices out (a lost phone); another user's session, or one that
    is already signed out, answers like one that does not exist."""
    revoked = await conn.fetchval(queries.revoke_user_session, session_id, caller.id, caller.now, "signed out by user")
    if revoked is None:
        raise ProblemError(404, NOT_FOUND_DETAIL)


def describe(caller: Caller) -> Me:
    principal = caller.principal
    return Me(
        id=principal.id,
        role=principal.role,
        display_name=principal.display_name,
        patient_ids=list(principal.patient_ids),
        unit_ids=list(principal.unit_ids),
    )
