from __future__ import annotations

from typing import Any

import msgspec


class LocalText(msgspec.Struct):
    nb: str
    en: str


class ParameterSpec(msgspec.Struct):
    name: str
    type: str  # "number" | "integer" | "choice" | "boolean" | "weekdays" (a list of "mon".."sun")
    required: bool
    text: LocalText
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    options: list[int | str] | None = None


class Programme(msgspec.Struct):
    code: str
    version: int
    title: LocalText
    description: LocalText
    parameters: list[ParameterSpec]
    measurement_types: list[dict[str, Any]]
    forms: list[dict[str, Any]]
    rules: list[dict[str, Any]]


class ProgrammeList(msgspec.Struct):
    items: list[Programme]
