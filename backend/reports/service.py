"""The benefit report per tertial: what the programme office reports every four months.

A tertial is a third of the calendar year in Norwegian local time: T1 January–April, T2 May–August,
T3 September–December. The report covers the caller's units (or one of them), per programme and
unit, and shows no single patient: only counts, sums and percentiles. A unit that is not the
caller's answers like a unit that does not exist.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from alerting.engine.defaults import DEFAULT_RULES
from backend.access.service import NOT_FOUND_DETAIL, Caller
from backend.db import load_queries
from backend.errors import ProblemError, invalid
from backend.reports.schemas import (
    AlertFigures,
    ContactRequestFigures,
    EndReason,
    EnrolmentsEnded,
    MeetingFigures,
    ReportGroup,
    TertialReport,
)
from backend.timezones import day_start

queries = load_queries(__file__)

# Units have no time zone of their own yet: the programme office reports in Norwegian time.
REPORT_TIME_ZONE = "Europe/Oslo"
TERTIAL_FIRST_MONTH = {1: 1, 2: 5, 3: 9}
SEVERITIES = ("high", "medium", "low")

# The registrations each programme asks for, in registration days per week. premature-home: a
# weight every day (DigiHOPP: daily weighing); home-dialysis: the daily PD session; copd: twice a
# week (the cadence the programme's 4-day missing-data rule follows, as in Dignio and Luscii).
EXPECTED_REGISTRATION_DAYS_PER_WEEK = {"premature-home": 7.0, "home-dialysis": 7.0, "copd": 2.0}


def tertial_bounds(year: int, tertial: int) -> tuple[date, date, datetime, datetime]:
    """(first day, last day, start instant, end instant) of a tertial in REPORT_TIME_ZONE."""
    first = date(year, TERTIAL_FIRST_MONTH[tertial], 1)
    following = date(year + 1, 1, 1) if tertial == 3 else date(year, TERTIAL_FIRST_MONTH[tertial + 1], 1)
    last = date.fromordinal(following.toordinal() - 1)
    return first, last, day_start(first, REPORT_TIME_ZONE), day_start(following, REPORT_TIME_ZONE)


async def tertial_report(
    conn: asyncpg.Connection,
    caller: Caller,
    *,
    year: int,
    tertial: int,
    programme: str | None,
    unit_id: UUID | None,
) -> TertialReport:
    if unit_id is not None and unit_id not in caller.principal.unit_ids:
        raise ProblemError(404, NOT_FOUND_DETAIL)
    if programme is not None and not await conn.fetchval(queries.select_programme_exists, programme):
        raise invalid("programme", "no such programme; see GET /api/v1/programmes")
    first, last, starts_at, ends_at = tertial_bounds(year, tertial)
    counted_until = max(starts_at, min(ends_at, caller.now))
    # The queries take a half-open window: one microsecond past now, so that what happened at this
    # very instant (an upload that raised an alert just now) counts in the running tertial.
    until = max(starts_at, min(ends_at, caller.now + timedelta(microseconds=1)))
    units = [unit_id] if unit_id is not None else list(caller.principal.unit_ids)
    window = (starts_at, until, units, programme)

    rule_pairs = [(code, rule.code) for code, rules in DEFAULT_RULES.items() for rule in rules]
    followed = await conn.fetch(queries.select_followed, *window)
    registrations = _by_group(await conn.fetch(queries.select_registrations, *window))
    alerts = _many_by_group(
        await conn.fetch(queries.select_alerts, *window, [p for p, _ in rule_pairs], [r for _, r in rule_pairs])
    )
    contacts = _by_group(await conn.fetch(queries.select_contact_requests, *window))
    meetings = _many_by_group(await conn.fetch(queries.select_meetings, *window))
    ended = _many_by_group(await conn.fetch(queries.select_enrolments_ended, *window))

    groups = []
    for row in followed:
        key = (row["programme"], row["unit_id"])
        patient_days = float(row["patient_days"] or 0.0)
        registered = registrations.get(key)
        per_week = EXPECTED_REGISTRATION_DAYS_PER_WEEK.get(row["programme"])
        expected = round(patient_days * per_week / 7, 1) if per_week is not None else None
        registration_days = registered["registration_days"] if registered else 0
        groups.append(
            ReportGroup(
                programme=row["programme"],
                unit_id=row["unit_id"],
                unit_name=row["unit_name"],
                patients_followed=row["patients"],
                patient_days=round(patient_days, 1),
                registrations=registered["registrations"] if registered else 0,
                registration_days=registration_days,
                expected_registration_days=expected,
                registration_completeness=round(min(1.0, registration_days / expected), 3) if expected else None,
                alerts=_alert_figures(alerts.get(key, []), patient_days),
                contact_requests=_contact_figures(contacts.get(key)),
                meetings=_meeting_figures(meetings.get(key, [])),
                enrolments_ended=EnrolmentsEnded(
                    count=sum(r["ended"] for r in ended.get(key, [])),
                    reasons=[EndReason(reason=r["end_reason"], count=r["ended"]) for r in ended.get(key, [])],
                ),
            )
        )
    return TertialReport(
        year=year,
        tertial=tertial,
        time_zone=REPORT_TIME_ZONE,
        first_day=first,
        last_day=last,
        starts_at=starts_at,
        ends_at=ends_at,
        counted_until=counted_until,
        complete=caller.now >= ends_at,
        groups=groups,
    )


def _by_group(rows: list[asyncpg.Record]) -> dict[tuple[str, UUID], asyncpg.Record]:
    return {(row["programme"], row["unit_id"]): row for row in rows}


def _many_by_group(rows: list[asyncpg.Record]) -> dict[tuple[str, UUID], list[asyncpg.Record]]:
    grouped: dict[tuple[str, UUID], list[asyncpg.Record]] = defaultdict(list)
    for row in rows:
        grouped[(row["programme"], row["unit_id"])].append(row)
    return grouped


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _alert_figures(rows: list[asyncpg.Record], patient_days: float) -> list[AlertFigures]:
    by_severity = {row["severity"]: row for row in rows}
    figures = []
    for severity in SEVERITIES:
        row: Any = by_severity.get(severity) or defaultdict(lambda: None)
        raised = row["raised"] or 0
        figures.append(
            AlertFigures(
                severity=severity,
                raised=raised,
                per_patient_week=round(raised / (patient_days / 7), 2) if patient_days > 0 else None,
                acknowledged=row["acknowledged"] or 0,
                acknowledge_median_minutes=_minutes(row["acknowledge_median_s"]),
                acknowledge_p90_minutes=_minutes(row["acknowledge_p90_s"]),
                resolved=row["resolved"] or 0,
                resolve_median_minutes=_minutes(row["resolve_median_s"]),
                resolve_p90_minutes=_minutes(row["resolve_p90_s"]),
                resolved_automatically=row["resolved_automatically"] or 0,
            )
        )
    return figures


def _contact_figures(row: asyncpg.Record | None) -> ContactRequestFigures:
    if row is None:
        return ContactRequestFigures(received=0, handled=0, handle_median_minutes=None, handle_p90_minutes=None)
    return ContactRequestFigures(
        received=row["received"],
        handled=row["handled"],
        handle_median_minutes=_minutes(row["handle_median_s"]),
        handle_p90_minutes=_minutes(row["handle_p90_s"]),
    )


def _meeting_figures(rows: list[asyncpg.Record]) -> MeetingFigures:
    kinds = {row["kind"]: row for row in rows}
    consultation, discharge = kinds.get("consultation"), kinds.get("discharge")
    return MeetingFigures(
        consultations_planned=consultation["planned"] if consultation else 0,
        consultations_held=consultation["held"] if consultation else 0,
        discharge_meetings_planned=discharge["planned"] if discharge else 0,
        discharge_meetings_held=discharge["held"] if discharge else 0,
    )


CSV_COLUMNS = (
    ["year", "tertial", "first_day", "last_day", "complete", "programme", "unit_id", "unit_name"]
    + ["patients_followed", "patient_days", "registrations", "registration_days", "expected_registration_days"]
    + ["registration_completeness"]
    + [
        f"alerts_{severity}_{figure}"
        for severity in SEVERITIES
        for figure in (
            "raised",
            "per_patient_week",
            "acknowledged",
            "acknowledge_median_minutes",
            "acknowledge_p90_minutes",
            "resolved",
            "resolve_median_minutes",
            "resolve_p90_minutes",
            "resolved_automatically",
        )
    ]
    + ["contact_requests_received", "contact_requests_handled", "contact_requests_handle_median_minutes"]
    + ["contact_requests_handle_p90_minutes"]
    + ["consultations_planned", "consultations_held", "discharge_meetings_planned", "discharge_meetings_held"]
    + ["enrolments_ended", "enrolments_ended_reasons"]
)


def report_csv(report: TertialReport) -> str:
    """One row per programme and unit, the same figures as the JSON (empty cell: no value)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for group in report.groups:
        row: dict[str, Any] = {
            "year": report.year,
            "tertial": report.tertial,
            "first_day": report.first_day.isoformat(),
            "last_day": report.last_day.isoformat(),
            "complete": str(report.complete).lower(),
            "programme": group.programme,
            "unit_id": str(group.unit_id),
            "unit_name": group.unit_name,
            "patients_followed": group.patients_followed,
            "patient_days": group.patient_days,
            "registrations": group.registrations,
            "registration_days": group.registration_days,
            "expected_registration_days": group.expected_registration_days,
            "registration_completeness": group.registration_completeness,
            "contact_requests_received": group.contact_requests.received,
            "contact_requests_handled": group.contact_requests.handled,
            "contact_requests_handle_median_minutes": group.contact_requests.handle_median_minutes,
            "contact_requests_handle_p90_minutes": group.contact_requests.handle_p90_minutes,
            "consultations_planned": group.meetings.consultations_planned,
            "consultations_held": group.meetings.consultations_held,
            "discharge_meetings_planned": group.meetings.discharge_meetings_planned,
            "discharge_meetings_held": group.meetings.discharge_meetings_held,
            "enrolments_ended": group.enrolments_ended.count,
            "enrolments_ended_reasons": "; ".join(
                f"{reason.reason or 'not given'}: {reason.count}" for reason in group.enrolments_ended.reasons
            ),
        }
        for figures in group.alerts:
            for name in AlertFigures.__struct_fields__:
                if name != "severity":
                    row[f"alerts_{figures.severity}_{name}"] = getattr(figures, name)
        writer.writerow(_cell(row[column]) for column in CSV_COLUMNS)
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    # A cell a spreadsheet would run as a formula (CSV injection): unit names are typed by people.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
