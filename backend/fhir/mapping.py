"""Stored rows → FHIR resources: pure functions, no I/O.

Texts (code.text, item text, option displays) are in Norwegian bokmål, the language patients and
clinicians saw them in; LOINC codings carry no display, because the catalogue holds our labels,
not LOINC's official names, and a wrong display is worse than none.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from backend.fhir.resources import (
    Annotation,
    Answer,
    CodeableConcept,
    Coding,
    FhirPatient,
    HumanName,
    Observation,
    ObservationComponent,
    Quantity,
    QuestionnaireResponse,
    Reference,
    ResponseItem,
)
from backend.measurements.catalogue import MeasurementType

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
LOCAL_SYSTEM = "urn:heima:measurement"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_CATEGORY_DISPLAY = {
    "vital-signs": "Vital Signs",
    "exam": "Exam",
    "survey": "Survey",
    "laboratory": "Laboratory",
    "activity": "Activity",
    "social-history": "Social History",
}
# Quantity.unit is for people; the UCUM code stays in Quantity.code.
_UNIT_DISPLAY = {"Cel": "°C", "[degF]": "°F", "mm[Hg]": "mmHg", "{count}": "count", "{episodes}": "episodes"}
_INT32 = range(-(2**31), 2**31)


def full_url(resource_id: UUID | str) -> str:
    return f"urn:uuid:{resource_id}"


@dataclass(frozen=True, slots=True)
class Subject:
    """The patient the export is about, as the other resources refer to it."""

    id: UUID
    user_id: UUID | None  # the patient's own sign-in, to recognise what they recorded themselves

    @property
    def reference(self) -> Reference:
        return Reference(reference=full_url(self.id), type="Patient")


def patient(row: Mapping[str, Any]) -> FhirPatient:
    return FhirPatient(id=str(row["id"]), name=[HumanName(text=row["display_name"])], birth_date=row["birth_date"])


def recorder(subject: Subject, role: str, user_id: UUID, name: str | None) -> Reference | None:
    """Who measured or answered. Staff and parents by name (they are not patients); the patient
    as a reference to themselves. A patient user can only write their own data, so a patient
    recorder who is not the subject cannot occur; if it ever did, nothing about them is shown."""
    if role == "guardian" and name:
        return Reference(type="RelatedPerson", display=name)
    if role == "clinician" and name:
        return Reference(type="Practitioner", display=name)
    if role == "patient" and user_id == subject.user_id:
        return subject.reference
    return None


def observation(
    row: Mapping[str, Any], mtype: MeasurementType, subject: Subject, source_url: str | None = None
) -> Observation:
    """`source_url`: the QuestionnaireResponse in the same Bundle whose answer this measurement is."""
    performer = recorder(subject, row["recorder_role"], row["recorded_by"], row["recorder_name"])
    value_quantity, value_concept, components = None, None, []
    if row["value"] is not None:
        value_quantity = quantity(row["value"], row["unit"])
    elif row["value_code"] is not None:
        value_concept = coded_value(mtype, row["value_code"])
    else:
        # Blood pressure and the like: the parts are the values; the panel itself has none.
        components = _components(mtype, row["components"], row["unit"])
    return Observation(
        id=str(row["id"]),
        status="final",
        category=[_category(mtype.fhir_category)],
        code=observation_code(mtype),
        subject=subject.reference,
        effective_date_time=row["measured_at"],
        # When Heima received it, not the phone's clock: the two differ for offline uploads.
        issued=row["received_at"],
        performer=[performer] if performer else [],
        value_quantity=value_quantity,
        value_codeable_concept=value_concept,
        note=[Annotation(text=row["note"])] if row["note"] and row["note"].strip() else [],
        component=components,
        derived_from=[Reference(reference=source_url, type="QuestionnaireResponse")] if source_url else [],
    )


def observation_code(mtype: MeasurementType) -> CodeableConcept:
    if mtype.local:
        # "local" means no verified LOINC code: an unverified LOINC claim would let a receiving
        # system merge our numbers with true LOINC data.
        codings = [Coding(system=LOCAL_SYSTEM, code=mtype.code_value)]
        codings += [c for c in _extra(mtype) if c.system != LOINC]
    else:
        codings = [Coding(system=mtype.code_system, code=mtype.code_value), *_extra(mtype)]
    return CodeableConcept(coding=codings, text=mtype.display.nb)


def _extra(mtype: MeasurementType) -> list[Coding]:
    return [Coding(system=c.system, code=c.code, display=c.display) for c in mtype.extra_codings]


def quantity(value: float, unit: str) -> Quantity:
    return Quantity(value=value, unit=_UNIT_DISPLAY.get(unit, unit), system=UCUM, code=unit)


def coded_value(mtype: MeasurementType, code: str) -> CodeableConcept:
    # The options are the type's own value set, named after the type's code.
    display = next((o.display.nb for o in mtype.options if o.code == code), None)
    system = f"{LOCAL_SYSTEM}:{mtype.code_value}"
    return CodeableConcept(coding=[Coding(system=system, code=code, display=display)], text=display)


def _components(mtype: MeasurementType, values: Mapping[str, float], unit: str) -> list[ObservationComponent]:
    system = LOCAL_SYSTEM if mtype.local else mtype.code_system
    return [
        ObservationComponent(
            code=CodeableConcept(coding=[Coding(system=system, code=c.code)], text=c.display.nb),
            value_quantity=quantity(values[c.name], unit),
        )
        for c in mtype.components
        if c.name in values
    ]


def _category(code: str) -> CodeableConcept:
    return CodeableConcept(coding=[Coding(system=OBSERVATION_CATEGORY, code=code, display=_CATEGORY_DISPLAY.get(code))])


def questionnaire_response(
    row: Mapping[str, Any], definition: Mapping[str, Any] | None, subject: Subject
) -> QuestionnaireResponse:
    form, version = row["form"], row["version"]
    specs = _item_specs(definition)
    answers: Mapping[str, Any] = row["answers"] or {}
    # The form's order first, then anything the definition does not know (an older client).
    order = [link_id for link_id in specs if link_id in answers]
    order += sorted(link_id for link_id in answers if link_id not in specs)
    items = []
    for link_id in order:
        spec = specs.get(link_id, {})
        item_answers = answer_values(answers[link_id], spec, f"urn:heima:form:{form}:{link_id}")
        if item_answers:
            items.append(ResponseItem(link_id=link_id, text=_text(spec.get("text")), answer=item_answers))
    return QuestionnaireResponse(
        id=str(row["id"]),
        questionnaire=f"urn:heima:form:{form}|{version}",
        status="completed",
        subject=subject.reference,
        authored=row["authored_at"],
        author=recorder(subject, row["recorder_role"], row["recorded_by"], row["recorder_name"]),
        item=items,
    )


def _item_specs(definition: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    items = (definition or {}).get("items") or []
    return {item["link_id"]: item for item in items if isinstance(item, Mapping) and "link_id" in item}


def answer_values(value: Any, spec: Mapping[str, Any], option_system: str) -> list[Answer]:
    """One FHIR answer per stored value, typed by the value's JSON type, refined by the form:
    a whole number for a `decimal` item is a decimal (JSON writes 37.0 as 37), and a string is a
    Coding when the item offers it as an option. No answer (null, "") means no item."""
    if isinstance(value, list):
        return [answer for part in value for answer in answer_values(part, spec, option_system)]
    if isinstance(value, bool):  # before int: bool is an int in Python
        return [Answer(value_boolean=value)]
    if isinstance(value, int) and spec.get("type") == "decimal":
        return [Answer(value_decimal=float(value))]
    if isinstance(value, int):
        # FHIR's integer is 32-bit; a larger count is still a number.
        return [Answer(value_integer=value)] if value in _INT32 else [Answer(value_decimal=float(value))]
    if isinstance(value, float):
        # jsonb keeps 1e400 exactly, but it decodes to inf, which JSON (and FHIR) cannot carry.
        return [Answer(value_decimal=value)] if math.isfinite(value) else []
    if isinstance(value, Mapping) and isinstance(value.get("code"), str):
        system = value.get("system") if isinstance(value.get("system"), str) else option_system
        return [Answer(value_coding=Coding(system=system, code=value["code"], display=_text(value.get("display"))))]
    if isinstance(value, str) and value.strip():
        options = _options(spec)
        if value in options:
            return [Answer(value_coding=Coding(system=option_system, code=value, display=options[value]))]
        return [Answer(value_string=value)]
    return []


def _options(spec: Mapping[str, Any]) -> dict[str, str | None]:
    """Options as code → display, whether the form lists codes or {code, display|text} objects."""
    found: dict[str, str | None] = {}
    for option in spec.get("options") or []:
        if isinstance(option, Mapping) and "code" in option:
            found[str(option["code"])] = _text(option.get("display") or option.get("text"))
        elif isinstance(option, str | int) and not isinstance(option, bool):
            found[str(option)] = None
    return found


def _text(value: Any) -> str | None:
    """A text as stored: plain, or {nb, en} (bokmål preferred)."""
    if isinstance(value, Mapping):
        value = value.get("nb") or value.get("en")
    return value if isinstance(value, str) and value.strip() else None
