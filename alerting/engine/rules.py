"""Alert rules and their pure evaluation: observations in, decisions out. No database, no I/O,
no clock: `PatientContext.now` is the only "now" (docs/architecture.md, habit 6).

Rule shape (docs/api.md, "Rules and alerts"): code, kind (threshold | trend | missing | answer), params,
severity (low | medium | high), enabled, source (programme | patient). Params by kind:
- threshold: {"type", "component"?, "op": ">"|">="|"<"|"<=", "limit", "max_age_months"?,
  "min_age_months"?}; `type` may also be the derived "news2" (total) or "news2_single" (highest
  single-parameter score), with "window_minutes" and "confusion_answer".
- trend: {"measure", "op", "limit", ...measure options} (see `alerting.engine.trends`).
- missing: {"of": [type or form, ...], "days" | "hours", "scheduled_by"?}: with "scheduled_by" (the
  name of a weekday-list patient parameter, e.g. the dialysis "session_days") only the scheduled
  local days count towards "days"; unset, every day is scheduled.
- answer: {"match": [spec, ...], "with_any"?: [spec, ...], "within_hours"?}; a spec is
  {"type", "attribute"? | "component"?, "any_of"? | "op"+"limit"?}; a spec with neither matches
  any observation of the type (a contact request).
Any kind may also have "when": {"<patient parameter>": [value, ...]}: the rule applies only while
the patient's parameter has one of the values (null in the list: also when it is unset). That is
how a programme holds rules for one modality or one feeding phase (`applies`).
Form answers are observations of type "<form>/<link_id>" (`answer_type`) whose `code` is the
answer (a string or a boolean); a contact request is an observation of type "contact_request".

Entry points: `evaluate` (an upload; load history from `history_since`), `evaluate_day` (after a
patient's local midnight), `evaluate_missing` (the periodic sweep), `apply_override` (PUT rules).
The types they take and give (`Rule`, `Observation`, `PatientContext`, `Decision`) are in
`alerting.engine.types`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import msgspec

from alerting.engine import texts, trends
from alerting.engine.findings import FINDERS, daily, is_number
from alerting.engine.rule_params import params_problems
from alerting.engine.trends import Timeline
from alerting.engine.types import (
    LATE_AFTER,
    NEWS2_SINGLE,
    NEWS2_TOTAL,
    SEVERITY_RANK,
    Decision,
    Finding,
    Listing,
    Observation,
    OnFailure,
    PatientContext,
    Provenance,
    Rule,
    Severity,
    Term,
    phrase,
)
from backend.timezones import day_bounds, local_day

__all__ = [
    "OPTIONAL_PARAMS",
    "RuleError",
    "applies",
    "apply_override",
    "apply_overrides",
    "counts_as_registration",
    "evaluate",
    "evaluate_day",
    "evaluate_missing",
    "history_since",
    "is_stale",
    "lookback",
    "missing_keys",
    "rule_problems",
]


# -- evaluation ---------------------------------------------------------------------------------


def applies(rule: Rule, context: PatientContext) -> bool:
    """Whether the rule's "when" (patient parameter values) holds for this patient now."""
    for name, values in rule.params.get("when", {}).items():
        value = context.parameters.get(name)
        if not any(type(value) is type(wanted) and value == wanted for wanted in values):
            return False
    return True


def _active(rules: Iterable[Rule], kinds: Iterable[str], context: PatientContext | None = None) -> list[Rule]:
    # A safety floor stays on even if a stored row says otherwise (`apply_override` refuses to
    # write that, this is the second line).
    return [
        rule
        for rule in rules
        if rule.kind in kinds and (rule.enabled or rule.safety_floor) and (context is None or applies(rule, context))
    ]


@contextmanager
def _guarded(rule: Rule, on_failure: OnFailure | None) -> Iterator[None]:
    """One rule's evaluation: with `on_failure`, an error skips the rule (and is handed over)
    instead of failing every other rule of the patient with it."""
    if on_failure is None:
        yield
        return
    try:
        yield
    except Exception as error:  # noqa: BLE001 - any error of one rule: handed over, not lost
        on_failure(rule, error)


def _decide(rule: Rule, finding: Finding, context: PatientContext, *, on_arrival: bool = False) -> Decision:
    """A rule's decision on its finding. On arrival (`evaluate`), a finding measured more than
    LATE_AFTER before now is late; the sweeps judge absences and finished days, old by nature."""
    value = round(finding.value, 2) if is_number(finding.value) else finding.value
    late = on_arrival and finding.at is not None and finding.at < context.now - LATE_AFTER
    received = context.now if late else None
    return Decision(
        rule=rule.code,
        severity=rule.severity,
        title=texts.title(rule),
        title_nb=texts.title(rule, "nb"),
        explanation=texts.explanation(rule, finding, context.time_zone, "en", received_at=received),
        explanation_nb=texts.explanation(rule, finding, context.time_zone, "nb", received_at=received),
        patient_text=texts.patient_text(rule, finding),
        observation_ids=finding.observation_ids,
        worst_value=value,
        unit=finding.unit or None,
        observed_at=finding.at,
        source=rule.source,
        late=late,
    )


def _strongest_per_group(decisions: list[Decision], rules: Sequence[Rule]) -> list[Decision]:
    """Within a group keep the most severe decision (the earlier rule on a tie): a temperature
    of 35.8 is one "below 36.0" alert, not that and a "below 36.5" one too."""
    order = {rule.code: index for index, rule in enumerate(rules)}
    groups = {rule.code: rule.group for rule in rules}
    best: dict[str, Decision] = {}
    for decision in decisions:
        group = groups.get(decision.rule)
        if group is None:
            continue
        held = best.get(group)
        rank = (SEVERITY_RANK[decision.severity], -order[decision.rule])
        if held is None or rank > (SEVERITY_RANK[held.severity], -order[held.rule]):
            best[group] = decision
    kept = {id(decision) for decision in best.values()}
    return [d for d in decisions if groups.get(d.rule) is None or id(d) in kept]


def evaluate(
    new: Sequence[Observation],
    history: Sequence[Observation],
    rules: Sequence[Rule],
    context: PatientContext,
    *,
    on_failure: OnFailure | None = None,
) -> list[Decision]:
    """Decisions that a newly stored batch triggers, judged against the patient's history. With
    `on_failure`, a rule that raises is handed to it and skipped; without, the error propagates."""
    if not new:
        return []
    timeline = Timeline.build(new, history, context)
    decisions = []
    for rule in _active(rules, FINDERS, context):
        with _guarded(rule, on_failure):
            finding = FINDERS[rule.kind](rule, timeline)
            if finding is not None:
                decisions.append(_decide(rule, finding, context, on_arrival=True))
    return _strongest_per_group(decisions, rules)


def evaluate_day(
    day: date,
    history: Sequence[Observation],
    rules: Sequence[Rule],
    context: PatientContext,
    *,
    on_failure: OnFailure | None = None,
) -> list[Decision]:
    """Whole-day rules (intake of plan) for a local day that is over: what the worker runs just
    after each patient's local midnight (`backend.timezones.day_bounds`). A day not yet over gives
    nothing. `history` must cover the day and the week before it (the latest weight for the plan)."""
    if day_bounds(day, context.time_zone)[1] > context.now:
        return []
    timeline = Timeline.build([], history, context)
    whole_day = [
        rule for rule in _active(rules, ["trend"], context) if rule.params.get("measure") in trends.DAILY_MEASURES
    ]
    decisions = []
    for rule in whole_day:
        with _guarded(rule, on_failure):
            if finding := daily(rule, timeline, [day]):
                decisions.append(_decide(rule, finding, context))
    return _strongest_per_group(decisions, rules)


# Days of history each trend measure reads before the day of the newest value it judges.
_TREND_DAYS = {
    "growth_velocity": lambda p: p.get("max_days", 7),
    "weight_loss_pct": lambda p: p.get("max_gap_days", 1),
    "consecutive_losses": lambda p: p["limit"],  # a longer run still breaches; its length is capped
    "above_dry_weight": lambda p: 0,
    "weight_gain": lambda p: p.get("days", 2),
    "negative_uf_days": lambda p: p["limit"],
    "intake_pct_of_plan": lambda p: 7,  # the latest weight for the plan: a week of missed weighing
    "weight_gain_per_day": lambda p: p.get("max_days", 7),
    "loss_from_peak_pct": lambda p: p.get("days", 7),
    "large_vomits": lambda p: math.ceil(p.get("hours", 24) / 24),
    "spo2_below_target": lambda p: 0,
    "spo2_drop_from_baseline": lambda p: p.get("baseline_days", 14),
    "idwg_pct": lambda p: p.get("max_gap_days", 4),
    "post_weight_above_dry": lambda p: p.get("max_days", 14),
    "score_rise": lambda p: p.get("max_days", 21),
    "feeds_per_day": lambda p: 0,
    "wet_nappies_per_day": lambda p: 0,
    "uf_drop_pct": lambda p: 7,
}


def lookback(rules: Sequence[Rule]) -> timedelta:
    """How far before the earliest new observation `evaluate` reads history: what the service
    loads, so that a patient's years of data are not sorted on every upload."""
    need = timedelta(0)
    for rule in _active(rules, FINDERS):
        params = rule.params
        if rule.kind == "trend":
            # +2 days: local days are 25 hours long at most, at both ends of the span.
            need = max(need, timedelta(days=_TREND_DAYS[params["measure"]](params) + 2))
        elif rule.kind == "threshold" and params["type"] in (NEWS2_TOTAL, NEWS2_SINGLE):
            need = max(need, timedelta(minutes=params.get("window_minutes", 60)))
        elif rule.kind == "threshold" and "sustained" in params:
            need = max(need, sustained_span(params["sustained"]))
        if params.get("with_any") and rule.kind in ("answer", "trend"):
            need = max(need, timedelta(hours=params.get("within_hours", 24)))
    return need


def sustained_span(spec: Mapping[str, Any]) -> timedelta:
    """How far back a sustained-breach threshold reads its type: the window of its readings, or
    twice its minutes (a breach that began before the window must show its start)."""
    return max(timedelta(minutes=spec.get("within_minutes", 60)), timedelta(minutes=2 * spec.get("minutes", 0)))


def history_since(new: Sequence[Observation], rules: Sequence[Rule]) -> datetime | None:
    """The earliest instant `evaluate(new, history, rules, …)` looks at; None when nothing is new."""
    return min(obs.measured_at for obs in new) - lookback(rules) if new else None


# A missing rule with "nonzero" counts only registrations with a value above 0 (a wet nappy, not a
# "0 wet nappies" count): its keys in `last_seen` carry this suffix.
NONZERO = ">0"


def missing_keys(rule: Rule) -> list[str]:
    """The keys of `last_seen` a missing rule reads: its types and forms, or with "nonzero" the
    types' last registrations above 0."""
    suffix = NONZERO if rule.params.get("nonzero") else ""
    return [key + suffix for key in rule.params["of"]]


def counts_as_registration(rule: Rule, obs: Observation) -> bool:
    """Whether an arriving observation ends a missing rule's gap."""
    if not ({obs.type, obs.type.partition("/")[0]} & set(rule.params["of"])):
        return False
    return not rule.params.get("nonzero") or (obs.value or 0) > 0


def is_stale(rule: Rule, type_: str, measured_at: datetime, context: PatientContext) -> bool:
    """Whether a type last measured at `measured_at` is past what a missing rule allows: the
    engine's own count (the unit overview's "stale"), schedule and patient parameters included."""
    if not applies(rule, context):
        return False
    return _missing(rule, {type_: measured_at, type_ + NONZERO: measured_at}, context) is not None


def _missing(rule: Rule, last_seen: Mapping[str, datetime | None], context: PatientContext) -> Finding | None:
    keys = rule.params["of"]
    seen = [last_seen[key] for key in missing_keys(rule) if last_seen.get(key) is not None]
    last = max(seen) if seen else context.monitoring_since  # type: ignore[type-var]
    if last is None:
        return None
    nonzero = phrase("missing_nonzero") if rule.params.get("nonzero") else None
    what = (
        phrase("missing_one", label=Term(keys[0]), nonzero=nonzero)
        if len(keys) == 1
        else phrase("missing_any", nonzero=nonzero)
    )
    since = phrase("missing_last", at=last) if seen else phrase("missing_never")
    detail = () if len(keys) == 1 else (phrase("missing_looked_for", keys=Listing(tuple(keys))),)
    if "days" in rule.params:
        # Whole local days without a registration: a weight due every morning is 1 day missing
        # once the day after the last one has ended, whether that day had 23, 24 or 25 hours.
        first, today = local_day(last, context.time_zone) + timedelta(days=1), local_day(context.now, context.time_zone)
        schedule = scheduled_weekdays(rule, context)
        if schedule is None:
            gone = (today - first).days
            span = phrase("missing_days", days=gone)
        else:
            # Only the days the patient is due (thrice-weekly haemodialysis): an off-day is no gap.
            gone = sum(1 for n in range((today - first).days) if (first + timedelta(days=n)).weekday() in schedule)
            weekdays = Listing(tuple(Term("weekday:" + WEEKDAYS[day]) for day in sorted(schedule)))
            span = phrase(
                "missing_scheduled_days", days=gone, scheduled_by=rule.params["scheduled_by"], weekdays=weekdays
            )
        if gone < rule.params["days"]:
            return None
        return Finding(float(gone), "d", phrase("missing", what=what, span=span, since=since), (), last, detail)
    hours = (context.now - last) / timedelta(hours=1)
    if hours < rule.params["hours"]:
        return None
    label = phrase("missing", what=what, span=phrase("missing_hours", hours=hours), since=since)
    return Finding(hours, "h", label, (), last, detail)


class MissingWindow(msgspec.Struct, frozen=True):
    """When a missing rule's registration is due: the gap it counts from (the last registration,
    or the start of monitoring: the gap's identity), when the registration became due (the start
    of the first day it is expected, or the last registration for an hours rule), and the deadline
    at which `evaluate_missing` raises the rule."""

    gap: datetime
    due_from: datetime
    deadline: datetime


def missing_window(
    rule: Rule, last_seen: Mapping[str, datetime | None], context: PatientContext
) -> MissingWindow | None:
    """The window of `rule` after its last registration in `last_seen` (None: nothing to count
    from). The deadline is the same count as `_missing`'s: whole local days (only the patient's
    scheduled ones) or hours."""
    seen = [last_seen[key] for key in missing_keys(rule) if last_seen.get(key) is not None]
    last = max(seen) if seen else context.monitoring_since  # type: ignore[type-var]
    if last is None:
        return None
    if "days" not in rule.params:
        return MissingWindow(last, last, last + timedelta(hours=rule.params["hours"]))
    zone = context.time_zone
    schedule = scheduled_weekdays(rule, context)
    day = local_day(last, zone) + timedelta(days=1)
    due: list[date] = []
    while len(due) < rule.params["days"]:
        if schedule is None or day.weekday() in schedule:
            due.append(day)
        day += timedelta(days=1)
    return MissingWindow(last, day_bounds(due[0], zone)[0], day_bounds(due[-1], zone)[1])


def missing_windows(
    last_seen: Mapping[str, datetime | None],
    rules: Sequence[Rule],
    context: PatientContext,
    *,
    on_failure: OnFailure | None = None,
) -> dict[str, MissingWindow]:
    """The window of each missing rule that applies to the patient now, by rule code."""
    windows = {}
    for rule in _active(rules, ["missing"], context):
        with _guarded(rule, on_failure):
            if (window := missing_window(rule, last_seen, context)) is not None:
                windows[rule.code] = window
    return windows


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def scheduled_weekdays(rule: Rule, context: PatientContext) -> frozenset[int] | None:
    """The weekdays (Monday 0) a "scheduled_by" missing rule counts, or None: every day."""
    name = rule.params.get("scheduled_by")
    days = context.parameters.get(name) if isinstance(name, str) else None
    if not isinstance(days, list) or not days:
        return None
    return frozenset(WEEKDAYS.index(day) for day in days if day in WEEKDAYS)


def evaluate_missing(
    last_seen: Mapping[str, datetime | None],
    rules: Sequence[Rule],
    context: PatientContext,
    *,
    on_failure: OnFailure | None = None,
) -> list[Decision]:
    """Missing-data decisions at `context.now`, from when each type or form was last registered."""
    decisions = []
    for rule in _active(rules, ["missing"], context):
        with _guarded(rule, on_failure):
            if (finding := _missing(rule, last_seen, context)) is not None:
                decisions.append(_decide(rule, finding, context))
    return _strongest_per_group(decisions, rules)


# -- validation and overrides -------------------------------------------------------------------


class RuleError(ValueError):
    """A rule that cannot be evaluated, or an override a safety floor does not allow."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def rule_problems(rule: Rule) -> list[str]:
    """Why a rule cannot be evaluated (empty when it can): its params against the kind's strict
    schema (`alerting.engine.rule_params`). Checked before a rule is stored and when one is loaded, so
    evaluation never meets a malformed one."""
    if rule.severity not in SEVERITY_RANK:
        return [f"severity must be one of {', '.join(SEVERITY_RANK)}"]
    problems = params_problems(rule.kind, rule.params)
    if rule.safety_floor and "sustained" in rule.params:
        problems.append("params.sustained: a safety floor alerts on the first breach")
    return problems


# Params a rule of a kind may take in an override although its default does not have them.
OPTIONAL_PARAMS: dict[str, tuple[str, ...]] = {"threshold": ("sustained",)}


def _tightened(op: str, default: float, candidate: float) -> bool:
    return candidate <= default if op in (">", ">=") else candidate >= default


def _floor_problems(default: Rule, candidate: Rule) -> list[str]:
    if not default.safety_floor:
        return []
    problems = []
    if not candidate.enabled:
        problems.append(f"{default.code} is a safety floor and cannot be switched off")
    if SEVERITY_RANK[candidate.severity] < SEVERITY_RANK[default.severity]:
        problems.append(f"{default.code} is a safety floor: severity cannot go below {default.severity}")
    for key in sorted(set(default.params) | set(candidate.params)):
        before, after = default.params.get(key), candidate.params.get(key)
        if key == "limit" and is_number(before) and is_number(after):
            if not _tightened(default.params["op"], before, after):
                problems.append(f"{default.code} is a safety floor: the limit may only be stricter than {before:g}")
        elif before != after:
            problems.append(f"{default.code} is a safety floor: params.{key} cannot be changed")
    return problems


def apply_override(
    default: Rule,
    *,
    params: Mapping[str, Any] | None = None,
    severity: Severity | None = None,
    enabled: bool | None = None,
    provenance: Provenance | None = None,
) -> Rule:
    """The patient's effective rule: the programme default with an override's params merged over
    it, and who set it (for the explanation). Raises RuleError for an unusable rule or a loosened
    safety floor."""
    candidate = msgspec.structs.replace(
        default,
        params={**default.params, **(params or {})},
        severity=severity or default.severity,
        enabled=default.enabled if enabled is None else enabled,
        source="patient",
        default_params=default.params,
        provenance=provenance,
    )
    problems = rule_problems(candidate) + _floor_problems(default, candidate)
    if problems:
        raise RuleError(problems)
    return candidate


class StoredOverride(Protocol):
    """An override as its caller stored it: what it changes, and who set it when that is known."""

    @property
    def params(self) -> dict[str, Any]: ...
    @property
    def severity(self) -> Any: ...
    @property
    def enabled(self) -> bool | None: ...
    @property
    def provenance(self) -> Provenance | None: ...


def apply_overrides(
    defaults: Iterable[Rule],
    overrides: Mapping[str, StoredOverride],
    on_unusable: Callable[[Rule, StoredOverride], None],
) -> tuple[list[Rule], set[str]]:
    """Each default with its override (by rule code) applied, and the codes whose override
    applied. An override that no longer fits its rule (a programme default or a schema changed
    since it was set) is handed to `on_unusable`, and the default applies."""
    rules, applied = [], set()
    for rule in defaults:
        override = overrides.get(rule.code)
        if override is None:
            rules.append(rule)
            continue
        try:
            rules.append(
                apply_override(
                    rule,
                    params=override.params,
                    severity=override.severity,
                    enabled=override.enabled,
                    provenance=override.provenance,
                )
            )
            applied.add(rule.code)
        except RuleError:
            on_unusable(rule, override)
            rules.append(rule)
    return rules, applied
