"""The OpenAPI document and the page that shows it, for people and for client generators.

Everything works on a closed hospital network: Litestar's doc UIs load JavaScript from a CDN, so
the Swagger UI 5 files come from the `swagger-ui-bundle-v2` package instead (Swagger UI 4 cannot
read OpenAPI 3.1, the only version Litestar writes). The document is at `/openapi.json` (and
`/docs/openapi.json`), the UI at `/docs`, the signalling websocket's frames as JSON Schema at
`/openapi/signalling.json`.

Litestar builds the document from the handlers; `finish_document` then adds what a typed client
needs and Litestar cannot know (docs/openapi.md): who needs no token, which
problem answers each operation can give, the upload's item type, the catalogue's measurement
codes. It runs once per process, when the catalogue is loaded.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path
from typing import Any

import msgspec
import swagger_ui_bundle
from litestar import Litestar, Request, Router, get
from litestar.enums import MediaType
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.openapi.spec import Components, License, SecurityScheme
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router

from backend.access.service import Access
from backend.errors import PROBLEM_JSON, FieldError, Problem
from backend.measurements.schemas import MeasurementIn
from video.messages import ClientMessage, ServerMessage

PUBLIC = {"access": Access.PUBLIC}
DOCUMENT_PATH = "/openapi.json"
SIGNALLING_SCHEMA_PATH = "/openapi/signalling.json"
_ASSETS = "/docs/assets"
_METHODS = ("get", "put", "post", "delete", "patch")
_REF = "#/components/schemas/{name}"


def _schema_ref(name: str) -> dict[str, str]:
    return {"$ref": _REF.format(name=name)}


def operation_id(handler: HTTPRouteHandler, method: Any, path_components: Any) -> str:
    """`upload_measurements` → `uploadMeasurements`: short, and stable while the handler keeps its
    name (tests/test_openapi_document.py lists them). A handler whose name would be too terse sets
    `operation_id=` itself; Litestar refuses to start on a duplicate."""
    first, *rest = handler.handler_name.split("_")
    return first + "".join(word.title() for word in rest)


class SwaggerUI(OpenAPIRenderPlugin):
    """Swagger UI 5 reading the finished `/openapi.json`, every file served from here."""

    def __init__(self) -> None:
        super().__init__(path="/")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        # `validatorUrl: null`: Swagger UI would otherwise send the document's address to
        # validator.swagger.io. No standalone preset: its top bar fetches any URL typed into it.
        return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Heima API</title>
<link rel="icon" type="image/png" href="{_ASSETS}/favicon-32x32.png">
<link rel="stylesheet" href="{_ASSETS}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{_ASSETS}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{
  url: "{DOCUMENT_PATH}",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
}});
</script>
</body>
</html>
""".encode()


class FinishedDocument(OpenAPIRenderPlugin):
    """`/docs/openapi.json`, where Litestar would serve its unfinished document."""

    def __init__(self) -> None:
        super().__init__(path="/openapi.json", media_type=MediaType.JSON)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return msgspec.json.encode(request.app.state.openapi_document)


@get(DOCUMENT_PATH, opt=PUBLIC, include_in_schema=False, media_type="application/vnd.oai.openapi+json")
async def openapi_document(request: Request[Any, Any, Any]) -> bytes:
    return msgspec.json.encode(request.app.state.openapi_document)


@get(SIGNALLING_SCHEMA_PATH, opt=PUBLIC, include_in_schema=False, media_type="application/schema+json")
async def signalling_schema() -> bytes:
    return _SIGNALLING_SCHEMA


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Heima",
        version=version("heima"),
        description=(
            "Hospital care at home: remote monitoring, alerts and video.\n\n"
            "Errors are RFC 9457 problem documents (`application/problem+json`). A patient you may "
            "not see answers exactly like one that does not exist (404). The video signalling "
            f"websocket's frames are described as JSON Schema at `{SIGNALLING_SCHEMA_PATH}`."
        ),
        license=License(name="AGPL-3.0-or-later", identifier="AGPL-3.0-or-later"),
        path="/docs",
        use_handler_docstrings=True,
        operation_id_creator=operation_id,
        render_plugins=[SwaggerUI(), FinishedDocument()],
        openapi_router=Router(path="/docs", route_handlers=[], opt=PUBLIC, include_in_schema=False),
        components=Components(security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}),
    )


# -- finishing the document -------------------------------------------------------------------------

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before sending the same request again.",
        "schema": {"type": "integer", "minimum": 0},
    }
}
# What each problem status means wherever it is declared; a handler may say more (`responses=`).
_MEANINGS = {
    400: "Malformed request: the body is not JSON, or a parameter is not of its type.",
    401: "Not signed in: no token, or an expired or revoked one.",
    403: "Signed in, but your role may not do this.",
    404: "Not found, or not yours: the two answer alike.",
    409: "Conflicts with what is stored.",
    422: "Invalid content: `errors` names each field and why. Nothing was changed.",
    429: "Too many requests: try again after `Retry-After` seconds.",
    503: "A dependency is briefly unavailable: try again after `Retry-After` seconds.",
}
_DEFAULT = "Any other problem (e.g. 408 for a body sent too slowly, 413 for one too large)."


def _problem(description: str, status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": _schema_ref("Problem")}},
    }
    if status in (429, 503):
        response["headers"] = copy.deepcopy(_RETRY_AFTER)
    return response


def _expected_problems(handler: HTTPRouteHandler, path: str, operation: Mapping[str, Any]) -> set[int]:
    """The problem answers an operation can give, from what it declares and takes."""
    access = handler.opt["access"]
    parameters = handler.parsed_fn_signature.parameters
    statuses: set[int] = set()
    if access is not Access.PUBLIC:
        statuses.add(401)
    if access not in (Access.PUBLIC, Access.SIGNED_IN):
        statuses.add(403)
    if "{" in path:
        statuses.add(404)
    takes_input = "requestBody" in operation or any(p.get("in") == "query" for p in operation.get("parameters", []))
    if takes_input:
        statuses.update((400, 422))
    if "conn" in parameters or "caller" in parameters:
        # A transaction (the caller is authenticated in one) that failed for a passing reason is
        # retried, then answered 503 (backend/retry.py).
        statuses.add(503)
    return statuses


def _declare_problems(operation: dict[str, Any], expected: set[int]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for key, response in list(responses.items()):
        # Litestar's own 400 is in a shape this app never sends; a handler's `problem_responses`
        # keep their words and gain the Retry-After header where it applies. Other answers (the
        # readiness probe's 503 body) stay as declared.
        if key == "400":
            responses[key] = _problem(_MEANINGS[400], 400)
        elif PROBLEM_JSON in response.get("content", {}):
            responses[key] = _problem(response.get("description") or _MEANINGS[int(key)], int(key))
    for status in sorted(expected):
        responses.setdefault(str(status), _problem(_MEANINGS[status], status))
    responses["default"] = _problem(_DEFAULT, 500)


def _handlers_by_operation(app: Litestar) -> dict[tuple[str, str], HTTPRouteHandler]:
    found: dict[tuple[str, str], HTTPRouteHandler] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                found[(route.path_format or "/", method.lower())] = handler
    return found


def _type_upload_items(schemas: dict[str, Any]) -> None:
    """Upload items stay raw JSON in the handler, decoded one by one so that one bad item never
    blocks the others; the document still says what an item is."""
    (_,), components = msgspec.json.schema_components([MeasurementIn], ref_template=_REF)
    for schema in components.values():
        for field in schema.get("properties", {}).values():
            # Optional, as Litestar writes its own: `default: null` reads as "always present" to
            # openapi-typescript, which then demands every optional field in an upload.
            if "default" in field and field["default"] is None:
                del field["default"]
    schemas.update(components)
    schemas["UploadRequest"]["properties"]["measurements"]["items"] = _schema_ref("MeasurementIn")


def _measurement_type_enum(document: dict[str, Any], codes: list[str]) -> None:
    """The catalogue's codes (data in the migrations, loaded at start) as an enum wherever a
    measurement type is named. An unknown type in an upload is still one item's `rejected`."""
    schemas = document["components"]["schemas"]
    for name in ("MeasurementIn", "Measurement"):
        schemas[name]["properties"]["type"] = {"type": "string", "enum": codes}
    listing = document["paths"]["/api/v1/patients/{patient_id}/measurements"]["get"]
    for parameter in listing.get("parameters", []):
        if parameter["name"] == "type" and parameter["in"] == "query":
            parameter["schema"] = {"oneOf": [{"type": "string", "enum": codes}, {"type": "null"}]}


_MANGLED = re.compile(r"^(?:[a-z0-9]+_)+(?P<name>[A-Z]\w*)$")


def _unmangle_names(document: dict[str, Any]) -> None:
    """Litestar names a schema after its module (`alerting_schemas_LocalText`) when two types share
    a name. Identical ones become one schema under the plain name; types that really differ must
    have names of their own (tests/test_openapi_document.py fails on any left)."""
    schemas: dict[str, Any] = document["components"]["schemas"]
    by_name: dict[str, list[str]] = {}
    for key in schemas:
        if match := _MANGLED.match(key):
            by_name.setdefault(match["name"], []).append(key)
    renames: dict[str, str] = {}
    for name, keys in by_name.items():
        bodies = [{k: v for k, v in schemas[key].items() if k != "title"} for key in keys]
        if name not in schemas and all(body == bodies[0] for body in bodies):
            schemas[name] = schemas.pop(keys[0])
            for key in keys[1:]:
                del schemas[key]
            renames.update({key: name for key in keys})
    if renames:
        _replace_refs(document, {_REF.format(name=old): _REF.format(name=new) for old, new in renames.items()})


def _replace_refs(node: Any, refs: Mapping[str, str]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str) and node["$ref"] in refs:
            node["$ref"] = refs[node["$ref"]]
        for value in node.values():
            _replace_refs(value, refs)
    elif isinstance(node, list):
        for value in node:
            _replace_refs(value, refs)


def _no_overlapping_numbers(node: Any) -> None:
    """`int | float` fields are documented by Litestar as `oneOf: [integer, number]`, which every
    integer matches twice and so fails (schemathesis found it on form items' `min`/`max`): an
    integer is a number, so `number` alone says what the field takes and returns."""
    if isinstance(node, dict):
        one_of = node.get("oneOf")
        if isinstance(one_of, list) and any(isinstance(s, dict) and s.get("type") == "number" for s in one_of):
            node["oneOf"] = [s for s in one_of if not (isinstance(s, dict) and s.get("type") == "integer")]
        for value in node.values():
            _no_overlapping_numbers(value)
    elif isinstance(node, list):
        for value in node:
            _no_overlapping_numbers(value)


def finish_document(app: Litestar, measurement_types: list[str]) -> dict[str, Any]:
    """The document `/openapi.json` serves: Litestar's, with what a client generator needs."""
    document = copy.deepcopy(app.openapi_schema.to_schema())
    schemas = document["components"]["schemas"]
    _no_overlapping_numbers(schemas)
    _, problem_schemas = msgspec.json.schema_components([Problem, FieldError], ref_template=_REF)
    schemas.update(problem_schemas)
    _type_upload_items(schemas)
    if measurement_types:
        _measurement_type_enum(document, sorted(measurement_types))
    handlers = _handlers_by_operation(app)
    for path, item in document["paths"].items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            handler = handlers[(path, method)]
            if handler.opt["access"] is Access.PUBLIC:
                operation["security"] = []  # no token needed: clients must not send one
            _declare_problems(operation, _expected_problems(handler, path, operation))
    _unmangle_names(document)
    return document


def _signalling_schema() -> bytes:
    """The websocket's frames (video/messages.py) as one JSON Schema: `ClientMessage` is what a
    client may send, `ServerMessage` what it receives. Tagged by `type`."""
    (client, server), definitions = msgspec.json.schema_components(
        [ClientMessage, ServerMessage], ref_template="#/$defs/{name}"
    )
    return msgspec.json.encode(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": SIGNALLING_SCHEMA_PATH,
            "title": "Heima video signalling frames",
            "description": (
                "JSON text frames on the websocket of `POST /api/v1/meetings/{meeting_id}/join`'s "
                "`signalling_url`. A frame that is not a ClientMessage is answered with an `error` frame."
            ),
            "$defs": {**definitions, "ClientMessage": client, "ServerMessage": server},
            "oneOf": [{"$ref": "#/$defs/ClientMessage"}, {"$ref": "#/$defs/ServerMessage"}],
        }
    )


_SIGNALLING_SCHEMA = _signalling_schema()

router = Router(
    path="/",
    route_handlers=[
        openapi_document,
        signalling_schema,
        create_static_files_router(
            path=_ASSETS, directories=[Path(swagger_ui_bundle.swagger_ui_path)], opt=PUBLIC, include_in_schema=False
        ),
    ],
)
