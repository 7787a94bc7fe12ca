"""The unit overview: what a nurse with a unit of 40–50 patients looks at on a shift.

For each patient enrolled in the unit now: the unresolved alerts, and the latest value of each
measurement type of their programmes, with whether it arrived late and whether it is stale (older
than the patient's missing-data rules allow). Most urgent patient first. Listing a patient is a
read of that patient (one access-log row each, written by the same statement that reads).

A unit that is not the caller's answers exactly like a unit that does not exist.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from alerting import failures
from alerting.engine.defaults import DEFAULT_RULES, default_rules
from alerting.engine.rules import apply_overrides, is_stale
from alerting.engine.types import LATE_AFTER, SEVERITY_RANK, PatientContext, Rule
from alerting.schemas import (
    AlertCounts,
    LatestValue,
    OverviewAlert,
    OverviewPatient,
    Severity,
    UnitOverview,
)
from backend.access.service import NOT_FOUND_DETAIL, Caller
from backend.db import load_queries
from backend.errors import ProblemError

queries = load_queries(__file__)

# Overrides of these rules change what counts as stale; other overrides are not read.
_MISSING_CODES = sorted({rule.code for rules in DEFAULT_RULES.values() for rule in rules if rule.kind == "missing"})


class _Value(msgspec.Struct):
    type: str
    measurement_id: UUID
    value: float | str | None
    components: dict[str, float] | None
    unit: str
    measured_at: datetime
    received_at: datetime


class _Override(msgspec.Struct):
    rule_code: str
    params: dict[str, Any]
    severity: Severity | None
    enabled: bool | None

    @property
    def provenance(self) -> None:
        return None  # staleness is not explained: who set an override is not read here


class _Row(msgspec.Struct):
    id: UUID
    display_name: str
    birth_date: date
    time_zone: str
    programmes: list[str]
    parameters: list[dict[str, Any]]  # of each enrolment followed now, oldest first
    alerts: list[OverviewAlert]
    overrides: list[_Override]
    types: list[str]
    latest: list[_Value]


_rows = msgspec.json.Decoder(list[_Row])


@functools.cache
def _default_missing(programmes: tuple[str, ...]) -> tuple[Rule, ...]:
    return tuple(r for r in default_rules(p for p in programmes if p in DEFAULT_RULES) if r.kind == "missing")


def _missing_rules(row: _Row) -> list[Rule]:
    """The patient's enabled missing-data rules, with their overrides (an override the rule no
    longer accepts is reported and ignored, as the evaluation ignores it)."""

    def unusable(rule: Rule, _: object) -> None:
        failures.report(failures.OVERVIEW, rule.code, "override_unusable", patient_id=row.id)

    overrides = {o.rule_code: o for o in row.overrides}
    rules, _ = apply_overrides(_default_missing(tuple(row.programmes)), overrides, unusable)
    return [rule for rule in rules if rule.enabled]


def _stale_types(row: _Row, now: datetime) -> set[str]:
    """The types whose latest value is older than one of the patient's missing-data rules allows,
    counted as those rules count (`rules.is_stale`): whole local days or hours, only the scheduled
    days of a schedule, only the rules that apply to this patient's parameters. A rule that fails
    is reported and left out: it never hides the patient, nor the unit."""
    context = PatientContext.of_enrolments(row.parameters, now=now, time_zone=row.time_zone, birth_date=row.birth_date)
    latest = {v.type: v.measured_at for v in row.latest}
    stale: set[str] = set()
    for rule in _missing_rules(row):
        try:
            stale.update(
                key for key in rule.params["of"] if key in latest and is_stale(rule, key, latest[key], context)
            )
        except Exception as error:  # noqa: BLE001 - one rule's failure is reported, the rest stand
            failures.report(failures.OVERVIEW, rule.code, error, patient_id=row.id)
    return stale


def _patient(row: _Row, now: datetime) -> tuple[tuple[Any, ...], OverviewPatient]:
    stale = _stale_types(row, now)
    latest = [
        LatestValue(
            type=v.type,
            measurement_id=v.measurement_id,
            value=v.value,
            components=v.components,
            unit=v.unit,
            measured_at=v.measured_at,
            received_at=v.received_at,
            late=v.received_at - v.measured_at > LATE_AFTER,
            stale=v.type in stale,
        )
        for v in row.latest
    ]
    measured = {v.type for v in row.latest}
    counts = {"high": 0, "medium": 0, "low": 0}
    for alert in row.alerts:
        counts[alert.severity] += 1
    # The alerts come highest severity first, then oldest first.
    opened = [alert for alert in row.alerts if alert.status == "open"]
    worst = row.alerts[0].severity if row.alerts else None
    stale_types = [v.type for v in latest if v.stale]
    patient = OverviewPatient(
        id=row.id,
        display_name=row.display_name,
        birth_date=row.birth_date,
        programmes=row.programmes,
        worst_severity=worst,
        open_alerts=len(opened),
        acknowledged_alerts=len(row.alerts) - len(opened),
        alert_counts=AlertCounts(**counts),
        alerts=row.alerts,
        latest=latest,
        never_measured=[t for t in row.types if t not in measured],
        stale_types=stale_types,
    )
    # Most urgent first: the worst unresolved severity, the worst not yet acknowledged, how long the
    # worst open alert has waited, the most stale types; then by name for a stable list.
    key = (
        -(SEVERITY_RANK[worst] if worst else 0),
        -(SEVERITY_RANK[opened[0].severity] if opened else 0),
        opened[0].raised_at if opened else now,
        -len(stale_types),
        row.display_name,
        str(row.id),
    )
    return key, patient


async def unit_overview(conn: asyncpg.Connection, caller: Caller, unit_id: UUID) -> UnitOverview:
    if unit_id not in caller.principal.unit_ids:
        raise ProblemError(404, NOT_FOUND_DETAIL)
    document = await conn.fetchval(
        queries.select_unit_overview,
        unit_id,
        caller.now,
        caller.id,
        caller.role,
        caller.request_id,
        _MISSING_CODES,
        caller.principal.session_id,
        caller.client_request_id,
    )
    rows = _rows.decode(document)
    caller.trail.add((row.id for row in rows), "overview", "read")  # the statement logged each of them
    ranked = sorted((_patient(row, caller.now) for row in rows), key=lambda pair: pair[0])
    return UnitOverview(unit_id=unit_id, at=caller.now, patients=[patient for _, patient in ranked])
