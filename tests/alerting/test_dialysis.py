"""Home dialysis (CLINICAL.md §3.3): every default rule. Dry (target) weight 70.0 kg."""

from __future__ import annotations

import pytest

from alerting.rules import evaluate, evaluate_missing
from tests.alerting.support import (
    RULES,
    Case,
    answer,
    blood_pressure,
    check_wording,
    context,
    local,
    obs,
    temperature,
    weight,
)

PATIENT = context("2026-11-19 23:00", dry_weight_kg=70.0, modality="peritoneal")
AT = "2026-11-19 08:00"


def effluent(code: str, when: str = AT):
    return obs("effluent_appearance", when, code=code)


def pain(when: str = AT, value: bool = True):
    return answer("pd-session", "abdominal_pain", value, when)


def uf(ml: float, when: str):
    return obs("ultrafiltration_volume", when, value=float(ml))


CASES = [
    Case("clear effluent: nothing", [effluent("clear")], {}),
    Case("cloudy effluent: urgent, same day", [effluent("cloudy")], {"pd_cloudy_effluent": "medium"}),
    Case(
        "cloudy with pain in the same session: emergency (and the pain itself)",
        [effluent("cloudy"), pain()],
        {"pd_peritonitis_signs": "high", "pd_abdominal_pain": "medium"},
    ),
    Case(
        "cloudy now, fever 10 h before: emergency",
        [effluent("cloudy")],
        {"pd_peritonitis_signs": "high"},
        history=[temperature(38.3, "2026-11-18 22:00")],
    ),
    Case(
        "pain now, cloudy 20 h before: emergency",
        [pain()],
        {"pd_peritonitis_signs": "high", "pd_abdominal_pain": "medium"},
        history=[effluent("cloudy", "2026-11-18 12:00")],
    ),
    Case(
        "cloudy now, fever 30 h before: cloudy alone",
        [effluent("cloudy")],
        {"pd_cloudy_effluent": "medium"},
        history=[temperature(38.3, "2026-11-18 02:00")],
    ),
    Case("pain alone: urgent", [pain()], {"pd_abdominal_pain": "medium"}),
    Case("no pain: nothing", [pain(value=False)], {}),
    Case("fever 38.0: urgent", [temperature(38.0, AT)], {"dialysis_fever": "medium"}),
    Case("37.9: nothing", [temperature(37.9, AT)], {}),
    Case("72.1 kg, 2.1 kg over dry weight: warning", [weight(72100, AT)], {"dialysis_weight_above_dry": "low"}),
    Case("72.0 kg, exactly 2 kg over: nothing", [weight(72000, AT)], {}),
    Case(
        "70.0 → 70.5 → 71.6 kg: 1.6 kg in 2 days",
        [weight(71600, AT)],
        {"dialysis_weight_gain_2_days": "low"},
        history=[weight(70000, "2026-11-17 08:00"), weight(70500, "2026-11-18 08:00")],
    ),
    Case(
        "gain of exactly 1.5 kg: nothing",
        [weight(71500, AT)],
        {},
        history=[weight(70000, "2026-11-17 08:00"), weight(70500, "2026-11-18 08:00")],
    ),
    Case(
        "gain measured from 3 days back is outside the 2-day window",
        [weight(71600, AT)],
        {},
        history=[weight(70000, "2026-11-16 08:00"), weight(71000, "2026-11-18 08:00")],
    ),
    Case(
        "over dry weight and a fast gain: one fluid alert",
        [weight(72300, AT)],
        {"dialysis_weight_above_dry": "low"},
        history=[weight(70500, "2026-11-18 08:00")],
    ),
    Case("BP 180/100: urgent", [blood_pressure(180, 100, AT)], {"dialysis_systolic_high": "medium"}),
    Case("BP 179/109: nothing", [blood_pressure(179, 109, AT)], {}),
    Case("BP 90/60: urgent", [blood_pressure(90, 60, AT)], {"dialysis_systolic_low": "medium"}),
    Case("BP 91/60: nothing", [blood_pressure(91, 60, AT)], {}),
    Case("BP 150/110: urgent", [blood_pressure(150, 110, AT)], {"dialysis_diastolic_high": "medium"}),
    Case(
        "BP 185/112: both limits",
        [blood_pressure(185, 112, AT)],
        {"dialysis_systolic_high": "medium", "dialysis_diastolic_high": "medium"},
    ),
    Case(
        "net UF negative yesterday and so far today: warning",
        [uf(-50, AT)],
        {"dialysis_uf_negative": "low"},
        history=[uf(-300, "2026-11-18 08:00"), uf(100, "2026-11-18 20:00")],
    ),
    Case(
        "yesterday negative, today positive: nothing",
        [uf(200, AT)],
        {},
        history=[uf(-300, "2026-11-18 08:00")],
    ),
    Case(
        "negative with a day without data between: no run",
        [uf(-50, AT)],
        {},
        history=[uf(-300, "2026-11-17 08:00")],
    ),
    Case(
        "contact request: urgent",
        [obs("contact_request", AT, note="Slangen lekker")],
        {"contact_request": "medium"},
    ),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_dialysis_rules(case: Case):
    from tests.alerting.support import run

    run(case, "home-dialysis", PATIENT)


def test_peritonitis_explanation_lists_both_signs_and_the_patient_is_told_to_call_the_dialysis_unit_today():
    """ISPD: peritonitis is assessed by the dialysis unit the same day, with the bag; not 113."""
    [first, _] = evaluate([effluent("cloudy"), pain()], [], RULES["home-dialysis"], PATIENT)
    assert first.rule == "pd_peritonitis_signs"
    assert first.explanation.startswith(
        "PD effluent cloudy (alerts on: cloudy, with abdominal pain yes or temperature ≥ 38.0 °C within 24 h)."
    )
    assert "PD effluent cloudy at 19 Nov 08:00; Abdominal pain yes at 19 Nov 08:00." in first.explanation
    assert first.patient_text.nb.startswith("Ring dialyseavdelingen i dag. ")
    assert first.patient_text.en.startswith("Call the dialysis unit today. ")
    assert "113" not in first.patient_text.en


def test_weight_explanations_are_in_kilograms():
    [decision] = evaluate([weight(72100, AT)], [], RULES["home-dialysis"], PATIENT)
    assert decision.explanation.startswith("Weight above dry weight 2.1 kg > 2 kg. Programme default")
    assert "72.1 kg vs dry weight 70.0 kg." in decision.explanation


def test_without_a_dry_weight_the_dry_weight_rule_cannot_fire():
    assert evaluate([weight(90000, AT)], [], RULES["home-dialysis"], context(AT)) == []


@pytest.mark.parametrize(
    ("now", "expect"),
    [
        pytest.param("2026-11-19 23:59:59", {}, id="session day and the next not over"),
        pytest.param("2026-11-20 00:00", {"dialysis_session_missing": "low"}, id="a whole day with none"),
    ],
)
def test_dialysis_session_missing(now, expect):
    last_seen = {"pd-session": local("2026-11-18 21:00"), "ultrafiltration_volume": local("2026-11-18 21:00")}
    decisions = evaluate_missing(last_seen, RULES["home-dialysis"], context(now, dry_weight_kg=70.0))
    assert {d.rule: d.severity for d in decisions} == expect
    check_wording(decisions, RULES["home-dialysis"])
