"""Local days in any IANA zone (backend/timezones.py, and the length of one in
alerting/engine/days.py): docs/reliability.md, R12.

Hypothesis draws zones from the machine's tz database and dates over two centuries; the fixed cases
pin Europe/Oslo's 23 h and 25 h days and the odd transitions other zones have had.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerting.engine.days import day_length
from backend.timezones import day_bounds, day_start, days_between, local_day, zone

# Deterministic (the same examples every run) and quick: a property, not a load test.
FAST = settings(max_examples=300, deadline=None, derandomize=True, database=None)

ZONES = st.sampled_from(sorted(available_timezones()))
DAYS = st.dates(min_value=date(1900, 1, 2), max_value=date(2100, 12, 30))
INSTANTS = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2100, 12, 30), timezones=st.just(UTC))
ONE_SECOND = timedelta(seconds=1)


def _wall(instant: datetime, name: str) -> datetime:
    return instant.astimezone(ZoneInfo(name)).replace(tzinfo=None)


def _midnight_exists(day: date, name: str) -> bool:
    midnight = datetime.combine(day, time())
    return any(
        _wall(midnight.replace(tzinfo=ZoneInfo(name), fold=fold).astimezone(UTC), name) == midnight for fold in (0, 1)
    )


@FAST
@given(name=ZONES, day=DAYS)
def test_a_day_starts_at_local_midnight(name, day):
    start, _ = day_bounds(day, name)
    assert start.tzinfo is UTC
    midnight = datetime.combine(day, time())
    if _midnight_exists(day, name):
        assert _wall(start, name) == midnight
    else:
        # The clocks jumped over midnight: the day starts where they landed.
        assert _wall(start, name) > midnight
        assert _wall(start - ONE_SECOND, name) < midnight


@FAST
@given(name=ZONES, day=DAYS)
def test_consecutive_days_tile_without_gaps_or_overlaps(name, day):
    before, this, after = (day_bounds(day + timedelta(days=n), name) for n in (-1, 0, 1))
    assert before[1] == this[0] and this[1] == after[0]
    assert before[0] <= before[1] <= this[1] <= after[1]
    # At most a day and a bit: the tz database has zones that skipped or repeated a whole day.
    assert timedelta(0) <= this[1] - this[0] <= timedelta(hours=48)


@FAST
@given(name=ZONES, instant=INSTANTS)
def test_every_instant_falls_in_exactly_one_local_day(name, instant):
    day = local_day(instant, name)
    holding = [d for d in (day - timedelta(days=1), day, day + timedelta(days=1)) if _holds(d, name, instant)]
    assert holding == [day]
    # And that day is the calendar date the patient sees, but for the minute Goose Bay-style
    # zones showed the next date before turning their clocks back across midnight.
    assert local_day(instant, name) in (_wall(instant, name).date(), _wall(instant, name).date() - timedelta(days=1))


def _holds(day: date, name: str, instant: datetime) -> bool:
    start, end = day_bounds(day, name)
    return start <= instant < end


@FAST
@given(name=ZONES, instant=INSTANTS, hours=st.integers(min_value=0, max_value=24 * 10))
def test_days_between_covers_the_range_in_order(name, instant, hours):
    until = instant + timedelta(hours=hours, minutes=1)
    days = days_between(instant, until, name)
    assert days[0] == local_day(instant, name)
    assert days[-1] == local_day(until - timedelta(microseconds=1), name)
    assert days == [days[0] + timedelta(days=n) for n in range(len(days))]


@FAST
@given(name=ZONES, instant=INSTANTS)
def test_the_offset_an_instant_is_written_with_does_not_matter(name, instant):
    as_local = instant.astimezone(ZoneInfo(name))
    assert local_day(as_local, name) == local_day(instant, name)
    assert local_day(as_local, ZoneInfo(name)) == local_day(instant, name)


# --- fixed cases -----------------------------------------------------------------------------------

OSLO = "Europe/Oslo"


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("day", "start", "end", "hours"),
    [
        (date(2026, 3, 29), "2026-03-28T23:00Z", "2026-03-29T22:00Z", 23),  # 02:00 → 03:00
        (date(2026, 10, 25), "2026-10-24T22:00Z", "2026-10-25T23:00Z", 25),  # 03:00 → 02:00
        (date(2026, 11, 22), "2026-11-21T23:00Z", "2026-11-22T23:00Z", 24),
        (date(2026, 7, 1), "2026-06-30T22:00Z", "2026-07-01T22:00Z", 24),
    ],
)
def test_oslo_days(day, start, end, hours):
    assert day_bounds(day, OSLO) == (_utc(start), _utc(end))
    assert day_length(day, OSLO) == timedelta(hours=hours)


def test_oslo_repeated_hour_belongs_to_the_day_once():
    # 02:30 happens twice on 2026-10-25: at 00:30Z (CEST) and at 01:30Z (CET).
    first, second = _utc("2026-10-25T00:30Z"), _utc("2026-10-25T01:30Z")
    assert _wall(first, OSLO) == _wall(second, OSLO) == datetime(2026, 10, 25, 2, 30)
    assert local_day(first, OSLO) == local_day(second, OSLO) == date(2026, 10, 25)


def test_oslo_midnight_edges():
    assert local_day(_utc("2026-03-28T22:59:59.999999Z"), OSLO) == date(2026, 3, 28)
    assert local_day(_utc("2026-03-28T23:00Z"), OSLO) == date(2026, 3, 29)
    assert local_day(_utc("2026-11-22T07:30Z"), OSLO) == date(2026, 11, 22)
    assert local_day(_utc("2026-11-22T23:00Z"), OSLO) == date(2026, 11, 23)


@pytest.mark.parametrize(
    ("name", "day", "start", "length"),
    [
        # Chile springs forward at midnight: the day starts at 01:00.
        ("America/Santiago", date(2026, 9, 6), "2026-09-06T04:00Z", timedelta(hours=23)),
        # Cuba fell back from 01:00 to midnight: the first midnight starts a 25-hour day.
        ("America/Havana", date(2025, 11, 2), "2025-11-02T04:00Z", timedelta(hours=25)),
        # Goose Bay turned its clocks back at 00:01 into the day before: the day starts for good at
        # the second midnight, and the minute in between belongs to the day before.
        ("America/Goose_Bay", date(2010, 11, 7), "2010-11-07T04:00Z", timedelta(hours=24)),
        # Toronto 1919 jumped from 23:30 to 00:30.
        ("America/Toronto", date(1919, 3, 31), "1919-03-31T04:30Z", timedelta(hours=23, minutes=30)),
        # Samoa skipped 30 December 2011 entirely.
        ("Pacific/Apia", date(2011, 12, 30), "2011-12-30T10:00Z", timedelta(0)),
        ("Pacific/Apia", date(2011, 12, 31), "2011-12-30T10:00Z", timedelta(hours=24)),
    ],
)
def test_odd_transitions(name, day, start, length):
    assert day_start(day, name) == _utc(start)
    assert day_length(day, name) == length


def test_goose_bay_minute_before_turning_back_belongs_to_the_earlier_day():
    name = "America/Goose_Bay"
    shown_as_next_day = _utc("2010-11-07T03:00:30Z")  # 00:00:30 on the 7th, clocks about to go back
    assert _wall(shown_as_next_day, name).date() == date(2010, 11, 7)
    assert local_day(shown_as_next_day, name) == date(2010, 11, 6)


def test_days_between():
    since, until = _utc("2026-03-28T12:00Z"), _utc("2026-03-30T00:00Z")
    assert days_between(since, until, OSLO) == [date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)]
    # Half-open: an end at local midnight does not touch the next day.
    assert days_between(since, _utc("2026-03-29T22:00Z"), OSLO) == [date(2026, 3, 28), date(2026, 3, 29)]
    assert days_between(until, since, OSLO) == []
    assert days_between(since, since, OSLO) == []


def test_naive_instants_and_unknown_zones_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        local_day(datetime(2026, 11, 22, 7, 30), OSLO)
    with pytest.raises(ValueError, match="IANA"):
        local_day(_utc("2026-11-22T07:30Z"), "Europe/Bergen")
    with pytest.raises(ValueError, match="IANA"):
        zone("../../etc/passwd")
    assert zone(OSLO) is zone(ZoneInfo(OSLO))
