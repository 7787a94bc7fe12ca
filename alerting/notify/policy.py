"""A unit's notification policy, and the decisions it drives (pure: no I/O).

The policy says when the unit is staffed (local clock times in the unit's zone, on some weekdays),
who gets which severity in and outside those hours (everyone of the unit, the clinicians of some
professions, or the named on-call list), how often an unacknowledged alert is pushed again and
when it escalates. Three things are not the unit's to choose (docs/clinical-rules.md, C4; issue 15):

- a high alert always goes out at once, staffed or not;
- a low alert raised outside staffed hours waits for the morning digest (the next staffed start)
  instead of waking anyone;
- a circle that names nobody reachable (an empty on-call list, a profession the unit lacks, a
  clinician who left) falls back to everyone of the unit: a policy can narrow who is woken, never
  silence an alert.

Timers are bounded 15 minutes to 4 hours (Tidepool's RepeatMin/RepeatMax; docs/clinical-rules.md, C4
gives 15 minutes for urgent alerts). A unit with no policy of its own follows `DEFAULT`: staffed around
the clock, everyone told of everything, high alerts repeated and escalated every
HEIMA_ESCALATION_AFTER_SECONDS, medium alerts repeated every 15 minutes and escalated after an
hour (the hour is a project proposal: four unanswered repeats).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from backend.timezones import local_day, local_instant, zone

Severity = Literal["high", "medium", "low"]
Profession = Literal["nurse", "physician", "physiotherapist", "dietitian", "midwife", "other"]
ClockTime = Annotated[
    str, Meta(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", description="HH:MM, 24:00 ends a day")
]
Weekday = Annotated[int, Meta(ge=1, le=7, description="ISO weekday: 1 Monday … 7 Sunday")]
Minutes = Annotated[int, Meta(ge=15, le=240)]
ZoneName = Annotated[str, Meta(min_length=1, max_length=64)]
Phone = Annotated[str, Meta(pattern=r"^\+?[0-9][0-9 ]{2,22}[0-9]$", description="digits, spaces, a leading +")]

MIN_TIMER = timedelta(minutes=15)
MAX_TIMER = timedelta(hours=4)
EVERY_DAY = [1, 2, 3, 4, 5, 6, 7]


class Recipients(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Who is told: `everyone` of the unit, the clinicians of `professions`, or the `on_call` list."""

    who: Literal["everyone", "on_call", "professions"]
    professions: list[Profession] = msgspec.field(default_factory=list)


def _everyone() -> Recipients:
    return Recipients("everyone")


class InHours(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    high: Recipients = msgspec.field(default_factory=_everyone)
    medium: Recipients = msgspec.field(default_factory=_everyone)
    low: Recipients = msgspec.field(default_factory=_everyone)


class OutOfHours(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Outside staffed hours. Low alerts are not here: they wait for the morning digest."""

    high: Recipients = msgspec.field(default_factory=_everyone)
    medium: Recipients = msgspec.field(default_factory=_everyone)


class Staffed(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Staffed from `start` to `end` (local time in the policy's zone) on `days`."""

    start: ClockTime = "00:00"
    end: ClockTime = "24:00"
    days: list[Weekday] = msgspec.field(default_factory=lambda: list(EVERY_DAY))


class Timers(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Push an unacknowledged alert again every `repeat_minutes`; widen the circle after
    `escalate_after_minutes` at one step (the unit, then the hospital's physicians too)."""

    repeat_minutes: Minutes = 15
    escalate_after_minutes: Minutes = 15


class Policy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    time_zone: ZoneName = "Europe/Oslo"
    staffed: Staffed = msgspec.field(default_factory=Staffed)
    in_hours: InHours = msgspec.field(default_factory=InHours)
    out_of_hours: OutOfHours = msgspec.field(default_factory=OutOfHours)
    on_call: list[UUID] = msgspec.field(default_factory=list)
    high: Timers = msgspec.field(default_factory=Timers)
    medium: Timers = msgspec.field(default_factory=lambda: Timers(repeat_minutes=15, escalate_after_minutes=60))
    # Where a family calls when the unit is closed ("otherwise call the unit on …").
    phone: Phone | None = None


DEFAULT = Policy()


class PolicyError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def check(policy: Policy) -> None:
    """What the types cannot say; PolicyError names the field."""
    try:
        zone(policy.time_zone)
    except ValueError:
        raise PolicyError("time_zone", "not an IANA time zone") from None
    if _clock(policy.staffed.start) >= _clock(policy.staffed.end):
        raise PolicyError("staffed.end", "must be after staffed.start (24:00 for the end of the day)")
    if not policy.staffed.days:
        raise PolicyError("staffed.days", "must name at least one day")
    if len(set(policy.staffed.days)) != len(policy.staffed.days):
        raise PolicyError("staffed.days", "names a day twice")
    for period, recipients in _every_recipients(policy):
        if recipients.who == "professions" and not recipients.professions:
            raise PolicyError(f"{period}.professions", "must name at least one profession")
        if recipients.who != "professions" and recipients.professions:
            raise PolicyError(f"{period}.professions", "only for who = professions")
        if recipients.who == "on_call" and not policy.on_call:
            raise PolicyError("on_call", "must name at least one clinician when a severity goes to the on-call list")
    if len(set(policy.on_call)) != len(policy.on_call):
        raise PolicyError("on_call", "names a clinician twice")


def _every_recipients(policy: Policy) -> Iterable[tuple[str, Recipients]]:
    for severity in ("high", "medium", "low"):
        yield f"in_hours.{severity}", getattr(policy.in_hours, severity)
    for severity in ("high", "medium"):
        yield f"out_of_hours.{severity}", getattr(policy.out_of_hours, severity)


def _clock(text: str) -> timedelta:
    hours, minutes = text.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes))


def _wall(text: str) -> time:
    # 24:00 is the end of a day: the start of the next, handled by the callers.
    hours, minutes = text.split(":")
    return time(int(hours) % 24, int(minutes))


def _window(policy: Policy, day: date) -> tuple[datetime, datetime] | None:
    """The staffed instants [start, end) of a local day, or None when it is not a staffed day."""
    if day.isoweekday() not in policy.staffed.days:
        return None
    start = local_instant(day, _wall(policy.staffed.start), policy.time_zone)
    end_day = day + timedelta(days=1) if policy.staffed.end == "24:00" else day
    end = local_instant(end_day, _wall(policy.staffed.end), policy.time_zone)
    return start, end


def is_staffed(policy: Policy, at: datetime) -> bool:
    window = _window(policy, local_day(at, policy.time_zone))
    return window is not None and window[0] <= at < window[1]


def next_staffed_start(policy: Policy, at: datetime) -> datetime:
    """`at` when the unit is staffed then, else when it next opens (within a week: a policy
    names at least one staffed day)."""
    today = local_day(at, policy.time_zone)
    for offset in range(8):
        window = _window(policy, today + timedelta(days=offset))
        if window is None or window[1] <= at:
            continue
        return max(window[0], at)
    raise AssertionError("a checked policy is staffed at least one day a week")


@dataclass(frozen=True, slots=True)
class Member:
    """A clinician of the unit who can be told (not disabled)."""

    user_id: UUID
    profession: str | None


def first_circle(policy: Policy, severity: Severity, at: datetime, members: Sequence[Member]) -> set[UUID]:
    """Who is told first of an alert of `severity` raised at `at`: the policy's choice for the
    period, or everyone of the unit when that choice names nobody who can be told."""
    everyone = {m.user_id for m in members}
    staffed = is_staffed(policy, at)
    if staffed:
        recipients = getattr(policy.in_hours, severity)
    elif severity == "low":
        recipients = policy.in_hours.low  # the digest goes to those who get low alerts by day
    else:
        recipients = getattr(policy.out_of_hours, severity)
    match recipients.who:
        case "everyone":
            chosen = everyone
        case "professions":
            chosen = {m.user_id for m in members if m.profession in recipients.professions}
        case _:
            chosen = everyone.intersection(policy.on_call)
    return chosen or everyone


def deliver_at(policy: Policy, severity: Severity, at: datetime) -> tuple[datetime, bool]:
    """When the first push of an alert raised at `at` goes out, and whether it waits for the
    digest: only a low alert outside staffed hours waits."""
    if severity == "low" and not is_staffed(policy, at):
        return next_staffed_start(policy, at), True
    return at, False


@dataclass(frozen=True, slots=True)
class Timing:
    repeat: timedelta
    escalate_after: timedelta


def timing(policy: Policy | None, severity: Severity, default_high: timedelta) -> Timing | None:
    """The repeat and escalation timers of a severity (None: low alerts are not repeated). A unit
    without a policy of its own (None) takes DEFAULT, with `default_high` for high alerts."""
    if severity == "low":
        return None
    if policy is None and severity == "high":
        return Timing(default_high, default_high)
    timers: Timers = getattr(policy or DEFAULT, severity)
    return Timing(timedelta(minutes=timers.repeat_minutes), timedelta(minutes=timers.escalate_after_minutes))


def most_eager(timings: Iterable[Timing | None]) -> Timing | None:
    """A patient followed by several units is repeated and escalated by the most eager of them."""
    known = [t for t in timings if t is not None]
    if not known:
        return None
    return Timing(min(t.repeat for t in known), min(t.escalate_after for t in known))


Action = Literal["escalate", "repeat"]


def due(
    timer: Timing,
    *,
    step: int,
    last_step: int,
    step_since: datetime,
    notified_at: datetime,
    undelivered: bool,
    now: datetime,
) -> tuple[Action, str] | None:
    """What an open, unacknowledged alert needs now: escalate (widen the circle) when its step
    has waited `escalate_after` or nobody at it could be told, else repeat to the same circle when
    `repeat` has passed since the last push. With the reason, for the event."""
    if step < last_step and undelivered:
        return "escalate", "undelivered"
    if step < last_step and now - step_since >= timer.escalate_after:
        return "escalate", "unacknowledged"
    if now - notified_at >= timer.repeat:
        return "repeat", "undelivered" if undelivered else "unacknowledged"
    return None
