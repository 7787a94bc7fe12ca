"""Measurement types: the catalogue rows as typed values, and unit conversion.

The catalogue is data (migrations seed and extend `measurement_types`); it is read once when the
app starts, since only a migration, followed by a restart, can change it.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec

from backend.db import load_queries
from backend.programmes.schemas import LocalText

queries = load_queries(__file__)


class UnitMap(msgspec.Struct, frozen=True):
    """canonical = value * factor + offset"""

    factor: float
    offset: float


class Option(msgspec.Struct, frozen=True):
    code: str
    display: LocalText


class Component(msgspec.Struct, frozen=True):
    name: str
    code: str
    display: LocalText
    min: float
    max: float
    required: bool


class AttributeSpec(msgspec.Struct, frozen=True):
    type: str  # "choice" | "boolean"
    required: bool
    options: list[str] = []


class Coding(msgspec.Struct, frozen=True):
    system: str
    code: str
    display: str


class MeasurementType(msgspec.Struct, frozen=True):
    code: str
    code_system: str
    code_value: str
    local: bool
    extra_codings: list[Coding]
    display: LocalText
    canonical_unit: str
    units: dict[str, UnitMap]
    value_kind: str  # "quantity" | "coded" | "components"
    min: float | None
    max: float | None
    options: list[Option]
    components: list[Component]
    attributes: dict[str, AttributeSpec]
    fhir_category: str

    def to_canonical(self, value: float, unit: str) -> float:
        mapping = self.units[unit]
        return value * mapping.factor + mapping.offset

    def from_canonical(self, value: float, unit: str) -> float:
        mapping = self.units[unit]
        return (value - mapping.offset) / mapping.factor


Catalogue = dict[str, MeasurementType]


async def load_catalogue(conn: asyncpg.Connection) -> Catalogue:
    rows = await conn.fetch(queries.select_measurement_types)
    return {row["code"]: msgspec.convert(dict(row), MeasurementType) for row in rows}


def describe(measurement_type: MeasurementType) -> dict[str, Any]:
    """The catalogue entry as GET /programmes shows it."""
    return msgspec.to_builtins(measurement_type)
