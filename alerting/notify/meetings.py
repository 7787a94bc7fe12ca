"""A meeting about to start: `MEETING_NOTICE` before `starts_at` (or as soon as the worker sees it,
if it was planned later or the worker was down, while the meeting is not over) the phones of the
patient, their guardians (unless they turned `meeting` off in `/me/notification-settings`) and
the meeting's named participants get `{"type":"meeting","meeting_id"}`. Once per meeting: the
worker that takes it stamps `meetings.starting_pushed_at`; an ended meeting is never announced."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg
import msgspec

from alerting.notify import family
from alerting.notify.service import queries

MEETING_NOTICE = timedelta(minutes=10)


async def announce_starting(conn: asyncpg.Connection, now: datetime) -> int:
    """Push "starting soon" for every meeting due; how many pushes were queued."""
    queued = 0
    async with conn.transaction():
        for meeting in await conn.fetch(queries.take_starting_meetings, now, now + MEETING_NOTICE):
            queued += await family.tell_family(conn, meeting["patient_id"], "meeting", now, meeting_id=meeting["id"])
            rows = await conn.fetch(queries.insert_participant_meeting_deliveries, meeting["id"], now)
            if rows:
                wake = msgspec.json.encode({"alert_ids": [str(meeting["id"])]}).decode()
                await conn.execute(queries.notify_alerts, wake)
            queued += len(rows)
    return queued
