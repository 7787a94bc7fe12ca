"""GET /patients/{id}/fhir: a FHIR R4 Bundle built from data uploaded through the API, validated
resource by resource with `fhir.resources` (docs/clinical-rules.md, C5 and C6)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.fhir.support import FHIR_JSON, codes, export, fhir_url, resources, validate_bundle
from tests.helpers import World, expect, make_patient, me
from tests.measurements.support import item, upload_ok

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
LOCAL = "urn:heima:measurement"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


@dataclass
class Uploaded:
    dialysis: str
    ids: dict[str, str]  # name in this test → measurement id


@pytest.fixture(scope="module")
async def uploaded(client, world: World) -> Uploaded:
    """One upload per recorder role: a guardian (twin A), the patient (P2), a clinician (dialysis)."""
    dialysis = await make_patient(client, world.clin_u1, world.unit_u1, "home-dialysis", {"dry_weight_kg": 70})
    by_role = [
        (
            world.guardian,
            world.twin_a,
            {
                "weight": item("body_weight", 1.65, "kg"),
                "temperature": item("body_temperature", 36.9, "Cel", attributes={"site": "axillary"}, note="Etter bad"),
                "feed": item("feeding_volume", 45, "mL", attributes={"route": "tube"}),
            },
        ),
        (
            world.patient_p2,
            world.p2,
            {
                "spo2": item("spo2", 93, "%"),
                "bp": item("blood_pressure", unit="mm[Hg]", components={"systolic": 132, "diastolic": 84}),
                "pulse": item("heart_rate", 88, "/min"),
            },
        ),
        (
            world.clin_u1,
            dialysis,
            {
                "effluent": item("effluent_appearance", "cloudy", "1", measured_at="2026-11-22T07:10:00+01:00"),
                "uf": item("ultrafiltration_volume", 0.8, "L", measured_at="2026-11-22T07:20:00+01:00"),
                "dialysis_bp": item(
                    "blood_pressure",
                    unit="mm[Hg]",
                    components={"systolic": 150, "diastolic": 90},
                    measured_at="2026-11-22T07:30:00+01:00",
                ),
                "dialysis_weight": item("body_weight", 72.4, "kg", measured_at="2026-11-22T07:40:00+01:00"),
            },
        ),
    ]
    ids = {}
    for actor, patient_id, items in by_role:
        results = await upload_ok(client, actor, patient_id, list(items.values()))
        assert [r["status"] for r in results] == ["created"] * len(items), results
        ids.update({name: body["id"] for name, body in items.items()})
    return Uploaded(dialysis=dialysis, ids=ids)


def observation(bundle: dict[str, Any], measurement_id: str) -> dict[str, Any]:
    return resources(bundle, "Observation")[measurement_id]


async def test_the_bundle_is_a_collection_led_by_the_patient(client, world, uploaded):
    bundle = await export(client, world.guardian, world.twin_a)
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    assert bundle["timestamp"] == "2026-11-22T07:30:00Z"
    first = bundle["entry"][0]
    assert first["fullUrl"] == f"urn:uuid:{world.twin_a}"
    assert first["resource"] == {
        "resourceType": "Patient",
        "id": world.twin_a,
        "name": [{"text": "Tvilling A"}],
        "birthDate": "2026-10-01",
    }
    # Every other resource is about this patient and names no other patient.
    for entry in bundle["entry"][1:]:
        assert entry["resource"]["subject"] == {"reference": f"urn:uuid:{world.twin_a}", "type": "Patient"}
    text = str(bundle)
    assert "Tvilling B" not in text and "KOLS-pasient" not in text


async def test_weight_uploaded_in_kg_is_loinc_in_grams_performed_by_the_parent(client, world, uploaded):
    bundle = await export(client, world.guardian, world.twin_a)
    weight = observation(bundle, uploaded.ids["weight"])
    guardian = await me(client, world.guardian)
    assert weight["status"] == "final"
    assert codes(weight["code"]) == [(LOINC, "29463-7")]
    assert codes(weight["category"][0]) == [(CATEGORY, "vital-signs")]
    assert weight["valueQuantity"] == {"value": 1650.0, "unit": "g", "system": UCUM, "code": "g"}
    assert weight["effectiveDateTime"] == "2026-11-22T07:00:00Z"  # 08:00+01:00 as sent
    assert weight["issued"] == "2026-11-22T07:30:00Z"  # when the server received it
    assert weight["performer"] == [{"type": "RelatedPerson", "display": guardian["display_name"]}]
    assert "component" not in weight and "valueCodeableConcept" not in weight


async def test_temperature_carries_its_note_and_the_ucum_code_for_celsius(client, world, uploaded):
    bundle = await export(client, world.guardian, world.twin_a)
    temperature = observation(bundle, uploaded.ids["temperature"])
    assert codes(temperature["code"]) == [(LOINC, "8310-5")]
    assert temperature["valueQuantity"] == {"value": 36.9, "unit": "°C", "system": UCUM, "code": "Cel"}
    assert temperature["note"] == [{"text": "Etter bad"}]


async def test_a_local_type_makes_no_loinc_claim_and_is_not_a_vital_sign(client, world, uploaded):
    bundle = await export(client, world.guardian, world.twin_a)
    feed = observation(bundle, uploaded.ids["feed"])
    assert codes(feed["code"]) == [(LOCAL, "feeding-volume")]
    assert codes(feed["category"][0]) == [(CATEGORY, "exam")]
    assert feed["valueQuantity"] == {"value": 45.0, "unit": "mL", "system": UCUM, "code": "mL"}


async def test_spo2_is_double_coded_and_blood_pressure_is_two_components(client, world, uploaded):
    bundle = await export(client, world.patient_p2, world.p2)
    spo2 = observation(bundle, uploaded.ids["spo2"])
    # US Core's oxygen saturation profile wants the pulse-oximetry code and 2708-6 beside it.
    assert codes(spo2["code"]) == [(LOINC, "59408-5"), (LOINC, "2708-6")]
    assert spo2["valueQuantity"] == {"value": 93.0, "unit": "%", "system": UCUM, "code": "%"}
    # The patient measured it themselves: the performer is the Patient resource in this Bundle.
    assert spo2["performer"] == [{"reference": f"urn:uuid:{world.p2}", "type": "Patient"}]

    bp = observation(bundle, uploaded.ids["bp"])
    assert codes(bp["code"]) == [(LOINC, "85354-9")]
    assert "valueQuantity" not in bp
    assert [(codes(c["code"]), c["valueQuantity"]) for c in bp["component"]] == [
        ([(LOINC, "8480-6")], {"value": 132.0, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}),
        ([(LOINC, "8462-4")], {"value": 84.0, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}),
    ]
    assert codes(observation(bundle, uploaded.ids["pulse"])["code"]) == [(LOINC, "8867-4")]


async def test_coded_effluent_and_the_clinician_as_performer(client, world, uploaded):
    bundle = await export(client, world.clin_u1, uploaded.dialysis)
    clinician = await me(client, world.clin_u1)
    effluent = observation(bundle, uploaded.ids["effluent"])
    assert codes(effluent["code"]) == [(LOCAL, "pd-effluent-appearance")]
    assert "valueQuantity" not in effluent
    assert effluent["valueCodeableConcept"] == {
        "coding": [{"system": f"{LOCAL}:pd-effluent-appearance", "code": "cloudy", "display": "Uklar"}],
        "text": "Uklar",
    }
    assert effluent["performer"] == [{"type": "Practitioner", "display": clinician["display_name"]}]
    uf = observation(bundle, uploaded.ids["uf"])
    assert uf["valueQuantity"] == {"value": 800.0, "unit": "mL", "system": UCUM, "code": "mL"}
    weight = observation(bundle, uploaded.ids["dialysis_weight"])
    assert weight["valueQuantity"]["value"] == 72400.0 and weight["valueQuantity"]["code"] == "g"


async def test_newest_first_and_paged_by_limit_without_gaps_or_repeats(client, world, uploaded):
    everything = await export(client, world.clin_u1, uploaded.dialysis)
    newest_first = [e["resource"]["id"] for e in everything["entry"][1:]]
    assert newest_first == [uploaded.ids[n] for n in ("dialysis_weight", "dialysis_bp", "uf", "effluent")]
    assert "link" not in everything  # nothing was cut off

    seen: list[str] = []
    pages = 0
    url, params = fhir_url(uploaded.dialysis), {"limit": 3}  # 4 measurements: 2 pages
    for _ in range(5):
        response = await client.get(url, params=params, headers=world.clin_u1.headers)
        page = await expect(response, 200)
        validate_bundle(page)
        pages += 1
        assert page["entry"][0]["resource"]["resourceType"] == "Patient"  # each page stands alone
        seen += [e["resource"]["id"] for e in page["entry"][1:]]
        following = [link["url"] for link in page.get("link", []) if link["relation"] == "next"]
        if not following:
            break
        url, params = following[0], None  # the link carries limit and cursor
    assert seen == newest_first
    assert pages == 2


async def test_the_export_is_logged_and_other_patients_answer_404(client, world, uploaded, db):
    last = await db.fetchval("select coalesce(max(id), 0) from access_log")
    await export(client, world.guardian, world.twin_b)
    for other in (world.p2, uploaded.dialysis, str(uuid.uuid4())):
        response = await client.get(fhir_url(other), headers=world.guardian.headers)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert FHIR_JSON not in response.headers["content-type"]
    rows = await db.fetch(
        "select patient_id, actor_role, resource, action, outcome from access_log where id > $1 and actor_id = $2"
        " order by id",
        last,
        uuid.UUID(world.guardian.id),
    )
    assert [(str(r["patient_id"]), r["resource"], r["action"], r["outcome"]) for r in rows][:3] == [
        (world.twin_b, "fhir", "read", "allowed"),
        (world.p2, "fhir", "read", "denied"),
        (uploaded.dialysis, "fhir", "read", "denied"),
    ]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"cursor": "not-a-cursor"}])
async def test_out_of_bounds_paging_is_refused(client, world, params):
    response = await client.get(fhir_url(world.twin_a), params=params, headers=world.guardian.headers)
    problem = await expect(response, 422)
    assert problem["errors"][0]["field"] in params
