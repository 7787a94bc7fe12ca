"""The programme catalogue: rows in `programmes`, seeded and extended by migrations."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec

from alerting.engine import texts
from alerting.engine.defaults import DEFAULT_RULES
from backend.db import load_queries
from backend.errors import FieldError
from backend.programmes.schemas import ParameterSpec, Programme, ProgrammeRule

queries = load_queries(__file__)


async def list_programmes(conn: asyncpg.Connection) -> list[Programme]:
    return [
        msgspec.convert({**dict(row), "rules": default_rules(row["code"])}, Programme)
        for row in await conn.fetch(queries.select_programmes)
    ]


def default_rules(programme: str) -> list[ProgrammeRule]:
    """The programme's default rules. They are code with their clinical sources beside the numbers
    (alerting/engine/defaults.py), not rows: the same ones the rule engine applies."""
    return [
        ProgrammeRule(
            code=rule.code,
            kind=rule.kind,
            params=rule.params,
            severity=rule.severity,
            enabled=rule.enabled,
            source="programme",
            title=texts.title(rule),  # the template filled with the default's numbers
            basis=rule.basis,
            safety_floor=rule.safety_floor,
            group=rule.group,
        )
        for rule in DEFAULT_RULES.get(programme, ())
    ]


async def programme_parameters(conn: asyncpg.Connection, code: str) -> list[ParameterSpec] | None:
    """The programme's parameter specs, or None when there is no such programme."""
    raw = await conn.fetchval(queries.select_programme_parameters, code)
    return None if raw is None else msgspec.convert(raw, list[ParameterSpec])


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Pairs that must be in order when both are set: (lower, upper).
_ORDERED = (("spo2_target_low", "spo2_target_high"),)


def check_parameters(specs: list[ParameterSpec], values: dict[str, Any]) -> list[FieldError]:
    """Strictly: a number is a JSON number (not a string, not a boolean), within its range; a
    boolean is true or false; weekdays a list of distinct "mon".."sun"."""
    errors: list[FieldError] = []
    known = {spec.name: spec for spec in specs}
    for name in values:
        if name not in known:
            errors.append(FieldError(f"parameters.{name}", "not a parameter of this programme"))
    for spec in specs:
        field = f"parameters.{spec.name}"
        if spec.name not in values:
            if spec.required:
                errors.append(FieldError(field, "required"))
            continue
        if problem := _check_value(spec, values[spec.name]):
            errors.append(FieldError(field, problem))
    for low, high in _ORDERED:
        checked = not any(e.field in (f"parameters.{low}", f"parameters.{high}") for e in errors)
        if checked and low in values and high in values and values[low] > values[high]:
            errors.append(FieldError(f"parameters.{low}", f"must not be above {high}"))
    return errors


def _check_value(spec: ParameterSpec, value: Any) -> str | None:
    if spec.type == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if spec.type == "weekdays":
        if not isinstance(value, list) or not all(isinstance(day, str) and day in WEEKDAYS for day in value):
            return "must be a list of weekdays: " + ", ".join(WEEKDAYS)
        return "each weekday once" if len(set(value)) != len(value) else None
    if spec.type == "choice":
        options = spec.options or []
        # bool is an int in Python; True must not pass for option 1.
        if isinstance(value, bool) or value not in options:
            return "must be one of " + ", ".join(map(str, options))
        return None
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if spec.type == "integer" and not (is_number and isinstance(value, int)):
        return "must be a whole number"
    if spec.type == "number" and not is_number:
        return "must be a number"
    if spec.min is not None and value < spec.min:
        return f"must be at least {spec.min:g}"
    if spec.max is not None and value > spec.max:
        return f"must be at most {spec.max:g}"
    return None
