"""Gentle reminders to the family, before a registration is missing data.

Each missing-data rule of the patient's programme (alerting/engine/defaults.py) says when a
registration is expected: the daily weight by the end of each day, a dialysis session by the end
of each scheduled day, a wet nappy within 8 hours. When `REMIND_AT` of the rule's window has gone
by (from when the registration became due to when the rule raises its alert) and nothing came,
the phones of the patient and their guardians get `{"type":"reminder","patient_id"}`: for the
daily weight, 18:00 on the day it is due. Once per gap and rule group, marked like the sweep's
raises (`alert_sweep_marks`, rule code `reminder:<group>`), so another worker or a later sweep
does not remind again; a registration starts a new gap. Past the deadline the alert is raised
instead (alerting/sweep.py) and no reminder is sent. Families turn reminders off with
`/me/notification-settings` {"reminder": false}.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from alerting import failures
from alerting.engine.rules import MissingWindow, missing_windows
from alerting.engine.types import OnFailure, PatientContext, Rule
from alerting.notify import family
from alerting.notify.service import queries

# The fraction of a rule's window after which the family is reminded.
REMIND_AT = 0.75
MARK_PREFIX = "reminder:"


def due_reminders(
    last_seen: Mapping[str, datetime | None],
    rules: Sequence[Rule],
    context: PatientContext,
    *,
    on_failure: OnFailure | None = None,
) -> dict[str, MissingWindow]:
    """The rule groups whose registration is due and not yet missing at `context.now`, with the
    window of the group's first deadline (a 2-day rule waits behind the 1-day one)."""
    groups = {rule.code: rule.group or rule.code for rule in rules}
    first: dict[str, MissingWindow] = {}
    for code, window in missing_windows(last_seen, rules, context, on_failure=on_failure).items():
        group = groups[code]
        if group not in first or window.deadline < first[group].deadline:
            first[group] = window
    now = context.now
    return {
        group: window
        for group, window in first.items()
        if window.due_from + (window.deadline - window.due_from) * REMIND_AT <= now < window.deadline
    }


async def remind_family(
    conn: asyncpg.Connection,
    patient_id: UUID,
    last_seen: Mapping[str, datetime | None],
    rules: Sequence[Rule],
    context: PatientContext,
) -> int:
    """Within the sweep's transaction: mark and push the reminders now due; how many pushes. A
    rule that cannot be counted is reported and skipped, as the sweep's own rules are: a reminder
    must never hold up the missing-data alerts of the same transaction."""
    due = due_reminders(last_seen, rules, context, on_failure=failures.reporter(failures.SWEEP, patient_id))
    if not due:
        return 0
    codes = [MARK_PREFIX + group for group in due]
    gaps = [window.gap for window in due.values()]
    fresh = await conn.fetch(queries.mark_reminders, patient_id, codes, gaps, context.now)
    if not fresh:
        return 0
    # One push however many registrations are due: it says only "something is due".
    return await family.tell_family(conn, patient_id, "reminder", context.now)
