"""COPD (docs/clinical-rules.md, C2): NEWS2 rules on both SpO2 scales, and the inactivity rule."""

from __future__ import annotations

import pytest

from alerting.engine.rules import evaluate, evaluate_missing
from tests.alerting.engine.support import (
    RULES,
    Case,
    answer,
    blood_pressure,
    check_wording,
    context,
    local,
    obs,
    vital,
    weight,
)

SCALE_1 = context("2026-11-19 12:00", spo2_scale=1)
SCALE_2 = context("2026-11-19 12:00", spo2_scale=2)
AT = "2026-11-19 10:00"


def vitals(*, rr=16, spo2=96, on_oxygen=False, hr=72, temp=37.0, sbp=130, at=AT) -> list:
    """A home set; each parameter None to leave it out."""
    items = []
    if rr is not None:
        items.append(vital("respiratory_rate", rr, at))
    if spo2 is not None:
        items.append(vital("spo2", spo2, at, on_oxygen=on_oxygen))
    if hr is not None:
        items.append(vital("heart_rate", hr, at))
    if temp is not None:
        items.append(vital("body_temperature", temp, at))
    if sbp is not None:
        items.append(blood_pressure(sbp, 80, at))
    return items


CASES = [
    Case("all normal: 0", vitals(), {}, context=SCALE_1),
    Case("RR 21 scores 2: low", vitals(rr=21), {"news2_low": "low"}, context=SCALE_1),
    Case("4 without a 3: low", vitals(rr=21, hr=95, temp=38.5), {"news2_low": "low"}, context=SCALE_1),
    Case("scale 1, SpO2 91: single 3", vitals(spo2=91), {"news2_single_parameter": "medium"}, context=SCALE_1),
    Case("scale 2, SpO2 90 on air: in target, 0", vitals(spo2=90), {}, context=SCALE_2),
    Case(
        "scale 2, SpO2 88 on O2: 2 for oxygen, low",
        vitals(spo2=88, on_oxygen=True),
        {"news2_low": "low"},
        context=SCALE_2,
    ),
    Case(
        "scale 2, SpO2 97 on O2: 3 + 2 = 5, one medium alert",
        vitals(spo2=97, on_oxygen=True),
        {"news2_medium": "medium"},
        context=SCALE_2,
    ),
    Case(
        "scale 1, SpO2 97 on O2: 0 + 2, low",
        vitals(spo2=97, on_oxygen=True),
        {"news2_low": "low"},
        context=SCALE_1,
    ),
    Case(
        "5-6: medium",
        vitals(rr=22, hr=105, temp=38.5, spo2=94),
        {"news2_medium": "medium"},
        context=SCALE_1,
    ),
    Case("7 or more: emergency", vitals(rr=25, spo2=91, hr=111), {"news2_high": "high"}, context=SCALE_1),
    Case("scale not set: scale 1", vitals(spo2=91), {"news2_single_parameter": "medium"}, context=context(AT)),
    Case(
        "new confusion in the diary: single 3",
        [answer("copd-symptom-diary", "new_confusion", True, AT)],
        {"news2_single_parameter": "medium"},
        context=SCALE_1,
    ),
    Case(
        "an earlier reading within 60 minutes completes the set",
        vitals(rr=None, temp=None, sbp=None, spo2=94, hr=95),  # 1 + 1
        {"news2_medium": "medium"},  # + RR 25 (3) from 50 minutes before = 5
        history=[vital("respiratory_rate", 25, "2026-11-19 09:10")],
        context=SCALE_1,
    ),
    Case(
        "a reading from 70 minutes before is not part of the set",
        vitals(rr=None, temp=None, sbp=None, spo2=94, hr=95),
        {"news2_low": "low"},
        history=[vital("respiratory_rate", 25, "2026-11-19 08:50")],
        context=SCALE_1,
    ),
    Case(
        "vitals only in history: a new weight raises nothing",
        [weight(80000, AT)],
        {},
        history=vitals(rr=25, spo2=91, hr=111, at="2026-11-19 09:50"),
        context=SCALE_1,
    ),
]


TARGET = context("2026-11-19 12:00", spo2_scale=2, spo2_target_low=88, spo2_target_high=92)


def spo2_days(values: list[float], first_day: int = 6, **attributes) -> list:
    """One SpO2 reading a day at 09:00 from 6 Nov 2026: a patient's own baseline."""
    return [vital("spo2", v, f"2026-11-{first_day + n:02d} 09:00", **attributes) for n, v in enumerate(values)]


def diary(*, breathless=False, colour=False, volume=False, at=AT) -> list:
    return [
        answer("copd-symptom-diary", "more_breathless", breathless, at),
        answer("copd-symptom-diary", "sputum_colour_changed", colour, at),
        answer("copd-symptom-diary", "sputum_volume_increased", volume, at),
        answer("copd-symptom-diary", "new_confusion", False, at),
    ]


def wellbeing(score: float, at: str) -> object:
    return obs("copd-weekly-wellbeing/score", at, value=score)


CASES += [
    # The personal SpO2 target, collected at enrolment and until now read by no rule.
    Case(
        "86 % under a target of 88-92: below target",
        [vital("spo2", 86, AT)],
        {"copd_spo2_below_target": "low", "news2_low": "low"},
        context=TARGET,
    ),
    Case("88 % at the target's floor: nothing", [vital("spo2", 88, AT)], {}, context=TARGET),
    Case("no personal target: no target rule", [vital("spo2", 86, AT)], {"news2_low": "low"}, context=SCALE_2),
    # Relative drop from the patient's own 14-day median.
    Case(
        "95 % baseline, 92 % now: 3 points below",
        [vital("spo2", 92, AT)],
        {"copd_spo2_drop": "low", "news2_low": "low"},
        history=spo2_days([95, 96, 95, 94, 95, 95]),
        context=SCALE_1,
    ),
    Case(
        "95 % baseline, 93 % now: 2 points, nothing beyond NEWS2",
        [vital("spo2", 93, AT)],
        {"news2_low": "low"},
        history=spo2_days([95, 96, 95, 94, 95, 95]),
        context=SCALE_1,
    ),
    Case(
        "only 4 readings: no baseline yet",
        [vital("spo2", 92, AT)],
        {"news2_low": "low"},
        history=spo2_days([95, 96, 95, 95], first_day=14),
        context=SCALE_1,
    ),
    Case(
        "readings older than 14 days are no baseline",
        [vital("spo2", 92, AT)],
        {"news2_low": "low"},
        history=spo2_days([95, 96, 95, 94, 95, 95], first_day=1),
        context=SCALE_1,
    ),
    Case(
        "a baseline on oxygen says nothing about a reading on air",
        [vital("spo2", 92, AT, on_oxygen=False)],
        {"news2_low": "low"},
        history=spo2_days([97, 97, 96, 97, 97, 97], on_oxygen=True),
        context=SCALE_1,
    ),
    # Anthonisen criteria in the symptom diary.
    Case("1 of 3: nothing", diary(breathless=True), {}, context=SCALE_1),
    Case("2 of 3: urgent", diary(breathless=True, colour=True), {"copd_exacerbation": "medium"}, context=SCALE_1),
    Case(
        "3 of 3: urgent, the more pressing text",
        diary(breathless=True, colour=True, volume=True),
        {"copd_exacerbation_3_of_3": "medium"},
        context=SCALE_1,
    ),
    Case(
        "2 of 3 split over two diaries: not one report",
        diary(colour=True),
        {},
        history=diary(breathless=True, at="2026-11-16 10:00"),
        context=SCALE_1,
    ),
    # The weekly wellbeing score against the week before.
    Case(
        "score 12 → 17: worse",
        [wellbeing(17, AT)],
        {"copd_wellbeing_worse": "low"},
        history=[wellbeing(12, "2026-11-12 10:00")],
        context=SCALE_1,
    ),
    Case(
        "score 12 → 15: nothing", [wellbeing(15, AT)], {}, history=[wellbeing(12, "2026-11-12 10:00")], context=SCALE_1
    ),
    Case("a first score: nothing to compare", [wellbeing(30, AT)], {}, context=SCALE_1),
    Case(
        "the previous score over 3 weeks old: nothing",
        [wellbeing(20, AT)],
        {},
        history=[wellbeing(12, "2026-10-28 10:00")],
        context=SCALE_1,
    ),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_copd_news2(case: Case):
    from tests.alerting.engine.support import run

    run(case, "copd", SCALE_1)


def test_news2_explanation_shows_each_score_and_what_was_not_measured():
    new = vitals(rr=None, temp=None, sbp=None, spo2=97, on_oxygen=True, hr=72)
    [decision] = evaluate(new, [], RULES["copd"], SCALE_2)
    assert decision.rule == "news2_medium"
    assert decision.worst_value == 5
    assert decision.explanation.startswith("NEWS2 5 ≥ 5. Programme default (RCP NEWS2: 5-6 = medium risk).")
    assert "Scale 2: SpO2 97→3, O2 yes→2, pulse 72→0 (total 5, RCP risk medium)." in decision.explanation
    assert "Not measured: RR, SBP, new confusion, temp." in decision.explanation
    assert set(decision.observation_ids) == {o.id for o in new}


HOME_OXYGEN = context("2026-11-19 12:00", spo2_scale=2, home_oxygen=True)


@pytest.mark.parametrize(
    ("new", "patient", "expect"),
    [
        # Issue 14: the reading did not say, and 95 % on scale 2 was scored as air (0).
        pytest.param([vital("spo2", 95, AT)], HOME_OXYGEN, {"news2_low": "low"}, id="95 % on home oxygen: 2 + 2"),
        pytest.param([vital("spo2", 97, AT)], HOME_OXYGEN, {"news2_medium": "medium"}, id="97 % on home oxygen: 3 + 2"),
        pytest.param([vital("spo2", 95, AT, on_oxygen=False)], HOME_OXYGEN, {}, id="the reading says air: air it is"),
        pytest.param([vital("spo2", 95, AT)], SCALE_2, {}, id="no home oxygen, not recorded: air"),
        pytest.param(
            [vital("spo2", 95, AT)],
            context("2026-11-19 12:00", spo2_scale=2, home_oxygen=False),
            {},
            id="home oxygen no: air",
        ),
    ],
)
def test_home_oxygen_scores_readings_that_do_not_say(new, patient, expect):
    decisions = evaluate(new, [], RULES["copd"], patient)
    assert {d.rule: d.severity for d in decisions} == expect
    check_wording(decisions, RULES["copd"])


def test_home_oxygen_is_named_in_the_explanation():
    [decision] = evaluate([vital("spo2", 95, AT)], [], RULES["copd"], HOME_OXYGEN)
    assert "Scale 2: SpO2 95→2, O2 yes→2 (total 4" in decision.explanation
    assert "scored on home oxygen, from the patient's parameters." in decision.explanation
    assert "scored as air" not in decision.explanation


def test_news2_unrecorded_oxygen_is_scored_as_air_and_said():
    new = [vital("spo2", 91, AT), vital("heart_rate", 72, AT)]  # no on_oxygen attribute
    [decision] = evaluate(new, [], RULES["copd"], SCALE_1)
    assert "Oxygen not recorded: scored as air." in decision.explanation
    check_wording([decision], RULES["copd"])


# Twice-weekly registration: a warning after 4 whole local days with none of them.
@pytest.mark.parametrize(
    ("now", "expect"),
    [
        pytest.param("2026-11-22 23:59:59", {}, id="3 whole days (19-22 Nov)"),
        pytest.param("2026-11-23 00:00", {"copd_registration_missing": "low"}, id="4 whole days at local midnight"),
        pytest.param("2026-11-30 09:00", {"copd_registration_missing": "low"}, id="11 days"),
    ],
)
def test_copd_registration_missing(now, expect):
    last_seen = {"spo2": local("2026-11-15 10:00"), "copd-symptom-diary": local("2026-11-18 19:00"), "heart_rate": None}
    decisions = evaluate_missing(last_seen, RULES["copd"], context(now, spo2_scale=1))
    assert {d.rule: d.severity for d in decisions} == expect
    check_wording(decisions, RULES["copd"])


def test_anthonisen_explanation_lists_the_answers():
    [decision] = evaluate(diary(breathless=True, colour=True, volume=True), [], RULES["copd"], SCALE_1)
    assert decision.title == "Flare-up signs: all 3"
    assert decision.explanation.startswith(
        "Symptoms reported 3 (alerts on: at least 3 of more breathless yes, more sputum yes, "
        "sputum colour changed yes)."
    )
    assert "More breathless yes at 19 Nov 10:00" in decision.explanation
    assert decision.patient_text.en.startswith("You have reported all three signs of a COPD flare-up.")


def test_spo2_drop_explanation_names_the_baseline():
    [drop] = [
        d
        for d in evaluate([vital("spo2", 91, AT)], spo2_days([95, 96, 95, 94, 95, 95]), RULES["copd"], SCALE_1)
        if d.rule == "copd_spo2_drop"
    ]
    assert drop.explanation.startswith("SpO2 below own baseline by 4 points ≥ 3 points.")
    assert "91 % vs median 95 % of 6 readings over 14 days (on air)." in drop.explanation
