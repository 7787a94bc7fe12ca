"""One strict schema per rule kind: what a rule's params may hold, with types and bounds.

A rule is checked against it as a whole (the programme default with a patient's override merged
over it), before it is stored and again whenever it is loaded, so that evaluation never meets a
value it cannot use: `{"window_minutes": "90"}` or `{"of": [{}]}` made every upload of a patient
answer 500 and hid a whole unit's overview (issue 11, finding 2). Types are strict: "90" is not 90,
`true` is not 1, 90.0 is not a whole number of minutes. Bounds keep every duration a rule adds to
an instant far from the calendar's ends.

`vocabulary_problems` adds what only the catalogue knows: the measurement types, forms and form
answers a rule may name. Pure: no I/O; the caller loads the vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from alerting.findings import CONTACT_REQUEST, NEWS2_SINGLE, NEWS2_TOTAL

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


class _Params(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    pass


class ThresholdParams(_Params, kw_only=True):
    type: Name
    op: Op
    limit: Limit
    component: Name | None = None
    max_age_months: Months | None = None
    min_age_months: Months | None = None
    # NEWS2 only (type news2 or news2_single): the span a "set" of vital signs is gathered over.
    window_minutes: Annotated[int, Meta(ge=1, le=24 * 60)] | None = None
    confusion_answer: Name | None = None


# Trend params, one struct per measure (tagged by `measure`): a measure's own options only.
class _Trend(_Params, tag_field="measure", kw_only=True):
    op: Op
    limit: Limit


class GrowthVelocity(_Trend, tag="growth_velocity"):
    days: Annotated[int, Meta(ge=1, le=30)] = 3
    max_days: Annotated[int, Meta(ge=1, le=30)] = 7


class WeightLossPct(_Trend, tag="weight_loss_pct"):
    max_gap_days: Annotated[int, Meta(ge=1, le=14)] = 1


class ConsecutiveLosses(_Trend, tag="consecutive_losses"):
    limit: RunDays


class AboveDryWeight(_Trend, tag="above_dry_weight"):
    pass


class WeightGain(_Trend, tag="weight_gain"):
    days: Annotated[int, Meta(ge=1, le=30)] = 2


class NegativeUfDays(_Trend, tag="negative_uf_days"):
    limit: RunDays


class IntakePctOfPlan(_Trend, tag="intake_pct_of_plan"):
    pass


TrendParams = (
    GrowthVelocity | WeightLossPct | ConsecutiveLosses | AboveDryWeight | WeightGain | NegativeUfDays | IntakePctOfPlan
)


class MissingParams(_Params, kw_only=True):
    of: Annotated[list[Name], Meta(min_length=1, max_length=MAX_LIST)]
    days: Annotated[int, Meta(ge=1, le=365)] | None = None
    hours: Annotated[float, Meta(gt=0, le=24 * 365)] | None = None


class AnswerSpec(_Params, kw_only=True):
    type: Name
    attribute: Name | None = None
    component: Name | None = None
    any_of: Annotated[list[Code | bool | Limit], Meta(min_length=1, max_length=MAX_LIST)] | None = None
    op: Op | None = None
    limit: Limit | None = None


Specs = Annotated[list[AnswerSpec], Meta(min_length=1, max_length=MAX_LIST)]


class AnswerParams(_Params, kw_only=True):
    match: Specs
    with_any: Specs | None = None
    within_hours: Annotated[float, Meta(gt=0, le=24 * 30)] | None = None


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
    elif isinstance(params, GrowthVelocity) and params.max_days < params.days:
        problems.append("params.max_days: must be at least days")
    elif isinstance(params, MissingParams) and (params.days is None) == (params.hours is None):
        problems.append("params.days: give either days or hours, not both or neither")
    elif isinstance(params, AnswerParams):
        for name, specs in (("match", params.match), ("with_any", params.with_any or [])):
            for index, spec in enumerate(specs):
                problems += _spec_problems(f"params.{name}[{index}]", spec)
        if params.within_hours is not None and params.with_any is None:
            problems.append("params.within_hours: only with with_any")
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
        case "answer":
            for key in ("match", "with_any"):
                for index, spec in enumerate(params.get(key) or []):
                    if not vocabulary.observable(spec["type"]):
                        problems.append(f"params.{key}[{index}].type: not a measurement type or form answer")
    return problems
