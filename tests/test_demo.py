"""The demo data shows the last week whatever day the demo starts, and a later start tops it up."""

from __future__ import annotations

from datetime import timedelta

from backend.clock import FrozenClock
from backend.demo import DEMO_HOSPITAL, seed_demo
from backend.security import Secrets
from tests.conftest import START
from tests.helpers import database


async def test_a_later_start_adds_the_days_since_and_nothing_twice(new_database, settings):
    dsn = await new_database()
    secrets = Secrets(settings.secret_key, time_cost=1, memory_kib=8)
    clock = FrozenClock(START)
    async with database(dsn) as conn:
        first = await seed_demo(conn, settings, secrets, clock)
        assert not first.already_seeded
        newest = "select max(measured_at) from measurements"
        assert START - timedelta(days=1) <= await conn.fetchval(newest) < START
        count = await conn.fetchval("select count(*) from measurements")
        per_day = count // 7
        # Every programme's patients have registrations, so each one's charts have data.
        programmes = await conn.fetch(
            """select e.programme, count(m.*) from enrolments e join measurements m on m.patient_id = e.patient_id
               group by e.programme"""
        )
        assert {row["programme"] for row in programmes} == {"premature-home", "copd", "home-dialysis"}
        # The week lies within follow-up, so the tertial report counts it.
        assert (
            await conn.fetchval(
                "select count(*) from measurements m join enrolments e on e.patient_id = m.patient_id "
                "where m.measured_at < e.started_at"
            )
            == 0
        )

        clock.advance(days=40)
        again = await seed_demo(conn, settings, secrets, clock)
        assert again.already_seeded
        assert clock.now - timedelta(days=1) <= await conn.fetchval(newest) < clock.now
        # Two weeks that do not overlap: the new one is added in full.
        assert await conn.fetchval("select count(*) from measurements") == count + 7 * per_day
        assert await conn.fetchval("select count(*) from organisations where name = $1", DEMO_HOSPITAL) == 1
        # Run again the same day: nothing new.
        await seed_demo(conn, settings, secrets, clock)
        assert await conn.fetchval("select count(*) from measurements") == count + 7 * per_day
        # The week raised alerts the worklist shows (twin B's fever among them).
        rules = {row["rule_code"] for row in await conn.fetch("select rule_code from alerts")}
        assert "infant_fever" in rules
