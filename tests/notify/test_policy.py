"""The policy's decisions about time, pure: staffed-hours boundaries (a DST night included), the
next opening, who is told, and what is due when."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from alerting.notify.policy import (
    InHours,
    Member,
    OutOfHours,
    Policy,
    PolicyError,
    Recipients,
    Staffed,
    Timing,
    check,
    deliver_at,
    due,
    first_circle,
    is_staffed,
    next_staffed_start,
    timing,
)

DAY_UNIT = Policy(staffed=Staffed(start="08:00", end="22:00"))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "staffed"),
    [
        (utc(2026, 11, 23, 6, 59, 59), False),  # 07:59:59 in Oslo (CET, +1)
        (utc(2026, 11, 23, 7, 0), True),  # 08:00
        (utc(2026, 11, 23, 20, 59, 59), True),  # 21:59:59
        (utc(2026, 11, 23, 21, 0), False),  # 22:00: the end is not staffed
        (utc(2026, 7, 1, 6, 0), True),  # 08:00 in summer (CEST, +2)
        (utc(2026, 7, 1, 5, 59), False),
    ],
)
def test_staffed_hours_are_local_clock_times(at, staffed):
    assert is_staffed(DAY_UNIT, at) is staffed


def test_over_the_spring_dst_night_the_digest_comes_at_eight_local():
    # Saturday 28 March 2026 23:00 CET; the clocks jump from 02:00 to 03:00 that night.
    night = utc(2026, 3, 28, 22, 0)
    assert deliver_at(DAY_UNIT, "low", night) == (utc(2026, 3, 29, 6, 0), True)  # 08:00 CEST
    # ... and over the autumn night (25 October) at 08:00 CET.
    assert deliver_at(DAY_UNIT, "low", utc(2026, 10, 24, 21, 0)) == (utc(2026, 10, 25, 7, 0), True)


def test_an_opening_the_clocks_jump_over_is_when_they_land():
    early = Policy(staffed=Staffed(start="02:30", end="12:00"))
    assert next_staffed_start(early, utc(2026, 3, 28, 23, 0)) == utc(2026, 3, 29, 1, 0)  # 03:00 CEST


def test_weekday_units_open_on_monday():
    weekdays = Policy(staffed=Staffed(start="08:00", end="16:00", days=[1, 2, 3, 4, 5]))
    friday_evening = utc(2026, 11, 20, 16, 0)  # 17:00 Friday
    assert next_staffed_start(weekdays, friday_evening) == utc(2026, 11, 23, 7, 0)
    assert next_staffed_start(weekdays, utc(2026, 11, 23, 9, 0)) == utc(2026, 11, 23, 9, 0)  # open: now


def test_high_and_medium_never_wait_and_low_waits_only_outside_staffed_hours():
    night = utc(2026, 11, 23, 23, 0)
    assert deliver_at(DAY_UNIT, "high", night) == (night, False)
    assert deliver_at(DAY_UNIT, "medium", night) == (night, False)
    day = utc(2026, 11, 23, 10, 0)
    assert deliver_at(DAY_UNIT, "low", day) == (day, False)


def test_who_is_told_first():
    nurse, physician, on_call = (Member(uuid.uuid4(), p) for p in ("nurse", "physician", "nurse"))
    members = [nurse, physician, on_call]
    policy = Policy(
        staffed=Staffed(start="08:00", end="22:00"),
        on_call=[on_call.user_id],
        in_hours=InHours(medium=Recipients("professions", ["physician"])),
        out_of_hours=OutOfHours(medium=Recipients("on_call")),
    )
    day, night = utc(2026, 11, 23, 10, 0), utc(2026, 11, 23, 23, 0)
    assert first_circle(policy, "medium", day, members) == {physician.user_id}
    assert first_circle(policy, "medium", night, members) == {on_call.user_id}
    assert first_circle(policy, "high", night, members) == {m.user_id for m in members}
    # A circle that names nobody who can be told is everyone.
    assert first_circle(policy, "medium", night, [nurse, physician]) == {nurse.user_id, physician.user_id}


def test_what_is_due():
    timer = Timing(repeat=timedelta(minutes=15), escalate_after=timedelta(minutes=60))
    t0 = utc(2026, 11, 23, 10, 0)

    def at(minutes: int, step: int = 0, notified: int = 0, undelivered: bool = False):
        return due(
            timer,
            step=step,
            last_step=2,
            step_since=t0,
            notified_at=t0 + timedelta(minutes=notified),
            undelivered=undelivered,
            now=t0 + timedelta(minutes=minutes),
        )

    assert at(14) is None
    assert at(15) == ("repeat", "unacknowledged")
    assert at(60, notified=45) == ("escalate", "unacknowledged")
    assert at(1, undelivered=True) == ("escalate", "undelivered")
    assert at(75, step=2, notified=60) == ("repeat", "unacknowledged")  # the last step repeats on
    assert at(61, step=2, undelivered=True, notified=60) is None


def test_default_timers():
    assert timing(None, "high", timedelta(minutes=5)) == Timing(timedelta(minutes=5), timedelta(minutes=5))
    assert timing(None, "medium", timedelta(minutes=5)) == Timing(timedelta(minutes=15), timedelta(hours=1))
    assert timing(DAY_UNIT, "low", timedelta(minutes=5)) is None


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        (Policy(staffed=Staffed(start="22:00", end="08:00")), "staffed.end"),
        (Policy(staffed=Staffed(days=[])), "staffed.days"),
        (Policy(staffed=Staffed(days=[1, 1])), "staffed.days"),
        (msgspec.convert({"out_of_hours": {"medium": {"who": "on_call"}}}, Policy), "on_call"),
        (msgspec.convert({"in_hours": {"low": {"who": "professions"}}}, Policy), "in_hours.low.professions"),
        (Policy(time_zone="Mars/Olympus"), "time_zone"),
        (Policy(in_hours=InHours(high=Recipients("everyone", ["nurse"]))), "in_hours.high.professions"),
    ],
)
def test_checks_name_the_field(policy, field):
    with pytest.raises(PolicyError) as error:
        check(policy)
    assert error.value.field == field
