"""API documentation that works on a closed hospital network: no CDN, every asset served by us.

Litestar's doc UIs load JavaScript from a CDN by default (RELIABILITY.md, finding 2); the Swagger
UI files come from the `swagger-ui-bundle` package instead. The OpenAPI document is at
`/openapi.json` (API.md), the UI at `/docs`; Litestar's own OpenAPI routes stay under `/docs`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import swagger_ui_bundle
from litestar import Request, Router, get
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Reference,
    Schema,
    SecurityScheme,
)
from litestar.static_files import create_static_files_router

from backend.access.service import Access
from backend.errors import PROBLEM_JSON

PUBLIC = {"access": Access.PUBLIC}
_ASSETS = "/docs/assets"


@get("/openapi.json", opt=PUBLIC, include_in_schema=False, media_type="application/vnd.oai.openapi+json")
async def openapi_document(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return request.app.openapi_schema.to_schema()


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Heima",
        version="1.0.0",
        description="Hospital care at home: remote monitoring, alerts and video.",
        path="/docs",
        render_plugins=[
            SwaggerRenderPlugin(
                path="/",
                js_url=f"{_ASSETS}/swagger-ui-bundle.js",
                css_url=f"{_ASSETS}/swagger-ui.css",
                standalone_preset_js_url=f"{_ASSETS}/swagger-ui-standalone-preset.js",
                favicon=f"<link rel='icon' type='image/png' href='{_ASSETS}/favicon-32x32.png'>",
            )
        ],
        openapi_router=Router(path="/docs", route_handlers=[], opt=PUBLIC, include_in_schema=False),
        components=Components(security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}),
    )


def _problem_schemas() -> dict[str, Schema]:
    string = Schema(type=OpenAPIType.STRING)
    field_error = Schema(
        type=OpenAPIType.OBJECT,
        required=["field", "message"],
        properties={"field": string, "message": string},
    )
    problem = Schema(
        type=OpenAPIType.OBJECT,
        required=["type", "title", "status", "detail"],
        properties={
            "type": string,
            "title": string,
            "status": Schema(type=OpenAPIType.INTEGER),
            "detail": string,
            "errors": Schema(type=OpenAPIType.ARRAY, items=Reference("#/components/schemas/FieldError")),
        },
    )
    return {"Problem": problem, "FieldError": field_error}


def declare_problem_responses(document: OpenAPI) -> None:
    """Every error answer is an RFC 9457 problem document (backend/errors.py), whatever raised it.

    Litestar documents only a 400, with its own `{status_code, detail, extra}` shape that this app
    never sends, and no 401/403/404/409/422/429/503 at all; schemathesis found both (tests/fuzz).
    Each operation gets the problem shape for its 400 and as its `default` response.
    """
    components = document.components
    if not isinstance(components, Components):  # pragma: no cover - openapi_config always sets one
        return
    for schema in (components.schemas or {}).values():
        _no_overlapping_numbers(schema)
    components.schemas = {**(components.schemas or {}), **_problem_schemas()}
    problem = OpenAPIResponse(
        description="A problem document (RFC 9457): the request was refused or could not be served.",
        content={PROBLEM_JSON: OpenAPIMediaType(schema=Reference("#/components/schemas/Problem"))},
    )
    for path_item in (document.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(path_item, method, None)
            if operation is None:
                continue
            responses = dict(operation.responses or {})
            if "400" in responses:
                responses["400"] = problem
            responses["default"] = problem
            operation.responses = responses


def _no_overlapping_numbers(schema: Any) -> None:
    """`int | float` fields are documented by Litestar as `oneOf: [integer, number]`, which every
    integer matches twice and so fails (schemathesis found it on form items' `min`/`max`): an
    integer is a number, so `number` alone says what the field takes and returns."""
    if isinstance(schema, Schema):
        if schema.one_of and any(isinstance(s, Schema) and s.type == OpenAPIType.NUMBER for s in schema.one_of):
            schema.one_of = [s for s in schema.one_of if not (isinstance(s, Schema) and s.type == OpenAPIType.INTEGER)]
        for child in (*(schema.one_of or ()), *(schema.any_of or ()), *(schema.all_of or ())):
            _no_overlapping_numbers(child)
        for child in (schema.properties or {}).values():
            _no_overlapping_numbers(child)
        if isinstance(schema.items, Schema):
            _no_overlapping_numbers(schema.items)
        if isinstance(schema.additional_properties, Schema):
            _no_overlapping_numbers(schema.additional_properties)


router = Router(
    path="/",
    route_handlers=[
        openapi_document,
        create_static_files_router(
            path=_ASSETS, directories=[Path(swagger_ui_bundle.swagger_ui_path)], opt=PUBLIC, include_in_schema=False
        ),
    ],
)
