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
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router

from backend.access.service import Access

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


router = Router(
    path="/",
    route_handlers=[
        openapi_document,
        create_static_files_router(
            path=_ASSETS, directories=[Path(swagger_ui_bundle.swagger_ui_path)], opt=PUBLIC, include_in_schema=False
        ),
    ],
)
