"""Administration: organisations, their units and staff accounts. No clinical data here."""

from __future__ import annotations

import uuid
from datetime import datetime
from uuid import UUID

import asyncpg

from backend.db import load_queries
from backend.errors import ProblemError, invalid
from backend.organisation.schemas import (
    Colleague,
    MyUnit,
    Organisation,
    OrganisationCreate,
    StaffUpdate,
    StaffUser,
    Unit,
    UnitCreate,
    User,
    UserCreate,
)
from backend.security import Secrets

queries = load_queries(__file__)


async def create_organisation(conn: asyncpg.Connection, data: OrganisationCreate, now: datetime) -> Organisation:
    row = await conn.fetchrow(queries.insert_organisation, uuid.uuid4(), data.name, data.kind, now)
    return Organisation(**dict(row))


async def list_organisations(conn: asyncpg.Connection) -> list[Organisation]:
    return [Organisation(**dict(row)) for row in await conn.fetch(queries.select_organisations)]


async def create_unit(conn: asyncpg.Connection, organisation_id: UUID, data: UnitCreate, now: datetime) -> Unit:
    row = await conn.fetchrow(
        queries.insert_unit, uuid.uuid4(), organisation_id, data.name, now, data.contact_within_hours
    )
    if row is None:
        raise ProblemError(404, "There is nothing here, or nothing you may see.")
    return Unit(**dict(row))


async def list_units(conn: asyncpg.Connection, organisation_id: UUID) -> list[Unit]:
    return [Unit(**dict(row)) for row in await conn.fetch(queries.select_units, organisation_id)]


async def create_user(conn: asyncpg.Connection, secrets: Secrets, data: UserCreate, now: datetime) -> User:
    if data.role == "clinician":
        if data.profession is None:
            raise invalid("profession", "a clinician needs a profession")
        if not data.unit_ids:
            raise invalid("unit_ids", "a clinician belongs to at least one unit")
    elif data.profession is not None or data.unit_ids:
        raise invalid("role", "an administrator has no profession and no units")
    unit_ids = list(dict.fromkeys(data.unit_ids))
    existing = {row["id"] for row in await conn.fetch(queries.select_existing_units, unit_ids)}
    if missing := [u for u in unit_ids if u not in existing]:
        raise invalid("unit_ids", f"no such unit: {missing[0]}")
    user_id = uuid.uuid4()
    password_hash = await secrets.hash_password(data.password)
    await conn.execute(
        queries.insert_staff_user,
        user_id,
        data.role,
        data.username,
        password_hash,
        data.display_name,
        data.profession,
        now,
    )
    await conn.execute(queries.insert_unit_memberships, user_id, unit_ids, now)
    return User(
        id=user_id,
        username=data.username,
        display_name=data.display_name,
        role=data.role,
        profession=data.profession,
        unit_ids=unit_ids,
    )


async def units_of(conn: asyncpg.Connection, user_id: UUID) -> list[MyUnit]:
    rows = await conn.fetch(queries.select_units_of_user, user_id)
    return [MyUnit(**{k: row[k] for k in MyUnit.__struct_fields__}) for row in rows]


async def list_staff(conn: asyncpg.Connection, unit_id: UUID | None) -> list[StaffUser]:
    return [StaffUser(**dict(row)) for row in await conn.fetch(queries.select_staff, unit_id)]


async def update_staff(
    conn: asyncpg.Connection, admin_id: UUID, user_id: UUID, data: StaffUpdate, now: datetime
) -> StaffUser:
    row = await conn.fetchrow(queries.select_staff_user, user_id)
    if row is None:
        raise ProblemError(404, "There is nothing here, or nothing you may see.")
    if data.disabled and user_id == admin_id:
        raise invalid("disabled", "you cannot disable your own account")
    if data.unit_ids is not None:
        unit_ids = list(dict.fromkeys(data.unit_ids))
        if row["role"] == "admin" and unit_ids:
            raise invalid("unit_ids", "an administrator has no units")
        if row["role"] == "clinician" and not unit_ids:
            raise invalid("unit_ids", "a clinician belongs to at least one unit")
        existing = {r["id"] for r in await conn.fetch(queries.select_existing_units, unit_ids)}
        if missing := [u for u in unit_ids if u not in existing]:
            raise invalid("unit_ids", f"no such unit: {missing[0]}")
        await conn.execute(queries.delete_unit_memberships, user_id, unit_ids)
        await conn.execute(queries.insert_missing_unit_memberships, user_id, unit_ids, now)
    if data.disabled is not None:
        await conn.execute(queries.set_user_disabled, user_id, data.disabled, now)
    return StaffUser(**dict(await conn.fetchrow(queries.select_staff_user, user_id)))


async def list_colleagues(conn: asyncpg.Connection, unit_id: UUID | None) -> list[Colleague]:
    return [Colleague(**dict(row)) for row in await conn.fetch(queries.select_colleagues, unit_id)]
