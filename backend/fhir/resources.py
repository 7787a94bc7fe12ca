"""The few FHIR R4 types the export emits, as msgspec Structs.

Hand-written rather than taken from `fhir.resources`: its pydantic models are an order of
magnitude slower (1000 Observations: mapped and encoded here in ~16 ms; validated and dumped by
`fhir.resources` in ~280 ms), and an export can hold a thousand Observations. The tests
validate what these Structs produce with `fhir.resources`, so the two cannot drift apart unnoticed.

`rename="camel"` gives FHIR's element names (`effective_date_time` → `effectiveDateTime`);
`omit_defaults` leaves out absent elements, because FHIR forbids `null` and empty arrays.
"""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class Element(msgspec.Struct, omit_defaults=True, rename="camel", kw_only=True, frozen=True):
    """`kw_only` is not inherited: each resource with required elements after optional ones
    repeats it, so fields can stay in FHIR's documented order."""


class Coding(Element):
    system: str
    code: str
    display: str | None = None


class CodeableConcept(Element):
    coding: list[Coding] = []
    text: str | None = None


class Quantity(Element):
    value: float
    unit: str
    system: str
    code: str


class Reference(Element):
    reference: str | None = None
    type: str | None = None
    display: str | None = None


class Annotation(Element):
    text: str


class HumanName(Element):
    text: str


class Resource(Element, tag_field="resourceType"):
    """The tag puts `resourceType` first in every resource, as FHIR's JSON format asks."""

    id: str


class FhirPatient(Resource, tag="Patient", kw_only=True):
    name: list[HumanName] = []
    birth_date: date | None = None


class ObservationComponent(Element):
    code: CodeableConcept
    value_quantity: Quantity | None = None


class Observation(Resource, tag="Observation", kw_only=True):
    status: str
    category: list[CodeableConcept] = []
    code: CodeableConcept
    subject: Reference
    effective_date_time: datetime
    issued: datetime
    performer: list[Reference] = []
    value_quantity: Quantity | None = None
    value_codeable_concept: CodeableConcept | None = None
    note: list[Annotation] = []
    derived_from: list[Reference] = []
    component: list[ObservationComponent] = []


class Answer(Element):
    """Exactly one value[x] is set."""

    value_boolean: bool | None = None
    value_integer: int | None = None
    value_decimal: float | None = None
    value_string: str | None = None
    value_coding: Coding | None = None


class ResponseItem(Element):
    link_id: str
    text: str | None = None
    answer: list[Answer] = []


class QuestionnaireResponse(Resource, tag="QuestionnaireResponse", kw_only=True):
    questionnaire: str
    status: str
    subject: Reference
    authored: datetime
    author: Reference | None = None
    item: list[ResponseItem] = []


AnyResource = FhirPatient | Observation | QuestionnaireResponse


class BundleLink(Element):
    relation: str
    url: str


class BundleEntry(Element):
    full_url: str
    resource: AnyResource


class Bundle(Resource, tag="Bundle", kw_only=True):
    type: str
    timestamp: datetime
    link: list[BundleLink] = []
    entry: list[BundleEntry] = []
