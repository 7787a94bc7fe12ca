"""The clinicians' titles in bokmål: every default rule has one, filled like the English one."""

from __future__ import annotations

import re

import pytest

from alerting.engine import texts
from alerting.engine.phrasebook import TITLES_NB
from alerting.engine.types import Rule
from tests.alerting.engine.support import RULES

ALL = [rule for rules in RULES.values() for rule in rules]


@pytest.mark.parametrize("rule", ALL, ids=[f"{rule.code}" for rule in ALL])
def test_every_default_title_has_a_bokmal_one_with_the_same_placeholders(rule: Rule):
    assert rule.title in TITLES_NB
    english, bokmal = (re.findall(r"\{(\w+)", t) for t in (rule.title, TITLES_NB[rule.title]))
    assert english == bokmal
    assert "{" not in texts.title(rule, "nb")


def test_bokmal_titles_count_and_write_numbers_as_norwegian_does():
    [weight] = [r for r in RULES["premature-home"] if r.code == "weight_missing"]
    [two] = [r for r in RULES["premature-home"] if r.code == "weight_missing_2_days"]
    assert (texts.title(weight, "nb"), texts.title(two, "nb")) == ("Ingen vekt på 1 dag", "Ingen vekt på 2 dager")
    assert texts.title(two) == "No weight for 2 days"
    [cold] = [r for r in RULES["premature-home"] if r.code == "infant_temperature_low"]
    assert texts.title(cold, "nb") == "Temperatur under 36,5 °C"
