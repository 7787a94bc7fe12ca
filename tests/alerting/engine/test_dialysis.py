"""Home dialysis (docs/clinical-rules.md, C3): every default rule. Dry (target) weight 70.0 kg."""

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


HD = context("2026-11-19 23:00", dry_weight_kg=70.0, modality="haemodialysis", session_days=["mon", "wed", "fri"])


def symptom(item: str, when: str = AT, form: str = "pd-session"):
    return answer(form, item, True, when)


def pre(kg: float, when: str = AT):
    return obs("body_weight", when, id=f"pre@{when}", value=kg * 1000, attributes={"timing": "pre_dialysis"})


def post(kg: float, when: str):
    return obs("body_weight", when, id=f"post@{when}", value=kg * 1000, attributes={"timing": "post_dialysis"})


def uf_days(totals: list[float], last_day: int = 17) -> list:
    """One UF registration a day at 07:00 up to 17 Nov 2026."""
    first = last_day - len(totals) + 1
    return [uf(ml, f"2026-11-{first + n:02d} 07:00") for n, ml in enumerate(totals)]


CASES += [
    # Fluid overload with symptoms (PD): urgent, one fluid alert.
    Case(
        "2.1 kg over dry weight and breathless: urgent",
        [weight(72100, AT), symptom("breathless")],
        {"dialysis_weight_above_dry_symptoms": "medium"},
    ),
    Case(
        "1.6 kg in 2 days and oedema 10 h before: urgent",
        [weight(71600, AT)],
        {"dialysis_weight_gain_symptoms": "medium"},
        history=[
            weight(70000, "2026-11-17 08:00"),
            weight(70500, "2026-11-18 08:00"),
            symptom("oedema", "2026-11-18 22:00"),
        ],
    ),
    Case(
        "over dry weight, breathless 30 h before: the warning only",
        [weight(72100, AT)],
        {"dialysis_weight_above_dry": "low"},
        history=[symptom("breathless", "2026-11-18 02:00")],
    ),
    # Low blood pressure with dizziness.
    Case(
        "BP 98/60 and dizzy: urgent",
        [blood_pressure(98, 60, AT), symptom("dizzy")],
        {"dialysis_low_bp_dizzy": "medium"},
    ),
    Case("BP 98/60 without dizziness: nothing", [blood_pressure(98, 60, AT)], {}),
    Case("BP 101/60 and dizzy: nothing", [blood_pressure(101, 60, AT), symptom("dizzy")], {}),
    Case(
        "dizzy in the evening session form, BP 96 that morning: urgent",
        [symptom("dizzy", "2026-11-19 18:00", form="hd-session")],
        {"dialysis_low_bp_dizzy": "medium"},
        history=[blood_pressure(96, 60, AT)],
    ),
    # Home haemodialysis: interdialytic weight gain against the last post-dialysis weight.
    Case("HD: +2.8 kg = 4.0 %: nothing", [pre(73.0)], {}, history=[post(70.2, "2026-11-17 20:00")], context=HD),
    Case(
        "HD: +2.9 kg = 4.1 %: warning",
        [pre(73.1)],
        {"hd_idwg_high": "low"},
        history=[post(70.2, "2026-11-17 20:00")],
        context=HD,
    ),
    Case(
        "HD: +3.9 kg = 5.6 %: still the warning",
        [pre(74.1)],
        {"hd_idwg_high": "low"},
        history=[post(70.2, "2026-11-17 20:00")],
        context=HD,
    ),
    Case(
        "HD: +4.1 kg = 5.9 %: urgent",
        [pre(74.3)],
        {"hd_idwg_very_high": "medium"},
        history=[post(70.2, "2026-11-17 20:00")],
        context=HD,
    ),
    Case(
        "HD: +2.9 kg and breathless: urgent",
        [pre(73.1), symptom("breathless", form="hd-session")],
        {"hd_idwg_symptoms": "medium"},
        history=[post(70.2, "2026-11-17 20:00")],
        context=HD,
    ),
    Case(
        "HD: pre and post of one session together: gain from the session before",
        [pre(73.1), post(70.3, AT)],
        {"hd_idwg_high": "low"},
        history=[post(70.2, "2026-11-17 20:00")],
        context=HD,
    ),
    Case(
        "HD: no post weight within 4 days: nothing",
        [pre(74.3)],
        {},
        history=[post(70.2, "2026-11-14 20:00")],
        context=HD,
    ),
    Case(
        "HD: a pre-dialysis weight 3 kg over dry weight is not a PD fluid alert",
        [pre(73.0)],
        {},
        context=HD,
    ),
    Case(
        "HD: 0.6 and 0.7 kg over dry weight after 2 sessions: warning",
        [post(70.7, AT)],
        {"hd_post_weight_above_dry": "low"},
        history=[post(70.6, "2026-11-17 20:00")],
        context=HD,
    ),
    Case(
        "HD: 0.6 then 0.4 kg over: nothing", [post(70.4, AT)], {}, history=[post(70.6, "2026-11-17 20:00")], context=HD
    ),
    Case("HD: a first session 0.8 kg over: nothing yet", [post(70.8, AT)], {}, context=HD),
    # PD: a day's net UF against the median of the week before (judged once the day is over).
    Case(
        "UF 400 mL vs a 1000 mL median: 60 % below",
        [uf(400, "2026-11-18 07:00")],
        {"pd_uf_drop": "low"},
        history=uf_days([1000, 900, 1100, 1000, 950]),
    ),
    Case(
        "UF 600 mL vs 1000: 40 % below, nothing",
        [uf(600, "2026-11-18 07:00")],
        {},
        history=uf_days([1000, 900, 1100, 1000, 950]),
    ),
    Case("UF with 2 days before it: no median yet", [uf(100, "2026-11-18 07:00")], {}, history=uf_days([1000, 1000])),
    Case("UF of today: not judged yet", [uf(100, "2026-11-19 07:00")], {}, history=uf_days([1000, 900, 1100], 18)),
    Case(
        "HD patients have no PD UF rule",
        [uf(400, "2026-11-18 07:00")],
        {},
        history=uf_days([1000, 900, 1100, 1000, 950]),
        context=HD,
    ),
]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_dialysis_rules(case: Case):
    from tests.alerting.engine.support import run

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


# Thrice-weekly home haemodialysis, Monday, Wednesday and Friday. 20 Nov 2026 is a Friday.
@pytest.mark.parametrize(
    ("last", "now", "expect"),
    [
        # Issue 14: every off-day used to read "no dialysis session".
        pytest.param("2026-11-20 18:00", "2026-11-22 12:00", {}, id="Friday's session, Saturday and Sunday off"),
        pytest.param("2026-11-20 18:00", "2026-11-23 23:59", {}, id="Monday not over yet"),
        pytest.param("2026-11-20 18:00", "2026-11-24 00:00", {"dialysis_session_missing": "low"}, id="Monday missed"),
        pytest.param("2026-11-23 18:00", "2026-11-24 20:00", {}, id="Monday's session, Tuesday off"),
        pytest.param(
            "2026-11-23 18:00", "2026-11-26 00:00", {"dialysis_session_missing": "low"}, id="Wednesday missed"
        ),
        pytest.param("2026-11-22 10:00", "2026-11-23 12:00", {}, id="an extra Sunday session counts"),
    ],
)
def test_dialysis_session_missing_follows_the_prescribed_schedule(last, now, expect):
    last_seen = {"hd-session": local(last), "pd-session": None, "ultrafiltration_volume": None}
    patient = context(now, dry_weight_kg=70.0, modality="haemodialysis", session_days=["mon", "wed", "fri"])
    decisions = evaluate_missing(last_seen, RULES["home-dialysis"], patient)
    assert {d.rule: d.severity for d in decisions} == expect
    check_wording(decisions, RULES["home-dialysis"])


def test_a_missed_scheduled_session_says_which_schedule():
    patient = context("2026-11-26 09:00", dry_weight_kg=70.0, session_days=["mon", "wed", "fri"])
    [decision] = evaluate_missing({"hd-session": local("2026-11-23 18:00")}, RULES["home-dialysis"], patient)
    assert decision.title == "No dialysis session registered on 1 scheduled day"
    assert decision.explanation.startswith(
        "No registration for 1 scheduled day (session_days: mon, wed, fri), last 23 Nov 18:00"
    )


def test_idwg_explanation_shows_both_weights_and_the_dry_weight():
    [decision] = evaluate([pre(73.1)], [post(70.2, "2026-11-17 20:00")], RULES["home-dialysis"], HD)
    assert decision.title == "Weight gain between sessions over 4 % of dry weight"
    assert decision.explanation.startswith("Interdialytic weight gain 4.1% > 4%. Programme default (López-Gómez")
    assert "70.2 kg after the last session (17 Nov) → 73.1 kg before this one: +2.9 kg, dry weight 70.0 kg." in (
        decision.explanation
    )
