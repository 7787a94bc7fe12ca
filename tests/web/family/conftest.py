"""A family of their own for each browser test: twins in unit U1 of the web world, their guardian
in a unit of their own (made through the API: twin A's code makes the account on a "phone", twin
B's is linked to it),
and device codes from that phone that sign the same guardian in on a page."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.helpers import (
    API,
    Actor,
    World,
    activate,
    activation_code,
    bearer,
    expect,
    link_child,
    make_clinician,
    make_patient,
    me,
    unique,
)
from tests.web.family.support import sign_in

INFANT = {"birth_weight_g": 1650, "prescribed_ml_per_kg_day": 160}


@dataclass
class Family:
    client: object
    clinician: Actor
    twin_a: str
    twin_b: str
    name_a: str
    name_b: str
    guardian_id: str
    guardian_headers: dict[str, str]
    unit_id: str

    async def code(self) -> str:
        """A device code from the guardian's phone: it signs a new phone into the same account."""
        response = await self.client.post(f"{API}/me/device-codes", headers=self.guardian_headers)
        return (await expect(response, 201))["code"]


@dataclass
class Unit:
    id: str
    clinician: Actor


@pytest.fixture(scope="session")
async def family_unit(client, web_world: World) -> Unit:
    """A neonatal unit of the family tests' own (what they register never reaches other tests'
    worklists), which promises families a call within 4 hours."""
    body = {"name": unique("Nyfødt familie"), "contact_within_hours": 4}
    response = await client.post(
        f"{API}/organisations/{web_world.organisation_id}/units", json=body, headers=web_world.admin.headers
    )
    unit_id = (await expect(response, 201))["id"]
    return Unit(unit_id, await make_clinician(client, web_world.admin.headers, [unit_id]))


@pytest.fixture
async def family(client, family_unit: Unit) -> Family:
    suffix = unique("")[1:5]
    name_a, name_b = f"Tvilling A {suffix}", f"Tvilling B {suffix}"
    nurse = family_unit.clinician
    twin_a = await make_patient(client, nurse, family_unit.id, "premature-home", INFANT, name_a)
    twin_b = await make_patient(client, nurse, family_unit.id, "premature-home", INFANT, name_b)
    tokens = await activate(client, await activation_code(client, nurse, twin_a, "guardian"))
    headers = bearer(tokens["access_token"])
    guardian = Actor("guardian", "guardian", tokens["access_token"])
    guardian_id = (await me(client, guardian))["id"]
    await link_child(client, guardian, await activation_code(client, nurse, twin_b, "guardian", guardian_id))
    return Family(client, nurse, twin_a, twin_b, name_a, name_b, guardian_id, headers, family_unit.id)


@pytest.fixture
async def signed_in(page, family: Family):
    await sign_in(page, family)
    return page
