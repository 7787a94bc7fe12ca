"""One strict schema per rule kind: what a rule's params may hold, with types and bounds.

A rule is checked against it as a whole (the programme default with a patient's override merged
over it), before it is stored and again whenever it is loaded, so that evaluation never meets a
value it cannot use: `{"window_minutes": "90"}` or `{"of": [{}]}` made every upload of a patient
answer 500 and hid a whole unit's overview (issue 11, finding 2). Types are strict: "90" is not 90,
`true` is not 1, 90.0 is not a whole number of minutes. Bounds keep every duration a rule adds to
an instant far from the calendar's ends.

Beyond a kind's basics the engine has options (docs/clinical-rules.md, "Engine options"): `when`
on any kind, `sustained` on a threshold, `with_any`/`within_hours` and each measure's own params on
a trend, `scheduled_by` and `nonzero` on a missing rule, `at_least` on an answer rule. Each is
declared here with its type and bounds, and nowhere else.

`vocabulary_problems` adds what only the catalogue knows: the measurement types, forms and form
answers a rule may name. Pure: no I/O; the caller loads the vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

import msgspec
from msgspec import Meta

from alerting.engine.types import CONTACT_REQUEST, NEWS2_SINGLE, NEWS2_TOTAL

Op = Literal[">", ">=", "<", "<="]
# Names of types, forms, components and attributes: short words, never free text.
Name = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[a-z0-9_/-]+$")]
# A limit compared with a measured value or a score (weights are grams: up to 10^6 covers them).
Limit = Annotated[float, Meta(ge=-1_000_000, le=1_000_000)]
Months = Annotated[int, Meta(ge=0, le=1200)]
# Run lengths counted in days (consecutive losses, negative UF days): also how far back they read.
RunDays = Annotated[int, Meta(ge=1, le=60)]
MAX_LIST = 20
# An answer code a spec matches ("green", "cloudy").
Code = Annotated[str, Meta(min_length=1, max_length=64)]
# A patient parameter's value a rule is for ("tube", "haemodialysis", true); null: unset.
ParameterValue = Code | bool | Limit | None
# "when": the patient parameters (enrolment parameters) and the values the rule applies for.
When = Annotated[
    dict[Name, Annotated[list[ParameterValue], Meta(min_length=1, max_length=MAX_LIST)]],
    Meta(min_length=1, max_length=MAX_LIST),
]
Minutes = Annotated[int, Meta(ge=1, le=24 * 60)]


class _Params(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    when: When | None = None


class Sustained(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Alert only on a breach that lasts: the last `readings` readings within `within_minutes`,
    and/or every reading of the last `minutes`."""

    readings: Annotated[int, Meta(ge=2, le=20)] | None = None
    within_minutes: Minutes | None = None
    minutes: Minutes | None = None


class AnswerSpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    type: Name
    attribute: Name | None = None
    component: Name | None = None
    any_of: Annotated[list[Code | bool | Limit], Meta(min_length=1, max_length=MAX_LIST)] | None = None
    op: Op | None = None
    limit: Limit | None = None


Specs = Annotated[list[AnswerSpec], Meta(min_length=1, max_length=MAX_LIST)]
# How far apart a finding and its `with_any` companion may be registered.
WithinHours = Annotated[float, Meta(gt=0, le=24 * 30)]


class ThresholdParams(_Params, kw_only=True):
    type: Name
    op: Op
    limit: Limit
    component: Name | None = None
    max_age_months: Months | None = None
    min_age_months: Months | None = None
    # NEWS2 only (type news2 or news2_single): the span a "set" of vital signs is gathered over.
    window_minutes: Minutes | None = None
    confusion_answer: Name | None = None
    sustained: Sustained | None = None


# Trend params, one struct per measure (tagged by `measure`): a measure's own options only, and
# a symptom that must come with the finding (`with_any` within `within_hours`).
class _Trend(_Params, tag_field="measure", kw_only=True):
    op: Op
    limit: Limit
    with_any: Specs | None = None
    within_hours: WithinHours | None = None


class _GrowthWindow(_Trend, kw_only=True):
    days: Annotated[int, Meta(ge=1, le=30)] = 3
    max_days: Annotated[int, Meta(ge=1, le=30)] = 7


class GrowthVelocity(_GrowthWindow, tag="growth_velocity"):
    pass


class WeightGainPerDay(_GrowthWindow, tag="weight_gain_per_day"):
    pass


class LossFromPeakPct(_Trend, tag="loss_from_peak_pct"):
    days: Annotated[int, Meta(ge=1, le=30)] = 7


class WeightLossPct(_Trend, tag="weight_loss_pct"):
    max_gap_days: Annotated[int, Meta(ge=1, le=14)] = 1


class ConsecutiveLosses(_Trend, tag="consecutive_losses", kw_only=True):
    limit: RunDays


class AboveDryWeight(_Trend, tag="above_dry_weight"):
    pass


class WeightGain(_Trend, tag="weight_gain"):
    days: Annotated[int, Meta(ge=1, le=30)] = 2


class NegativeUfDays(_Trend, tag="negative_uf_days", kw_only=True):
    limit: RunDays


class IntakePctOfPlan(_Trend, tag="intake_pct_of_plan"):
    pass


class LargeVomits(_Trend, tag="large_vomits"):
    hours: Annotated[float, Meta(gt=0, le=24 * 7)] = 24


class Spo2BelowTarget(_Trend, tag="spo2_below_target"):
    pass


class Spo2DropFromBaseline(_Trend, tag="spo2_drop_from_baseline"):
    baseline_days: Annotated[int, Meta(ge=1, le=60)] = 14
    min_readings: Annotated[int, Meta(ge=1, le=100)] = 5


class IdwgPct(_Trend, tag="idwg_pct"):
    max_gap_days: Annotated[int, Meta(ge=1, le=14)] = 4


class PostWeightAboveDry(_Trend, tag="post_weight_above_dry"):
    sessions: Annotated[int, Meta(ge=1, le=20)] = 2
    max_days: Annotated[int, Meta(ge=1, le=60)] = 14


class ScoreRise(_Trend, tag="score_rise", kw_only=True):
    form: Name
    max_days: Annotated[int, Meta(ge=1, le=90)] = 21


class FeedsPerDay(_Trend, tag="feeds_per_day"):
    pass


class WetNappiesPerDay(_Trend, tag="wet_nappies_per_day"):
    pass


class UfDropPct(_Trend, tag="uf_drop_pct"):
    min_days: Annotated[int, Meta(ge=1, le=7)] = 3


TREND_SCHEMAS: tuple[type[_Trend], ...] = (
    GrowthVelocity,
    WeightGainPerDay,
    LossFromPeakPct,
    WeightLossPct,
    ConsecutiveLosses,
    AboveDryWeight,
    WeightGain,
    NegativeUfDays,
    IntakePctOfPlan,
    LargeVomits,
    Spo2BelowTarget,
    Spo2DropFromBaseline,
    IdwgPct,
    PostWeightAboveDry,
    ScoreRise,
    FeedsPerDay,
    WetNappiesPerDay,
    UfDropPct,
)
TrendParams = Union[TREND_SCHEMAS]  # noqa: UP007 - a union built from the tuple above


class MissingParams(_Params, kw_only=True):
    of: Annotated[list[Name], Meta(min_length=1, max_length=MAX_LIST)]
    days: Annotated[int, Meta(ge=1, le=365)] | None = None
    hours: Annotated[float, Meta(gt=0, le=24 * 365)] | None = None
    # A weekday-list patient parameter ("session_days"): only those local days count towards days.
    scheduled_by: Name | None = None
    # Only registrations above 0 end a gap (a wet nappy, not "0 wet nappies").
    nonzero: bool | None = None


class AnswerParams(_Params, kw_only=True):
    match: Specs
    with_any: Specs | None = None
    within_hours: WithinHours | None = None
    # That many of the match specs answered in one form response (Anthonisen: 2 or 3 of 3).
    at_least: Annotated[int, Meta(ge=1, le=MAX_LIST)] | None = None


SCHEMAS: dict[str, Any] = {
    "threshold": ThresholdParams,
    "trend": TrendParams,
    "missing": MissingParams,
    "answer": AnswerParams,
}

_PATH = " - at `$"


def _problem(error: msgspec.ValidationError) -> str:
    """msgspec's "Expected `int`, got `str` - at `$.window_minutes`" as "params.window_minutes: …"."""
    message = str(error)
    reason, _, path = message.partition(_PATH)
    path = path.rstrip("`").lstrip(".")
    if reason.startswith("Object missing required field `") or reason.startswith("Object contains unknown field `"):
        named = reason.split("`")[1]
        path = f"{path}.{named}" if path else named
    return f"params.{path}: {reason}" if path else f"params: {reason}"


def _cross_problems(kind: str, params: Any) -> list[str]:
    """What one field's schema cannot say: how fields go together."""
    problems = []
    if isinstance(params, ThresholdParams):
        news2 = params.type in (NEWS2_TOTAL, NEWS2_SINGLE)
        for key in ("window_minutes", "confusion_answer"):
            if getattr(params, key) is not None and not news2:
                problems.append(f"params.{key}: only a NEWS2 rule has it")
        if params.component is not None and news2:
            problems.append("params.component: a NEWS2 score has no components")
        if params.sustained is not None:
            problems += _sustained_problems(params.sustained, news2)
    elif isinstance(params, _GrowthWindow) and params.max_days < params.days:
        problems.append("params.max_days: must be at least days")
    elif isinstance(params, MissingParams):
        if (params.days is None) == (params.hours is None):
            problems.append("params.days: give either days or hours, not both or neither")
        if params.scheduled_by is not None and params.days is None:
            problems.append("params.scheduled_by: a schedule counts days, only with days")
    elif isinstance(params, AnswerParams):
        problems += _specs_problems("match", params.match)
        if params.at_least is not None and params.at_least > len(params.match):
            problems.append("params.at_least: must be at most the number of match entries")
    if isinstance(params, _Trend | AnswerParams):
        problems += _specs_problems("with_any", params.with_any or [])
        if params.within_hours is not None and params.with_any is None:
            problems.append("params.within_hours: only with with_any")
    return problems


def _sustained_problems(sustained: Sustained, news2: bool) -> list[str]:
    if news2:
        return ["params.sustained: NEWS2 is scored from a set of readings, not a series"]
    if sustained.readings is None and sustained.minutes is None:
        return ["params.sustained: give readings (with within_minutes) and/or minutes"]
    if sustained.within_minutes is not None and sustained.readings is None:
        return ["params.sustained.within_minutes: only with readings"]
    return []


def _specs_problems(name: str, specs: list[AnswerSpec]) -> list[str]:
    problems = []
    for index, spec in enumerate(specs):
        problems += _spec_problems(f"params.{name}[{index}]", spec)
    return problems


def _spec_problems(where: str, spec: AnswerSpec) -> list[str]:
    if spec.attribute is not None and spec.component is not None:
        return [f"{where}.component: an answer spec reads an attribute or a component, not both"]
    if (spec.op is None) != (spec.limit is None):
        return [f"{where}.op: op and limit go together"]
    if spec.op is not None and spec.any_of is not None:
        return [f"{where}.any_of: give any_of or op with limit, not both"]
    return []


def params_problems(kind: str, params: Any) -> list[str]:
    """Why these params do not fit the kind's schema (empty when they do)."""
    schema = SCHEMAS.get(kind)
    if schema is None:
        return [f"unknown rule kind {kind!r}"]
    try:
        parsed = msgspec.convert(params, schema, strict=True)
    except msgspec.ValidationError as error:
        return [_problem(error)]
    return _cross_problems(kind, parsed)


@dataclass(frozen=True)
class Vocabulary:
    """What rules may name: measurement types (with their components and attributes), form codes
    and form answers ("<form>/<link_id>")."""

    types: frozenset[str]
    forms: frozenset[str]
    answers: frozenset[str]

    def observable(self, name: str) -> bool:
        return name in self.types or name in self.answers or name == CONTACT_REQUEST


def vocabulary_problems(kind: str, params: dict[str, Any], vocabulary: Vocabulary) -> list[str]:
    """Names in params (already fitting the schema) that the catalogue does not know."""
    problems = []
    match kind:
        case "threshold":
            if params["type"] not in (NEWS2_TOTAL, NEWS2_SINGLE) and params["type"] not in vocabulary.types:
                problems.append("params.type: not a measurement type")
            confusion = params.get("confusion_answer")
            if confusion is not None and confusion not in vocabulary.answers:
                problems.append("params.confusion_answer: not a form answer (<form>/<link_id>)")
        case "missing":
            for index, name in enumerate(params["of"]):
                if name not in vocabulary.types and name not in vocabulary.forms:
                    problems.append(f"params.of[{index}]: not a measurement type or form")
        case "trend":
            form = params.get("form")
            if form is not None and form not in vocabulary.forms:
                problems.append("params.form: not a form")
    if kind in ("answer", "trend"):
        for key in ("match", "with_any"):
            for index, spec in enumerate(params.get(key) or []):
                if not vocabulary.observable(spec["type"]):
                    problems.append(f"params.{key}[{index}].type: not a measurement type or form answer")
    return problems
