"""The tertial report's shape (GET /reports/tertial). Durations are minutes, rounded to 0.1."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

import msgspec

Severity = Literal["high", "medium", "low"]


class AlertFigures(msgspec.Struct):
    severity: Severity
    raised: int
    # Alerts per week of follow-up of one patient (raised / (patient-days / 7)).
    per_patient_week: float | None
    acknowledged: int
    acknowledge_median_minutes: float | None
    acknowledge_p90_minutes: float | None
    # Resolved by a clinician (with a note); Heima's own resolutions (missing data that arrived)
    # are counted apart and left out of the times.
    resolved: int
    resolve_median_minutes: float | None
    resolve_p90_minutes: float | None
    resolved_automatically: int


class ContactRequestFigures(msgspec.Struct):
    received: int
    handled: int
    handle_median_minutes: float | None
    handle_p90_minutes: float | None


class MeetingFigures(msgspec.Struct):
    consultations_planned: int
    consultations_held: int
    discharge_meetings_planned: int
    discharge_meetings_held: int


class EndReason(msgspec.Struct):
    # null: the clinician gave no reason.
    reason: str | None
    count: int


class EnrolmentsEnded(msgspec.Struct):
    count: int
    reasons: list[EndReason]


class ReportGroup(msgspec.Struct):
    programme: str
    unit_id: UUID
    unit_name: str
    patients_followed: int
    patient_days: float
    # Measurements of the programme's types and answers to its forms, made while followed.
    registrations: int
    # Local days (the patient's) with at least one registration, against the days the programme
    # expects one (null for a programme without an expected cadence).
    registration_days: int
    expected_registration_days: float | None
    registration_completeness: float | None
    alerts: list[AlertFigures]
    contact_requests: ContactRequestFigures
    meetings: MeetingFigures
    enrolments_ended: EnrolmentsEnded


class TertialReport(msgspec.Struct):
    year: int
    tertial: int
    time_zone: str
    # The period's first local day and its last (inclusive), and the instants they span.
    first_day: date
    last_day: date
    starts_at: datetime
    ends_at: datetime
    # Figures count up to this instant: the period's end, or now while it runs.
    counted_until: datetime
    complete: bool
    groups: list[ReportGroup]
