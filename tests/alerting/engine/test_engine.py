"""The engine itself: missing-data boundaries in local days, overrides and safety floors, tiers,
wording, and the promise that every default rule is exercised by a table."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerting.engine import rule_params, texts, trends
from alerting.engine.defaults import DEFAULT_RULES, default_rules
from alerting.engine.rules import (
    RuleError,
    apply_override,
    apply_overrides,
    evaluate,
    evaluate_day,
    evaluate_missing,
    history_since,
    lookback,
    rule_problems,
)
from alerting.engine.types import Observation, PatientContext, Provenance
from tests.alerting.engine import test_copd, test_dialysis, test_premature
from tests.alerting.engine.support import RULES, check_wording, context, feed, local, temperature, weight, weights


def _rule(programme: str, code: str):
    return next(rule for rule in RULES[programme] if rule.code == code)


# -- missing data: whole local days, exactly at local midnight, across clock changes ------------


@pytest.mark.parametrize(
    ("last", "now", "expect"),
    [
        pytest.param("2026-11-16 08:00", "2026-11-17 23:59:59", {}, id="the next day is not over"),
        pytest.param("2026-11-16 08:00", "2026-11-18 00:00", {"weight_missing": "low"}, id="1 whole day at midnight"),
        pytest.param("2026-11-16 08:00", "2026-11-18 23:59:59", {"weight_missing": "low"}, id="still 1 day"),
        pytest.param(
            "2026-11-16 08:00", "2026-11-19 00:00", {"weight_missing_2_days": "medium"}, id="2 days: urgent only"
        ),
        pytest.param("2026-11-16 23:59", "2026-11-18 00:00", {"weight_missing": "low"}, id="late weight, same rule"),
    ],
)
def test_weight_missing_at_local_midnight(last, now, expect):
    decisions = evaluate_missing({"body_weight": local(last)}, RULES["premature-home"], context(now))
    assert {d.rule: d.severity for d in decisions} == expect
    check_wording(decisions, RULES["premature-home"])


@pytest.mark.parametrize(
    ("last", "now_utc", "expect"),
    [
        # Weighed Sat 28 March; Sunday 29 March (23 h) passes with none: due at Monday's local
        # midnight, 2026-03-29T22:00Z (+02:00), one hour earlier in UTC than the day before.
        pytest.param("2026-03-28 08:00", "2026-03-29T21:59:59Z", {}, id="spring: 1 s before local midnight"),
        pytest.param(
            "2026-03-28 08:00", "2026-03-29T22:00:00Z", {"weight_missing": "low"}, id="spring: local midnight"
        ),
        # Weighed Sat 24 October; Sunday 25 October (25 h): Monday begins at 2026-10-25T23:00Z (+01:00).
        pytest.param("2026-10-24 08:00", "2026-10-25T22:59:59Z", {}, id="autumn: 1 s before local midnight"),
        pytest.param(
            "2026-10-24 08:00", "2026-10-25T23:00:00Z", {"weight_missing": "low"}, id="autumn: local midnight"
        ),
    ],
)
def test_weight_missing_across_clock_changes(last, now_utc, expect):
    now = datetime.fromisoformat(now_utc.replace("Z", "+00:00"))
    decisions = evaluate_missing({"body_weight": local(last)}, RULES["premature-home"], context(now))
    assert {d.rule: d.severity for d in decisions} == expect


def test_missing_counts_from_monitoring_start_when_nothing_was_ever_registered():
    patient = msgspec.structs.replace(context("2026-11-18 00:00"), monitoring_since=local("2026-11-16 14:00"))
    [decision] = evaluate_missing({"body_weight": None}, RULES["premature-home"], patient)
    assert decision.rule == "weight_missing"
    assert "No weight for 1 whole day, none since monitoring began (limit 1 day)." in decision.explanation
    assert evaluate_missing({}, RULES["premature-home"], context("2026-11-18 00:00")) == []


def test_missing_explanation_names_last_registration_in_local_time():
    [decision] = evaluate_missing(
        {"body_weight": local("2026-11-16 08:00")}, RULES["premature-home"], context("2026-11-19 09:00")
    )
    assert decision.explanation.startswith(
        "No weight for 2 whole days, last 16 Nov 08:00 (limit 2 days). Programme default (DigiHOPP: daily weighing)."
    )
    assert decision.observation_ids == ()


def test_hour_based_missing_rule():
    rule = msgspec.structs.replace(
        _rule("premature-home", "weight_missing"), code="cgm_stale", params={"of": ["spo2"], "hours": 1}, group=None
    )
    last = {"spo2": local("2026-11-19 10:00")}
    assert evaluate_missing(last, [rule], context("2026-11-19 10:59:59")) == []
    [decision] = evaluate_missing(last, [rule], context("2026-11-19 11:00"))
    assert decision.worst_value == 1.0


# -- overrides and safety floors ----------------------------------------------------------------


def test_an_override_is_explained_as_one_with_the_default_beside_it():
    slow = apply_override(_rule("premature-home", "infant_growth_slow"), params={"limit": 16})
    rules = [slow if rule.code == slow.code else rule for rule in RULES["premature-home"]]
    series = weights("2026-11-16", [1650, 1675, 1700, 1725])  # 14.8 g/kg/day
    [decision] = evaluate(series[-1:], series[:-1], rules, context("2026-11-19 12:00"))
    assert (decision.rule, decision.source) == ("infant_growth_slow", "patient")
    assert decision.explanation.startswith(
        "Growth over 3 days 14.8 g/kg/day < 16 g/kg/day. Patient override (programme default < 10 g/kg/day)."
    )
    check_wording([decision], rules)


def test_an_override_title_shows_the_limit_in_force():
    """Issue 14: an override kept the default's title ("below 10") after the limit became 8."""
    slow = apply_override(_rule("premature-home", "infant_growth_slow"), params={"limit": 8})
    series = weights("2026-11-16", [1650, 1660, 1670, 1680])  # 6.0 g/kg/day
    [decision] = evaluate(series[-1:], series[:-1], [slow], context("2026-11-19 12:00"))
    assert decision.title == "Growth below 8 g/kg/day"
    assert "< 8 g/kg/day. Patient override (programme default < 10 g/kg/day)." in decision.explanation
    assert texts.title(_rule("premature-home", "infant_growth_slow")) == "Growth below 10 g/kg/day"
    missing = apply_override(_rule("premature-home", "weight_missing"), params={"days": 2})
    assert texts.title(missing) == "No weight for 2 days"
    fever = apply_override(_rule("premature-home", "infant_fever"), params={"limit": 37.8})
    assert texts.title(fever) == "Fever 37.8 °C or more, infant under 3 months"


def test_the_explanation_is_written_once_with_who_set_the_override_and_when_late_data_arrived():
    """Issue 14 ("Code"): the service used to splice who set an override into the finished
    sentence with str.replace. The engine now writes the whole line from its parts, in order: what
    was seen, the limit's origin and who set it, the finding's detail, and late data."""
    provenance = Provenance(
        set_by_name="Kari Nordmann",
        set_at=local("2026-11-18 14:05"),
        reason="Kald hud ved   utskrivning, " + "vil vite tidlig " * 10,
        expires_at=local("2026-12-01 08:00"),
    )
    low = apply_override(
        _rule("premature-home", "infant_temperature_low"), params={"limit": 36.8}, provenance=provenance
    )
    measured = temperature(36.6, "2026-11-19 08:30")
    [on_time] = evaluate([measured], [], [low], context("2026-11-19 09:30"))
    [late] = evaluate([measured], [], [low], context("2026-11-19 09:31"))
    reason = ("Kald hud ved utskrivning, " + "vil vite tidlig " * 10)[:139] + "…"
    written = (
        "Temperature 36.6 °C < 36.8 °C. Patient override (programme default < 36.5 °C). "
        f'Override set by Kari Nordmann 18 Nov 14:05: "{reason}", until 1 Dec 08:00. Measured 19 Nov 08:30.'
    )
    assert (on_time.explanation, on_time.late) == (written, False)
    assert (late.explanation, late.late) == (
        written + " Late data: measured 19 Nov 08:30, received 19 Nov 09:31.",
        True,
    )
    # The sweeps judge absences and finished days, old by nature: never late.
    missing = apply_override(_rule("premature-home", "weight_missing"), params={"days": 2}, provenance=provenance)
    [absent] = evaluate_missing({"body_weight": local("2026-11-16 08:00")}, [missing], context("2026-11-19 09:00"))
    assert not absent.late and "Late data" not in absent.explanation
    assert (
        'Patient override (programme default 1 day). Override set by Kari Nordmann 18 Nov 14:05: "'
        in absent.explanation
    )


def test_overrides_are_applied_in_one_place_and_an_unusable_one_leaves_the_default():
    """The evaluation's loading and the unit overview both apply a patient's stored overrides with
    `apply_overrides` (issue 14, "Code": the overview had its own copy of this loop)."""

    class Stored(msgspec.Struct):
        params: dict
        severity: str | None = None
        enabled: bool | None = None
        provenance: Provenance | None = None

    defaults = RULES["premature-home"]
    stored = {
        "infant_growth_slow": Stored(params={"limit": 12}),
        "infant_fever": Stored(params={"limit": 39.0}),  # looser than a safety floor allows
    }
    handed: list[tuple[str, Stored]] = []
    rules, applied = apply_overrides(defaults, stored, lambda rule, override: handed.append((rule.code, override)))
    assert applied == {"infant_growth_slow"}
    assert handed == [("infant_fever", stored["infant_fever"])]
    by_code = {rule.code: rule for rule in rules}
    assert [rule.code for rule in rules] == [rule.code for rule in defaults]
    assert (by_code["infant_growth_slow"].params["limit"], by_code["infant_growth_slow"].source) == (12, "patient")
    assert by_code["infant_fever"] == _rule("premature-home", "infant_fever")


def test_a_floor_may_be_tightened():
    fever = apply_override(_rule("premature-home", "infant_fever"), params={"limit": 37.8}, severity="high")
    [decision] = evaluate([temperature(37.9, "2026-11-19 08:00")], [], [fever], context("2026-11-19 12:00"))
    assert "≥ 37.8 °C. Patient override (programme default ≥ 38.0 °C); safety floor." in decision.explanation


@pytest.mark.parametrize(
    ("code", "override", "problem"),
    [
        pytest.param("infant_fever", {"params": {"limit": 38.5}}, "only be stricter", id="fever limit loosened"),
        pytest.param("infant_fever", {"enabled": False}, "cannot be switched off", id="fever switched off"),
        pytest.param("infant_fever", {"severity": "medium"}, "cannot go below high", id="fever lowered"),
        pytest.param("infant_fever", {"params": {"max_age_months": 1}}, "max_age_months", id="fever age band narrowed"),
        pytest.param("bilious_vomit", {"params": {"match": []}}, "params.match: Expected", id="bilious emptied"),
        pytest.param("contact_request", {"severity": "low"}, "cannot go below medium", id="contact lowered"),
        pytest.param("infant_growth_slow", {"params": {"op": "!="}}, "params.op: Invalid enum", id="unknown operator"),
        pytest.param("weight_missing", {"params": {"hours": 6}}, "either days or hours", id="days and hours"),
    ],
)
def test_overrides_that_are_refused(code, override, problem):
    with pytest.raises(RuleError, match=problem):
        apply_override(_rule("premature-home", code), **override)


# Each rule kind's strict schema, applied to default ⊕ override: what a clinician's typo or a client
# bug could send, each named by its field (issue 11, finding 2).
@pytest.mark.parametrize(
    ("programme", "code", "params", "problem"),
    [
        ("copd", "news2_high", {"window_minutes": "90"}, "params.window_minutes: Expected `int | null`, got `str`"),
        ("copd", "news2_high", {"window_minutes": 90.0}, "params.window_minutes: Expected `int | null`, got `float`"),
        ("copd", "news2_high", {"window_minutes": 10**9}, "params.window_minutes: Expected `int` <= 1440"),
        ("copd", "news2_high", {"window_minutes": True}, "params.window_minutes: Expected `int | null`, got `bool`"),
        ("copd", "news2_high", {"confusion_answer": 5}, "params.confusion_answer: Expected `str | null`"),
        ("copd", "copd_registration_missing", {"of": [{}]}, r"params.of\[0\]: Expected `str`, got `object`"),
        ("copd", "copd_registration_missing", {"of": []}, "params.of: Expected `array` of length >= 1"),
        ("copd", "copd_registration_missing", {"of": "spo2"}, "params.of: Expected `array`, got `str`"),
        ("copd", "copd_registration_missing", {"days": 0}, "params.days: Expected `int` >= 1"),
        ("premature-home", "weight_missing", {"days": "1"}, "params.days: Expected `int | null`, got `str`"),
        ("premature-home", "infant_growth_slow", {"days": 10**6}, "params.days: Expected `int` <= 30"),
        ("premature-home", "infant_growth_slow", {"days": 9}, "params.max_days: must be at least days"),
        ("premature-home", "infant_weight_loss_2_days", {"limit": 10**6}, "params.limit: Expected `int` <= 60"),
        ("premature-home", "infant_weight_loss_2_days", {"limit": 2.5}, "params.limit: Expected `int`, got `float`"),
        ("premature-home", "infant_temperature_low", {"limit": float("inf")}, "params.limit: Expected `float` <="),
        ("premature-home", "infant_temperature_low", {"limit": None}, "params.limit: Expected `float`, got `null`"),
        ("premature-home", "tube_problem", {"match": [{"type": 1}]}, r"params.match\[0\].type: Expected `str`"),
        ("premature-home", "tube_problem", {"match": [{}]}, r"params.match\[0\].type: Object missing required"),
        ("premature-home", "tube_problem", {"match": [{"type": "x", "op": ">"}]}, "op and limit go together"),
        ("home-dialysis", "pd_peritonitis_signs", {"within_hours": "24"}, "params.within_hours: Expected `float"),
        # The engine options of the clinical rules (docs/clinical-rules.md, "Engine options").
        ("premature-home", "infant_growth_slow", {"when": {"feeding_phase": []}}, "params.when"),
        ("premature-home", "infant_growth_slow", {"when": "tube"}, "params.when: Expected `object | null`"),
        ("premature-home", "infant_gain_low", {"days": 9}, "params.max_days: must be at least days"),
        ("premature-home", "infant_large_vomits", {"hours": 10**6}, "params.hours: Expected `float` <= 168"),
        ("premature-home", "infant_no_wet_nappy", {"nonzero": 1}, "params.nonzero: Expected `bool | null`, got `int`"),
        ("home-dialysis", "dialysis_session_missing", {"scheduled_by": 5}, "params.scheduled_by: Expected `str"),
        ("home-dialysis", "dialysis_session_missing", {"days": None, "hours": 6}, "params.scheduled_by: a schedule"),
        (
            "home-dialysis",
            "dialysis_systolic_high",
            {"sustained": {"readings": 2, "within_minutes": 1441}},
            "params.sustained.within_minutes: Expected `int` <= 1440",
        ),
        ("home-dialysis", "dialysis_systolic_high", {"sustained": {"minutes": 30.0}}, "params.sustained.minutes"),
        ("home-dialysis", "hd_idwg_high", {"max_gap_days": "4"}, "params.max_gap_days: Expected `int`, got `str`"),
        ("home-dialysis", "hd_idwg_symptoms", {"with_any": [{"type": "x", "op": ">"}]}, "op and limit go together"),
        ("home-dialysis", "hd_post_weight_above_dry", {"sessions": 0}, "params.sessions: Expected `int` >= 1"),
        ("home-dialysis", "hd_idwg_high", {"within_hours": 24}, "params.within_hours: only with with_any"),
        ("home-dialysis", "pd_uf_drop", {"min_days": 8}, "params.min_days: Expected `int` <= 7"),
        ("copd", "copd_spo2_drop", {"baseline_days": 0}, "params.baseline_days: Expected `int` >= 1"),
        ("copd", "copd_spo2_drop", {"min_readings": 2.5}, "params.min_readings: Expected `int`, got `float`"),
        ("copd", "copd_wellbeing_worse", {"max_days": "21"}, "params.max_days: Expected `int`, got `str`"),
        ("copd", "copd_exacerbation", {"at_least": 4}, "params.at_least: must be at most the number of match"),
        ("copd", "copd_exacerbation", {"at_least": True}, "params.at_least: Expected `int | null`, got `bool`"),
        ("copd", "copd_exacerbation", {"at_least": 0}, "params.at_least: Expected `int` >= 1"),
    ],
)
def test_params_that_do_not_fit_the_kinds_schema_are_refused(programme, code, params, problem):
    with pytest.raises(RuleError, match=problem):
        apply_override(_rule(programme, code), params=params)


def test_one_failing_rule_is_handed_over_and_the_others_still_decide():
    """Defence in depth behind the schemas: a rule that raises (here a limit the schema would have
    refused, built around it) is skipped and reported, never the patient's other rules."""
    broken = msgspec.structs.replace(_rule("premature-home", "infant_temperature_low"), params={"type": "x"})
    rules = [broken, _rule("premature-home", "infant_fever")]
    failed = []
    decisions = evaluate(
        [temperature(38.4, "2026-11-19 08:00")],
        [],
        rules,
        context("2026-11-19 12:00"),
        on_failure=lambda rule, error: failed.append((rule.code, type(error).__name__)),
    )
    assert [d.rule for d in decisions] == ["infant_fever"]
    assert failed == [("infant_temperature_low", "KeyError")]
    with pytest.raises(KeyError):
        evaluate([temperature(38.4, "2026-11-19 08:00")], [], rules, context("2026-11-19 12:00"))


def test_overrides_that_are_allowed():
    growth = apply_override(_rule("premature-home", "infant_growth_slow"), params={"limit": 5}, severity="medium")
    assert (growth.params["limit"], growth.params["days"], growth.severity) == (5, 3, "medium")
    assert apply_override(_rule("premature-home", "tube_problem"), enabled=False).enabled is False


def test_a_disabled_rule_is_silent_but_a_stored_disabled_floor_still_fires():
    rules = [
        msgspec.structs.replace(rule, enabled=False)
        if rule.code in ("infant_temperature_low", "infant_fever")
        else rule
        for rule in RULES["premature-home"]
    ]
    patient = context("2026-11-19 12:00")
    assert evaluate([temperature(36.4, "2026-11-19 08:00")], [], rules, patient) == []
    [decision] = evaluate([temperature(38.4, "2026-11-19 08:00")], [], rules, patient)
    assert decision.rule == "infant_fever"


# -- engine contract ----------------------------------------------------------------------------


def test_nothing_new_decides_nothing():
    assert (
        evaluate([], [temperature(39.0, "2026-11-19 08:00")], RULES["premature-home"], context("2026-11-19 12:00"))
        == []
    )


def test_a_naive_time_is_refused():
    naive = Observation(id="x", type="body_temperature", measured_at=datetime(2026, 11, 19, 8), value=38.0)
    with pytest.raises(ValueError, match="naive"):
        evaluate([naive], [], RULES["premature-home"], context("2026-11-19 12:00"))


def test_evaluation_is_deterministic_and_independent_of_input_order():
    series = weights("2026-11-16", [1660, 1650, 1640, 1630])
    patient = PatientContext(now=datetime(2026, 11, 19, 12, tzinfo=UTC), time_zone="Europe/Oslo")
    once = evaluate(series[-1:], series[:-1], RULES["premature-home"], patient)
    again = evaluate(series[-1:], list(reversed(series[:-1])), RULES["premature-home"], patient)
    assert once == again and len(once) == 2


def test_every_trend_measure_has_a_schema_of_its_own():
    """The strict schema knows each measure the engine has, and no other."""
    tags = {schema.__struct_config__.tag for schema in rule_params.TREND_SCHEMAS}
    assert tags == set(trends.MEASURES) | set(trends.DAILY_MEASURES)


def test_default_rules_are_valid_and_each_code_is_unique_per_patient():
    for rules in DEFAULT_RULES.values():
        for rule in rules:
            assert rule_problems(rule) == [], rule.code
            assert rule.basis and rule.title and rule.patient_text is not None, rule.code
    both = default_rules(["premature-home", "home-dialysis"])
    codes = [rule.code for rule in both]
    assert len(codes) == len(set(codes)) and codes.count("contact_request") == 1


def test_every_default_rule_fires_in_some_table():
    fired = {code for case in test_premature.TEMPERATURE + test_premature.GROWTH + test_premature.WEIGHT_LOSS
             + test_premature.ANSWERS + test_premature.DAILY + test_copd.CASES + test_dialysis.CASES
             for code in case.expect}  # fmt: skip
    # Exercised by their own parametrized tests: intake per local day and the missing-data rules.
    fired |= {"infant_intake_low", "infant_intake_very_low", "weight_missing", "weight_missing_2_days"}
    fired |= {"infant_no_wet_nappy"}
    fired |= {"copd_registration_missing", "dialysis_session_missing"}
    every = {rule.code for rules in DEFAULT_RULES.values() for rule in rules}
    assert every - fired == set()


# -- how much history the service must load ------------------------------------------------------

ALL_CASES = [
    (programme, case)
    for programme, cases in (
        ("premature-home", test_premature.TEMPERATURE + test_premature.GROWTH + test_premature.WEIGHT_LOSS),
        ("premature-home", test_premature.ANSWERS),
        ("premature-home", test_premature.DAILY),
        ("copd", test_copd.CASES),
        ("home-dialysis", test_dialysis.CASES),
    )
    for case in cases
]


@pytest.mark.parametrize(("programme", "case"), [pytest.param(p, c, id=c.id) for p, c in ALL_CASES])
def test_history_since_the_lookback_is_enough(programme, case):
    rules = RULES[programme]
    patient = case.context or context("2026-11-19 23:00", dry_weight_kg=70.0, spo2_scale=1)
    since = history_since(case.new, rules)
    trimmed = [obs for obs in case.history if obs.measured_at >= since]
    assert evaluate(case.new, trimmed, rules, patient) == evaluate(case.new, case.history, rules, patient)


def test_every_trend_measure_declares_its_lookback():
    assert history_since([], RULES["copd"]) is None
    for measure in {*trends.MEASURES, *trends.DAILY_MEASURES}:
        rule = _rule("premature-home", "infant_growth_slow")
        assert lookback(
            [msgspec.structs.replace(rule, params={"measure": measure, "op": "<", "limit": 1})]
        ) > timedelta(0)


# -- local days in any zone ------------------------------------------------------------------------

ZONES = [
    "Europe/Oslo",
    "America/New_York",
    "Australia/Sydney",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
]


@settings(max_examples=60, deadline=None)
@given(zone=st.sampled_from(ZONES), day=st.dates(min_value=date(2026, 1, 2), max_value=date(2026, 12, 30)))
def test_a_days_intake_is_every_feed_whose_local_date_is_that_day(zone, day):
    # A 10 mL feed at every whole UTC hour over three days around `day`.
    first = datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    history = [feed(10, first + timedelta(hours=n)) for n in range(72)]
    history.append(weight(2000, first))
    expected = [obs for obs in history[:-1] if obs.measured_at.astimezone(ZoneInfo(zone)).date() == day]
    patient = PatientContext(
        now=first + timedelta(days=4), time_zone=zone, parameters={"prescribed_ml_per_kg_day": 1000}
    )  # a plan no day meets, so every day yields its finding
    [decision] = evaluate_day(day, history, RULES["premature-home"], patient)
    assert f" {10 * len(expected)} mL in {len(expected)} feeds" in decision.explanation
    assert set(decision.observation_ids) == {obs.id for obs in expected} | {history[-1].id}


# -- sustained breaches (a rule option, never for safety floors) ----------------------------------


def _bp(systolic: float, when: str):
    return test_dialysis.blood_pressure(systolic, 80, when)


TWO_IN_30 = {"sustained": {"readings": 2, "within_minutes": 30}}
FOR_20_MIN = {"sustained": {"minutes": 20}}


@pytest.mark.parametrize(
    ("params", "new", "history", "fires"),
    [
        pytest.param(TWO_IN_30, [_bp(186, "2026-11-19 08:00")], [], False, id="one reading: a probe, not a patient"),
        pytest.param(TWO_IN_30, [_bp(186, "2026-11-19 08:00")], [_bp(184, "2026-11-19 07:50")], True, id="2 in 10 min"),
        pytest.param(
            TWO_IN_30, [_bp(186, "2026-11-19 08:00")], [_bp(184, "2026-11-19 07:20")], False, id="2 in 40 min"
        ),
        pytest.param(
            TWO_IN_30,
            [_bp(186, "2026-11-19 08:00")],
            [_bp(184, "2026-11-19 07:45"), _bp(150, "2026-11-19 07:55")],
            False,
            id="a normal reading between",
        ),
        pytest.param(TWO_IN_30, [_bp(186, "2026-11-19 08:00"), _bp(190, "2026-11-19 08:05")], [], True, id="both new"),
        pytest.param(
            FOR_20_MIN,
            [_bp(186, "2026-11-19 08:00")],
            [_bp(181, "2026-11-19 07:35"), _bp(184, "2026-11-19 07:50")],
            True,
            id="beyond for 25 min",
        ),
        pytest.param(FOR_20_MIN, [_bp(186, "2026-11-19 08:00")], [_bp(184, "2026-11-19 07:50")], False, id="10 min"),
    ],
)
def test_a_sustained_breach_needs_more_than_one_reading(params, new, history, fires):
    rule = apply_override(_rule("home-dialysis", "dialysis_systolic_high"), params=params)
    patient = context("2026-11-19 12:00", dry_weight_kg=70.0)
    decisions = evaluate(new, history, [rule], patient)
    assert bool(decisions) is fires
    if fires:
        assert "Sustained:" in decisions[0].explanation
    # What the service loads for it (`history_since`) is enough.
    since = history_since(new, [rule])
    assert evaluate(new, [obs for obs in history if obs.measured_at >= since], [rule], patient) == decisions


@pytest.mark.parametrize(
    ("programme", "code", "sustained"),
    [
        pytest.param("premature-home", "infant_fever", {"readings": 2}, id="a safety floor"),
        pytest.param("copd", "news2_high", {"readings": 2}, id="NEWS2"),
        pytest.param("home-dialysis", "dialysis_systolic_high", {"readings": 1}, id="1 reading"),
        pytest.param("home-dialysis", "dialysis_systolic_high", {"within_minutes": 30}, id="no readings or minutes"),
        pytest.param("home-dialysis", "dialysis_systolic_high", {"readings": 2, "hours": 1}, id="unknown option"),
        pytest.param("home-dialysis", "dialysis_systolic_high", {"readings": "2"}, id="text"),
    ],
)
def test_a_sustained_breach_is_refused_where_it_does_not_fit(programme, code, sustained):
    with pytest.raises(RuleError, match="sustained"):
        apply_override(_rule(programme, code), params={"sustained": sustained})


def test_a_rule_for_other_patients_does_not_apply():
    # The HD rules of the dialysis programme say for whom they are; a PD patient's weight is the
    # PD fluid rules' business.
    idwg = _rule("home-dialysis", "hd_idwg_high")
    assert idwg.params["when"] == {"modality": ["haemodialysis"]}
    pd_patient = context("2026-11-19 12:00", dry_weight_kg=70.0, modality="peritoneal")
    new = [test_dialysis.pre(75.0)]
    history = [test_dialysis.post(70.0, "2026-11-18 20:00")]
    assert evaluate(new, history, [idwg], pd_patient) == []
    assert [d.rule for d in evaluate(new, history, [idwg], test_dialysis.HD)] == ["hd_idwg_high"]
