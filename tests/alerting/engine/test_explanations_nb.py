"""Clinicians' explanations in bokmål: the same finding as the English line, worded from the
phrasebook with Norwegian numbers, dates, plurals and quotation marks. Every table case of the
programmes also checks its bokmål line (support.check_wording)."""

from __future__ import annotations

import re

import msgspec
import pytest

from alerting.engine import texts
from alerting.engine.phrasebook import BASES_NB, LABELS, PHRASES, TERMS
from alerting.engine.rules import apply_override, evaluate, evaluate_missing
from alerting.engine.types import Amount, Listing, Provenance, Term, phrase
from tests.alerting.engine.support import RULES, blood_pressure, context, local, temperature, weights

ALL = [rule for rules in RULES.values() for rule in rules]


def _rule(programme: str, code: str):
    return next(rule for rule in RULES[programme] if rule.code == code)


def _placeholders(template: str) -> set[str]:
    return set(re.findall(r"\{(\w+)", template))


@pytest.mark.parametrize("key", sorted(PHRASES))
def test_each_phrase_fills_the_same_values_in_both_languages(key):
    english, bokmal = PHRASES[key]
    assert _placeholders(english) == _placeholders(bokmal)
    assert english and bokmal


def _named_types(value) -> set[str]:
    if isinstance(value, dict):
        found = {value["type"]} if isinstance(value.get("type"), str) else set()
        return found.union(*(_named_types(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(_named_types(item) for item in value))
    return set()


def test_every_type_and_source_the_default_rules_name_has_its_bokmal_words():
    named = set().union(*(_named_types(rule.params) for rule in ALL))
    assert named - set(LABELS) <= {"news2", "news2_single"}
    assert {"news2", "news2_single"} <= set(TERMS)
    assert {rule.basis for rule in ALL if rule.basis} <= set(BASES_NB)


def test_a_fever_reads_with_decimal_commas_norwegian_dates_and_the_age():
    fever = temperature(38.2, "2026-11-19 08:00")
    [decision] = evaluate(
        [fever], [], RULES["premature-home"], context("2026-11-19 08:05", birth_date=local("2026-10-01").date())
    )
    assert decision.explanation.startswith("Temperature 38.2 °C ≥ 38.0 °C. Programme default (NICE NG143")
    assert decision.explanation_nb == (
        "Temperatur 38,2 °C ≥ 38,0 °C. Programmets standard (NICE NG143: < 3 måneder ≥ 38 °C = rød); "
        "sikkerhetsgulv. Målt 19. nov kl. 08:00. Alder 49 dager."
    )


def test_an_override_names_who_set_it_and_why_in_norwegian_quotation_marks():
    provenance = Provenance(
        set_by_name="Kari Nordmann",
        set_at=local("2026-11-18 14:05"),
        reason="Kald hud ved utskrivning",
        expires_at=local("2026-12-01 08:00"),
    )
    low = apply_override(
        _rule("premature-home", "infant_temperature_low"), params={"limit": 36.8}, provenance=provenance
    )
    [late] = evaluate([temperature(36.6, "2026-11-19 08:30")], [], [low], context("2026-11-19 09:31"))
    assert late.explanation_nb == (
        "Temperatur 36,6 °C < 36,8 °C. Overstyrt for pasienten (programmets standard < 36,5 °C). "
        "Overstyring satt av Kari Nordmann 18. nov kl. 14:05: «Kald hud ved utskrivning», til 1. des kl. 08:00. "
        "Målt 19. nov kl. 08:30. Sen registrering: målt 19. nov kl. 08:30, mottatt 19. nov kl. 09:31."
    )


def test_missing_registrations_count_in_norwegian():
    rules = RULES["premature-home"]
    [one] = evaluate_missing({"body_weight": local("2026-11-16 08:00")}, rules, context("2026-11-18 09:00"))
    assert one.explanation_nb.startswith(
        "Ingen vekt på 1 hel dag, sist 16. nov kl. 08:00 (grense 1 dag). "
        "Programmets standard (DigiHOPP: daglig veiing)."
    )
    two = [d for d in evaluate_missing({"body_weight": local("2026-11-16 08:00")}, rules, context("2026-11-19 09:00"))]
    assert any(
        d.explanation_nb.startswith("Ingen vekt på 2 hele dager, sist 16. nov kl. 08:00 (grense 2 dager).") for d in two
    )
    never = msgspec.structs.replace(context("2026-11-18 00:00"), monitoring_since=local("2026-11-16 14:00"))
    [first] = evaluate_missing({"body_weight": None}, rules, never)
    assert "ingen siden oppfølgingen startet" in first.explanation_nb


def test_a_trend_and_a_blood_pressure_component_read_in_bokmal():
    series = weights("2026-11-16", [1650, 1660, 1670, 1680])
    [growth] = evaluate(series[-1:], series[:-1], RULES["premature-home"], context("2026-11-19 09:00"))
    assert growth.explanation_nb.startswith("Vekst over 3 dager 6,0 g/kg/døgn < 10 g/kg/døgn. Programmets standard")
    assert "1650 g (16. nov) → 1680 g (19. nov) over 3 dager." in growth.explanation_nb
    decisions = evaluate(
        [blood_pressure(182, 95, "2026-11-19 08:00")], [], RULES["home-dialysis"], context("2026-11-19 08:05")
    )
    [high] = [d for d in decisions if d.rule == "dialysis_systolic_high"]
    assert high.explanation_nb.startswith("Systolisk BT 182 mmHg ≥ 180 mmHg.")
    assert "Målt 19. nov kl. 08:00 (182/95)." in high.explanation_nb


def test_the_phrase_renderer_words_each_kind_of_value_per_language():
    said = phrase(
        "answer",
        label=Term("effluent_appearance"),
        value=phrase("answer_value", value=Amount("cloudy")),
        attributes=phrase(
            "answer_attributes",
            attributes=Listing((phrase("answer_attribute", name=Amount("colour"), value=Amount(True)),)),
        ),
        at=local("2026-03-29 03:30"),
        note=phrase("answer_note", note="Grumsete"),
    )
    assert texts.say(said, "en", "Europe/Oslo") == 'PD effluent cloudy (colour yes) at 29 Mar 03:30: "Grumsete"'
    assert texts.say(said, "nb", "Europe/Oslo") == "PD-dialysat uklar (farge ja), 29. mar kl. 03:30: «Grumsete»"
    either = Listing((Term("on_air"), Term("on_oxygen")), "or")
    assert texts.say(phrase("with", answers=either), "nb", "UTC") == "Med: på luft eller på oksygen"
    assert texts.quantity(1, "points", "nb") == "1 poeng" and texts.quantity(2, "points") == "2 points"
    assert texts.quantity(-0.04, "kg", "nb") == "0,0 kg"  # never "-0,0"
