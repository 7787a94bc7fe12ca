"""Premature infants at home (docs/clinical-rules.md, C1): every default rule, table by table."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from alerting.engine.rules import evaluate, evaluate_day, evaluate_missing
from alerting.engine.trends import Timeline, growth_velocity
from tests.alerting.engine.support import (
    RULES,
    Case,
    answer,
    check_wording,
    contact,
    context,
    feed,
    feeds,
    local,
    obs,
    temperature,
    weight,
    weights,
)

# Born 1 Oct 2026 at 34 weeks: 6 weeks old on 12 Nov, at term (corrected age 0) the same day.
BORN = date(2026, 10, 1)
PATIENT = context(
    "2026-11-19 12:00", birth_date=BORN, gestational_age_at_birth_weeks=34, birth_weight_g=1500,
    prescribed_ml_per_kg_day=160,
)  # fmt: skip


def run(case: Case):
    from tests.alerting.engine.support import run as run_case

    return run_case(case, "premature-home", PATIENT)


TEMPERATURE = [
    Case("38.0 at 7 weeks is an emergency", [temperature(38.0, "2026-11-19 08:00")], {"infant_fever": "high"}),
    Case("37.9 is no fever", [temperature(37.9, "2026-11-19 08:00")], {}),
    Case("37.5 is normal", [temperature(37.5, "2026-11-19 08:00")], {}),
    Case("36.5 is normal", [temperature(36.5, "2026-11-19 08:00")], {}),
    Case("36.4 is low", [temperature(36.4, "2026-11-19 08:00")], {"infant_temperature_low": "low"}),
    Case("36.0 is low, not very low", [temperature(36.0, "2026-11-19 08:00")], {"infant_temperature_low": "low"}),
    Case(
        "35.9 raises only the very-low tier",
        [temperature(35.9, "2026-11-19 08:00")],
        {"infant_temperature_very_low": "medium"},
    ),
    Case(
        "the worst of a batch decides, one alert",
        [temperature(38.1, "2026-11-19 08:00"), temperature(38.6, "2026-11-19 09:00")],
        {"infant_fever": "high"},
    ),
    Case(
        "5 months old: fever is urgent, not red",
        [temperature(38.2, "2026-11-19 08:00")],
        {"infant_fever_3_months_plus": "medium"},
        context=context("2026-11-19 12:00", birth_date=date(2026, 6, 1)),
    ),
    Case(
        "3.5 months old but 2 months corrected: still red",
        [temperature(38.2, "2026-11-19 08:00")],
        {"infant_fever": "high"},
        context=context("2026-11-19 12:00", birth_date=date(2026, 8, 1), gestational_age_at_birth_weeks=32),
    ),
    Case(
        "the day before 3 months: red",
        [temperature(38.0, "2026-11-15 23:30")],
        {"infant_fever": "high"},
        context=context("2026-11-19 12:00", birth_date=date(2026, 8, 16)),
    ),
    Case(
        "the day of 3 months: urgent",
        [temperature(38.0, "2026-11-16 00:30")],
        {"infant_fever_3_months_plus": "medium"},
        context=context("2026-11-19 12:00", birth_date=date(2026, 8, 16)),
    ),
    Case(
        "age unknown: treated as under 3 months",
        [temperature(38.0, "2026-11-19 08:00")],
        {"infant_fever": "high"},
        context=context("2026-11-19 12:00"),
    ),
    Case(
        "a fever already in history is not raised again",
        [weight(2500, "2026-11-19 08:00")],
        {},
        history=[temperature(38.5, "2026-11-18 20:00")],
    ),
]

# 1650 g gaining 25 g/day: 1000 × ln(1725 / 1650) / 3 = 14.8 g/kg/day, near the 15-20 target.
GROWTH = [
    Case(
        "1650 g +25 g/day is ~15 g/kg/day: no alert",
        weights("2026-11-19", [1725]),
        {},
        history=weights("2026-11-16", [1650, 1675, 1700]),
    ),
    Case(
        "+10 g/day is ~6 g/kg/day: slow",
        weights("2026-11-19", [1680]),
        {"infant_growth_slow": "low"},
        history=weights("2026-11-16", [1650, 1660, 1670]),
    ),
    Case(
        "flat for 3 days: no growth (urgent) and not also slow",
        weights("2026-11-19", [1650]),
        {"infant_growth_none": "medium"},
        history=weights("2026-11-16", [1650, 1650, 1650]),
    ),
    Case(
        "only 2 days of weights: too early to say",
        weights("2026-11-18", [1650]),
        {},
        history=weights("2026-11-16", [1650, 1650]),
    ),
    Case(
        "a weekly gap is longer than max_days: nothing to say",
        weights("2026-11-24", [1650]),
        {},
        history=weights("2026-11-16", [1650]),
    ),
    Case(
        "weights 3 days apart with none between still count",
        [weight(1650, "2026-11-19 08:00")],
        {"infant_growth_none": "medium"},
        history=[weight(1650, "2026-11-16 08:00")],
    ),
]

# Larger infants followed in g/day (growth_target g_per_day): 20-30 g/day is adequate.
PER_DAY = context("2026-11-19 12:00", birth_date=BORN, birth_weight_g=1500, growth_target="g_per_day")
SELF_REGULATING = context("2026-11-19 12:00", birth_date=BORN, birth_weight_g=1500, feeding_phase="self_regulating")
GROWTH += [
    Case(
        "g/day: 3000 g +15 g/day is below 20",
        weights("2026-11-19", [3045]),
        {"infant_gain_low": "low"},
        history=weights("2026-11-16", [3000, 3015, 3030]),
        context=PER_DAY,
    ),
    Case(
        "g/day: +25 g/day is adequate (5.5 g/kg/day would be slow)",
        weights("2026-11-19", [4575]),
        {},
        history=weights("2026-11-16", [4500, 4525, 4550]),
        context=PER_DAY,
    ),
    Case(
        "g/day: no gain is urgent",
        weights("2026-11-19", [3000]),
        {"infant_gain_none": "medium"},
        history=weights("2026-11-16", [3000, 3000, 3000]),
        context=PER_DAY,
    ),
    Case(
        "self-regulating: a plateau is expected, no growth alert",
        weights("2026-11-19", [2500]),
        {},
        history=weights("2026-11-16", [2500, 2500, 2500]),
        context=SELF_REGULATING,
    ),
]

WEIGHT_LOSS = [
    Case(
        "1650 → 1615 g is 2.1 %: warning",
        [weight(1615, "2026-11-19 08:00")],
        {"infant_weight_loss": "low"},
        history=[weight(1650, "2026-11-18 08:00")],
    ),
    Case(
        "1650 → 1620 g is 1.8 %: nothing",
        [weight(1620, "2026-11-19 08:00")],
        {},
        history=[weight(1650, "2026-11-18 08:00")],
    ),
    Case(
        "1650 → 1600 g is 3.0 %: urgent, one alert",
        [weight(1600, "2026-11-19 08:00")],
        {"infant_weight_loss_large": "medium"},
        history=[weight(1650, "2026-11-18 08:00")],
    ),
    Case(
        "a loss across a missed day is not day-to-day",
        [weight(1600, "2026-11-20 08:00")],
        {},
        history=[weight(1650, "2026-11-18 08:00")],
    ),
    Case(
        "2 small losses in a row: warning",
        weights("2026-11-19", [1630]),
        {"infant_weight_loss_2_days": "low"},
        history=weights("2026-11-17", [1650, 1640]),
    ),
    Case(
        "3 small losses in a row: urgent (and no growth over 3 days)",
        weights("2026-11-19", [1630]),
        {"infant_weight_loss_3_days": "medium", "infant_growth_none": "medium"},
        history=weights("2026-11-16", [1660, 1650, 1640]),
    ),
    Case(
        "self-regulating: a slight loss from the week's highest is expected",
        weights("2026-11-19", [2440]),
        {},
        history=weights("2026-11-13", [2450, 2480, 2500, 2490, 2470, 2455]),
        context=SELF_REGULATING,
    ),
    Case(
        "self-regulating: over 3 % below the week's highest",
        weights("2026-11-19", [2420]),
        {"infant_weight_loss_plateau": "medium"},
        history=weights("2026-11-13", [2450, 2480, 2500, 2490, 2470, 2450]),
        context=SELF_REGULATING,
    ),
    Case(
        "self-regulating: 2 small losses in a row are not an alert",
        weights("2026-11-19", [2480]),
        {},
        history=weights("2026-11-17", [2500, 2490]),
        context=SELF_REGULATING,
    ),
    Case(
        "self-regulating: over 3 % in a day still is",
        weights("2026-11-19", [2420]),
        {"infant_weight_loss_large": "medium"},
        history=weights("2026-11-18", [2500]),
        context=SELF_REGULATING,
    ),
    Case(
        "down, up, down is not 2 in a row",
        weights("2026-11-20", [1635]),
        {},
        history=weights("2026-11-17", [1560, 1555, 1640]),
    ),
]


def vomit(when: str, size: str = "large", episodes: float = 1.0, colour: str = "milky"):
    return obs("vomiting", when, value=episodes, attributes={"size": size, "colour": colour})


ANSWERS = [
    Case(
        "3 large vomits in 24 h: urgent",
        [vomit("2026-11-19 08:00")],
        {"infant_large_vomits": "medium"},
        history=[vomit("2026-11-18 12:00"), vomit("2026-11-18 20:00")],
    ),
    Case(
        "one registration of 3 large vomits: urgent",
        [vomit("2026-11-19 08:00", episodes=3.0)],
        {"infant_large_vomits": "medium"},
    ),
    Case(
        "2 large and a small one: nothing",
        [vomit("2026-11-19 08:00", size="small")],
        {},
        history=[vomit("2026-11-18 12:00"), vomit("2026-11-18 20:00")],
    ),
    Case(
        "3 large over 26 hours: nothing",
        [vomit("2026-11-19 08:00")],
        {},
        history=[vomit("2026-11-18 06:00"), vomit("2026-11-18 20:00")],
    ),
    Case(
        "3 large, one green: the emergency and the count",
        [vomit("2026-11-19 08:00", colour="green")],
        {"bilious_vomit": "high", "infant_large_vomits": "medium"},
        history=[vomit("2026-11-18 12:00"), vomit("2026-11-18 20:00")],
    ),
    Case(
        "green vomit (measurement colour): emergency",
        [obs("vomiting", "2026-11-19 08:00", value=1.0, attributes={"colour": "green"})],
        {"bilious_vomit": "high"},
    ),
    Case(
        "green vomit (daily check): emergency",
        [answer("premature-daily", "vomit_colour", "green", "2026-11-19 08:00")],
        {"bilious_vomit": "high"},
    ),
    Case("milky vomit: nothing", [answer("premature-daily", "vomit_colour", "milky", "2026-11-19 08:00")], {}),
    Case(
        "yellow vomit measurement: nothing",
        [obs("vomiting", "2026-11-19 08:00", value=1.0, attributes={"colour": "yellow"})],
        {},
    ),
    Case(
        "'I am worried': urgent",
        [answer("premature-worried", "worried", True, "2026-11-19 08:00", note="Hun er så slapp")],
        {"parent_worried": "medium"},
    ),
    Case("worried = false: nothing", [answer("premature-worried", "worried", False, "2026-11-19 08:00")], {}),
    Case(
        "tube problem: urgent",
        [answer("premature-daily", "tube_problem", True, "2026-11-19 08:00")],
        {"tube_problem": "medium"},
    ),
    Case("no tube problem: nothing", [answer("premature-daily", "tube_problem", False, "2026-11-19 08:00")], {}),
    Case(
        "contact request: always urgent",
        [contact("Kan noen ringe meg?", "2026-11-19 08:00")],
        {"contact_request": "medium"},
    ),
]


@pytest.mark.parametrize("case", [c.param() for c in TEMPERATURE + GROWTH + WEIGHT_LOSS + ANSWERS])
def test_premature_rules(case: Case):
    run(case)


def test_growth_is_exponential_over_local_days_across_the_spring_clock_change():
    # 27-30 March 2026 at 08:00: three local days, 71 hours (29 March has 23). Parents weigh by the
    # clock, so the divisor is 3 days, not 71/24.
    series = weights("2026-03-27", [1650, 1675, 1700, 1725])
    timeline = Timeline.build(series[-1:], series[:-1], context("2026-03-30 12:00"))
    [rule] = [rule for rule in RULES["premature-home"] if rule.code == "infant_growth_slow"]
    finding = growth_velocity(rule, timeline)
    assert finding is not None
    assert finding.value == pytest.approx(1000 * math.log(1725 / 1650) / 3)
    assert finding.observation_ids == (series[0].id, series[-1].id)


def test_growth_velocity_does_not_read_high():
    """Issue 14: dividing by the starting weight read 1800 → 1881 g over 3 days as 15.0 g/kg/day;
    the exponential method (Patel 2005) gives 14.67, and the average-weight method agrees."""
    series = weights("2026-11-16", [1800, 1827, 1854, 1881])
    timeline = Timeline.build(series[-1:], series[:-1], PATIENT)
    [rule] = [rule for rule in RULES["premature-home"] if rule.code == "infant_growth_slow"]
    finding = growth_velocity(rule, timeline)
    assert finding is not None and round(finding.value, 2) == 14.67
    assert finding.value == pytest.approx(81 / ((1800 + 1881) / 2 / 1000) / 3, abs=0.01)


def test_weight_loss_explanation_names_values_threshold_and_flags_implausible_change():
    [decision] = evaluate(
        [weight(1350, "2026-11-19 08:00")], [weight(1650, "2026-11-18 08:00")], RULES["premature-home"], PATIENT
    )
    assert decision.rule == "infant_weight_loss_large"
    assert decision.explanation.startswith("Weight loss since previous day 18.2% > 3%.")
    assert "1650 g (18 Nov) → 1350 g (19 Nov)" in decision.explanation
    assert "implausible" in decision.explanation


def test_fever_explanation_and_patient_texts():
    [decision] = evaluate([temperature(38.2, "2026-11-19 08:00")], [], RULES["premature-home"], PATIENT)
    assert decision.explanation.startswith("Temperature 38.2 °C ≥ 38.0 °C. Programme default (NICE NG143")
    assert "safety floor" in decision.explanation
    assert "Age 49 days (7 days corrected)" in decision.explanation
    assert decision.patient_text.nb.startswith("Ring 113 nå. Barnet har feber (38,2 °C).")
    assert decision.patient_text.en.startswith("Call 113 now. Your baby has a fever (38.2 °C).")
    assert (decision.worst_value, decision.unit) == (38.2, "Cel")


def test_worried_parent_words_reach_the_clinician():
    [decision] = evaluate(
        [answer("premature-worried", "worried", True, "2026-11-19 08:00", note="Hun er så slapp")],
        [],
        RULES["premature-home"],
        PATIENT,
    )
    assert '"Hun er så slapp"' in decision.explanation
    assert "08:00" in decision.explanation  # local time, not UTC (07:00Z)


# -- intake per local day ----------------------------------------------------------------------
# Plan: 160 mL/kg/day × 2.000 kg = 320 mL on a 24-hour day.
PLAN = context("2026-11-20 07:00", birth_date=BORN, prescribed_ml_per_kg_day=160, birth_weight_g=1500)
WEIGHED = [weight(2000, "2026-11-18 08:00")]


@pytest.mark.parametrize(
    ("per_feed", "expect"),
    [
        pytest.param(40, {}, id="8 x 40 mL = 100 %"),
        pytest.param(34, {}, id="8 x 34 mL = 85 %: not below"),
        pytest.param(33, {"infant_intake_low": "low"}, id="8 x 33 mL = 82.5 %: warning"),
        pytest.param(28, {"infant_intake_low": "low"}, id="8 x 28 mL = 70 %: still warning"),
        pytest.param(27, {"infant_intake_very_low": "medium"}, id="8 x 27 mL = 67.5 %: urgent only"),
    ],
)
def test_intake_of_a_finished_day_against_the_plan(per_feed, expect):
    day = feeds("2026-11-19", per_feed)
    decisions = evaluate_day(date(2026, 11, 19), WEIGHED + day, RULES["premature-home"], PLAN)
    assert {d.rule: d.severity for d in decisions} == expect
    check_wording(decisions, RULES["premature-home"])


def test_intake_waits_for_the_day_to_end():
    day = feeds("2026-11-19", 10, count=2)
    early = context("2026-11-19 23:59", prescribed_ml_per_kg_day=160, birth_weight_g=2000)
    assert evaluate_day(date(2026, 11, 19), day, RULES["premature-home"], early) == []
    assert evaluate(day[-1:], day[:-1], RULES["premature-home"], early) == []


def test_a_late_feed_for_a_finished_day_reevaluates_that_day():
    day = feeds("2026-11-19", 27)
    decisions = evaluate(day[-1:], WEIGHED + day[:-1], RULES["premature-home"], PLAN)
    assert [(d.rule, d.severity) for d in decisions] == [("infant_intake_very_low", "medium")]
    assert "216 mL in 8 feeds; plan 320 mL = 160 mL/kg/day × 2.00 kg (latest weight)" in decisions[0].explanation


def test_a_day_with_no_feeds_at_all_is_zero_intake():
    [decision] = evaluate_day(date(2026, 11, 19), WEIGHED, RULES["premature-home"], PLAN)
    assert (decision.rule, decision.worst_value) == ("infant_intake_very_low", 0.0)


def test_intake_plan_falls_back_to_birth_weight_and_needs_a_prescription():
    day = feeds("2026-11-19", 30)  # 240 mL vs 160 × 1.5 kg = 240 mL: 100 %
    assert evaluate_day(date(2026, 11, 19), day, RULES["premature-home"], PLAN) == []
    unplanned = context("2026-11-20 07:00", birth_weight_g=1500)
    assert evaluate_day(date(2026, 11, 19), feeds("2026-11-19", 1), RULES["premature-home"], unplanned) == []


def test_a_resent_feed_counts_once():
    day = feeds("2026-11-19", 33)  # 264 mL = 82.5 %; counting the resent feed twice would make it 93 %
    resent = feed(33, day[0].measured_at)
    assert resent.id == day[0].id
    decisions = evaluate([resent], WEIGHED + day, RULES["premature-home"], PLAN)
    assert [(d.rule, d.worst_value) for d in decisions] == [("infant_intake_low", 82.5)]


# 29 March 2026 in Oslo has 23 hours (02:00 → 03:00), 25 October 2026 has 25 (03:00 → 02:00).
# The plan is pro-rated to the day's length, and the day is the local calendar day, not UTC.
@pytest.mark.parametrize(
    ("day", "per_feed", "expect"),
    [
        # 8 × 33 = 264 mL vs 320 × 23/24 = 306.7 mL: 86 %. Against a 24-hour plan it would be 82.5 %.
        pytest.param("2026-03-29", 33, {}, id="spring, 23 h: 86 % of a 23-hour plan"),
        pytest.param("2026-03-29", 31, {"infant_intake_low": "low"}, id="spring, 23 h: 81 %"),
        # 8 × 35 = 280 mL vs 320 × 25/24 = 333.3 mL: 84 %. Against a 24-hour plan it would be 87.5 %.
        pytest.param("2026-10-25", 35, {"infant_intake_low": "low"}, id="autumn, 25 h: 84 % of a 25-hour plan"),
        pytest.param("2026-10-25", 36, {}, id="autumn, 25 h: 86 %"),
    ],
)
def test_intake_on_clock_change_days(day, per_feed, expect):
    weighed = [weight(2000, f"{day} 00:10")]
    patient = context(f"{date.fromisoformat(day) + timedelta(days=1)} 07:00", prescribed_ml_per_kg_day=160)
    history = weighed + feeds(day, per_feed)
    decisions = evaluate_day(date.fromisoformat(day), history, RULES["premature-home"], patient)
    assert {d.rule: d.severity for d in decisions} == expect
    if decisions:
        assert "-hour day: clock change" in decisions[0].explanation


def test_spring_day_counts_local_midnight_to_midnight_not_utc():
    # 00:30 local on 29 March is 23:30 UTC on the 28th: it belongs to the 29th. 00:30 local on the
    # 30th is 22:30 UTC on the 29th: it does not.
    patient = context("2026-03-30 07:00", prescribed_ml_per_kg_day=160)
    first = feed(40, "2026-03-29 00:30")
    assert first.measured_at.utctimetuple()[:3] == (2026, 3, 28)
    after = feed(200, "2026-03-30 00:30")
    assert after.measured_at.utctimetuple()[:3] == (2026, 3, 29)
    rest = [feed(40, local("2026-03-29 00:30").replace(hour=h)) for h in (4, 7, 10, 13, 16, 19)]
    history = [weight(2000, "2026-03-28 08:00"), first, *rest, after]
    # 7 × 40 = 280 mL of 306.7 (91 %): no alert. Dropping the 00:30 feed (UTC days) gives 78 %;
    # adding the next day's 200 mL would hide a real shortfall.
    assert evaluate_day(date(2026, 3, 29), history, RULES["premature-home"], patient) == []
    without_first = [h for h in history if h is not first]
    decisions = evaluate_day(date(2026, 3, 29), without_first, RULES["premature-home"], patient)
    # 6 feeds in 23 hours are 7 per 24: fewer than 8 as well.
    assert {d.rule for d in decisions} == {"infant_intake_low", "infant_feeds_few"}
    [decision] = [d for d in decisions if d.rule == "infant_intake_low"]
    assert "240 mL in 6 feeds" in decision.explanation
    assert "23-hour day: clock change" in decision.explanation


# Feeds and wet nappies per whole local day, judged once the day is over (PATIENT's now is the
# 19th at noon, so the 18th is over): 8 feeds of 30 mL are the plan (160 mL/kg/day × 1.5 kg).
def nappies(day: str, counts: list[float]) -> list:
    return [obs("wet_nappies", f"{day} {8 + 3 * n:02d}:00", value=float(c)) for n, c in enumerate(counts)]


DAILY = [
    Case("8 feeds: nothing", feeds("2026-11-18", 30)[-1:], {}, history=feeds("2026-11-18", 30)[:-1]),
    Case(
        "7 feeds: fewer than 8",
        feeds("2026-11-18", 34, count=7)[-1:],
        {"infant_feeds_few": "low"},
        history=feeds("2026-11-18", 34, count=7)[:-1],
    ),
    Case(
        "5 feeds of 45 mL: fewer than 6 (intake itself 94 %)",
        feeds("2026-11-18", 45, count=5)[-1:],
        {"infant_feeds_very_few": "medium"},
        history=feeds("2026-11-18", 45, count=5)[:-1],
    ),
    Case("feeds of today are not counted yet", feeds("2026-11-19", 30, count=3), {}),
    Case(
        "3 wet nappies one by one: fewer than 4",
        nappies("2026-11-18", [1, 1, 1])[-1:],
        {"infant_wet_nappies_few": "low"},
        history=nappies("2026-11-18", [1, 1, 1])[:-1],
    ),
    Case("4 wet nappies: nothing", nappies("2026-11-18", [1, 2, 1]), {}),
    Case("the daily check's count of 3: fewer than 4", nappies("2026-11-18", [3]), {"infant_wet_nappies_few": "low"}),
    Case("wet nappies of today: not yet", nappies("2026-11-19", [1]), {}),
]


@pytest.mark.parametrize("case", [c.param() for c in DAILY])
def test_feeds_and_wet_nappies_per_day(case: Case):
    run(case)


def test_feeds_are_judged_by_the_sweep_once_the_day_is_over():
    day = feeds("2026-11-18", 34, count=7)
    [decision] = evaluate_day(date(2026, 11, 18), day, RULES["premature-home"], PATIENT)
    assert (decision.rule, decision.title, decision.worst_value) == (
        "infant_feeds_few",
        "Fewer than 8 feeds in a day",
        7,
    )
    assert decision.explanation.startswith("Feeds in a day 7 < 8. Programme default (DigiHOPP parent page")
    assert decision.patient_text.en.startswith("Your baby had fewer feeds than recommended over one day (7).")


@pytest.mark.parametrize(
    ("count", "day", "expect"),
    [
        # 7 feeds in 23 hours are 7.3 per 24: the clock's hour is not held against the rhythm.
        pytest.param(7, "2026-03-29", {}, id="spring, 23 h, 7 feeds"),
        pytest.param(6, "2026-03-29", {"infant_feeds_few": "low"}, id="spring, 23 h, 6 feeds"),
        pytest.param(8, "2026-10-25", {}, id="autumn, 25 h, 8 feeds"),
        pytest.param(7, "2026-10-25", {"infant_feeds_few": "low"}, id="autumn, 25 h, 7 feeds"),
    ],
)
def test_feeds_on_clock_change_days(count, day, expect):
    patient = context(f"{date.fromisoformat(day) + timedelta(days=1)} 07:00")
    decisions = evaluate_day(date.fromisoformat(day), feeds(day, 30, count=count), RULES["premature-home"], patient)
    assert {d.rule: d.severity for d in decisions} == expect


# No wet nappy for 8 hours, for families who register each nappy.
@pytest.mark.parametrize(
    ("logging", "last_wet", "now", "expect"),
    [
        pytest.param("each", "2026-11-19 08:00", "2026-11-19 15:59", {}, id="7 h 59 min"),
        pytest.param("each", "2026-11-19 08:00", "2026-11-19 16:00", {"infant_no_wet_nappy": "medium"}, id="8 h"),
        pytest.param("daily", "2026-11-19 08:00", "2026-11-19 20:00", {}, id="a daily count cannot show 8 dry hours"),
        pytest.param(None, "2026-11-19 08:00", "2026-11-19 20:00", {}, id="not said: as daily"),
    ],
)
def test_no_wet_nappy_for_8_hours(logging, last_wet, now, expect):
    parameters = {"nappy_logging": logging} if logging else {}
    # A "0 wet nappies" registration at 12:00 is no wet nappy: the rule reads the last one above 0.
    last_seen = {"wet_nappies": local("2026-11-19 12:00"), "wet_nappies>0": local(last_wet)}
    decisions = evaluate_missing(last_seen, RULES["premature-home"], context(now, **parameters))
    assert {d.rule: d.severity for d in decisions if d.rule.startswith("infant")} == expect
    check_wording(decisions, RULES["premature-home"])
