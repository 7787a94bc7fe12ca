"""What each kind of rule finds in a timeline: thresholds (incl. NEWS2), answers and trends.

A finder returns the `Finding` a rule raises a decision on, or None. Pure functions, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from alerting.engine import news2, texts, trends
from alerting.engine.days import add_months
from alerting.engine.trends import Timeline
from alerting.engine.types import (
    NEWS2_SINGLE,
    NEWS2_TOTAL,
    Amount,
    Finding,
    Listing,
    Observation,
    PatientContext,
    Phrase,
    Rule,
    Term,
    phrase,
)
from backend.timezones import day_bounds, local_day

_NEWS2_TYPES = ("spo2", "heart_rate", "respiratory_rate", "body_temperature", "blood_pressure")


# -- matching -----------------------------------------------------------------------------------


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def breaches(value: float, op: str, limit: float) -> bool:
    return {">": value > limit, ">=": value >= limit, "<": value < limit, "<=": value <= limit}[op]


def _value(obs: Observation, spec: Mapping[str, Any]) -> Any:
    if "component" in spec:
        return obs.components.get(spec["component"])
    if "attribute" in spec:
        return obs.attributes.get(spec["attribute"])
    return obs.value if obs.value is not None else obs.code


def matches(obs: Observation, spec: Mapping[str, Any]) -> bool:
    if obs.type != spec["type"]:
        return False
    value = _value(obs, spec)
    if "any_of" in spec:
        # JSON `true` is not the number 1 and "1" is not 1: compare type and value.
        return any(type(value) is type(code) and value == code for code in spec["any_of"])
    if "op" in spec:
        return is_number(value) and breaches(value, spec["op"], spec["limit"])
    return True


# -- age ----------------------------------------------------------------------------------------


def _age_reference(context: PatientContext) -> date | None:
    """Birth date, moved to term for a preterm infant. NICE NG143's "under 3 months" red flag
    then lasts until 3 months *corrected* age: the longer of the two safety windows."""
    if context.birth_date is None:
        return None
    weeks = context.parameters.get("gestational_age_at_birth_weeks")
    if is_number(weeks) and weeks < 40:
        return context.birth_date + timedelta(weeks=40 - weeks)
    return context.birth_date


def _age_applies(rule: Rule, obs: Observation, context: PatientContext) -> bool:
    params = rule.params
    if "max_age_months" not in params and "min_age_months" not in params:
        return True
    reference = _age_reference(context)
    if reference is None:
        return "max_age_months" in params  # age unknown: the younger infant's (stricter) rule holds
    day = local_day(obs.measured_at, context.time_zone)
    if "max_age_months" in params and day >= add_months(reference, int(params["max_age_months"])):
        return False
    return not ("min_age_months" in params and day < add_months(reference, int(params["min_age_months"])))


def _age_detail(obs: Observation, context: PatientContext) -> Phrase:
    if context.birth_date is None:
        return phrase("age_unknown")
    day = local_day(obs.measured_at, context.time_zone)
    reference = _age_reference(context)
    if reference is not None and reference != context.birth_date:
        return phrase("age_corrected", days=(day - context.birth_date).days, corrected=(day - reference).days)
    return phrase("age", days=(day - context.birth_date).days)


# -- threshold ----------------------------------------------------------------------------------


def threshold(rule: Rule, timeline: Timeline) -> Finding | None:
    params = rule.params
    type_, op, limit = params["type"], params["op"], params["limit"]
    if type_ in (NEWS2_TOTAL, NEWS2_SINGLE):
        return _news2_finding(rule, timeline)
    hits = [
        (value, obs)
        for obs in timeline.new
        if obs.type == type_
        and is_number(value := _value(obs, params))
        and breaches(value, op, limit)
        and _age_applies(rule, obs, timeline.context)
    ]
    if not hits:
        return None
    sustained = _sustained(rule, timeline, [obs for _, obs in hits]) if "sustained" in params else None
    if "sustained" in params and sustained is None:
        return None
    value, worst = (max if op in (">", ">=") else min)(hits, key=lambda hit: hit[0])
    name: Phrase | Term = Term(type_)
    if "component" in params:
        name = phrase("component_label", component=Term("component:" + params["component"]), label=name)
    detail = [
        phrase("measured_components", at=worst.measured_at, values=Listing(tuple(worst.components.values()), "/"))
        if worst.components
        else phrase("measured", at=worst.measured_at)
    ]
    if len(hits) > 1:
        detail.append(phrase("readings_beyond", count=len(hits)))
    if "max_age_months" in params or "min_age_months" in params:
        detail.append(_age_detail(worst, timeline.context))
    if sustained is not None:
        detail.append(sustained)
    ids = tuple(obs.id for _, obs in hits)
    return Finding(value, texts.TYPE_UNITS.get(type_, ""), name, ids, worst.measured_at, tuple(detail))


def _sustained(rule: Rule, timeline: Timeline, hits: list[Observation]) -> Phrase | None:
    """A sustained-breach option (never on a safety floor): the breach counts only when the last
    `readings` readings of the type, all within `within_minutes`, breach, and/or when every
    reading of the last `minutes` breaches and the breach began at least that long ago. One bad
    probe placement then wakes nobody. The explanation's sentence, or None: not sustained."""
    params, spec = rule.params, rule.params["sustained"]
    newest = max(hits, key=lambda obs: obs.measured_at)
    series = [
        obs
        for obs in timeline.of_type(params["type"])
        if obs.measured_at <= newest.measured_at and is_number(_value(obs, params))
    ]
    breached = [breaches(_value(obs, params), params["op"], params["limit"]) for obs in series]
    said = []
    if "readings" in spec:
        count, window = int(spec["readings"]), timedelta(minutes=spec.get("within_minutes", 60))
        last = series[-count:]
        if len(last) < count or not all(breached[-count:]) or newest.measured_at - last[0].measured_at > window:
            return None
        said.append(phrase("sustained_readings", count=count, minutes=spec.get("within_minutes", 60)))
    if "minutes" in spec:
        run = 0
        while run < len(series) and breached[len(series) - 1 - run]:
            run += 1
        first = series[len(series) - run] if run else None
        if first is None or newest.measured_at - first.measured_at < timedelta(minutes=spec["minutes"]):
            return None
        said.append(phrase("sustained_minutes", minutes=spec["minutes"]))
    return phrase("sustained", parts=Listing(tuple(said), "and"))


def news2_inputs(params: Mapping[str, Any]) -> tuple[timedelta, frozenset[str]]:
    """A NEWS2 rule's window and the observation types it scores (its confusion answer among them)."""
    confusion = params.get("confusion_answer")
    return timedelta(minutes=params.get("window_minutes", 60)), frozenset(_NEWS2_TYPES) | (
        {confusion} if confusion else set()
    )


def news2_of_latest(
    latest: Mapping[str, Observation], params: Mapping[str, Any], context: PatientContext
) -> tuple[news2.News2, list[Observation], bool]:
    """NEWS2 from the latest observation of each input type (of one window), with the
    observations used, oldest first. The flag says the oxygen came from the patient's
    `home_oxygen` parameter, not the reading."""
    confusion = params.get("confusion_answer")
    scale = 2 if context.parameters.get("spo2_scale") == 2 else 1
    spo2, pressure = latest.get("spo2"), latest.get("blood_pressure")
    recorded = spo2.attributes.get("on_oxygen") if spo2 else None
    home_oxygen = context.parameters.get("home_oxygen")
    # A reading that does not say is scored by the patient's home oxygen (a parameter the unit
    # keeps current); only without both is it scored as air.
    on_oxygen = next((flag for flag in (recorded, home_oxygen) if isinstance(flag, bool)), None)
    return (
        news2.assess(
            scale=scale,
            respiratory_rate=latest["respiratory_rate"].value if "respiratory_rate" in latest else None,
            spo2=spo2.value if spo2 else None,
            on_oxygen=on_oxygen if spo2 else None,
            systolic=pressure.components.get("systolic") if pressure else None,
            heart_rate=latest["heart_rate"].value if "heart_rate" in latest else None,
            new_confusion=latest[confusion].code is True if confusion in latest else None,
            temperature=latest["body_temperature"].value if "body_temperature" in latest else None,
        ),
        sorted(latest.values(), key=lambda obs: obs.measured_at),
        spo2 is not None and not isinstance(recorded, bool) and isinstance(home_oxygen, bool),
    )


def _news2_assessment(rule: Rule, timeline: Timeline) -> tuple[news2.News2, list[Observation], bool] | None:
    """NEWS2 from the latest value of each parameter within `window_minutes` before the newest
    new one: a home "set" is registered over a few minutes, often one device at a time."""
    window, inputs = news2_inputs(rule.params)
    key = ("news2", window, rule.params.get("confusion_answer"))
    if key not in timeline.cache:
        trigger = [obs.measured_at for obs in timeline.new if obs.type in inputs]
        result = None
        if trigger:
            anchor = max(trigger)
            latest = {
                obs.type: obs
                for obs in timeline.all
                if obs.type in inputs and anchor - window <= obs.measured_at <= anchor
            }
            result = news2_of_latest(latest, rule.params, timeline.context)
        timeline.cache[key] = result
    return timeline.cache[key]


def _news2_finding(rule: Rule, timeline: Timeline) -> Finding | None:
    assessed = _news2_assessment(rule, timeline)
    if assessed is None:
        return None
    result, used, oxygen_from_parameter = assessed
    single = rule.params["type"] == NEWS2_SINGLE
    value = result.highest_single if single else result.total
    if not breaches(value, rule.params["op"], rule.params["limit"]):
        return None
    parts = tuple(
        phrase(
            "news2_score",
            name=Term("news2:" + name),
            value=Amount(result.values[name], "Cel" if name == "temperature" else "", bare=True),
            score=score,
        )
        for name, score in result.scores.items()
    )
    risk = Term("risk:" + result.risk)
    detail = [phrase("news2_scores", scale=result.scale, parts=Listing(parts), total=result.total, risk=risk)]
    if result.oxygen_assumed_air:
        detail.append(phrase("news2_air_assumed"))
    elif oxygen_from_parameter:
        how = Term("on_home_oxygen" if result.values.get("air_or_oxygen") else "on_air_no_home_oxygen")
        detail.append(phrase("news2_oxygen_parameter", how=how))
    if result.missing:
        names = Listing(tuple(Term("news2:" + name) for name in result.missing))
        detail.append(phrase("news2_not_measured", names=names))
    label = Term(NEWS2_SINGLE if single else NEWS2_TOTAL)
    return Finding(value, "", label, tuple(obs.id for obs in used), used[-1].measured_at, tuple(detail))


# -- answers ------------------------------------------------------------------------------------


def _answer_detail(observations: Sequence[Observation]) -> Phrase:
    return phrase("answers", answers=Listing(tuple(_answer(obs) for obs in observations), "; "))


def _answer(obs: Observation) -> Phrase:
    shown = obs.value if obs.value is not None else obs.code
    value = None if shown is None else phrase("answer_value", value=Amount(shown, texts.TYPE_UNITS.get(obs.type, "")))
    attributes = None
    if obs.attributes:
        named = tuple(
            phrase("answer_attribute", name=Amount(key), value=Amount(item)) for key, item in obs.attributes.items()
        )
        attributes = phrase("answer_attributes", attributes=Listing(named))
    note = None
    if obs.note:
        # The parent's or patient's own words are what a clinician needs first.
        note = phrase("answer_note", note=obs.note if len(obs.note) <= 140 else obs.note[:139] + "…")
    return phrase("answer", label=Term(obs.type), value=value, attributes=attributes, at=obs.measured_at, note=note)


def _matching(observations: Iterable[Observation], specs: Sequence[Mapping[str, Any]]) -> list[Observation]:
    return [obs for obs in observations if any(matches(obs, spec) for spec in specs)]


def _candidates(timeline: Timeline, specs: Sequence[Mapping[str, Any]]) -> list[Observation]:
    types = dict.fromkeys(spec["type"] for spec in specs)
    found = [obs for type_ in types for obs in timeline.of_type(type_)]
    return sorted(found, key=lambda obs: (obs.measured_at, obs.id)) if len(types) > 1 else found


def answer(rule: Rule, timeline: Timeline) -> Finding | None:
    specs, also = rule.params["match"], rule.params.get("with_any")
    new_ids = timeline.new_ids
    if not any(spec["type"] in timeline.new_types for spec in [*specs, *(also or [])]):
        return None
    primary = _matching(_candidates(timeline, specs), specs)
    if also:
        # Co-occurrence (cloudy effluent with pain or fever): either side may be the new one.
        window = timedelta(hours=rule.params.get("within_hours", 24))
        secondary = _matching(_candidates(timeline, also), also)
        pairs = [
            (first, second)
            for first in primary
            for second in secondary
            if abs(first.measured_at - second.measured_at) <= window and {first.id, second.id} & new_ids
        ]
        used = {obs.id: obs for pair in pairs for obs in pair}
        hits = sorted(used.values(), key=lambda obs: obs.measured_at)
    else:
        hits = [obs for obs in primary if obs.id in new_ids]
    if not hits:
        return None
    if "at_least" in rule.params:
        return _at_least(rule, hits)
    primary_ids = {obs.id for obs in primary}
    last = next(obs for obs in reversed(hits) if obs.id in primary_ids)
    spec = next(spec for spec in specs if matches(last, spec))
    value = _value(last, spec) if ("any_of" in spec or "op" in spec) else None
    ids = tuple(obs.id for obs in hits)
    unit = texts.TYPE_UNITS.get(last.type, "")
    return Finding(value, unit, Term(last.type), ids, hits[-1].measured_at, (_answer_detail(hits),))


def _at_least(rule: Rule, hits: list[Observation]) -> Finding | None:
    """At least `at_least` of the match specs answered in one form response (the answers of a
    response share its time): the Anthonisen criteria, 2 or 3 of 3."""
    specs = rule.params["match"]
    by_response: dict[Any, list[Observation]] = {}
    for obs in hits:
        by_response.setdefault(obs.measured_at, []).append(obs)
    best = max(by_response.values(), key=lambda answers: (_specs_met(answers, specs), answers[-1].measured_at))
    met = _specs_met(best, specs)
    if met < rule.params["at_least"]:
        return None
    ids = tuple(o.id for o in best)
    label = Term("symptoms_reported")
    return Finding(float(met), "", label, ids, best[-1].measured_at, (_answer_detail(best),))


def _specs_met(answers: Sequence[Observation], specs: Sequence[Mapping[str, Any]]) -> int:
    return sum(1 for spec in specs if any(matches(obs, spec) for obs in answers))


# -- trends -------------------------------------------------------------------------------------


def _compared(rule: Rule, finding: Finding | None) -> Finding | None:
    if finding is None or not is_number(finding.value):
        return None
    return finding if breaches(float(finding.value), rule.params["op"], rule.params["limit"]) else None  # type: ignore[arg-type]


def daily(rule: Rule, timeline: Timeline, days: Iterable[date]) -> Finding | None:
    _, measure = trends.DAILY_MEASURES[rule.params["measure"]]
    found = [f for day in days if (f := _compared(rule, measure(rule, timeline, day)))]
    if not found:
        return None
    lowest = rule.params["op"] in ("<", "<=")
    return sorted(found, key=lambda f: float(f.value), reverse=not lowest)[0]  # type: ignore[arg-type]


def trend(rule: Rule, timeline: Timeline) -> Finding | None:
    name = rule.params["measure"]
    if name in trends.DAILY_MEASURES:
        # Late data (a phone that was offline) changes the total of a day already over.
        type_ = trends.DAILY_MEASURES[name][0]
        context = timeline.context
        touched = {timeline.day(obs.measured_at) for obs in timeline.new if obs.type == type_}
        over = sorted(day for day in touched if day_bounds(day, context.time_zone)[1] <= context.now)
        return daily(rule, timeline, over)
    finding = _compared(rule, trends.MEASURES[name](rule, timeline))
    if finding is None or "with_any" not in rule.params:
        return finding
    return _with_symptoms(rule, timeline, finding)


def _with_symptoms(rule: Rule, timeline: Timeline, finding: Finding) -> Finding | None:
    """A trend that counts only together with one of `with_any` (weight gain with breathlessness
    or oedema) registered within `within_hours` of it, before or after."""
    if finding.at is None:
        return None
    window = timedelta(hours=rule.params.get("within_hours", 24))
    also = [
        obs
        for obs in _matching(_candidates(timeline, rule.params["with_any"]), rule.params["with_any"])
        if abs(obs.measured_at - finding.at) <= window
    ]
    if not also:
        return None
    detail = (*finding.detail, phrase("with", answers=_answer_detail(also)))
    ids = finding.observation_ids + tuple(obs.id for obs in also)
    return Finding(finding.value, finding.unit, finding.label, ids, finding.at, detail)


Finder = Callable[[Rule, Timeline], Finding | None]
FINDERS: dict[str, Finder] = {"threshold": threshold, "trend": trend, "answer": answer}
