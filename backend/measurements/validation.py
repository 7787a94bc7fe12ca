"""Checking one registration against its type: pure functions, no I/O.

A value is converted to the type's canonical unit on arrival (the original is kept); a value
outside the physiologically possible range, a unit that does not fit the type, or a time too far
in the future is refused with a reason a phone can show.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec

from backend.errors import FieldError
from backend.measurements.catalogue import MeasurementType
from backend.measurements.schemas import MeasurementIn

# Phones' clocks drift; a registration "from the future" beyond this is a wrong clock or a typo.
MAX_FUTURE_SKEW = timedelta(minutes=5)
# Nothing measured at home for Heima is older than this, whenever the patient was born: a device
# whose clock was reset says 1970 or 2000-01-01, and "1900" is a typo (issue 11).
MEASURED_FROM = datetime(2000, 1, 2, tzinfo=UTC)
TOO_EARLY = "is before the patient was born (or before 2000-01-02); check the phone's clock"
# Canonical values are rounded so that 1.65 kg is 1650 g, not 1650.0000000000002 g.
_DIGITS = 6


class PreparedMeasurement(msgspec.Struct, frozen=True):
    """A valid registration in canonical form, ready to store. (A Struct: built a thousand times
    per batch, and cheaper to build than a dataclass.)"""

    id: UUID
    type: str
    value: float | None
    value_code: str | None
    components: dict[str, float] | None
    unit: str
    original_value: float | None
    original_unit: str
    attributes: dict[str, Any]
    note: str | None
    measured_at: datetime
    content_hash: bytes


def content_hash(item: MeasurementIn) -> bytes:
    """Identity of what the phone said: the same registration resent hashes the same, whatever
    offset its timestamp was written with and in whatever order its keys came."""
    canonical = (
        item.type,
        item.value,
        item.unit,
        item.measured_at.timestamp(),
        sorted(item.components.items()) if item.components else None,
        sorted(item.attributes.items()) if item.attributes else None,
        item.note,
    )
    return hashlib.sha256(msgspec.json.encode(canonical)).digest()


def prepare(
    item: MeasurementIn, measurement_type: MeasurementType | None, now: datetime, earliest: datetime = MEASURED_FROM
) -> PreparedMeasurement | list[FieldError]:
    """`earliest`: the patient's birth (never before MEASURED_FROM)."""
    if measurement_type is None:
        return [FieldError("type", f"unknown measurement type {item.type!r}")]
    errors: list[FieldError] = []
    if item.unit not in measurement_type.units:
        accepted = ", ".join(measurement_type.units)
        errors.append(FieldError("unit", f"{item.unit!r} does not fit {item.type}; use one of: {accepted}"))
    if item.measured_at > now + MAX_FUTURE_SKEW:
        errors.append(FieldError("measured_at", "is in the future; check the phone's clock"))
    elif item.measured_at < earliest:
        errors.append(FieldError("measured_at", TOO_EARLY))
    errors += _check_attributes(item, measurement_type)
    value, value_code, components = None, None, None
    if not errors:
        match measurement_type.value_kind:
            case "quantity":
                value = _check_quantity(item, measurement_type, errors)
            case "coded":
                value_code = _check_code(item, measurement_type, errors)
            case "components":
                components = _check_components(item, measurement_type, errors)
    if errors:
        return errors
    return PreparedMeasurement(
        id=item.id,
        type=item.type,
        value=value,
        value_code=value_code,
        components=components,
        unit=measurement_type.canonical_unit,
        original_value=item.value if isinstance(item.value, float) else None,
        original_unit=item.unit,
        attributes=item.attributes or {},
        note=item.note,
        measured_at=item.measured_at,
        content_hash=content_hash(item),
    )


def _in_range(value: float, low: float | None, high: float | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def _range_text(low: float | None, high: float | None, unit: str) -> str:
    return f"between {low:g} and {high:g} {unit}"


def _check_quantity(item: MeasurementIn, mtype: MeasurementType, errors: list[FieldError]) -> float | None:
    if not isinstance(item.value, float):
        kind = "text" if isinstance(item.value, str) else "missing"
        errors.append(FieldError("value", f"must be a number (got {kind})"))
        return None
    if item.components is not None:
        errors.append(FieldError("components", f"{item.type} has no components"))
    canonical = round(mtype.to_canonical(item.value, item.unit), _DIGITS)
    if not _in_range(canonical, mtype.min, mtype.max):
        errors.append(
            FieldError("value", "is not possible: must be " + _range_text(mtype.min, mtype.max, mtype.canonical_unit))
        )
    return canonical


def _check_code(item: MeasurementIn, mtype: MeasurementType, errors: list[FieldError]) -> str | None:
    codes = [option.code for option in mtype.options]
    if not isinstance(item.value, str) or item.value not in codes:
        errors.append(FieldError("value", "must be one of " + ", ".join(codes)))
        return None
    return item.value


def _check_components(item: MeasurementIn, mtype: MeasurementType, errors: list[FieldError]) -> dict[str, float] | None:
    if item.value is not None:
        errors.append(FieldError("value", f"{item.type} is sent as components, without a value"))
    given = item.components or {}
    for name in given:
        if name not in {c.name for c in mtype.components}:
            errors.append(FieldError(f"components.{name}", f"not a component of {item.type}"))
    canonical: dict[str, float] = {}
    for component in mtype.components:
        field = f"components.{component.name}"
        if component.name not in given:
            if component.required:
                errors.append(FieldError(field, "required"))
            continue
        value = round(mtype.to_canonical(given[component.name], item.unit), _DIGITS)
        if not _in_range(value, component.min, component.max):
            errors.append(
                FieldError(
                    field, "is not possible: must be " + _range_text(component.min, component.max, mtype.canonical_unit)
                )
            )
        canonical[component.name] = value
    # Compare only when both are there: a missing one is already reported as "required", and a
    # default standing in for it made "must be higher than diastolic" appear for a missing systolic.
    if "systolic" in canonical and "diastolic" in canonical and canonical["systolic"] <= canonical["diastolic"]:
        errors.append(FieldError("components.systolic", "must be higher than diastolic"))
    return canonical


def _check_attributes(item: MeasurementIn, mtype: MeasurementType) -> list[FieldError]:
    errors: list[FieldError] = []
    given = item.attributes or {}
    for name, value in given.items():
        spec = mtype.attributes.get(name)
        field = f"attributes.{name}"
        if spec is None:
            errors.append(FieldError(field, f"not an attribute of {item.type}"))
        elif spec.type == "boolean" and not isinstance(value, bool):
            errors.append(FieldError(field, "must be true or false"))
        elif spec.type == "choice" and value not in spec.options:
            errors.append(FieldError(field, "must be one of " + ", ".join(spec.options)))
    for name, spec in mtype.attributes.items():
        if spec.required and name not in given:
            errors.append(FieldError(f"attributes.{name}", "required"))
    return errors
