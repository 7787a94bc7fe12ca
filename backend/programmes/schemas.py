from __future__ import annotations

from typing import Any, Literal

import msgspec


class LocalText(msgspec.Struct):
    nb: str
    en: str


class ParameterSpec(msgspec.Struct):
    name: str
    type: str  # "number" | "integer" | "choice"
    required: bool
    text: LocalText
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    options: list[int | str] | None = None


class ProgrammeRule(msgspec.Struct):
    """A default alert rule of the programme, as `GET /patients/{id}/rules` shows it before any
    per-patient override: `basis` names the clinical source of its numbers."""

    code: str
    kind: Literal["threshold", "trend", "missing", "answer"]
    params: dict[str, Any]
    severity: Literal["high", "medium", "low"]
    enabled: bool
    source: Literal["programme"]
    title: str
    basis: str
    # A floor can be tightened for a patient, never loosened, lowered or switched off.
    safety_floor: bool
    group: str | None


class Programme(msgspec.Struct):
    code: str
    version: int
    title: LocalText
    description: LocalText
    parameters: list[ParameterSpec]
    measurement_types: list[dict[str, Any]]
    forms: list[dict[str, Any]]
    rules: list[ProgrammeRule]


class ProgrammeList(msgspec.Struct):
    items: list[Programme]
