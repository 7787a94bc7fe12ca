"""Trend measures: values computed from a patient's series (growth, weight change, fluid balance,
daily intake) that trend rules compare against their limits. Pure functions, no I/O.

"Per day" always means the patient's local calendar day (`backend.timezones`): parents weigh at
the same time each morning and count a day's feeds from midnight to midnight, including on the
23- and 25-hour days when the clocks change.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from backend.timezones import day_bounds, day_length, local_day

if TYPE_CHECKING:
    from alerting.rules import Observation, PatientContext, Rule

WEIGHT = "body_weight"
FEED = "feeding_volume"
ULTRAFILTRATION = "ultrafiltration_volume"

# A day-to-day weight change this large is more likely a mis-entry (wrong scale, clothes, child)
# than physiology: CLINICAL.md §3.4 plausibility. We still alert, and say so.
IMPLAUSIBLE_DAILY_CHANGE_PCT = 15.0


def _measured_at(obs: Observation) -> datetime:
    return obs.measured_at


@dataclass(frozen=True)
class Finding:
    """What a rule looked at: the value it compares with its limit, and where it came from."""

    value: float | str | bool | None
    unit: str
    label: str
    observation_ids: tuple[str, ...]
    at: datetime | None
    detail: str = ""


@dataclass
class Timeline:
    """The observations a batch is evaluated against: history and the new batch, once each,
    oldest first and indexed by type (rules run per upload: this is on the hot path)."""

    new: list[Observation]
    all: list[Observation]
    context: PatientContext
    new_ids: frozenset[str] = frozenset()
    by_type: dict[str, list[Observation]] = field(default_factory=dict)
    new_types: frozenset[str] = frozenset()
    cache: dict[Any, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, new: Iterable[Observation], history: Iterable[Observation], context: PatientContext) -> Timeline:
        new = list(new)
        for obs in new:
            # History comes from timestamptz columns; a naive new time would be read as server
            # local time and land on the wrong patient day.
            if obs.measured_at.tzinfo is None or obs.measured_at.utcoffset() is None:
                raise ValueError(f"observation {obs.id} has a naive measured_at")
        merged = {obs.id: obs for obs in history}
        merged.update({obs.id: obs for obs in new})  # a resent id is the new version
        ordered = sorted(merged.values(), key=lambda obs: (obs.measured_at, obs.id))
        new_ids = frozenset(obs.id for obs in new)
        by_type: dict[str, list[Observation]] = {}
        for obs in ordered:
            by_type.setdefault(obs.type, []).append(obs)
        fresh = [obs for obs in ordered if obs.id in new_ids]
        return cls(fresh, ordered, context, new_ids, by_type, frozenset(obs.type for obs in fresh))

    def of_type(self, type_: str) -> list[Observation]:
        return self.by_type.get(type_, [])

    def between(self, type_: str, since: datetime | None, until: datetime) -> list[Observation]:
        """Observations of a type in [since, until), by bisection of the time-ordered list."""
        items = self.of_type(type_)
        low = 0 if since is None else bisect_left(items, since, key=_measured_at)
        return items[low : bisect_left(items, until, key=_measured_at)]

    def has_new(self, type_: str) -> bool:
        return type_ in self.new_types

    def day(self, instant: datetime) -> date:
        return local_day(instant, self.context.time_zone)

    def daily_last(self, type_: str) -> list[tuple[date, Observation]]:
        """The last numeric value of each local day, oldest day first: a daily series."""
        key = ("daily_last", type_)
        if key not in self.cache:
            days: dict[date, Observation] = {}
            for obs in self.of_type(type_):
                if obs.value is not None:
                    days[self.day(obs.measured_at)] = obs
            self.cache[key] = sorted(days.items())
        return self.cache[key]

    def daily_totals(self, type_: str) -> list[tuple[date, float, list[Observation]]]:
        days: dict[date, list[Observation]] = {}
        for obs in self.of_type(type_):
            if obs.value is not None:
                days.setdefault(self.day(obs.measured_at), []).append(obs)
        return [(day, sum(o.value or 0.0 for o in items), items) for day, items in sorted(days.items())]


def _short(day: date) -> str:
    return day.strftime("%d %b").lstrip("0")


def exponential_velocity(start_g: float, end_g: float, days: int) -> float:
    """Growth velocity in g/kg/day by the exponential method: 1000 × ln(end / start) / days.

    Patel et al. (Pediatrics 2005;116:1466) found it the most accurate of the usual methods, and
    the average-weight 2-point method within ~0.1 g/kg/day of it; dividing the gain by the weight
    at the start instead reads ~2 % high (1800 → 1881 g over 3 days: 15.0 instead of 14.67), which
    would delay a "below 10" alert.
    """
    return 1000 * math.log(end_g / start_g) / days


def growth_velocity(rule: Rule, timeline: Timeline) -> Finding | None:
    """Growth in g/kg/day (`exponential_velocity`) from the daily weight `days` or more local
    days back.

    ESPGHAN targets 15-20 g/kg/day; a single day is scale noise (~10 g on a 1.6 kg infant is
    0.6 %), hence >= 3 days. Days are counted as local calendar days because parents weigh at
    the same clock time: across a clock change 3 mornings are 71 or 73 hours apart, not 72.
    """
    if not timeline.has_new(WEIGHT):
        return None
    series = timeline.daily_last(WEIGHT)
    if not series:
        return None
    end_day, end = series[-1]
    shortest, longest = int(rule.params.get("days", 3)), int(rule.params.get("max_days", 7))
    # The most recent weight that is far enough back; a longer window than `max_days` would
    # average away a recent stall, so then there is nothing to say yet.
    starts = [(day, obs) for day, obs in series if shortest <= (end_day - day).days <= longest]
    if not starts:
        return None
    start_day, start = starts[-1]
    days = (end_day - start_day).days
    assert start.value is not None and end.value is not None
    velocity = exponential_velocity(start.value, end.value, days)
    detail = f"{start.value:.0f} g ({_short(start_day)}) → {end.value:.0f} g ({_short(end_day)}) over {days} days."
    return Finding(velocity, "g/kg/d", f"Growth over {days} days", (start.id, end.id), end.measured_at, detail)


def _previous(series: list[tuple[date, Observation]], max_gap: int) -> tuple[date, Observation] | None:
    if len(series) < 2:
        return None
    (day, obs), (end_day, _) = series[-2], series[-1]
    return (day, obs) if (end_day - day).days <= max_gap else None


def _plausibility(change_pct: float) -> str:
    if abs(change_pct) > IMPLAUSIBLE_DAILY_CHANGE_PCT:
        return f" A change over {IMPLAUSIBLE_DAILY_CHANGE_PCT:.0f} %/day is implausible: check for a mis-entry."
    return ""


def weight_loss_pct(rule: Rule, timeline: Timeline) -> Finding | None:
    """Loss since the previous local day's weight, in % of that weight (a gain is negative)."""
    if not timeline.has_new(WEIGHT):
        return None
    series = timeline.daily_last(WEIGHT)
    previous = _previous(series, int(rule.params.get("max_gap_days", 1)))
    if previous is None:
        return None
    (prev_day, prev), (end_day, end) = previous, series[-1]
    assert prev.value is not None and end.value is not None
    loss = (prev.value - end.value) / prev.value * 100
    detail = f"{prev.value:.0f} g ({_short(prev_day)}) → {end.value:.0f} g ({_short(end_day)})." + _plausibility(loss)
    return Finding(loss, "%", "Weight loss since previous day", (prev.id, end.id), end.measured_at, detail)


def consecutive_losses(rule: Rule, timeline: Timeline) -> Finding | None:
    """How many consecutive local days ended lighter than the day before, counting back from the
    latest. A missed day breaks the run: we cannot tell a loss across a gap from noise."""
    if not timeline.has_new(WEIGHT):
        return None
    series = timeline.daily_last(WEIGHT)
    run = 0
    for (day, obs), (next_day, next_obs) in zip(reversed(series[:-1]), reversed(series[1:]), strict=True):
        if (next_day - day).days != 1 or next_obs.value is None or obs.value is None or next_obs.value >= obs.value:
            break
        run += 1
    if run == 0:
        return None
    used = series[-run - 1 :]
    detail = " → ".join(f"{obs.value:.0f}" for _, obs in used) + " g."
    ids = tuple(obs.id for _, obs in used)
    return Finding(float(run), "d", "Consecutive daily weight losses", ids, series[-1][1].measured_at, detail)


def above_dry_weight(rule: Rule, timeline: Timeline) -> Finding | None:
    """Latest weight above the clinician-set target ("dry") weight, in kg."""
    dry_kg = timeline.context.parameters.get("dry_weight_kg")
    weights = [obs for obs in timeline.of_type(WEIGHT) if obs.value is not None]
    if not timeline.has_new(WEIGHT) or dry_kg is None or not weights:
        return None
    latest = weights[-1]
    assert latest.value is not None
    excess = latest.value / 1000 - float(dry_kg)
    detail = f"{latest.value / 1000:.1f} kg vs dry weight {float(dry_kg):.1f} kg."
    return Finding(excess, "kg", "Weight above dry weight", (latest.id,), latest.measured_at, detail)


def weight_gain(rule: Rule, timeline: Timeline) -> Finding | None:
    """Gain from the lowest daily weight of the previous `days` local days to the latest weight.

    The lowest, not the oldest, because fluid overload shows as a rise from the last good weight,
    wherever in the window it was.
    """
    if not timeline.has_new(WEIGHT):
        return None
    series = timeline.daily_last(WEIGHT)
    if not series:
        return None
    end_day, end = series[-1]
    span = int(rule.params.get("days", 2))
    window = [(day, obs) for day, obs in series if 1 <= (end_day - day).days <= span]
    if not window:
        return None
    low_day, low = min(window, key=lambda item: (item[1].value, item[0]))
    assert low.value is not None and end.value is not None
    gain = (end.value - low.value) / 1000
    detail = f"{low.value / 1000:.1f} kg ({_short(low_day)}) → {end.value / 1000:.1f} kg ({_short(end_day)})."
    return Finding(gain, "kg", f"Weight gain over {span} days", (low.id, end.id), end.measured_at, detail)


def negative_uf_days(rule: Rule, timeline: Timeline) -> Finding | None:
    """Consecutive local days, up to the latest with data, whose registered net UF adds up below 0.

    The latest day counts with what has been registered so far: a patient who is not getting fluid
    back should be told by the unit early (CLINICAL.md §3.3), and the severity is only `low`.
    """
    if not timeline.has_new(ULTRAFILTRATION):
        return None
    totals = timeline.daily_totals(ULTRAFILTRATION)
    run: list[tuple[date, float, list[Observation]]] = []
    for item in reversed(totals):
        if item[1] >= 0 or (run and (run[-1][0] - item[0]).days != 1):
            break
        run.append(item)
    if not run:
        return None
    run.reverse()
    detail = ", ".join(f"{_short(day)} {total:.0f} mL" for day, total, _ in run) + "."
    ids = tuple(obs.id for _, _, items in run for obs in items)
    return Finding(float(len(run)), "d", "Days with negative net UF", ids, run[-1][2][-1].measured_at, detail)


def intake_pct_of_plan(rule: Rule, timeline: Timeline, day: date) -> Finding | None:
    """One local day's enteral intake as % of the plan: prescribed mL/kg/day x latest weight.

    The plan is scaled by the day's length, so a 23-hour day (spring clock change) is held to
    23/24 of it and a 25-hour day to 25/24: a 3-hourly feeding rhythm does not know about clocks.
    """
    parameters = timeline.context.parameters
    prescribed = parameters.get("prescribed_ml_per_kg_day")
    if prescribed is None:
        return None
    start, end = day_bounds(day, timeline.context.time_zone)
    feeds = [obs for obs in timeline.between(FEED, start, end) if obs.value is not None]
    weights = [obs for obs in timeline.between(WEIGHT, None, end) if obs.value is not None]
    if weights:
        weight_g, weight_note, weight_ids = weights[-1].value or 0.0, "latest weight", (weights[-1].id,)
    elif parameters.get("birth_weight_g"):
        weight_g, weight_note, weight_ids = float(parameters["birth_weight_g"]), "birth weight", ()
    else:
        return None
    hours = day_length(day, timeline.context.time_zone) / timedelta(hours=1)
    plan = float(prescribed) * weight_g / 1000 * hours / 24
    total = sum(obs.value or 0.0 for obs in feeds)
    clock = "" if hours == 24 else f" ({hours:.0f}-hour day: clock change)"
    detail = (
        f"{_short(day)}{clock}: {total:.0f} mL in {len(feeds)} feeds; plan {plan:.0f} mL "
        f"= {float(prescribed):g} mL/kg/day × {weight_g / 1000:.2f} kg ({weight_note})."
    )
    at = feeds[-1].measured_at if feeds else end
    ids = tuple(obs.id for obs in feeds) + weight_ids
    return Finding(total / plan * 100 if plan else 0.0, "%", "Intake of plan", ids, at, detail)


Measure = Callable[["Rule", Timeline], Finding | None]
DailyMeasure = Callable[["Rule", Timeline, date], Finding | None]

MEASURES: dict[str, Measure] = {
    "growth_velocity": growth_velocity,
    "weight_loss_pct": weight_loss_pct,
    "consecutive_losses": consecutive_losses,
    "above_dry_weight": above_dry_weight,
    "weight_gain": weight_gain,
    "negative_uf_days": negative_uf_days,
}
# Measures of a whole local day, evaluated only once that day is over: part of a day always
# looks like too little.
DAILY_MEASURES: dict[str, tuple[str, DailyMeasure]] = {
    "intake_pct_of_plan": (FEED, intake_pct_of_plan),
}
