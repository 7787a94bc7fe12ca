"""Per-patient rules: what applies to a patient now, a clinician's override, and its history.

An override is never changed in place: a new one supersedes the current one, so the history shows
who set what, when and why (FHIR Provenance, docs/clinical-rules.md, C5). An override may expire, after
which the programme default applies again. A safety floor can be tightened, never loosened,
lowered or switched off: `apply_override` refuses that, and the refusal is a 422.
"""

from __future__ import annotations

import uuid
from uuid import UUID

import asyncpg

from alerting.engine import texts
from alerting.engine.rule_params import Vocabulary, vocabulary_problems
from alerting.engine.rules import OPTIONAL_PARAMS, RuleError, apply_override
from alerting.engine.types import Rule
from alerting.schemas import EffectiveRule, RuleDefault, RuleHistory, RuleList, RuleOverride, RuleOverrideIn
from alerting.service import Override, PatientRules, load_patient_rules
from backend.access.service import CLINICIAN_ONLY, Caller, authorize_patient
from backend.db import load_queries
from backend.errors import FieldError, ProblemError

queries = load_queries(__file__)

RESOURCE = "rules"
HISTORY_PAGE = 100
# What makes a rule the rule it is: a different value would be another rule under the same code.
# "when" (the patient parameters a rule is for) and "form" too: change the parameter instead.
_IDENTITY = ("type", "measure", "component", "when", "form", "scheduled_by")


def _override(override: Override) -> RuleOverride:
    return RuleOverride(
        id=override.id,
        params=override.params,
        severity=override.severity,  # type: ignore[arg-type]
        enabled=override.enabled,
        reason=override.reason,
        set_by=override.set_by,
        set_by_name=override.set_by_name,
        set_at=override.set_at,
        expires_at=override.expires_at,
    )


def version(override: Override | RuleOverride | None) -> str:
    """The rule's version for `If-Match`: the id of the override in effect, or "default"."""
    return "default" if override is None else str(override.id)


def _view(rule: Rule, default: Rule, override: RuleOverride | None) -> EffectiveRule:
    return EffectiveRule(
        version=version(override),
        code=rule.code,
        kind=rule.kind,
        params=rule.params,
        severity=rule.severity,
        enabled=rule.enabled,
        source=rule.source,
        title=texts.title(rule),
        basis=rule.basis,
        safety_floor=rule.safety_floor,
        group=rule.group,
        default=RuleDefault(params=default.params, severity=default.severity, enabled=default.enabled),
        override=override,
    )


async def _patient(conn: asyncpg.Connection, caller: Caller, patient_id: UUID, action: str) -> PatientRules:
    await authorize_patient(conn, caller, patient_id, resource=RESOURCE, action=action, roles=CLINICIAN_ONLY)  # type: ignore[arg-type]
    patient = await load_patient_rules(conn, patient_id, caller.now)
    assert patient is not None  # authorised, so the patient exists
    return patient


async def list_rules(conn: asyncpg.Connection, caller: Caller, patient_id: UUID) -> RuleList:
    """The rules of the programmes the patient follows now, with their overrides applied."""
    patient = await _patient(conn, caller, patient_id, "read")
    items = []
    for rule in patient.rules:
        override = patient.overrides.get(rule.code)
        items.append(_view(rule, patient.defaults[rule.code], _override(override) if override else None))
    return RuleList(items=items)


def _problem_field(problem: str) -> str:
    if "switched off" in problem:
        return "enabled"
    if "severity" in problem:
        return "severity"
    if "params." in problem:
        return "params." + problem.split("params.", 1)[1].split()[0].strip(":,")
    if "limit" in problem:
        return "params.limit"
    return "params"


def _matches(if_match: str, current: str) -> bool:
    """RFC 9110 If-Match: "*" or a list of entity tags (quoted; a weak tag never matches)."""
    tags = [tag.strip() for tag in if_match.split(",")]
    return "*" in tags or f'"{current}"' in tags


async def _vocabulary(conn: asyncpg.Connection) -> Vocabulary:
    row = await conn.fetchrow(queries.select_rule_vocabulary)
    return Vocabulary(types=frozenset(row["types"]), forms=frozenset(row["forms"]), answers=frozenset(row["answers"]))


def _check(default: Rule, data: RuleOverrideIn, caller: Caller) -> list[FieldError]:
    errors = []
    optional = OPTIONAL_PARAMS.get(default.kind, ())
    for key, value in data.params.items():
        if key not in default.params and key not in optional:
            errors.append(FieldError(f"params.{key}", "not a parameter of this rule"))
        elif key in _IDENTITY and value != default.params[key]:
            errors.append(FieldError(f"params.{key}", "identifies the rule and cannot be changed"))
    if not data.reason.strip():
        errors.append(FieldError("reason", "must not be blank: say why, for the next clinician"))
    if data.expires_at is not None and data.expires_at <= caller.now:
        errors.append(FieldError("expires_at", "must be in the future"))
    return errors


async def set_rule(
    conn: asyncpg.Connection,
    caller: Caller,
    patient_id: UUID,
    code: str,
    data: RuleOverrideIn,
    *,
    if_match: str | None = None,
) -> EffectiveRule:
    """Override one rule for this patient; the previous override (if any) is superseded. With
    `if_match` (the `version` read before), a rule changed since by someone else is a 412 rather
    than silently overwritten."""
    patient = await _patient(conn, caller, patient_id, "write")
    default = patient.defaults.get(code)
    if default is None:
        raise ProblemError(404, "This patient has no rule with this code; see GET /patients/{id}/rules.")
    current = version(patient.overrides.get(code))
    if if_match is not None and not _matches(if_match, current):
        raise ProblemError(
            412,
            "The rule was changed since you read it; read it again (GET /patients/{id}/rules) and decide anew.",
            headers={"ETag": f'"{current}"'},
        )
    if errors := _check(default, data, caller):
        raise ProblemError(422, "The rule setting is not valid.", errors=errors)
    try:
        rule = apply_override(default, params=data.params, severity=data.severity, enabled=data.enabled)
    except RuleError as exc:
        errors = [FieldError(_problem_field(problem), problem) for problem in exc.problems]
        raise ProblemError(422, "The rule setting is not valid.", errors=errors) from None
    if problems := vocabulary_problems(rule.kind, rule.params, await _vocabulary(conn)):
        errors = [FieldError(_problem_field(problem), problem) for problem in problems]
        raise ProblemError(422, "The rule setting is not valid.", errors=errors)
    override = RuleOverride(
        id=uuid.uuid4(),
        params=data.params,
        severity=data.severity,
        enabled=data.enabled,
        reason=data.reason.strip(),
        set_by=caller.id,
        set_by_name=caller.principal.display_name,
        set_at=caller.now,
        expires_at=data.expires_at,
    )
    await conn.execute(queries.supersede_override, patient_id, code, caller.now)
    # Two clinicians saving at once: the unique index on the current override makes one a 409.
    await conn.execute(
        queries.insert_override,
        override.id,
        patient_id,
        code,
        override.params,
        override.severity,
        override.enabled,
        override.reason,
        override.set_by,
        override.set_at,
        override.expires_at,
    )
    return _view(rule, default, override)


async def rule_history(conn: asyncpg.Connection, caller: Caller, patient_id: UUID, code: str) -> RuleHistory:
    """Every override of the rule for this patient, newest first, superseded and expired ones too."""
    await authorize_patient(conn, caller, patient_id, resource=RESOURCE, action="read", roles=CLINICIAN_ONLY)
    rows = await conn.fetch(queries.select_override_history, patient_id, code, HISTORY_PAGE)
    return RuleHistory(items=[RuleOverride(**dict(row)) for row in rows])
