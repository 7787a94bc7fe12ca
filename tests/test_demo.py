"""`heima seed-demo`: the demo's patients show the rules a clinician would look for, the new ones
of issue 14 among them (feeds and nappies per day, large vomits, SpO2 against the patient's own
target and baseline, flare-up signs, interdialytic weight gain, UF drop), and a parameter change
with its history."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.clock import FrozenClock
from backend.demo import seed_demo
from backend.security import Secrets


async def test_the_demo_patients_show_the_new_rules(db, settings):
    clock = FrozenClock(datetime(2026, 11, 25, 11, 0, tzinfo=UTC))  # a Wednesday, noon in Oslo
    secrets = Secrets(
        settings.secret_key, time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    report = await seed_demo(db, settings, secrets, clock)
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
