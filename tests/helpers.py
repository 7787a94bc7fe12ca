"""Building blocks for tests: sign-in helpers and the shared world of actors.

Everything but the first administrator is made through the public API, the way a hospital would.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from backend.app import create_app
from backend.clock import Clock, system_clock
from backend.db import connect
from backend.organisation.schemas import UserCreate
from backend.organisation.service import create_user
from backend.security import Secrets
from backend.settings import Settings

API = "/api/v1"
# The suite's frozen clock starts here (tests/conftest.py). Tests that start a real process, which
# runs on the real clock, derive their dates from the real now instead.
START = datetime(2026, 11, 22, 7, 30, tzinfo=UTC)
INFANT_BORN = START.date() - timedelta(days=52)
PASSWORD = "correct horse battery staple"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def create_admin(database_url: str, settings: Settings, username: str, password: str = PASSWORD) -> None:
    """What `heima create-admin` does."""
    secrets = Secrets(
        settings.secret_key, time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    conn = await connect(database_url)
    try:
        async with conn.transaction():
            await create_user(conn, secrets, UserCreate(username, password, username, "admin"), system_clock())
    finally:
        await conn.close()


async def expect(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, f"{response.status_code} != {status}: {response.text}"
    return response.json() if response.content else {}


async def login(client: AsyncTestClient, username: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post(f"{API}/auth/login", json={"username": username, "password": password})
    return await expect(response, 200)


async def activate(client: AsyncTestClient, code: str, device: str = "phone") -> dict[str, Any]:
    response = await client.post(f"{API}/auth/activate", json={"code": code, "device_name": device})
    return await expect(response, 200)


@dataclass
class Actor:
    name: str
    role: str | None
    token: str | None
    id: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token) if self.token else {}


@asynccontextmanager
async def app_client(settings: Settings, clock: Clock = system_clock) -> AsyncIterator[AsyncTestClient]:
    """The app on `settings` and `clock`, started (its lifespan) and served in process."""
    async with AsyncTestClient(create_app(settings, clock=clock, configure_logs=False)) as client:
        yield client


@asynccontextmanager
async def database(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection with the app's codecs, closed afterwards."""
    conn = await connect(dsn)
    try:
        yield conn
    finally:
        await conn.close()


def http_scope(method: str, path: str, actor: Actor, extra_headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """An ASGI HTTP scope from `actor`, for tests that drive the app's receive channel themselves
    (a body that streams, stalls or never ends)."""
    headers = [*extra_headers, *((k.lower().encode(), v.encode()) for k, v in actor.headers.items())]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "extensions": {},
    }


@dataclass
class World:
    admin: Actor
    clin_u1: Actor
    clin_u2: Actor
    guardian: Actor
    patient_p2: Actor
    anonymous: Actor
    organisation_id: str
    unit_u1: str
    unit_u2: str
    twin_a: str
    twin_b: str
    p2: str
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def actors(self) -> list[Actor]:
        return [self.admin, self.clin_u1, self.clin_u2, self.guardian, self.patient_p2, self.anonymous]

    @property
    def patients(self) -> dict[str, str]:
        return {"twin_a": self.twin_a, "twin_b": self.twin_b, "p2": self.p2}

    def sees(self, actor: Actor, patient_id: str) -> bool:
        """Independent of the production guard: who may see which patient in this world."""
        return patient_id in {
            "clin_u1": {self.twin_a, self.twin_b},
            "clin_u2": {self.p2},
            "guardian": {self.twin_a, self.twin_b},
            "patient_p2": {self.p2},
        }.get(actor.name, set())


async def make_clinician(
    client: AsyncTestClient, admin_headers: dict[str, str], unit_ids: list[str], profession: str = "nurse"
) -> Actor:
    username = unique("clin")
    body = {
        "username": username,
        "password": PASSWORD,
        "display_name": username,
        "role": "clinician",
        "profession": profession,
        "unit_ids": unit_ids,
    }
    user = await expect(await client.post(f"{API}/users", json=body, headers=admin_headers), 201)
    tokens = await login(client, username)
    return Actor(username, "clinician", tokens["access_token"], user["id"])


async def make_patient(
    client: AsyncTestClient,
    clinician: Actor,
    unit_id: str,
    programme: str,
    parameters: dict[str, Any],
    name: str | None = None,
    born: date = INFANT_BORN,
) -> str:
    """A patient born on `born` (an infant by the suite's frozen clock unless told otherwise),
    enrolled in `programme`."""
    body = {"display_name": name or unique("patient"), "birth_date": born.isoformat(), "unit_id": unit_id}
    patient = await expect(await client.post(f"{API}/patients", json=body, headers=clinician.headers), 201)
    enrolment = {"programme": programme, "unit_id": unit_id, "parameters": parameters}
    await expect(
        await client.post(f"{API}/patients/{patient['id']}/enrolments", json=enrolment, headers=clinician.headers),
        201,
    )
    return patient["id"]


async def activation_code(
    client: AsyncTestClient, clinician: Actor, patient_id: str, role: str, guardian_id: str | None = None
) -> str:
    body: dict[str, Any] = {"role": role, "display_name": unique(role)}
    if guardian_id:
        body["guardian_id"] = guardian_id
    response = await client.post(f"{API}/patients/{patient_id}/activation-codes", json=body, headers=clinician.headers)
    return (await expect(response, 201))["code"]


async def link_child(client: AsyncTestClient, guardian: Actor, code: str) -> dict[str, Any]:
    """The guardian's signed-in app redeems a guardian code for another child: the updated profile."""
    response = await client.post(f"{API}/me/guardianships", json={"code": code}, headers=guardian.headers)
    return await expect(response, 200)


async def me(client: AsyncTestClient, actor: Actor) -> dict[str, Any]:
    return await expect(await client.get(f"{API}/me", headers=actor.headers), 200)


INFANT = {"birth_weight_g": 1650, "prescribed_ml_per_kg_day": 160}


async def build_world(client: AsyncTestClient, database_url: str, settings: Settings) -> World:
    admin_name = unique("admin")
    await create_admin(database_url, settings, admin_name)
    admin = Actor("admin", "admin", (await login(client, admin_name))["access_token"])
    organisation = await expect(
        await client.post(
            f"{API}/organisations", json={"name": unique("Sykehus"), "kind": "hospital"}, headers=admin.headers
        ),
        201,
    )
    units = []
    for name in ("Nyfødt", "Lunge"):
        response = await client.post(
            f"{API}/organisations/{organisation['id']}/units", json={"name": unique(name)}, headers=admin.headers
        )
        units.append((await expect(response, 201))["id"])
    u1, u2 = units
    clin_u1 = await make_clinician(client, admin.headers, [u1])
    clin_u1.name = "clin_u1"
    clin_u2 = await make_clinician(client, admin.headers, [u2])
    clin_u2.name = "clin_u2"

    twin_a = await make_patient(client, clin_u1, u1, "premature-home", INFANT, "Tvilling A")
    twin_b = await make_patient(client, clin_u1, u1, "premature-home", INFANT, "Tvilling B")
    p2 = await make_patient(client, clin_u2, u2, "copd", {"spo2_scale": 2}, "KOLS-pasient")

    guardian_tokens = await activate(client, await activation_code(client, clin_u1, twin_a, "guardian"))
    guardian = Actor("guardian", "guardian", guardian_tokens["access_token"])
    guardian.id = (await me(client, guardian))["id"]
    # The same parent for twin B: a second code naming the existing guardian, which only that
    # guardian can redeem, from their signed-in phone.
    await link_child(client, guardian, await activation_code(client, clin_u1, twin_b, "guardian", guardian.id))

    patient_tokens = await activate(client, await activation_code(client, clin_u2, p2, "patient"))
    patient_p2 = Actor("patient_p2", "patient", patient_tokens["access_token"])
    patient_p2.id = (await me(client, patient_p2))["id"]

    return World(
        admin=admin,
        clin_u1=clin_u1,
        clin_u2=clin_u2,
        guardian=guardian,
        patient_p2=patient_p2,
        anonymous=Actor("anonymous", None, None),
        organisation_id=organisation["id"],
        unit_u1=u1,
        unit_u2=u2,
        twin_a=twin_a,
        twin_b=twin_b,
        p2=p2,
    )
