"""Checks every FHIR export test makes: the real validator on the Bundle and on each resource,
plus the Bundle rules a structural validator does not check (unique full URLs, resolvable
references)."""

from __future__ import annotations

from typing import Any

# fhir.resources 8 ships R4B (4.3) as its R4-family models; for Patient, Observation,
# QuestionnaireResponse and Bundle, R4B is R4 unchanged.
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from tests.helpers import API, Actor, expect

FHIR_JSON = "application/fhir+json"


# Required bindings the validator leaves unchecked.
STATUSES = {
    "Observation": {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error"},
    "QuestionnaireResponse": {"in-progress", "completed", "amended", "entered-in-error", "stopped"},
}


def validate_resource(resource: dict[str, Any]) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    if resource["resourceType"] in STATUSES:
        assert resource["status"] in STATUSES[resource["resourceType"]]
    assert_no_empty(resource)


def assert_no_empty(value: Any, path: str = "$") -> None:
    """FHIR JSON has no nulls, empty arrays, empty objects or empty strings (the validator lets
    the latter three through)."""
    assert value is not None and value != [] and value != {} and value != "", f"empty value at {path}"
    if isinstance(value, dict):
        for key, item in value.items():
            assert_no_empty(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            assert_no_empty(item, f"{path}[{index}]")


def validate_bundle(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Validate and index the entries by fullUrl."""
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    by_url: dict[str, dict[str, Any]] = {}
    for entry in bundle.get("entry", []):
        resource = entry["resource"]
        validate_resource(resource)
        assert entry["fullUrl"].startswith("urn:uuid:")
        assert entry["fullUrl"] not in by_url, "a fullUrl must be unique in a Bundle"
        by_url[entry["fullUrl"]] = resource
    for reference in _references(bundle.get("entry", [])):
        assert reference in by_url, f"{reference} does not resolve inside the Bundle"
    return by_url


def _references(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [ref for item in value.values() for ref in _references(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in _references(item)]
    return []


def fhir_url(patient_id: str) -> str:
    return f"{API}/patients/{patient_id}/fhir"


async def export(client: Any, actor: Actor, patient_id: str, **params: Any) -> dict[str, Any]:
    response = await client.get(fhir_url(patient_id), params=params, headers=actor.headers)
    bundle = await expect(response, 200)
    assert response.headers["content-type"] == FHIR_JSON
    validate_bundle(bundle)
    return bundle


def resources(bundle: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """The bundle's resources of one type, by id."""
    found = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type]
    return {r["id"]: r for r in found}


def codes(concept: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["system"], c["code"]) for c in concept["coding"]]
