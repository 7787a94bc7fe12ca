"""`heima seed-demo`: the demo shows recent data whatever day it starts (a later start tops it up),
and its patients show the rules a clinician would look for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
        # A restart prints the staff logins again (the same ones), and fresh codes.
        assert again.logins == first.logins and len(again.logins) == 6
        assert again.codes and not {c for c, *_ in again.codes} & {c for c, *_ in first.codes}
        assert clock.now - timedelta(days=1) <= await conn.fetchval(newest) < clock.now
        # Two spans that do not overlap, of the same shape: the new one is added in full.
        assert await conn.fetchval("select count(*) from measurements") == 2 * count
        assert await conn.fetchval("select count(*) from organisations where name = $1", DEMO_HOSPITAL) == 1
        # Run again the same day: nothing new.
        await seed_demo(conn, settings, secrets, clock)
        assert await conn.fetchval("select count(*) from measurements") == 2 * count
        # The week raised alerts the worklist shows (twin B's fever among them).
        rules = {row["rule_code"] for row in await conn.fetch("select rule_code from alerts")}
        assert "infant_fever" in rules


async def test_the_demo_patients_show_the_rules_a_clinician_looks_for(new_database, settings):
    """Feeds and nappies per day, large vomits, SpO2 against the patient's own target and baseline,
    flare-up signs, interdialytic weight gain, UF drop, and a parameter change with its history."""
    clock = FrozenClock(datetime(2026, 11, 25, 11, 0, tzinfo=UTC))  # a Wednesday, noon in Oslo
    secrets = Secrets(
        settings.secret_key, time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    async with database(await new_database()) as db:
        await _check_rules_shown(db, await seed_demo(db, settings, secrets, clock))


async def _check_rules_shown(db, report) -> None:
    assert report.codes and report.logins
    raised = {
        (row["display_name"], row["rule_code"])
        for row in await db.fetch(
            "select p.display_name, a.rule_code from alerts a join patients p on p.id = a.patient_id"
        )
    }
    assert {
        ("Tvilling A Nordmann", "infant_large_vomits"),
        ("Tvilling B Nordmann", "infant_feeds_few"),
        ("Tvilling B Nordmann", "infant_wet_nappies_few"),
        ("Ola Hansen", "copd_spo2_below_target"),
        ("Ola Hansen", "copd_spo2_drop"),
        ("Ola Hansen", "copd_exacerbation_3_of_3"),
        ("Eva Berg", "hd_idwg_symptoms"),
        ("Per Dahl", "pd_uf_drop"),
    } <= raised, raised
    # Home oxygen was a change with a reason, kept as history; NEWS2 read it for the 87 %.
    change = await db.fetchrow(
        "select parameters, previous from enrolment_parameter_changes where reason like $1", "Startet LTOT%"
    )
    assert (change["parameters"]["home_oxygen"], change["previous"]) == (True, {"home_oxygen": None})
    explanation = await db.fetchval(
        """select a.explanation from alerts a join patients p on p.id = a.patient_id
           where a.rule_key = 'news2' and p.display_name = 'Ola Hansen' order by a.raised_at desc limit 1"""
    )
    assert "O2 yes→2" in explanation
