"""Checking answers against a form version, scoring them, and turning them into measurements.

Pure functions, no I/O. Types are strict: JSON `true` is a boolean and not the number 1, `"37"` is
text and not a number, and `3.0` is not an integer. A value is never converted into what the item
wanted; the phone is told which answer is wrong and why.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from datetime import UTC
from typing import Any
from uuid import UUID

import msgspec

from backend.decoding import MAX_INTEGER
from backend.errors import FieldError
from backend.forms.schemas import MAX_TEXT, FormDefinition, FormResponseIn, Item
from backend.measurements.schemas import MeasurementIn


def field(link_id: str) -> str:
    return f"answers.{link_id}"


def check_answers(definition: FormDefinition, answers: dict[str, Any]) -> list[FieldError]:
    items = {item.link_id: item for item in definition.items}
    errors = [FieldError(field(link_id), "not an item of this form") for link_id in answers if link_id not in items]
    for item in definition.items:
        if item.link_id not in answers:
            if item.required:
                errors.append(FieldError(field(item.link_id), "required"))
            continue
        if problem := _check_value(item, answers[item.link_id]):
            errors.append(FieldError(field(item.link_id), problem))
    return errors


def _is_number(value: Any) -> bool:
    # bool is an int in Python; `true` must not pass for 1. A JSON number too large for a double
    # arrives as inf, and an integer like 10^400 as an int that no float can hold (isfinite raised
    # OverflowError: a 500). Decoding refuses both (backend/decoding.py); this stays safe without.
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) <= MAX_INTEGER
    return isinstance(value, float) and math.isfinite(value)


def _check_value(item: Item, value: Any) -> str | None:
    if value is None:
        return "must not be null; leave the item out when it is not answered"
    match item.type:
        case "boolean":
            return None if isinstance(value, bool) else "must be true or false"
        case "integer":
            if not (_is_number(value) and isinstance(value, int)):
                return "must be a whole number"
            return _check_range(item, value)
        case "decimal":
            return _check_range(item, value) if _is_number(value) else "must be a number"
        case "choice":
            codes = [option.code for option in item.options or []]
            return None if isinstance(value, str) and value in codes else "must be one of " + ", ".join(codes)
        case "text":
            if not isinstance(value, str):
                return "must be text"
            if not value.strip():
                return "must not be blank; leave the item out when there is nothing to say"
            limit = item.max_length or MAX_TEXT
            return None if len(value) <= limit else f"must be at most {limit} characters"
    return f"has a type this service does not know ({item.type})"


def _check_range(item: Item, value: float) -> str | None:
    if item.min is not None and value < item.min:
        return f"must be at least {item.min:g}"
    if item.max is not None and value > item.max:
        return f"must be at most {item.max:g}"
    return None


def compute_score(definition: FormDefinition, answers: dict[str, Any]) -> float | None:
    """The form's score, or None when it has none or a scored item was left out (a partial sum
    would read as an improvement)."""
    if definition.score is None:
        return None
    values = [answers.get(link_id) for link_id in definition.score.items]
    if any(value is None for value in values):
        return None
    return float(sum(values))


def measurement_id(response_id: UUID, link_id: str) -> UUID:
    """Deterministic, so that a resent response maps to the same measurements."""
    return uuid.uuid5(response_id, link_id)


def to_measurements(definition: FormDefinition, response: FormResponseIn) -> list[tuple[str, MeasurementIn]]:
    """(link_id, measurement) for each answered item that maps to a measurement type, in item order."""
    mapped: list[tuple[str, MeasurementIn]] = []
    for item in definition.items:
        if item.measurement_type is None or item.link_id not in response.answers:
            continue
        answer = response.answers[item.link_id]
        measurement = MeasurementIn(
            id=measurement_id(response.id, item.link_id),
            type=item.measurement_type,
            unit=item.unit or "1",
            measured_at=response.authored_at,
            # Quantities travel as floats (the measurement check refuses ints); coded types as the code.
            value=answer if isinstance(answer, str) else float(answer),
            attributes=dict(item.measurement_attributes) if item.measurement_attributes else None,
        )
        mapped.append((item.link_id, measurement))
    return mapped


def content_hash(response: FormResponseIn) -> bytes:
    """Identity of what the phone said: a resend hashes the same whatever offset its timestamp was
    written with, and 37 and 37.0 are the same answer."""
    canonical = {
        "form": response.form,
        "version": response.version,
        "authored_at": response.authored_at.astimezone(UTC).isoformat(),
        "answers": {key: _canonical(value) for key, value in response.answers.items()},
    }
    return hashlib.sha256(msgspec.json.encode(canonical, order="sorted")).digest()


def _canonical(value: Any) -> Any:
    return float(value) if _is_number(value) else value
