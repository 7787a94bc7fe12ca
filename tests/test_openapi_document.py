"""The OpenAPI document is what the web apps' and any phone app's typed clients are generated from:
it says everything a client needs, in names a person would write (backend/docs.py)."""

from __future__ import annotations

import json
import re
from importlib.metadata import version
from typing import Any
from uuid import UUID

import jsonschema
import msgspec
import pytest

from tests.helpers import API
from video import messages

METHODS = ("get", "put", "post", "delete", "patch")
PROBLEM_REF = "#/components/schemas/Problem"

# Generated clients call these by name: renaming one breaks every client, so each stays.
STABLE_IDS = {
    "checkLiveness",
    "checkReadiness",
    "readMetrics",
    "login",
    "activate",
    "refresh",
    "logout",
    "readMe",
    "listOrganisations",
    "createOrganisation",
    "listUnits",
    "createUnit",
    "createUser",
    "listPatients",
    "registerPatient",
    "readPatient",
    "enrolPatient",
    "endEnrolment",
    "createActivationCode",
    "readAccessLog",
    "listProgrammes",
    "listMeasurements",
    "uploadMeasurements",
    "exportPatientFhir",
    "listForms",
    "listFormResponses",
    "submitFormResponse",
    "listContactRequests",
    "createContactRequest",
    "handleContactRequest",
    "listAlerts",
    "unitOverview",
    "acknowledgeAlert",
    "resolveAlert",
    "listPatientAlerts",
    "listRules",
    "setRule",
    "ruleHistory",
    "streamAlerts",
    "readPushPublicKey",
    "subscribePush",
    "unsubscribePush",
    "startEchoTest",
    "listMeetings",
    "createMeeting",
    "readMeeting",
    "joinMeeting",
}


@pytest.fixture
async def document(client) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {
        operation["operationId"]: (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


async def test_operation_ids_are_short_stable_and_unique(document):
    found = operations(document)
    count = sum(1 for item in document["paths"].values() for method in item if method in METHODS)
    assert len(found) == count, "duplicate operation ids"
    assert set(found) >= STABLE_IDS, STABLE_IDS - set(found)
    for operation_id in found:
        assert re.fullmatch(r"[a-z][A-Za-z]{2,40}", operation_id), operation_id
        assert not operation_id.startswith("apiV1"), operation_id
    assert found["uploadMeasurements"][:2] == ("post", f"{API}/patients/{{patient_id}}/measurements")


async def test_every_operation_has_its_handlers_description(document):
    for operation_id, (_, _, operation) in operations(document).items():
        assert operation.get("description", "").strip(), operation_id
    upload = operations(document)["uploadMeasurements"][2]
    assert "Resending is harmless" in upload["description"]


async def test_version_is_the_packages(document):
    assert document["info"]["version"] == version("heima")


async def test_routes_that_need_no_token_say_so_and_the_others_ask_for_one(document):
    public = {"login", "activate", "refresh", "checkLiveness", "checkReadiness", "readMetrics"}
    for operation_id, (_, _, operation) in operations(document).items():
        if operation_id in public:
            assert operation["security"] == [], operation_id
            assert "401" not in operation["responses"], operation_id
        else:
            assert operation["security"] == [{"bearer": []}], operation_id
            assert "401" in operation["responses"], operation_id


def _problem(operation: dict[str, Any], status: int) -> dict[str, Any]:
    response = operation["responses"][str(status)]
    assert response["content"]["application/problem+json"]["schema"]["$ref"] == PROBLEM_REF
    return response


async def test_problem_answers_are_declared_where_they_happen(document):
    found = {operation_id: operation for operation_id, (_, _, operation) in operations(document).items()}
    # 404: a patient that is not yours answers like one that does not exist.
    _problem(found["readPatient"], 404)
    # 403: a role that may never do this (a guardian registering patients).
    _problem(found["registerPatient"], 403)
    assert "403" not in found["readMe"]["responses"]  # any role may
    # 422: bad content names the field.
    _problem(found["uploadMeasurements"], 422)
    assert "422" not in found["readMe"]["responses"]  # nothing to send
    # 409 where something stored conflicts, with the handler's own words.
    assert "already enrolled" in _problem(found["enrolPatient"], 409)["description"]
    for operation_id in ("submitFormResponse", "createContactRequest", "subscribePush", "joinMeeting", "createUser"):
        _problem(found[operation_id], 409)
    # 429 and 503 carry Retry-After.
    for operation_id in ("login", "activate", "startEchoTest"):
        assert "Retry-After" in _problem(found[operation_id], 429)["headers"], operation_id
    assert "Retry-After" in _problem(found["uploadMeasurements"], 503)["headers"]
    # Everything else is a problem document too.
    for operation_id, operation in found.items():
        assert operation["responses"]["default"]["content"]["application/problem+json"], operation_id
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}


async def test_upload_items_are_typed_and_types_are_the_catalogues(document, client, world):
    schemas = document["components"]["schemas"]
    items = schemas["UploadRequest"]["properties"]["measurements"]["items"]
    assert items == {"$ref": "#/components/schemas/MeasurementIn"}
    item = schemas["MeasurementIn"]
    assert set(item["required"]) == {"id", "type", "unit", "measured_at"}
    assert item["additionalProperties"] is False
    programmes = (await client.get(f"{API}/programmes", headers=world.clin_u1.headers)).json()["items"]
    catalogue = {t["code"] for p in programmes for t in p["measurement_types"]}
    assert set(item["properties"]["type"]["enum"]) >= catalogue
    assert set(schemas["Measurement"]["properties"]["type"]["enum"]) == set(item["properties"]["type"]["enum"])
    jsonschema.validate(
        {
            "id": "6f1c1b7e-5a43-4c43-9c53-0f6f4bb4bb01",
            "type": "body_weight",
            "unit": "g",
            "value": 2450,
            "measured_at": "2026-11-22T07:00:00+01:00",
        },
        item,
    )


async def test_schema_names_are_the_types_names(document):
    for name in document["components"]["schemas"]:
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", name), name
    assert {"Patient", "FhirPatient", "LocalText"} <= set(document["components"]["schemas"])


async def test_the_signalling_frames_are_published_as_json_schema(client, document):
    response = await client.get("/openapi/signalling.json")
    assert response.status_code == 200
    schema = response.json()
    jsonschema.Draft202012Validator.check_schema(schema)
    definitions = schema["$defs"]

    def valid(frame: dict[str, Any], kind: str) -> bool:
        return jsonschema.Draft202012Validator({**schema, "$ref": f"#/$defs/{kind}"}).is_valid(frame)

    peer = "0b8f1f7c-1d7a-4c1a-9b7e-2f0e7b0c9a11"
    assert valid({"type": "offer", "to": peer, "sdp": "v=0"}, "ClientMessage")
    assert valid(
        {"type": "ice", "to": peer, "candidate": {"candidate": "candidate:1 1 udp 1 h 9 typ host"}}, "ClientMessage"
    )
    assert not valid({"type": "offer", "to": peer, "sdp": "v=0", "extra": 1}, "ClientMessage")
    assert not valid({"type": "dance"}, "ClientMessage")
    assert valid(
        {"type": "welcome", "peer_id": peer, "role": "host", "state": "joined", "peers": [], "resumed": False},
        "ServerMessage",
    )
    # Frames exactly as the server writes them.
    relayed = messages.relayed(messages.Ice(to=UUID(peer), candidate=msgspec.Raw(b'{"candidate":""}')), peer)
    for frame in (relayed, messages.error("Not allowed", "Only hosts admit.")):
        assert valid(json.loads(frame), "ServerMessage"), frame
    assert {"Welcome", "Error", "PeerLeft", "Offer", "Admit"} <= set(definitions)
    assert "/openapi/signalling.json" in document["info"]["description"]
