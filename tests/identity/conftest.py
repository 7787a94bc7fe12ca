from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from tests.helpers import World
from tests.identity.support import Ward, build_ward


@pytest.fixture(scope="session")
async def ward(client: AsyncTestClient, world: World) -> Ward:
    return await build_ward(client, world.admin, world.organisation_id)
