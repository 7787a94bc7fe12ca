"""Every demo unit has a notification policy of its own that passes the checks."""

from __future__ import annotations

from dataclasses import replace

import msgspec

from alerting.notify.policy import Policy, check
from backend.clock import FrozenClock
from backend.demo import seed_demo
from backend.security import Secrets
from tests.helpers import START, database


async def test_the_demo_units_have_policies(new_database, settings):
    dsn = await new_database()
    demo_settings = replace(settings, database_url=dsn)
    secrets = Secrets(demo_settings.secret_key, time_cost=1, memory_kib=8)
    async with database(dsn) as conn:
        await seed_demo(conn, demo_settings, secrets, FrozenClock(START))
        rows = await conn.fetch(
            """select u.name, u.contact_within_hours, p.policy from units u
               left join unit_notification_policies p on p.unit_id = u.id and p.superseded_at is null"""
        )
    assert len(rows) == 4
    for row in rows:
        assert row["policy"] is not None, row["name"]
        check(msgspec.convert(row["policy"], Policy))
        assert row["contact_within_hours"] is not None
    on_call = {row["name"] for row in rows if row["policy"]["on_call"]}
    assert on_call == {"Nyfødtintensiv", "Lungemedisin", "Nyremedisin"}
