"""The service evaluates only the rules a batch can trigger, with only the history they read
(alerting/engine/relevance.py), and reads weights as the last of each local day. None of that may change a
decision: every table of the engine's tests is evaluated both ways."""

from __future__ import annotations

import msgspec
import pytest

from alerting.engine import relevance
from alerting.engine.rules import evaluate, history_since
from backend.timezones import local_day
from tests.alerting.engine.support import RULES, context, feeds, weight
from tests.alerting.engine.test_engine import ALL_CASES


def service_history(new, history, rules, patient):
    """What alerting.service loads (its SQL, in Python): the types each rule reads, from
    `history_since`; LAST_OF_DAY types as the last value of each local day, DAYS_TOUCHED types on
    the local days of the new values only."""
    since = history_since(new, rules)
    reads = relevance.history_reads(rules)
    kept = [obs for obs in history if obs.measured_at >= since]
    if reads is relevance.ANY:
        return kept
    last: dict[tuple, object] = {}
    touched = {t: {local_day(o.measured_at, patient.time_zone) for o in new if o.type == t} for t in reads}
    loaded = []
    for obs in sorted(kept, key=lambda o: (o.measured_at, o.id)):
        how = reads.get(obs.type)
        if how == relevance.ALL:
            loaded.append(obs)
        elif how == relevance.LAST_OF_DAY and obs.value is not None:
            last[(obs.type, local_day(obs.measured_at, patient.time_zone))] = obs
        elif how == relevance.DAYS_TOUCHED and local_day(obs.measured_at, patient.time_zone) in touched[obs.type]:
            loaded.append(obs)
    return loaded + list(last.values())


def service_view(programme, new, history, patient):
    rules = relevance.due(relevance.relevant(RULES[programme], {obs.type for obs in new}), new, patient)
    if not rules:
        return []
    return evaluate(new, service_history(new, history, rules, patient), rules, patient)


@pytest.mark.parametrize(("programme", "case"), [pytest.param(p, c, id=c.id) for p, c in ALL_CASES])
def test_loading_only_what_is_relevant_changes_no_decision(programme, case):
    patient = case.context or context("2026-11-19 23:00", dry_weight_kg=70.0, spo2_scale=1)
    full = evaluate(case.new, case.history, RULES[programme], patient)
    assert service_view(programme, case.new, case.history, patient) == full


PATIENT = context("2026-11-20 12:00", prescribed_ml_per_kg_day=160, dry_weight_kg=2.0)
# A scale that reports four times a day: each day's last weight is what the weight rules read.
DENSE = [
    weight(1700 - 12 * day + spread, f"2026-11-{day} {hour}")
    for day in range(12, 20)
    for hour, spread in (("00:10", 30), ("07:00", -5), ("12:00", 20), ("23:50", 0))
]


@pytest.mark.parametrize(
    ("name", "new", "history", "fires"),
    [
        ("a weight among many per day", [weight(1450, "2026-11-20 08:00")], DENSE, True),
        ("a late weight inside the series", [weight(1650, "2026-11-17 20:00")], DENSE, True),
        ("feeds of a finished day", feeds("2026-11-19", 20, count=6), DENSE + feeds("2026-11-18", 25), True),
        ("feeds of today", feeds("2026-11-20", 20, count=3, first="01:00"), DENSE + feeds("2026-11-19", 25), False),
    ],
)
def test_dense_series_and_daily_intake(name, new, history, fires):
    full = evaluate(new, history, RULES["premature-home"], PATIENT)
    assert bool(full) is fires
    assert service_view("premature-home", new, history, PATIENT) == full


def test_what_each_kind_of_registration_reads():
    premature = RULES["premature-home"]
    fever = relevance.relevant(premature, {"body_temperature"})
    assert {rule.code for rule in fever} >= {"infant_fever", "infant_temperature_low"}
    assert relevance.history_reads(fever) == {}
    weight_rules = relevance.relevant(premature, {"body_weight"})
    assert relevance.history_reads(weight_rules) == {"body_weight": relevance.LAST_OF_DAY}
    feed = relevance.relevant(premature, {"feeding_volume"})
    assert relevance.history_reads(feed) == {
        "feeding_volume": relevance.DAYS_TOUCHED,
        "body_weight": relevance.LAST_OF_DAY,
    }
    # Feeds of a day not yet over: intake is not judged, nothing is read.
    today = feeds("2026-11-20", 20, count=2)
    assert relevance.due(feed, today, PATIENT) == []
    dialysis = relevance.relevant(RULES["home-dialysis"], {"effluent_appearance"})
    reads = relevance.history_reads(dialysis)
    assert reads == {
        "effluent_appearance": relevance.ALL,
        "pd-session/abdominal_pain": relevance.ALL,
        "body_temperature": relevance.ALL,
    }


def test_an_unknown_trend_measure_reads_everything():
    rule = msgspec.structs.replace(
        next(r for r in RULES["premature-home"] if r.code == "infant_growth_slow"),
        params={"measure": "something_new", "op": "<", "limit": 1},
    )
    assert relevance.relevant([rule], {"spo2"}) == [rule]
    assert relevance.history_reads([rule]) is relevance.ANY
