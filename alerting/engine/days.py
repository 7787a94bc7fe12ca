"""Day arithmetic only the rules need, on top of `backend.timezones` (which turns instants into
the patient's local days and back for everyone): how long a local day lasted, and calendar months
for ages. Pure functions, no I/O.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from backend.timezones import Zone, day_bounds


def day_length(day: date, tz: Zone) -> timedelta:
    """How long `day` lasts in the zone: what a per-day total was collected over."""
    start, end = day_bounds(day, tz)
    return end - start


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later, or the month's last day when it is shorter (an
    age of 3 months from 30 November is reached on 28 or 29 February)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
