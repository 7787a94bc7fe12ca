"""Trend measures: values computed from a patient's series (growth, weight change, fluid balance,
daily intake) that trend rules compare against their limits. Pure functions, no I/O.

"Per day" always means the patient's local calendar day (`backend.timezones`): parents weigh at
the same time each morning and count a day's feeds from midnight to midnight, including on the
23- and 25-hour days when the clocks change.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from alerting.engine.days import day_length
from alerting.engine.types import Finding, Listing, Observation, PatientContext, Phrase, Rule, Term, phrase
from backend.timezones import day_bounds, local_day, zone

WEIGHT = "body_weight"
FEED = "feeding_volume"
ULTRAFILTRATION = "ultrafiltration_volume"
WET_NAPPIES = "wet_nappies"
VOMITING = "vomiting"
SPO2 = "spo2"

# A day-to-day weight change this large is more likely a mis-entry (wrong scale, clothes, child)
# than physiology: docs/clinical-rules.md, C1 and C4 (plausibility). We still alert, and say so.
IMPLAUSIBLE_DAILY_CHANGE_PCT = 15.0


def _measured_at(obs: Observation) -> datetime:
    return obs.measured_at


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
    window = _growth_window(rule, timeline)
    if window is None:
        return None
    (start_day, start), (end_day, end), days = window
    assert start.value is not None and end.value is not None
    velocity = exponential_velocity(start.value, end.value, days)
    detail = phrase(
        "weights_over_days", start=start.value, start_day=start_day, end=end.value, end_day=end_day, days=days
    )
    label = phrase("growth_over", days=days)
    return Finding(velocity, "g/kg/d", label, (start.id, end.id), end.measured_at, (detail,))


def _growth_window(
    rule: Rule, timeline: Timeline
) -> tuple[tuple[date, Observation], tuple[date, Observation], int] | None:
    """The daily weights a growth measure compares: the latest, and the most recent one at least
    `days` and at most `max_days` local days before it (a longer window would average away a
    recent stall, so then there is nothing to say yet)."""
    if not timeline.has_new(WEIGHT):
        return None
    series = timeline.daily_last(WEIGHT)
    if not series:
        return None
    end_day, end = series[-1]
    shortest, longest = int(rule.params.get("days", 3)), int(rule.params.get("max_days", 7))
    starts = [(day, obs) for day, obs in series if shortest <= (end_day - day).days <= longest]
    if not starts:
        return None
    start_day, start = starts[-1]
    return (start_day, start), (end_day, end), (end_day - start_day).days


def weight_gain_per_day(rule: Rule, timeline: Timeline) -> Finding | None:
    """Absolute gain in g/day over the same window as `growth_velocity`: the alternative for larger
    infants on home NG programmes, where 20-30 g/day is adequate (docs/clinical-rules.md, C1)."""
    window = _growth_window(rule, timeline)
    if window is None:
        return None
    (start_day, start), (end_day, end), days = window
    assert start.value is not None and end.value is not None
    detail = phrase(
        "weights_over_days", start=start.value, start_day=start_day, end=end.value, end_day=end_day, days=days
    )
    gain = (end.value - start.value) / days
    label = phrase("weight_gain_over", days=days)
    return Finding(gain, "g/d", label, (start.id, end.id), end.measured_at, (detail,))


def loss_from_peak_pct(rule: Rule, timeline: Timeline) -> Finding | None:
    """Loss from the highest daily weight of the previous `days` local days to the latest, in %
    of that peak. After tube feeds stop a plateau or a slight loss is expected (DigiHOPP), so the
    day-to-day rules are off in that phase and this one watches the cumulative loss instead."""
    if not timeline.has_new(WEIGHT):
        return None
    series = timeline.daily_last(WEIGHT)
    if not series:
        return None
    end_day, end = series[-1]
    window = [(day, obs) for day, obs in series if 1 <= (end_day - day).days <= int(rule.params.get("days", 7))]
    if not window:
        return None
    peak_day, peak = max(window, key=lambda item: (item[1].value or 0.0, item[0]))
    assert peak.value is not None and end.value is not None
    loss = (peak.value - end.value) / peak.value * 100
    detail = phrase("weights_from_highest", peak=peak.value, peak_day=peak_day, end=end.value, end_day=end_day)
    label = Term("weight_loss_from_highest")
    return Finding(loss, "%", label, (peak.id, end.id), end.measured_at, (detail,))


def _previous(series: list[tuple[date, Observation]], max_gap: int) -> tuple[date, Observation] | None:
    if len(series) < 2:
        return None
    (day, obs), (end_day, _) = series[-2], series[-1]
    return (day, obs) if (end_day - day).days <= max_gap else None


def _plausibility(change_pct: float) -> tuple[Phrase, ...]:
    if abs(change_pct) > IMPLAUSIBLE_DAILY_CHANGE_PCT:
        return (phrase("implausible", pct=IMPLAUSIBLE_DAILY_CHANGE_PCT),)
    return ()


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
    detail = phrase("weights_day_to_day", start=prev.value, start_day=prev_day, end=end.value, end_day=end_day)
    label = Term("weight_loss_since_previous_day")
    return Finding(loss, "%", label, (prev.id, end.id), end.measured_at, (detail, *_plausibility(loss)))


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
    grams = Listing(tuple(phrase("grams", value=obs.value) for _, obs in used), " → ")
    ids = tuple(obs.id for _, obs in used)
    label = Term("consecutive_weight_losses")
    return Finding(float(run), "d", label, ids, series[-1][1].measured_at, (phrase("grams_series", weights=grams),))


def above_dry_weight(rule: Rule, timeline: Timeline) -> Finding | None:
    """Latest weight above the clinician-set target ("dry") weight, in kg."""
    dry_kg = timeline.context.parameters.get("dry_weight_kg")
    weights = [obs for obs in timeline.of_type(WEIGHT) if obs.value is not None]
    if not timeline.has_new(WEIGHT) or dry_kg is None or not weights:
        return None
    latest = weights[-1]
    assert latest.value is not None
    excess = latest.value / 1000 - float(dry_kg)
    detail = phrase("above_dry_weight", weight=latest.value / 1000, dry=float(dry_kg))
    return Finding(excess, "kg", Term("weight_above_dry_weight"), (latest.id,), latest.measured_at, (detail,))


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
    detail = phrase(
        "kilograms_from_to", start=low.value / 1000, start_day=low_day, end=end.value / 1000, end_day=end_day
    )
    label = phrase("weight_gain_over", days=span)
    return Finding(gain, "kg", label, (low.id, end.id), end.measured_at, (detail,))


def negative_uf_days(rule: Rule, timeline: Timeline) -> Finding | None:
    """Consecutive local days, up to the latest with data, whose registered net UF adds up below 0.

    The latest day counts with what has been registered so far: a patient who is not getting fluid
    back should be told by the unit early (docs/clinical-rules.md, C3), and the severity is only `low`.
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
    days = Listing(tuple(phrase("uf_day", day=day, total=total) for day, total, _ in run))
    ids = tuple(obs.id for _, _, items in run for obs in items)
    label = Term("negative_uf_days")
    return Finding(float(len(run)), "d", label, ids, run[-1][2][-1].measured_at, (phrase("uf_days", days=days),))


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
        weight_g, weight_note, weight_ids = weights[-1].value or 0.0, Term("latest_weight"), (weights[-1].id,)
    elif parameters.get("birth_weight_g"):
        weight_g, weight_note, weight_ids = float(parameters["birth_weight_g"]), Term("birth_weight"), ()
    else:
        return None
    hours = day_length(day, timeline.context.time_zone) / timedelta(hours=1)
    plan = float(prescribed) * weight_g / 1000 * hours / 24
    total = sum(obs.value or 0.0 for obs in feeds)
    detail = phrase(
        "intake",
        day=day,
        clock=None if hours == 24 else phrase("clock_change", hours=hours),
        total=total,
        feeds=len(feeds),
        plan=plan,
        prescribed=float(prescribed),
        weight=weight_g / 1000,
        weight_note=weight_note,
    )
    at = feeds[-1].measured_at if feeds else end
    ids = tuple(obs.id for obs in feeds) + weight_ids
    return Finding(total / plan * 100 if plan else 0.0, "%", Term("intake_of_plan"), ids, at, (detail,))


# -- counts per day and in a window -------------------------------------------------------------


def _per_24_hours(count: float, day: date, zone: str) -> tuple[float, Phrase | None]:
    """A day's count held to 24 hours: on a 23- or 25-hour day (clock change) the count is scaled
    and rounded up, so a rhythm that kept time is never short by the clock's hour."""
    hours = day_length(day, zone) / timedelta(hours=1)
    if hours == 24:
        return count, None
    return float(math.ceil(count * 24 / hours - 1e-9)), phrase("clock_change_counted", hours=hours, count=count)


def feeds_per_day(rule: Rule, timeline: Timeline, day: date) -> Finding | None:
    """Feeds on one local day that is over: registrations with a volume, and breastfeeds (whose
    volume a parent may not know). DigiHOPP asks for at least 8 per 24 hours."""
    start, end = day_bounds(day, timeline.context.time_zone)
    feeds = [
        obs
        for obs in timeline.between(FEED, start, end)
        if (obs.value or 0) > 0 or obs.attributes.get("route") == "breast"
    ]
    if not feeds:
        return None
    count, clock = _per_24_hours(float(len(feeds)), day, timeline.context.time_zone)
    detail = phrase("feeds", day=day, clock=clock, feeds=Listing(tuple(_feed(obs, timeline) for obs in feeds)))
    ids = tuple(obs.id for obs in feeds)
    return Finding(count, "", Term("feeds_in_a_day"), ids, feeds[-1].measured_at, (detail,))


def wet_nappies_per_day(rule: Rule, timeline: Timeline, day: date) -> Finding | None:
    """Wet nappies on one local day that is over: a day's registrations add up (one per nappy,
    or the daily check's count). DigiHOPP: 4-7 per 24 hours."""
    start, end = day_bounds(day, timeline.context.time_zone)
    nappies = [obs for obs in timeline.between(WET_NAPPIES, start, end) if obs.value is not None]
    if not nappies:
        return None
    total, clock = _per_24_hours(sum(obs.value or 0.0 for obs in nappies), day, timeline.context.time_zone)
    detail = phrase("nappies", day=day, clock=clock, count=len(nappies))
    ids = tuple(obs.id for obs in nappies)
    return Finding(total, "", Term("wet_nappies_in_a_day"), ids, nappies[-1].measured_at, (detail,))


def _feed(obs: Observation, timeline: Timeline) -> Phrase:
    """A feed in a day's list: its local time, and its volume when it has one (not a breastfeed)."""
    local = obs.measured_at.astimezone(zone(timeline.context.time_zone))
    volume = phrase("feed_volume", volume=obs.value) if obs.value else None
    return phrase("feed", time=f"{local:%H:%M}", volume=volume)


def large_vomits(rule: Rule, timeline: Timeline) -> Finding | None:
    """Large vomits (vomiting registrations of size "large", each counting its episodes) in the
    `hours` up to the newest new one. Their colour is judged by the bilious-vomit rule."""
    new = [obs for obs in timeline.new if obs.type == VOMITING]
    if not new:
        return None
    newest = max(obs.measured_at for obs in new)
    since = newest - timedelta(hours=float(rule.params.get("hours", 24)))
    window = timeline.between(VOMITING, since, newest + timedelta(microseconds=1))
    large = [obs for obs in window if obs.attributes.get("size") == "large" and (obs.value or 0) > 0]
    if not large:
        return None
    total = sum(obs.value or 0.0 for obs in large)
    local_since = since.astimezone(zone(timeline.context.time_zone))
    detail = phrase("large_vomits_since", count=len(large), day=local_since.date(), time=f"{local_since:%H:%M}")
    label = phrase("large_vomits_in", hours=rule.params.get("hours", 24))
    return Finding(total, "", label, tuple(o.id for o in large), newest, (detail,))


# -- SpO2 against the patient's own numbers ------------------------------------------------------


def _on_oxygen(obs: Observation, context: PatientContext) -> bool:
    for flag in (obs.attributes.get("on_oxygen"), context.parameters.get("home_oxygen")):
        if isinstance(flag, bool):
            return flag
    return False


def _lowest_new(timeline: Timeline, type_: str) -> Observation | None:
    new = [obs for obs in timeline.new if obs.type == type_ and obs.value is not None]
    return min(new, key=lambda obs: (obs.value, obs.measured_at)) if new else None


def spo2_below_target(rule: Rule, timeline: Timeline) -> Finding | None:
    """How many points the lowest new SpO2 lies below the patient's own lower target
    (`spo2_target_low`, set by the clinician, e.g. 88 % on scale 2); nothing without a target."""
    target = timeline.context.parameters.get("spo2_target_low")
    lowest = _lowest_new(timeline, SPO2)
    if lowest is None or not isinstance(target, int | float) or isinstance(target, bool):
        return None
    assert lowest.value is not None
    high = timeline.context.parameters.get("spo2_target_high")
    in_words = (
        phrase("spo2_target_range", low=target, high=high)
        if isinstance(high, int | float)
        else phrase("spo2_target_floor", low=target)
    )
    detail = phrase("spo2_lowest", lowest=lowest.value, target=in_words)
    label = Term("spo2_below_target_by")
    return Finding(target - lowest.value, "points", label, (lowest.id,), lowest.measured_at, (detail,))


def spo2_drop_from_baseline(rule: Rule, timeline: Timeline) -> Finding | None:
    """Points the lowest new SpO2 lies below the patient's own baseline: the median of their
    readings over the `baseline_days` before it (at least `min_readings` of them), on air or on
    oxygen like the reading judged, since the two are not comparable."""
    lowest = _lowest_new(timeline, SPO2)
    if lowest is None:
        return None
    assert lowest.value is not None
    context = timeline.context
    days = int(rule.params.get("baseline_days", 14))
    oxygen = _on_oxygen(lowest, context)
    baseline = [
        obs.value
        for obs in timeline.between(SPO2, lowest.measured_at - timedelta(days=days), lowest.measured_at)
        if obs.value is not None and obs.id not in timeline.new_ids and _on_oxygen(obs, context) == oxygen
    ]
    if len(baseline) < int(rule.params.get("min_readings", 5)):
        return None
    median = statistics.median(baseline)
    detail = phrase(
        "spo2_baseline",
        lowest=lowest.value,
        median=median,
        count=len(baseline),
        days=days,
        oxygen=Term("on_oxygen" if oxygen else "on_air"),
    )
    label = Term("spo2_below_baseline_by")
    return Finding(median - lowest.value, "points", label, (lowest.id,), lowest.measured_at, (detail,))


# -- dialysis ----------------------------------------------------------------------------------


def uf_drop_pct(rule: Rule, timeline: Timeline, day: date) -> Finding | None:
    """How far one local day's net UF fell below the median of the 7 days before it, in %
    (at least `min_days` of them with data, and a positive median): PD patients are taught to
    tell the unit when they stop getting fluid back."""
    totals = {d: (total, items) for d, total, items in timeline.daily_totals(ULTRAFILTRATION)}
    if day not in totals:
        return None
    before = [totals[d][0] for n in range(1, 8) if (d := day - timedelta(days=n)) in totals]
    if len(before) < int(rule.params.get("min_days", 3)):
        return None
    median = statistics.median(before)
    if median <= 0:
        return None
    total, items = totals[day]
    detail = phrase("uf_median", day=day, total=total, median=median, count=len(before))
    drop = (median - total) / median * 100
    label = Term("uf_below_median_by")
    return Finding(drop, "%", label, tuple(o.id for o in items), items[-1].measured_at, (detail,))


PRE_DIALYSIS, POST_DIALYSIS = "pre_dialysis", "post_dialysis"


def _timed_weights(timeline: Timeline, timing: str) -> list[Observation]:
    return [obs for obs in timeline.of_type(WEIGHT) if obs.value is not None and obs.attributes.get("timing") == timing]


def _dry_weight(timeline: Timeline) -> float | None:
    dry = timeline.context.parameters.get("dry_weight_kg")
    return float(dry) if isinstance(dry, int | float) and not isinstance(dry, bool) and dry > 0 else None


def idwg_pct(rule: Rule, timeline: Timeline) -> Finding | None:
    """Interdialytic weight gain: the latest new pre-dialysis weight less the last post-dialysis
    weight before it (at most `max_gap_days` earlier), in % of dry weight (haemodialysis)."""
    dry = _dry_weight(timeline)
    pres = [obs for obs in timeline.new if obs.type == WEIGHT and obs.attributes.get("timing") == PRE_DIALYSIS]
    if dry is None or not pres:
        return None
    pre = max(pres, key=_measured_at)
    gap = timedelta(days=float(rule.params.get("max_gap_days", 4)))
    posts = [
        obs
        for obs in _timed_weights(timeline, POST_DIALYSIS)
        if pre.measured_at - gap <= obs.measured_at < pre.measured_at
    ]
    if pre.value is None or not posts:
        return None
    post = posts[-1]
    assert post.value is not None
    gain = (pre.value - post.value) / 1000
    detail = phrase(
        "idwg",
        post=post.value / 1000,
        post_day=timeline.day(post.measured_at),
        pre=pre.value / 1000,
        gain=gain,
        dry=dry,
    )
    label = Term("interdialytic_weight_gain")
    return Finding(gain / dry * 100, "%", label, (post.id, pre.id), pre.measured_at, (detail,))


def post_weight_above_dry(rule: Rule, timeline: Timeline) -> Finding | None:
    """The smallest excess over dry weight, in kg, of the last `sessions` post-dialysis weights
    (within `max_days`): "above the limit on 2 sessions" is "the smaller of the two is above"."""
    dry = _dry_weight(timeline)
    if dry is None or not any(
        obs.attributes.get("timing") == POST_DIALYSIS for obs in timeline.new if obs.type == WEIGHT
    ):
        return None
    posts = _timed_weights(timeline, POST_DIALYSIS)
    sessions = int(rule.params.get("sessions", 2))
    last = posts[-sessions:]
    if len(last) < sessions or last[-1].measured_at - last[0].measured_at > timedelta(
        days=float(rule.params.get("max_days", 14))
    ):
        return None
    excess = min((obs.value or 0.0) / 1000 - dry for obs in last)
    weights = Listing(
        tuple(
            phrase("post_weight", weight=(obs.value or 0.0) / 1000, day=timeline.day(obs.measured_at)) for obs in last
        )
    )
    detail = phrase("post_weights", weights=weights, dry=dry)
    label = phrase("post_weight_above", sessions=sessions)
    return Finding(excess, "kg", label, tuple(o.id for o in last), last[-1].measured_at, (detail,))


# -- forms ---------------------------------------------------------------------------------------


def score_type(form: str) -> str:
    """The observation type of a form response's score (alerting.engine.observations)."""
    return f"{form}/score"


def score_rise(rule: Rule, timeline: Timeline) -> Finding | None:
    """Rise of a form's score from the previous response (within `max_days`) to the newest new one."""
    type_ = score_type(rule.params["form"])
    new = [obs for obs in timeline.new if obs.type == type_ and obs.value is not None]
    if not new:
        return None
    latest = max(new, key=_measured_at)
    since = latest.measured_at - timedelta(days=float(rule.params.get("max_days", 21)))
    previous = [obs for obs in timeline.between(type_, since, latest.measured_at) if obs.value is not None]
    if not previous:
        return None
    before = previous[-1]
    assert before.value is not None and latest.value is not None
    detail = phrase(
        "score_rise",
        before=before.value,
        before_day=timeline.day(before.measured_at),
        latest=latest.value,
        latest_day=timeline.day(latest.measured_at),
    )
    rise = latest.value - before.value
    return Finding(rise, "", Term("score_rise"), (before.id, latest.id), latest.measured_at, (detail,))


Measure = Callable[["Rule", Timeline], Finding | None]
DailyMeasure = Callable[["Rule", Timeline, date], Finding | None]

MEASURES: dict[str, Measure] = {
    "growth_velocity": growth_velocity,
    "weight_gain_per_day": weight_gain_per_day,
    "loss_from_peak_pct": loss_from_peak_pct,
    "large_vomits": large_vomits,
    "spo2_below_target": spo2_below_target,
    "spo2_drop_from_baseline": spo2_drop_from_baseline,
    "idwg_pct": idwg_pct,
    "post_weight_above_dry": post_weight_above_dry,
    "score_rise": score_rise,
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
    "feeds_per_day": (FEED, feeds_per_day),
    "wet_nappies_per_day": (WET_NAPPIES, wet_nappies_per_day),
    "uf_drop_pct": (ULTRAFILTRATION, uf_drop_pct),
}
