"""Alerts, the worklist and per-patient rules on the wire (docs/api.md, "Rules and alerts")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from backend.decoding import Instant

Severity = Literal["low", "medium", "high"]
AlertStatus = Literal["open", "acknowledged", "resolved"]


class LocalText(msgspec.Struct):
    nb: str
    en: str


class Alert(msgspec.Struct):
    """One alert as a clinician reads it. `explanation` describes the latest breach: values, rule,
    threshold, programme default or this patient's override (who set it and why); `worst_value`
    is the worst seen while it was open, `occurrences` how many breaches it gathered."""

    id: UUID
    patient_id: UUID
    patient_name: str
    rule: str
    rule_kind: str
    rule_source: str
    severity: Severity
    status: AlertStatus
    title: str
    # In bokmål: null for an alert raised before Heima wrote titles in bokmål (show `title`).
    title_nb: str | None
    explanation: str
    # In bokmål, written with `explanation` from the same finding: null for an alert raised before
    # Heima wrote explanations in bokmål (show `explanation`).
    explanation_nb: str | None
    patient_text: LocalText
    measurement_ids: list[UUID]
    form_response_ids: list[UUID]
    contact_request_ids: list[UUID]
    worst_value: float | str | bool | None
    latest_value: float | str | bool | None
    unit: str | None
    observed_at: datetime | None
    raised_at: datetime
    last_seen_at: datetime
    occurrences: int
    late: bool
    acknowledged_by: UUID | None
    acknowledged_at: datetime | None
    resolved_by: UUID | None
    resolved_at: datetime | None
    resolution_note: str | None
    # Whether anybody could be told (alerting/notify): `delivered` (a push service accepted a push
    # of it), `digest` (a low alert waiting for the morning digest), `sending`, or `unreachable`
    # (no subscription, every push failed): then only this worklist shows it.
    reach: Literal["delivered", "digest", "sending", "unreachable"] = "sending"


class AlertList(msgspec.Struct):
    items: list[Alert]
    # Pass as `cursor` for the next page; null on the last page.
    next_cursor: str | None


AlertEventKind = Literal["raise", "update", "acknowledge", "resolve", "escalate"]


class AlertEvent(msgspec.Struct):
    """One thing that happened to an alert: raised, updated by a new breach, acknowledged,
    resolved, or escalated because nobody acknowledged it. `actor_id`/`actor_name` are the
    clinician who did it, null when Heima did (a breach, an escalation, missing data that arrived).
    The fields after `note` are filled for the kinds they belong to and null otherwise."""

    id: int
    at: datetime
    kind: AlertEventKind
    actor_id: UUID | None
    actor_name: str | None
    # The alert's severity after the event.
    severity: Severity
    # A resolution's note: a clinician's own words, or what Heima wrote when it resolved the alert
    # itself (the data a missing-data alert waited for arrived; a contact request was handled).
    note: str | None
    # Heima's note in bokmål (null for a clinician's note: it is shown as written).
    note_nb: str | None
    # raise, update: the rule whose finding it was, the evidence (measurement, form response and
    # contact request ids) and whether the data arrived late; an update that raised the severity
    # names the severity before.
    rule: str | None
    observation_ids: list[UUID]
    late: bool | None
    severity_before: Severity | None
    # escalate: the step (1, 2, …), who it widened to ("unit", "unit and physicians") and how many
    # clinicians were notified.
    escalation_step: int | None
    escalated_to: str | None
    recipients: int | None


class AlertEventList(msgspec.Struct):
    items: list[AlertEvent]
    # Pass as `after` for the next page; null on the last page.
    next_after: int | None


class ResolveRequest(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[str, Meta(min_length=1, max_length=2000)]


class PatientAlert(msgspec.Struct):
    """What the patient or parent sees of an alert: the plain-language text, and whether the unit
    has seen it."""

    id: UUID
    severity: Severity
    status: AlertStatus
    message: LocalText
    raised_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None


class PatientAlertList(msgspec.Struct):
    items: list[PatientAlert]


# -- rules ----------------------------------------------------------------------------------------


class RuleOverrideIn(msgspec.Struct, forbid_unknown_fields=True):
    """A per-patient setting of one rule. `params` are merged over the programme default's (only
    its own keys); a missing severity or enabled keeps the default's. After `expires_at` the
    programme default applies again."""

    reason: Annotated[str, Meta(min_length=1, max_length=1000)]
    params: Annotated[dict[str, Any], Meta(max_length=20)] = {}
    severity: Severity | None = None
    enabled: bool | None = None
    expires_at: Instant | None = None


class RuleDefault(msgspec.Struct):
    params: dict[str, Any]
    severity: Severity
    enabled: bool


class RuleOverride(msgspec.Struct):
    id: UUID
    params: dict[str, Any]
    severity: Severity | None
    enabled: bool | None
    reason: str
    set_by: UUID
    set_by_name: str
    set_at: datetime
    expires_at: datetime | None
    superseded_at: datetime | None = None


class EffectiveRule(msgspec.Struct):
    code: str
    # Changes whenever the rule is set for the patient (or an override expires): send it back as
    # `If-Match: "<version>"` on PUT, and a rule someone else changed meanwhile answers 412.
    version: str
    kind: Literal["threshold", "trend", "missing", "answer"]
    params: dict[str, Any]
    severity: Severity
    enabled: bool
    source: Literal["programme", "patient"]
    title: str
    basis: str
    # A floor can be tightened for a patient, never loosened, lowered or switched off.
    safety_floor: bool
    group: str | None
    default: RuleDefault
    override: RuleOverride | None


class RuleList(msgspec.Struct):
    items: list[EffectiveRule]


class RuleHistory(msgspec.Struct):
    items: list[RuleOverride]


# -- the unit overview ----------------------------------------------------------------------------


class OverviewAlert(msgspec.Struct):
    """An unresolved alert as the overview shows it: enough to triage; `GET /alerts?patient_id=`
    has the explanation and the evidence."""

    id: UUID
    rule: str
    rule_kind: str
    severity: Severity
    status: AlertStatus
    title: str
    # In bokmål: null for an alert raised before Heima wrote titles in bokmål (show `title`).
    title_nb: str | None
    raised_at: datetime
    last_seen_at: datetime
    occurrences: int
    late: bool
    acknowledged_at: datetime | None


class LatestValue(msgspec.Struct):
    """The newest value of one measurement type, by when it was measured (not when it arrived).
    `late`: it reached Heima more than an hour after it was measured (a phone that was offline).
    `stale`: older than an enabled missing-data rule of the patient allows for this type."""

    type: str
    measurement_id: UUID
    value: float | str | None
    components: dict[str, float] | None
    unit: str
    measured_at: datetime
    received_at: datetime
    late: bool
    stale: bool


class AlertCounts(msgspec.Struct):
    high: int
    medium: int
    low: int


class OverviewPatient(msgspec.Struct):
    """One patient of the unit: unresolved alerts (highest severity first, then oldest first) and
    the latest value of each measurement type of the programmes followed now."""

    id: UUID
    display_name: str
    birth_date: date
    programmes: list[str]
    # The worst severity among the unresolved alerts; null when there are none.
    worst_severity: Severity | None
    open_alerts: int
    acknowledged_alerts: int
    # Unresolved alerts by severity.
    alert_counts: AlertCounts
    alerts: list[OverviewAlert]
    latest: list[LatestValue]
    # Types of the patient's programmes with no value yet.
    never_measured: list[str]
    stale_types: list[str]


class UnitOverview(msgspec.Struct):
    """The unit's patients, most urgent first: worst unresolved severity, then worst open
    (unacknowledged) severity, then how long the worst open alert has waited, then the most stale
    types, then name."""

    unit_id: UUID
    at: datetime
    patients: list[OverviewPatient]


News2Risk = Literal["none", "low", "low-medium", "medium", "high"]


class News2Point(msgspec.Struct):
    """NEWS2 as the rules score it at `at` (an instant an input was measured): the latest value of
    each parameter within the window before it. A home set is often partial: `missing` names the
    parameters not measured, and a partial total can only be lower than the full one."""

    at: datetime
    total: int
    highest_single: int
    # RCP clinical risk: 0 none; 1-4 low; a single 3 low-medium; 5-6 medium; 7+ high.
    risk: News2Risk
    # Score per parameter measured: respiratory_rate, spo2, air_or_oxygen, systolic, heart_rate,
    # consciousness, temperature.
    scores: dict[str, int]
    missing: list[str]
    # The SpO2 reading did not say: scored as air, or by the patient's home oxygen parameter.
    oxygen_assumed_air: bool
    oxygen_from_parameters: bool


class News2Series(msgspec.Struct):
    """Oldest first. `rule` is the NEWS2 rule whose window (`window_minutes`) and confusion answer
    were used, with the SpO2 `scale` of the patient's parameters now; all null, and no items, for
    a patient no NEWS2 rule applies to."""

    items: list[News2Point]
    rule: str | None
    window_minutes: float | None
    scale: Literal[1, 2] | None
