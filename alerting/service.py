"""Evaluation on a connection: stored observations in, alerts and their pending deliveries out, in
the caller's transaction (docs/architecture.md, "Data paths"; docs/reliability.md, D1).

`evaluate_and_record` runs inside the transaction that stored the measurements, form response or
contact request, so an accepted registration has always been evaluated: the alert rows, their
events and one pending push delivery per clinician of the patient's units are written by the
same commit, and `pg_notify` wakes the delivery worker only when it commits. A lost push is never
a lost alert: `GET /alerts` reads these rows.

The rules themselves are pure (alerting/engine/rules.py); this module reads what they need with its own
SQL (alerting/queries.sql), and never imports backend's domain packages.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from alerting import failures, latency, live
from alerting.engine import relevance, texts
from alerting.engine.defaults import DEFAULT_RULES, default_rules
from alerting.engine.observations import evidence, from_contact_request, from_form_response, from_measurement
from alerting.engine.rules import (
    applies,
    apply_overrides,
    counts_as_registration,
    evaluate,
    evaluate_missing,
    history_since,
    missing_keys,
)
from alerting.engine.types import (
    CONTACT_REQUEST,
    SEVERITY_RANK,
    Decision,
    Observation,
    PatientContext,
    Phrase,
    Provenance,
    Rule,
    Term,
    phrase,
)
from alerting.notify import promise as promises
from alerting.notify import service as notify
from backend.access.service import Caller
from backend.db import load_queries, named_query
from backend.timezones import day_bounds, local_day

queries = load_queries(__file__)

# LISTEN heima_alerts: the payload is {"alert_ids": [...]}, a hint only; the worker claims from
# push_deliveries whatever the payload says (a notification is lost while no worker listens).
NOTIFY_CHANNEL = "heima_alerts"


class AlertOutcome(msgspec.Struct, frozen=True):
    """What an evaluation did to one alert: raised it (`raised`) or updated an unresolved one.
    `patient_text` is what the phone shows at once ({"nb", "en"}): the answer to an upload may be
    the last thing a phone on a bad connection receives."""

    id: UUID
    severity: str
    status: str
    raised: bool
    patient_text: dict[str, str]


class Override(msgspec.Struct, frozen=True):
    id: UUID
    rule_code: str
    params: dict[str, Any]
    severity: str | None
    enabled: bool | None
    reason: str
    set_by: UUID
    set_by_name: str
    set_at: datetime
    expires_at: datetime | None

    @property
    def provenance(self) -> Provenance:
        return Provenance(
            set_by_name=self.set_by_name, set_at=self.set_at, reason=self.reason, expires_at=self.expires_at
        )


class _Enrolment(msgspec.Struct, frozen=True):
    programme: str
    parameters: dict[str, Any]
    started_at: datetime


class _OpenMissing(msgspec.Struct, frozen=True):
    id: UUID
    rule_code: str


@dataclass(frozen=True)
class PatientRules:
    """A patient's rules at one instant: the programme defaults of the programmes followed now,
    with the current unexpired overrides applied."""

    context: PatientContext
    defaults: dict[str, Rule]
    rules: list[Rule]
    overrides: dict[str, Override]  # the overrides in effect, by rule code
    open_missing: list[_OpenMissing]

    def rule(self, code: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.code == code), None)


async def load_patient_rules(conn: asyncpg.Connection, patient_id: UUID, now: datetime) -> PatientRules | None:
    """None for a patient that does not exist."""
    return patient_rules(await conn.fetchrow(queries.select_evaluation_context, patient_id, now), now)


def with_evaluation_context(name: str, write: str) -> str:
    """One statement that runs `write` and reads the evaluation context of its patient: a writer
    whose rows are evaluated next saves the round trip of `load_patient_rules` (P1).

    `write` is a data-modifying statement whose $1 is the patient and $2 the instant the rules are
    loaded for (the evaluation's now), returning the `id`s it wrote. The statement answers one row:
    `written`, those ids, and select_evaluation_context's columns, all null for no such patient
    (`patient_rules` reads them). The context is read from the statement's snapshot, without what
    `write` wrote: fine for registrations, which are not part of it."""
    return named_query(
        name,
        f"with written as (\n{write}\n)\n"
        "select array(select id from written) as written, context.*\n"
        f"from (select) as one\nleft join (\n{queries.select_evaluation_context}\n) as context on true",
    )


def patient_rules(row: asyncpg.Record | None, now: datetime) -> PatientRules | None:
    """A patient's rules at `now` from select_evaluation_context's columns; None for no such
    patient (no row, or the columns of `with_evaluation_context` all null)."""
    if row is None or row["time_zone"] is None:
        return None
    enrolments = msgspec.convert(row["enrolments"], list[_Enrolment])
    context = PatientContext.of_enrolments(
        (enrolment.parameters for enrolment in enrolments),
        now=now,
        time_zone=row["time_zone"],
        birth_date=row["birth_date"],
        monitoring_since=min((e.started_at for e in enrolments), default=None),
    )
    defaults = default_rules(e.programme for e in enrolments if e.programme in DEFAULT_RULES)
    stored = {o.rule_code: o for o in msgspec.convert(row["overrides"], list[Override])}

    def unusable(rule: Rule, override: Override) -> None:
        # Stored by an older version, or written around the API: the default applies.
        failures.report(failures.LOAD, rule.code, "override_unusable", override_id=override.id)

    rules, applied = apply_overrides(defaults, stored, unusable)
    return PatientRules(
        context=context,
        defaults={rule.code: rule for rule in defaults},
        rules=rules,
        overrides={code: stored[code] for code in applied},
        open_missing=msgspec.convert(row["open_missing"], list[_OpenMissing]),
    )


async def evaluate_and_record(
    conn: asyncpg.Connection,
    caller: Caller,
    patient_id: UUID,
    *,
    measurements: Sequence[Observation] = (),
    form_response_ids: Sequence[UUID] = (),
    contact_request_ids: Sequence[UUID] = (),
    rules: PatientRules | None = None,
) -> list[AlertOutcome]:
    """Evaluate what was just stored (in this transaction) against the patient's rules and
    history; record the alerts it raises or updates. Most severe first. `measurements` are the
    rows just written, as observations: the writer has them, and reading back a batch of a
    thousand would cost as much as the rules. `rules`: the patient's rules at the caller's now if
    the writer read them with its write (`with_evaluation_context`); else they are loaded here."""
    if not (measurements or form_response_ids or contact_request_ids):
        return []
    patient = rules if rules is not None else await load_patient_rules(conn, patient_id, caller.now)
    if patient is None:
        return []
    new = [*measurements, *await _new_observations(conn, patient_id, form_response_ids, contact_request_ids)]
    if not new:
        return []
    applicable = [rule for rule in patient.rules if applies(rule, patient.context)]
    relevant = relevance.relevant(applicable, {obs.type for obs in new})
    rules = relevance.due(relevant, new, patient.context)
    decisions: list[Decision] = []
    if rules:
        history = await _history(conn, patient, patient_id, new, rules)
        on_failure = failures.reporter(failures.ARRIVAL, patient_id)
        decisions = evaluate(new, history, rules, patient.context, on_failure=on_failure)
    outcomes = await record_decisions(conn, patient_id, patient, decisions, caller.now)
    await _resolve_answered_missing(conn, patient_id, patient, new, caller.now)
    return outcomes


async def record_decisions(
    conn: asyncpg.Connection,
    patient_id: UUID,
    patient: PatientRules,
    decisions: Sequence[Decision],
    now: datetime,
) -> list[AlertOutcome]:
    """Open or update one alert per decision, with events and pending deliveries, and wake the
    worker on commit. Also for the missing-data sweep (`evaluate_missing` decisions)."""
    if not decisions:
        return []
    # The units following the patient choose who is told and when, and promise when they answer.
    units = (await notify.load_units(conn, [patient_id], now)).get(patient_id, [])
    promise = notify.promise_of(units)
    strongest: dict[str, dict[str, Any]] = {}
    for decision in decisions:
        rule = patient.rule(decision.rule)
        if rule is None:
            continue
        row = _decision_row(decision, rule, patient)
        row["patient_text"] = promises.with_promise(row["patient_text"], row["severity"], promise)
        held = strongest.get(row["rule_key"])
        # One row per key: a statement's ON CONFLICT may not touch the same alert twice.
        if held is None or row["finding_rank"] > held["finding_rank"]:
            strongest[row["rule_key"]] = row
    rows = await conn.fetch(queries.record_decisions, patient_id, list(strongest.values()), now)
    first = [(row["id"], row["severity"]) for row in rows if row["first_push"]]
    if first and await notify.first_deliveries(conn, units, first, now):
        notified = [str(alert_id) for alert_id, _ in first]
        await conn.execute(queries.notify_alerts, msgspec.json.encode({"alert_ids": notified}).decode())
    # The statement itself told the dashboards' live streams of every raised or updated alert, for
    # when the transaction commits (alerting/live.py).
    latency.note_evaluated(sum(1 for row in rows if row["inserted"]))
    outcomes = [
        AlertOutcome(
            id=row["id"],
            severity=row["severity"],
            status=row["status"],
            raised=row["inserted"],
            patient_text=row["patient_text"],
        )
        for row in rows
    ]
    return sorted(outcomes, key=lambda o: (-SEVERITY_RANK[o.severity], o.id))


async def recorded_alerts(
    conn: asyncpg.Connection,
    patient_id: UUID,
    *,
    measurement_ids: Sequence[UUID] = (),
    form_response_ids: Sequence[UUID] = (),
) -> list[AlertOutcome]:
    """The alerts that rest on registrations stored earlier: what a resend (a phone that lost the
    answer) is told, so that it can still show "call 113". As they are now, most severe first."""
    if not (measurement_ids or form_response_ids):
        return []
    rows = await conn.fetch(
        queries.select_alerts_resting_on, patient_id, list(measurement_ids), list(form_response_ids)
    )
    return [
        AlertOutcome(
            id=row["id"], severity=row["severity"], status=row["status"], raised=False, patient_text=row["patient_text"]
        )
        for row in rows
    ]


def _direction(rule: Rule) -> str:
    """Which way a value is worse, for the alert's worst value."""
    if rule.kind == "missing":
        return "max"
    op = rule.params.get("op")
    if op in (">", ">="):
        return "max"
    if op in ("<", "<="):
        return "min"
    return "latest"  # answers: a code is not better or worse than another


def _decision_row(decision: Decision, rule: Rule, patient: PatientRules) -> dict[str, Any]:
    measurements, responses, contacts = evidence(decision.observation_ids)
    return {
        "id": uuid.uuid4(),
        "rule_code": rule.code,
        "rule_key": rule.group or rule.code,
        "rule_kind": rule.kind,
        "rule_source": decision.source,
        "severity": decision.severity,
        "finding_rank": finding_rank(decision.severity, rule, patient.rules),
        "title": decision.title,
        "title_nb": decision.title_nb,
        "explanation": decision.explanation,
        "explanation_nb": decision.explanation_nb,
        "patient_text": {"nb": decision.patient_text.nb, "en": decision.patient_text.en},
        "measurement_ids": measurements,
        "form_response_ids": responses,
        "contact_request_ids": contacts,
        "value": decision.worst_value,
        "direction": _direction(rule),
        "unit": decision.unit,
        "observed_at": decision.observed_at,
        "late": decision.late,
    }


def finding_rank(severity: str, rule: Rule, rules: Sequence[Rule]) -> int:
    """How bad a finding is, for which one an alert's words describe: its severity first, then its
    tier in the rule's group (an earlier rule is the worse finding, as `evaluate` ranks them)."""
    later = 0
    if rule.group is not None:
        codes = [r.code for r in rules if r.group == rule.group]
        later = len(codes) - 1 - codes.index(rule.code) if rule.code in codes else 0
    return SEVERITY_RANK[severity] * 100 + later


# -- loading observations ------------------------------------------------------------------------


async def _new_observations(
    conn: asyncpg.Connection,
    patient_id: UUID,
    form_response_ids: Sequence[UUID],
    contact_request_ids: Sequence[UUID],
) -> list[Observation]:
    new: list[Observation] = []
    if form_response_ids:
        rows = await conn.fetch(queries.select_new_form_responses, patient_id, list(form_response_ids))
        new.extend(obs for row in rows for obs in from_form_response(row))
    if contact_request_ids:
        rows = await conn.fetch(queries.select_new_contact_requests, patient_id, list(contact_request_ids))
        new.extend(from_contact_request(row) for row in rows)
    return new


async def _history(
    conn: asyncpg.Connection, patient: PatientRules, patient_id: UUID, new: Sequence[Observation], rules: Sequence[Rule]
) -> list[Observation]:
    """The stored observations these rules read (alerting/engine/relevance.py), from the earliest
    instant the engine looks at (`history_since`): the measurements in one statement (P1), whatever
    mix of whole series, daily series and whole days the rules read."""
    since = history_since(new, rules)
    reads = relevance.history_reads(rules)
    if since is None or reads == {}:
        return []
    zone = patient.context.time_zone
    history: list[Observation] = []
    touched: dict[str, set[date]] = {}
    if reads is relevance.ANY:
        every, daily, forms, contacts = None, [], None, True
    else:
        measured = {t: how for t, how in reads.items() if "/" not in t and t != CONTACT_REQUEST}
        every = sorted(t for t, how in measured.items() if how == relevance.ALL)
        daily = sorted(t for t, how in measured.items() if how == relevance.LAST_OF_DAY)
        for type_ in sorted(t for t, how in measured.items() if how == relevance.DAYS_TOUCHED):
            # The local days the new values of the type fall on: all of each is judged.
            if days := {local_day(obs.measured_at, zone) for obs in new if obs.type == type_}:
                touched[type_] = days
        forms = sorted({t.partition("/")[0] for t in reads if "/" in t})
        contacts = CONTACT_REQUEST in reads
    read_every = every is None or bool(every)
    if read_every or daily or touched:
        # Up to a day past now: a phone's clock may run minutes ahead (accepted skew).
        until = patient.context.now + timedelta(days=1)
        # Each type's days from the first to the last; the days between are dropped below unless
        # the days are consecutive (a phone's backlog), when every row is kept as it is.
        types = list(touched)
        starts = [day_bounds(min(touched[t]), zone)[0] for t in types]
        ends = [day_bounds(max(touched[t]), zone)[1] for t in types]
        gaps = {t for t, days in touched.items() if (max(days) - min(days)).days + 1 != len(days)}
        rows = await conn.fetch(
            queries.select_history, patient_id, since, read_every, every, daily, zone, until, types, starts, ends
        )
        for row in rows:
            if (
                row["part"] == "days"
                and row["type"] in gaps
                and local_day(row["measured_at"], zone) not in touched[row["type"]]
            ):
                continue
            history.append(from_measurement(row))
    if forms is None or forms:
        rows = await conn.fetch(queries.select_history_form_responses, patient_id, since, forms)
        history.extend(obs for row in rows for obs in from_form_response(row))
    if contacts:
        rows = await conn.fetch(queries.select_history_contact_requests, patient_id, since)
        history.extend(from_contact_request(row) for row in rows)
    return history


# -- missing data that arrived -----------------------------------------------------------------


def _arrival(obs: Observation, received: datetime) -> Phrase:
    """What arrived, for the note of the missing-data alert it resolves."""
    form, _, item = obs.type.partition("/")
    what = phrase("arrived_form", form=form) if item else Term(obs.type)
    return phrase("arrived", what=what, at=obs.measured_at, received=received)


async def _resolve_answered_missing(
    conn: asyncpg.Connection, patient_id: UUID, patient: PatientRules, new: Sequence[Observation], now: datetime
) -> None:
    """Open missing-data alerts resolve themselves once the data they missed arrives, with a note
    saying what arrived: judged by the same rule, so a late value from long ago does not count."""
    ids, notes, notes_nb = [], [], []
    for open_alert in patient.open_missing:
        rule = patient.rule(open_alert.rule_code)
        if rule is None:
            continue
        arrived = [obs for obs in new if counts_as_registration(rule, obs)]
        if not arrived:
            continue
        latest = max(arrived, key=lambda obs: obs.measured_at)
        last_seen = dict.fromkeys(missing_keys(rule), latest.measured_at)
        on_failure = failures.reporter(failures.ARRIVAL, patient_id)
        still = evaluate_missing(last_seen, [rule], patient.context, on_failure=on_failure)
        if still:
            continue
        zone, arrival = patient.context.time_zone, _arrival(latest, now)
        ids.append(open_alert.id)
        notes.append(texts.say(arrival, "en", zone))
        notes_nb.append(texts.say(arrival, "nb", zone))
    if ids:
        await conn.execute(queries.resolve_missing_alerts, patient_id, ids, now, notes, notes_nb)
        await live.announce(conn, ids)
