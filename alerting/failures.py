"""Rules that cannot be used or that fail while evaluating: skipped and reported, never fatal.

One broken rule of one patient must not fail an upload (the phone's queue would retry it forever
and the measurements would never be stored), hide the other patients of a unit's overview, or
stop the sweep from raising that patient's missing-data alerts (issue 11, finding 2). The strict
schemas (alerting/engine/rule_params.py) keep malformed rules out; this is the line behind them.

A failure is logged without health data (the rule code, the stage, the error's type and the ids
that find it) and counted in `heima_rule_failures_total{stage, rule}`.
"""

from __future__ import annotations

import logging
from uuid import UUID

from alerting.engine.types import OnFailure, Rule
from backend.observability import current_metrics

log = logging.getLogger("heima.alerting.rules")

# Where a rule was being used: loading a patient's rules (an override that no longer fits), an
# upload or form response or contact request, the unit overview, the worker's sweep.
LOAD, ARRIVAL, OVERVIEW, SWEEP = "load", "arrival", "overview", "sweep"


def report(stage: str, rule_code: str, error: BaseException | str, **ids: UUID | None) -> None:
    """Log (no values, no messages: they may quote health data) and count one failed rule."""
    reason = error if isinstance(error, str) else type(error).__name__
    extra = {"stage": stage, "rule": rule_code, "reason": reason}
    extra.update({key: str(value) for key, value in ids.items() if value is not None})
    log.error("alerting.rule.failed", extra=extra)
    metrics = current_metrics.get()
    if metrics is not None:
        metrics.rule_failures.labels(stage, rule_code).inc()


def reporter(stage: str, patient_id: UUID) -> OnFailure:
    """The `on_failure` callback the engine's entry points take, for one patient."""

    def on_failure(rule: Rule, error: Exception) -> None:
        report(stage, rule.code, error, patient_id=patient_id)

    return on_failure
