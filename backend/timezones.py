"""Days as the patient lives them: calendar days in the patient's IANA time zone.

Rules speak of "per day" (feeding volume per 24 h, "no weight registered today"). A day is the
patient's local calendar day, which is 23 or 25 hours long when the clocks change (Europe/Oslo:
the last Sunday of March and of October). Instants stay in UTC everywhere else; only these helpers
turn them into local days and back. Pure functions, no I/O.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Zone = str | ZoneInfo

_ONE_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"not an IANA time zone: {name!r}") from None


def zone(zone: Zone) -> ZoneInfo:
    """A ZoneInfo for a name (cached) or the ZoneInfo itself; ValueError for an unknown name."""
    return zone if isinstance(zone, ZoneInfo) else _zone(zone)


def _aware(instant: datetime) -> datetime:
    # A naive datetime would be read as the server's local time: a silent, wrong answer.
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("an instant needs a time zone (naive datetimes are ambiguous)")
    return instant


def local_day(instant: datetime, tz: Zone) -> date:
    """The patient's calendar date at `instant`: the day whose `day_bounds` hold it."""
    info = zone(tz)
    day = _aware(instant).astimezone(info).date()
    # Only where a zone set its clocks back across midnight (America/Goose_Bay did at 00:01 until
    # 2010) does the calendar show a day for a moment and then the one before again; that moment
    # belongs to the earlier day, so every instant has exactly one day and days never overlap.
    if instant < day_start(day, info):
        return day - _ONE_DAY
    return day


@lru_cache(maxsize=8192)
def _day_start(day: date, info: ZoneInfo) -> datetime:
    midnight = datetime.combine(day, time())
    first = midnight.replace(tzinfo=info).astimezone(UTC)  # fold=0: the earlier reading
    second = midnight.replace(tzinfo=info, fold=1).astimezone(UTC)
    exists = first.astimezone(info).replace(tzinfo=None) == midnight
    if not exists:
        return _end_of_gap(midnight, info)
    if second > first and (second - _SECOND).astimezone(info).date() < day:
        # Midnight happened twice and the clocks went back into the previous day in between:
        # the day begins for good at the second midnight.
        return second
    return first


def day_start(day: date, tz: Zone) -> datetime:
    """The first instant (UTC) of `day` in the zone: local midnight.

    Where the clocks jump over midnight (America/Santiago in September) the day starts when they
    land, and a day a zone skipped (Pacific/Apia, 2011-12-30) starts and ends at the same instant.
    Where midnight happens twice it is the first, unless the clocks went back into the day before
    in between.
    """
    return _day_start(day, zone(tz))


def _end_of_gap(wall: datetime, info: ZoneInfo) -> datetime:
    """The transition instant that jumps over the non-existent local time `wall`.

    fold=1 reads `wall` with the offset after the jump (an instant before the transition), fold=0
    with the offset before it (after the transition); the transition lies between, on a whole
    second (zone data has no finer transitions), so a bisection over seconds finds it.
    """
    low = wall.replace(tzinfo=info, fold=1).astimezone(UTC)
    high = wall.replace(tzinfo=info, fold=0).astimezone(UTC)
    if low > high:
        low, high = high, low
    # Invariant: the local time at `low` is before `wall`, at `high` it is not.
    while high - low > _SECOND:
        middle = low + (high - low) // 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(info).replace(tzinfo=None) < wall:
            low = middle
        else:
            high = middle
    return high


def day_bounds(day: date, tz: Zone) -> tuple[datetime, datetime]:
    """`day` as the half-open range [start, end) of UTC instants: 24 hours, or 23/25 on the days
    the clocks change (and 0 for a day a zone skipped)."""
    return day_start(day, tz), day_start(day + _ONE_DAY, tz)


def days_between(since: datetime, until: datetime, tz: Zone) -> list[date]:
    """The local days that overlap the half-open range [since, until), oldest first: the days a
    daily rule must look at (including today, however far it has come)."""
    if _aware(until) <= _aware(since):
        return []
    first = local_day(since, tz)
    last = local_day(until - timedelta(microseconds=1), tz)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def local_instant(day: date, wall: time, tz: Zone) -> datetime:
    """The instant (UTC) the local clock first shows `wall` on `day`: the earlier of two readings
    when the clocks go back, and the moment they land when they jump over it."""
    info = zone(tz)
    reading = datetime.combine(day, wall)
    first = reading.replace(tzinfo=info).astimezone(UTC)  # fold=0: the earlier reading
    if first.astimezone(info).replace(tzinfo=None) != reading:
        return _end_of_gap(reading, info)
    return first
