"""Which rules a batch of new observations can trigger, and which stored observations they read.

The service loads only that history: a parent's single temperature needs no history at all, a
weight needs the last weight of each of nine days, not nine days of every weight and feed; a feed
of a day not yet over needs nothing (intake is judged once the day has ended), one of a finished
day needs that day's feeds. What is loaded is then bounded by days, not by how densely a patient's
devices register. Pure functions, no I/O.

Each rule kind's finder (alerting/engine/findings.py) looks only at rules whose trigger types arrived in
the batch; what it reads besides the batch are its input types. Anything this module does not
recognise (a trend measure added later) reads every type: a wider load is slower, never wrong.
tests/alerts/test_relevance.py checks the promise against every table of the engine's tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from alerting.engine import trends
from alerting.engine.trends import FEED, SPO2, ULTRAFILTRATION, VOMITING, WEIGHT, WET_NAPPIES
from alerting.engine.types import NEWS2_SINGLE, NEWS2_TOTAL, Observation, PatientContext, Rule
from backend.timezones import day_bounds, local_day

# Every type, when a rule's inputs cannot be told.
ANY = None
# How much of a type's history a rule reads: all of it (from `history_since`), the last value of
# each local day, or all of the local days the batch brought values for.
ALL, LAST_OF_DAY, DAYS_TOUCHED = "all", "last_of_day", "days_touched"

_NEWS2_TYPES = frozenset({"spo2", "heart_rate", "respiratory_rate", "body_temperature", "blood_pressure"})

# trend measure -> the types whose arrival triggers it
_TREND_TRIGGERS: dict[str, frozenset[str]] = {
    "growth_velocity": frozenset({WEIGHT}),
    "weight_loss_pct": frozenset({WEIGHT}),
    "consecutive_losses": frozenset({WEIGHT}),
    "above_dry_weight": frozenset({WEIGHT}),
    "weight_gain": frozenset({WEIGHT}),
    "negative_uf_days": frozenset({ULTRAFILTRATION}),
    "intake_pct_of_plan": frozenset({FEED}),
    "weight_gain_per_day": frozenset({WEIGHT}),
    "loss_from_peak_pct": frozenset({WEIGHT}),
    "large_vomits": frozenset({VOMITING}),
    "spo2_below_target": frozenset({SPO2}),
    "spo2_drop_from_baseline": frozenset({SPO2}),
    "idwg_pct": frozenset({WEIGHT}),
    "post_weight_above_dry": frozenset({WEIGHT}),
    "feeds_per_day": frozenset({FEED}),
    "wet_nappies_per_day": frozenset({WET_NAPPIES}),
    "uf_drop_pct": frozenset({ULTRAFILTRATION}),
}
# trend measure -> what it reads from history. Weights only as the daily series (the last weight
# of each local day); a finished day's intake reads the feeds of the days it judges (those the new
# feeds fall on) and the latest weight before the day's end, which is the last weight of some day.
_TREND_READS: dict[str, dict[str, str]] = {
    "growth_velocity": {WEIGHT: LAST_OF_DAY},
    "weight_loss_pct": {WEIGHT: LAST_OF_DAY},
    "consecutive_losses": {WEIGHT: LAST_OF_DAY},
    "above_dry_weight": {WEIGHT: LAST_OF_DAY},
    "weight_gain": {WEIGHT: LAST_OF_DAY},
    "negative_uf_days": {ULTRAFILTRATION: ALL},  # daily totals
    "intake_pct_of_plan": {FEED: DAYS_TOUCHED, WEIGHT: LAST_OF_DAY},
    "weight_gain_per_day": {WEIGHT: LAST_OF_DAY},
    "loss_from_peak_pct": {WEIGHT: LAST_OF_DAY},
    "large_vomits": {VOMITING: ALL},
    "spo2_below_target": {},
    "spo2_drop_from_baseline": {SPO2: ALL},
    # Pre- and post-dialysis weights of one day are both needed: every weight, not the day's last.
    "idwg_pct": {WEIGHT: ALL},
    "post_weight_above_dry": {WEIGHT: ALL},
    "feeds_per_day": {FEED: DAYS_TOUCHED},
    "wet_nappies_per_day": {WET_NAPPIES: DAYS_TOUCHED},
    "uf_drop_pct": {ULTRAFILTRATION: ALL},  # daily totals of the week before
}


def _form_score(params: dict) -> frozenset[str]:
    # A score measure names its form: the score of a response is an observation of its own.
    return frozenset({trends.score_type(params["form"])}) if isinstance(params.get("form"), str) else frozenset()


def _spec_types(rule: Rule) -> frozenset[str]:
    specs = [*rule.params.get("match", []), *rule.params.get("with_any", [])]
    return frozenset(spec["type"] for spec in specs)


def triggers(rule: Rule) -> frozenset[str] | None:
    """The observation types whose arrival can make `evaluate` raise this rule (ANY: unknown)."""
    params = rule.params
    match rule.kind:
        case "threshold" if params.get("type") in (NEWS2_TOTAL, NEWS2_SINGLE):
            confusion = params.get("confusion_answer")
            return _NEWS2_TYPES | ({confusion} if confusion else frozenset())
        case "threshold":
            return frozenset({params["type"]})
        case "trend" if params.get("measure") == "score_rise":
            return _form_score(params) or ANY
        case "trend":
            return _TREND_TRIGGERS.get(params.get("measure", ""), ANY)
        case "answer":
            return _spec_types(rule)
        case "missing":
            return frozenset()  # judged by the periodic sweep, not by an upload
    return ANY


def reads(rule: Rule) -> dict[str, str] | None:
    """The stored observation types `evaluate` reads for this rule besides the new batch, each with
    how much of it: ALL observations, or only the LAST_OF_DAY (the daily weight series: what every
    weight measure reads, via `Timeline.daily_last`). None: unknown, read everything."""
    params = rule.params
    match rule.kind:
        case "threshold" if params.get("type") in (NEWS2_TOTAL, NEWS2_SINGLE):
            return dict.fromkeys(triggers(rule) or (), ALL)  # the latest of each within the window
        case "threshold" if "sustained" in params:
            return {params["type"]: ALL}  # the series before the new values
        case "threshold":
            return {}  # judges the new values alone
        case "trend" if params.get("measure") == "score_rise":
            return dict.fromkeys(_form_score(params), ALL) or ANY
        case "trend":
            known = _TREND_READS.get(params.get("measure", ""))
            if known is None:
                return ANY
            # Weight gain with breathlessness: the symptoms around the finding, too.
            return {**known, **dict.fromkeys(_spec_types(rule), ALL)} if params.get("with_any") else dict(known)
        case "answer":
            # Co-occurrence (cloudy effluent with pain or fever) pairs new with stored; a plain
            # match only reports what is new.
            return dict.fromkeys(_spec_types(rule), ALL) if params.get("with_any") else {}
        case "missing":
            return {}
    return ANY


def relevant(rules: Iterable[Rule], new_types: Iterable[str]) -> list[Rule]:
    """The rules a batch with these types can trigger, in their order (tiers depend on it)."""
    arrived = frozenset(new_types)
    found = []
    for rule in rules:
        wanted = triggers(rule)
        if wanted is ANY or wanted & arrived:
            found.append(rule)
    return found


def history_reads(rules: Sequence[Rule]) -> dict[str, str] | None:
    """What to load from history for these rules, by type; two rules that read a type
    differently read all of it. None: everything."""
    needed: dict[str, str] = {}
    for rule in rules:
        wanted = reads(rule)
        if wanted is ANY:
            return ANY
        for type_, how in wanted.items():
            needed[type_] = how if needed.get(type_, how) == how else ALL
    return needed


def due(rules: Sequence[Rule], new: Iterable[Observation], context: PatientContext) -> list[Rule]:
    """Leave out whole-day measures (intake of plan) whose new values all fall on days not yet
    over: the engine judges a day only once it has ended, and a day's feeds are many."""
    kept = []
    for rule in rules:
        daily = trends.DAILY_MEASURES.get(rule.params.get("measure", "")) if rule.kind == "trend" else None
        if daily is not None:
            # Days end in order: if any touched day is over, the earliest one is.
            first = min((obs.measured_at for obs in new if obs.type == daily[0]), default=None)
            if first is None or day_bounds(local_day(first, context.time_zone), context.time_zone)[1] > context.now:
                continue
        kept.append(rule)
    return kept
