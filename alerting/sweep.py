"""The worker's sweep of each followed patient: what no upload triggers.

- Missing data (`evaluate_missing`): nothing arrived, so nothing was evaluated. Each rule is raised
  once per gap: the (rule, patient, last registration) is marked in `alert_sweep_marks`, so
  another worker, a later sweep, or a clinician who resolved the alert while the data is still
  missing does not raise it again; data that arrives resolves it (alerting/service.py) and starts
  a new gap. A longer gap is a more severe rule of the same group (1 day, then 2), which raises
  the open alert's severity and notifies again. Before the deadline, the family gets a gentle
  reminder (alerting/notify/reminders.py).
- Whole-day rules (`evaluate_day`, intake of plan): an upload judges a day only once it is over
  (alerting/engine/relevance.py `due`), and feeds registered on time never are; so the sweep judges each
  local day once, `DAY_GRACE` after the patient's midnight (a phone syncing the last evening feed
  comes in first), marked per (rule, patient, day). A day monitored only in part is not judged
  (half a day's feeds always look like too little), nor one with nothing registered at all: that
  is a gap in the registrations, not a measured 0 % of plan, and paging a clinician with "intake
  0 %" for a phone left unused would teach them to ignore the rule.

A patient is swept in one transaction under a per-patient advisory lock that other workers skip.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from alerting import failures
from alerting.engine import relevance, trends
from alerting.engine.defaults import DEFAULT_RULES
from alerting.engine.observations import from_measurement
from alerting.engine.rules import applies, evaluate_day, evaluate_missing, missing_keys
from alerting.engine.types import Decision, Rule
from alerting.notify import reminders
from alerting.service import PatientRules, load_patient_rules, record_decisions
from backend.db import load_queries
from backend.timezones import day_bounds, local_day

queries = load_queries(__file__)
log = logging.getLogger("heima.alerting.sweep")


def _swept(rule: Rule) -> bool:
    return rule.kind == "missing" or _whole_day(rule)


def _whole_day(rule: Rule) -> bool:
    return rule.kind == "trend" and rule.params.get("measure") in trends.DAILY_MEASURES


# Only their patients are swept: an override changes a programme's default rule, never adds one.
SWEPT_PROGRAMMES = sorted(code for code, rules in DEFAULT_RULES.items() if any(_swept(r) for r in rules))
PAGE = 500
# pg_try_advisory_xact_lock(class, hashtext(patient)): "swep" in ASCII.
LOCK_CLASS = 0x73776570
DAY_GRACE = timedelta(minutes=30)
# Days judged back from the latest one over: a worker outage of a day loses none.
DAYS_BACK = 2
# What `evaluate_day` needs before the day: the latest weight for the plan (a week of missed weighing).
DAY_HISTORY = timedelta(days=7)
# The connection itself failed: the whole sweep stops and the worker tries again next round.
CONNECTION_LOST = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


async def sweep_all(conn: asyncpg.Connection, now: datetime) -> int:
    """Every followed patient at `now`, page by page; how many alerts were raised or made worse."""
    raised = 0
    after = UUID(int=0)
    while True:
        page = await conn.fetch(queries.select_sweep_patients, now, SWEPT_PROGRAMMES, after, PAGE)
        for row in page:
            try:
                raised += await sweep_patient(conn, row["patient_id"], now)
            except CONNECTION_LOST:
                raise
            except Exception:
                # One patient's data or rules must not stop the sweep of every other patient (nor
                # the worker): logged, rolled back, and tried again next sweep.
                log.exception("alerting.sweep.patient_failed", extra={"patient_id": str(row["patient_id"])})
        if len(page) < PAGE:
            return raised
        after = page[-1]["patient_id"]


async def sweep_patient(conn: asyncpg.Connection, patient_id: UUID, now: datetime) -> int:
    """One patient, in one transaction; skipped while another worker sweeps the same patient."""
    async with conn.transaction():
        if not await conn.fetchval(queries.try_lock_patient_sweep, LOCK_CLASS, patient_id):
            return 0
        patient = await load_patient_rules(conn, patient_id, now)
        if patient is None:
            return 0
        last_seen = await _last_seen(conn, patient_id, patient)
        decisions = await _missing(patient_id, patient, last_seen, conn) + await _whole_days(conn, patient_id, patient)
        await reminders.remind_family(conn, patient_id, last_seen, patient.rules, patient.context)
        outcomes = await record_decisions(conn, patient_id, patient, decisions, now)
    for outcome in outcomes:
        log.info(
            "alerting.sweep.raised",
            extra={"alert_id": str(outcome.id), "severity": outcome.severity, "new": outcome.raised},
        )
    return len(outcomes)


async def _marked(
    conn: asyncpg.Connection, patient_id: UUID, periods: list[tuple[str, datetime]], now: datetime
) -> set[str]:
    """The rules of (rule, period) pairs marked just now: those not dealt with before."""
    if not periods:
        return set()
    rules, starts = zip(*periods, strict=True)
    rows = await conn.fetch(queries.mark_sweep_raises, patient_id, list(rules), list(starts), now)
    return {row["rule_code"] for row in rows}


async def _last_seen(conn: asyncpg.Connection, patient_id: UUID, patient: PatientRules) -> dict[str, datetime | None]:
    """When each type or form the patient's missing rules count was last registered."""
    keys = sorted({key for rule in patient.rules if rule.kind == "missing" for key in missing_keys(rule)})
    if not keys:
        return {}
    rows = await conn.fetch(queries.select_last_registrations, patient_id, keys)
    return {row["key"]: row["last"] for row in rows}


async def _missing(
    patient_id: UUID, patient: PatientRules, last_seen: dict[str, datetime | None], conn: asyncpg.Connection
) -> list[Decision]:
    if not last_seen:
        return []
    # The finding's instant is the last registration it counted from: the gap's identity.
    on_failure = failures.reporter(failures.SWEEP, patient_id)
    missing = evaluate_missing(last_seen, patient.rules, patient.context, on_failure=on_failure)
    decisions = [d for d in missing if d.observed_at]
    fresh = await _marked(conn, patient_id, [(d.rule, d.observed_at) for d in decisions], patient.context.now)  # type: ignore[misc]
    return [d for d in decisions if d.rule in fresh]


async def _whole_days(conn: asyncpg.Connection, patient_id: UUID, patient: PatientRules) -> list[Decision]:
    context = patient.context
    rules = [rule for rule in patient.rules if _whole_day(rule) and applies(rule, context)]
    if not rules or context.monitoring_since is None:
        return []
    zone = context.time_zone
    last_over = local_day(context.now - DAY_GRACE, zone) - timedelta(days=1)
    decisions: list[Decision] = []
    for back in range(DAYS_BACK - 1, -1, -1):
        day = last_over - timedelta(days=back)
        start = day_bounds(day, zone)[0]
        if start < context.monitoring_since:
            continue
        fresh = await _marked(conn, patient_id, [(rule.code, start) for rule in rules], context.now)
        if not fresh:
            continue
        reads = relevance.history_reads(rules)
        types = None if reads is relevance.ANY else sorted(reads)  # type: ignore[arg-type]
        rows = await conn.fetch(queries.select_history_measurements, patient_id, start - DAY_HISTORY, types)
        history = [from_measurement(row) for row in rows]
        end = day_bounds(day, zone)[1]
        registered = {obs.type for obs in history if start <= obs.measured_at < end}
        judged = [rule for rule in rules if rule.code in fresh and _measured_type(rule) in registered]
        on_failure = failures.reporter(failures.SWEEP, patient_id)
        decisions.extend(evaluate_day(day, history, judged, context, on_failure=on_failure))
    return decisions


def _measured_type(rule: Rule) -> str:
    return trends.DAILY_MEASURES[rule.params["measure"]][0]
