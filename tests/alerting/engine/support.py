"""Builders for rule-engine tests: observations at patients' local times, contexts, and a case
shape that every table shares. Fixed datetimes only; nothing here reads a clock."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from alerting.engine.defaults import DEFAULT_RULES
from alerting.engine.phrasebook import BASES_NB
from alerting.engine.rules import evaluate
from alerting.engine.texts import first_instruction
from alerting.engine.types import CONTACT_REQUEST, Decision, Observation, PatientContext, Rule, answer_type

OSLO = "Europe/Oslo"
RULES: dict[str, list[Rule]] = {programme: list(rules) for programme, rules in DEFAULT_RULES.items()}


def local(text: str, zone: str = OSLO) -> datetime:
    """ "2026-11-16 08:00" on the patient's wall clock (for an ambiguous time: the first one)."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def _id(type_: str, when: datetime, suffix: str = "") -> str:
    return f"{type_}@{when.isoformat()}{suffix}"


def obs(type_: str, when: datetime | str, *, id: str | None = None, **fields: Any) -> Observation:
    when = local(when) if isinstance(when, str) else when
    return Observation(id=id or _id(type_, when), type=type_, measured_at=when, **fields)


def weight(grams: float, when: datetime | str) -> Observation:
    return obs("body_weight", when, value=float(grams))


def weights(start: str, grams: list[float], hour: str = "08:00") -> list[Observation]:
    """One weight per local day from `start` (a date), at the same clock time each morning."""
    first = date.fromisoformat(start)
    return [weight(g, f"{first + timedelta(days=n)} {hour}") for n, g in enumerate(grams)]


def temperature(celsius: float, when: datetime | str) -> Observation:
    return obs("body_temperature", when, value=celsius, attributes={"site": "axillary"})


def feed(ml: float, when: datetime | str, route: str = "tube") -> Observation:
    return obs("feeding_volume", when, value=float(ml), attributes={"route": route})


def feeds(day: str, ml: float, count: int = 8, first: str = "00:30", every_hours: float = 3) -> list[Observation]:
    """`count` feeds on a local day, every few hours of *wall-clock* time from `first`."""
    start = local(f"{day} {first}")
    return [feed(ml, start + timedelta(hours=every_hours * n)) for n in range(count)]


def answer(form: str, link_id: str, value: str | bool, when: datetime | str, note: str | None = None) -> Observation:
    return obs(answer_type(form, link_id), when, code=value, note=note)


def contact(message: str, when: datetime | str) -> Observation:
    return obs(CONTACT_REQUEST, when, note=message)


def vital(type_: str, value: float, when: datetime | str, **attributes: Any) -> Observation:
    return obs(type_, when, value=float(value), attributes=attributes)


def blood_pressure(systolic: float, diastolic: float, when: datetime | str) -> Observation:
    return obs("blood_pressure", when, components={"systolic": float(systolic), "diastolic": float(diastolic)})


def context(now: datetime | str, *, birth_date: date | None = None, **parameters: Any) -> PatientContext:
    now = local(now) if isinstance(now, str) else now
    return PatientContext(now=now, time_zone=OSLO, birth_date=birth_date, parameters=parameters)


@dataclass(frozen=True)
class Case:
    """New observations, the stored history, the patient, and which rules must fire how."""

    id: str
    new: list[Observation]
    expect: dict[str, str]
    history: list[Observation] = field(default_factory=list)
    context: PatientContext | None = None

    def param(self) -> Any:
        return pytest.param(self, id=self.id)


# Words of the English explanations that a bokmål one must never contain as words (a phrase left
# untranslated).
ENGLISH_ONLY = (
    "Programme default",
    "override",
    "Measured",
    "Late data",
    "reading",
    "registration",
    "day",
    "days",
    "hour",
    "hours",
    "With:",
    " vs ",
    "Age ",
    "Scale ",
    "Not measured",
    "Oxygen",
    "Highest",
    "Lowest",
    "after dialysis",
    "alerts on",
    "limit",
    " at ",
    " of ",
    "yes",
    "no",
)


def check_wording(decisions: list[Decision], rules: list[Rule]) -> None:
    """What every decision must say, whichever rule made it (docs/api.md, "Rules and alerts";
    docs/clinical-rules.md)."""
    by_code = {rule.code: rule for rule in rules}
    for decision in decisions:
        rule = by_code[decision.rule]
        origin = "Programme default" if rule.source == "programme" else "Patient override"
        assert origin in decision.explanation, decision.explanation
        origin_nb = "Programmets standard" if rule.source == "programme" else "Overstyrt for pasienten"
        assert origin_nb in decision.explanation_nb, decision.explanation_nb
        if rule.source == "programme" and rule.basis:
            assert rule.basis in decision.explanation
            assert BASES_NB[rule.basis] in decision.explanation_nb
        assert "{" not in decision.explanation + decision.explanation_nb
        leaked = [
            word for word in ENGLISH_ONLY if re.search(rf"\b{re.escape(word.strip())}\b", decision.explanation_nb)
        ]
        assert not leaked, (leaked, decision.explanation_nb)
        assert decision.patient_text.nb and decision.patient_text.en
        if decision.severity == "high":
            nb, en = first_instruction(rule)
            assert decision.patient_text.nb.startswith(nb), decision.patient_text.nb
            assert decision.patient_text.en.startswith(en), decision.patient_text.en
        assert "{value}" not in decision.patient_text.nb + decision.patient_text.en


def run(case: Case, programme: str, default_context: PatientContext) -> list[Decision]:
    rules = RULES[programme]
    decisions = evaluate(case.new, case.history, rules, case.context or default_context)
    assert {d.rule: d.severity for d in decisions} == case.expect
    check_wording(decisions, rules)
    return decisions
