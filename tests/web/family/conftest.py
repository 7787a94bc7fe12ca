"""A family of their own for each browser test: twins in unit U1 of the web world, their guardian
(made through the API: twin A's code makes the account on a "phone", twin B's is linked to it),
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

    async def code(self) -> str:
        """A device code from the guardian's phone: it signs a new phone into the same account."""
        response = await self.client.post(f"{API}/me/device-codes", headers=self.guardian_headers)
        return (await expect(response, 201))["code"]


@pytest.fixture
async def family(client, web_world: World) -> Family:
    suffix = unique("")[1:5]
    name_a, name_b = f"Tvilling A {suffix}", f"Tvilling B {suffix}"
    twin_a = await make_patient(client, web_world.clin_u1, web_world.unit_u1, "premature-home", INFANT, name_a)
    twin_b = await make_patient(client, web_world.clin_u1, web_world.unit_u1, "premature-home", INFANT, name_b)
    tokens = await activate(client, await activation_code(client, web_world.clin_u1, twin_a, "guardian"))
    headers = bearer(tokens["access_token"])
    guardian = Actor("guardian", "guardian", tokens["access_token"])
    guardian_id = (await me(client, guardian))["id"]
    twin_b_code = await activation_code(client, web_world.clin_u1, twin_b, "guardian", guardian_id)
    await link_child(client, guardian, twin_b_code)
    return Family(client, web_world.clin_u1, twin_a, twin_b, name_a, name_b, guardian_id, headers)


@pytest.fixture
async def signed_in(page, family: Family):
    await sign_in(page, family)
    return page
