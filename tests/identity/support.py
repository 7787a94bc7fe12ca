"""Shared pieces of the identity tests: problem assertions and a ward of their own.

The identity tests make their own unit, clinicians and patients (in the world's organisation) so
that codes, guardians and sign-ins they create never change what other suites see in the world.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from tests.helpers import API, INFANT, Actor, activation_code, expect, make_clinician, make_patient, unique

PROBLEM_KEYS = {"type", "title", "status", "detail"}
WWW_AUTHENTICATE = 'Bearer realm="heima"'
WRONG_LOGIN = "Wrong username or password."
BAD_CODE = "The activation code is not valid: it may be mistyped, used or expired."
BAD_REFRESH = "The refresh token is no longer valid; sign in again."
TOKEN_KEYS = {"access_token", "token_type", "expires_in", "refresh_token"}


def assert_problem(response: Any, status: int, detail: str | None = None) -> dict[str, Any]:
    """An RFC 9457 problem document with this status (and detail, when given)."""
    assert response.status_code == status, f"{response.status_code} != {status}: {response.text}"
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    if detail is not None:
        assert body["detail"] == detail
    return body


def assert_not_signed_in(response: Any) -> None:
    """401 for a missing, malformed, expired or ended access token."""
    assert_problem(response, 401, "A valid access token is required.")
    assert response.headers["www-authenticate"] == WWW_AUTHENTICATE


def assert_token_pair(body: dict[str, Any], expires_in: int) -> None:
    assert set(body) == TOKEN_KEYS
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == expires_in
    assert body["access_token"].startswith("heima_at_")
    assert body["refresh_token"].startswith("heima_rt_")
    assert body["access_token"] != body["refresh_token"]


async def post_login(client: AsyncTestClient, username: str, password: str) -> Any:
    return await client.post(f"{API}/auth/login", json={"username": username, "password": password})


async def post_activate(client: AsyncTestClient, code: str, device: str = "phone") -> Any:
    return await client.post(f"{API}/auth/activate", json={"code": code, "device_name": device})


async def post_refresh(client: AsyncTestClient, refresh_token: str) -> Any:
    return await client.post(f"{API}/auth/refresh", json={"refresh_token": refresh_token})


async def get_me(client: AsyncTestClient, access_token: str) -> Any:
    return await client.get(f"{API}/me", headers={"Authorization": f"Bearer {access_token}"})


async def post_logout(client: AsyncTestClient, access_token: str) -> Any:
    return await client.post(f"{API}/auth/logout", headers={"Authorization": f"Bearer {access_token}"})


async def link(client: AsyncTestClient, tokens: dict[str, Any], code: str) -> Any:
    """A signed-in guardian redeems a guardian code for another child."""
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    return await client.post(f"{API}/me/guardianships", json={"code": code}, headers=headers)


async def device_code(client: AsyncTestClient, tokens: dict[str, Any]) -> str:
    """A signed-in patient's or guardian's phone makes a code for a new phone of the same account."""
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    return (await expect(await client.post(f"{API}/me/device-codes", headers=headers), 201))["code"]


async def sessions_of(db: asyncpg.Connection, user_id: str) -> int:
    """How many sessions the account has ever had (ended ones included)."""
    return await db.fetchval("select count(*) from auth_sessions where user_id = $1", uuid.UUID(user_id))


async def guardians_of(db: asyncpg.Connection, patient_id: str) -> list[str]:
    rows = await db.fetch("select guardian_id from guardianships where patient_id = $1", uuid.UUID(patient_id))
    return [str(row["guardian_id"]) for row in rows]


async def tokens_of(response: Any) -> dict[str, Any]:
    return await expect(response, 200)


@dataclass
class Ward:
    """A unit of the identity tests' own, with a clinician; and a second unit with another."""

    client: AsyncTestClient
    unit: str
    other_unit: str
    clinician: Actor
    other_clinician: Actor

    async def patient(self, clinician: Actor | None = None) -> str:
        clinician = clinician or self.clinician
        unit = self.unit if clinician is self.clinician else self.other_unit
        return await make_patient(self.client, clinician, unit, "premature-home", INFANT)

    async def code(
        self, patient_id: str, role: str, guardian_id: str | None = None, clinician: Actor | None = None
    ) -> str:
        return await activation_code(self.client, clinician or self.clinician, patient_id, role, guardian_id)


async def new_staff(client: AsyncTestClient, admin: Actor, ward: Ward) -> str:
    """A clinician of the ward (made by the admin, signed in once); their username."""
    return (await make_clinician(client, admin.headers, [ward.unit])).name


async def build_ward(client: AsyncTestClient, admin: Actor, organisation_id: str) -> Ward:
    units = []
    for _ in range(2):
        response = await client.post(
            f"{API}/organisations/{organisation_id}/units", json={"name": unique("Identitet")}, headers=admin.headers
        )
        units.append((await expect(response, 201))["id"])
    clinician = await make_clinician(client, admin.headers, [units[0]])
    other = await make_clinician(client, admin.headers, [units[1]])
    return Ward(client, units[0], units[1], clinician, other)
