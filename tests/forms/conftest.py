from __future__ import annotations

from dataclasses import dataclass

import pytest
from litestar.testing import AsyncTestClient

from tests.helpers import Actor, World, activate, activation_code, make_patient, me


@dataclass
class Dialysis:
    patient_id: str
    patient: Actor  # the patient's own phone


@pytest.fixture(scope="session")
async def dialysis(client: AsyncTestClient, world: World) -> Dialysis:
    """A home-dialysis patient of unit U1 who registers on their own phone."""
    patient_id = await make_patient(client, world.clin_u1, world.unit_u1, "home-dialysis", {"dry_weight_kg": 71})
    tokens = await activate(client, await activation_code(client, world.clin_u1, patient_id, "patient"))
    actor = Actor("dialysis_patient", "patient", tokens["access_token"])
    actor.id = (await me(client, actor))["id"]
    return Dialysis(patient_id, actor)
