"""The NEWS2 series of a patient, for the care app's chart.

NEWS2 is not a measurement: the rules score it from the latest respiratory rate, SpO2 (and
oxygen), systolic pressure, pulse, new confusion and temperature within the rule's window, when an
upload arrives, and store only the alerts. This module scores the stored readings again with the
same code (`findings.news2_of_latest`), one point per instant at which an input was measured, so
the chart shows what the rules see. The patient's NEWS2 rule (window, confusion answer) and
parameters (SpO2 scale, home oxygen) are those in effect now: a scale changed last week rescoring
older points is what a clinician comparing them wants.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from alerting.engine.findings import news2_inputs, news2_of_latest
from alerting.engine.observations import from_form_response, from_measurement
from alerting.engine.rules import applies
from alerting.engine.types import NEWS2_SINGLE, NEWS2_TOTAL, Observation, PatientContext, Rule
from alerting.schemas import News2Point, News2Series
from alerting.service import load_patient_rules
from backend.access.service import CLINICIAN_ONLY, Caller, authorize_patient
from backend.db import load_queries
from backend.errors import invalid

queries = load_queries(__file__)

RESOURCE = "news2"
DEFAULT_DAYS = 14
MAX_DAYS = 31


def _news2_rule(rules: list[Rule], context: PatientContext) -> Rule | None:
    """The patient's first NEWS2 rule in effect (they share one window in the defaults)."""
    return next(
        (
            rule
            for rule in rules
            if rule.enabled
            and rule.kind == "threshold"
            and rule.params.get("type") in (NEWS2_TOTAL, NEWS2_SINGLE)
            and applies(rule, context)
        ),
        None,
    )


async def news2_series(
    conn: asyncpg.Connection, caller: Caller, patient_id: UUID, since: datetime | None
) -> News2Series:
    """Scores from `since` (default two weeks back, at most 31 days) to now, oldest first."""
    now = caller.now
    since = since if since is not None else now - timedelta(days=DEFAULT_DAYS)
    if since < now - timedelta(days=MAX_DAYS):
        raise invalid("since", f"must be at most {MAX_DAYS} days back")
    await authorize_patient(conn, caller, patient_id, resource=RESOURCE, action="read", roles=CLINICIAN_ONLY)
    patient = await load_patient_rules(conn, patient_id, now)
    assert patient is not None  # authorised, so the patient exists
    rule = _news2_rule(patient.rules, patient.context)
    if rule is None:
        return News2Series(items=[], rule=None, window_minutes=None, scale=None)
    window, inputs = news2_inputs(rule.params)
    start = since - window  # the first point's window reaches back this far
    measured = sorted(t for t in inputs if "/" not in t)
    forms = sorted({t.partition("/")[0] for t in inputs if "/" in t})
    observations = [
        from_measurement(row)
        for row in await conn.fetch(queries.select_history_measurements, patient_id, start, measured)
    ]
    if forms:
        rows = await conn.fetch(queries.select_history_form_responses, patient_id, start, forms)
        observations.extend(obs for row in rows for obs in from_form_response(row) if obs.type in inputs)
    by_type: dict[str, list[Observation]] = {}
    for obs in sorted(observations, key=lambda obs: (obs.measured_at, obs.id)):
        by_type.setdefault(obs.type, []).append(obs)
    anchors = sorted({obs.measured_at for obs in observations if obs.measured_at >= since})
    items = []
    for anchor in anchors:
        latest = {}
        for type_, series in by_type.items():
            at = bisect_right(series, anchor, key=lambda obs: obs.measured_at)
            if at and series[at - 1].measured_at >= anchor - window:
                latest[type_] = series[at - 1]
        result, _, from_parameter = news2_of_latest(latest, rule.params, patient.context)
        items.append(
            News2Point(
                at=anchor,
                total=result.total,
                highest_single=result.highest_single,
                risk=result.risk,
                scores=result.scores,
                missing=list(result.missing),
                oxygen_assumed_air=result.oxygen_assumed_air,
                oxygen_from_parameters=from_parameter,
            )
        )
    scale = 2 if patient.context.parameters.get("spo2_scale") == 2 else 1
    return News2Series(items=items, rule=rule.code, window_minutes=window.total_seconds() / 60, scale=scale)
