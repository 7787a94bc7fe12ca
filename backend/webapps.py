"""The browser apps, served by `heima serve` beside the API: the family app at `/app/`, the care app
at `/care/` (sources in `web/`, built by `npm run build` into `web/dist/<app>/`; docs/web.md).

Each app is a single page: a path that names no built file gets the app's `index.html`, and the app
routes in the browser. Vite names every built asset by its content (`assets/name-HASH.js`), so those
are cached for good; everything else (`index.html`, the service worker, the manifest, the icons) is
revalidated on every use, so a new release reaches a phone on its next start.

Every page declares a Content-Security-Policy that lets it load and connect to Heima only: no
request leaves for anywhere else, whatever a dependency tries.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get
from litestar.exceptions import NotFoundException

from backend.access.service import Access
from backend.errors import ProblemError
from backend.settings import Settings

PUBLIC = {"access": Access.PUBLIC}
# Every URL path of the app (mount) and the folder of its build under the web directory.
APPS = {"family": "/app", "care": "/care"}

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: mediastream:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
_MEDIA_TYPES = {
    ".webmanifest": "application/manifest+json",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


def default_web_dir() -> Path:
    """`web/dist` beside the code: where `npm run build` (and `./dev.py`) writes the apps."""
    return Path(__file__).resolve().parent.parent / "web" / "dist"


def web_dir(settings: Settings) -> Path:
    return Path(settings.web_dir).resolve() if settings.web_dir else default_web_dir()


@dataclass(frozen=True)
class BuiltFile:
    body: bytes
    media_type: str
    etag: str


def _read(path: Path) -> BuiltFile:
    body = path.read_bytes()
    media_type = _MEDIA_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return BuiltFile(body, media_type, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def _find(root: Path, relative: str) -> Path | None:
    """The built file at `relative` under `root`, or None (also for anything outside `root`, a
    folder, or a hidden name)."""
    parts = [part for part in relative.split("/") if part]
    if any(part.startswith(".") for part in parts):
        return None
    candidate = root.joinpath(*parts).resolve() if parts else root / "index.html"
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def _looks_like_a_file(relative: str) -> bool:
    """`assets/x-1a2b.js`, `icon.png`: a missing one is a 404, never the page (a stale cached page
    asking for an asset of an old build must fail loudly, not parse HTML as JavaScript)."""
    last = relative.rstrip("/").rsplit("/", 1)[-1]
    return "." in last or relative.startswith("assets/")


def serve_built(root: Path, app_name: str, relative: str, if_none_match: str | None) -> Response[bytes]:
    if not (root / "index.html").is_file():
        raise ProblemError(503, f"The {app_name} app is not built: run ./dev.py (or npm ci && npm run build in web/).")
    path = _find(root, relative)
    if path is None:
        if _looks_like_a_file(relative):
            raise NotFoundException(f"no such file in the {app_name} app")
        path = root / "index.html"  # a route of the single-page app
    built = _read(path)
    cache = IMMUTABLE if relative.startswith("assets/") else REVALIDATE
    headers = {
        "Cache-Control": cache,
        "ETag": built.etag,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "Referrer-Policy": "no-referrer",
    }
    if if_none_match is not None and built.etag in {tag.strip() for tag in if_none_match.split(",")}:
        return Response(b"", status_code=304, headers=headers)
    return Response(built.body, media_type=built.media_type, headers=headers)


def web_app_router(app_name: str, mount: str) -> Router:
    """GET `mount/` and everything under it for one app. Litestar routes `mount` and `mount/` to
    the same handler; the bare one redirects to `mount/`, the service worker's scope."""

    def answer(request: Request[Any, Any, Any], relative: str) -> Response[bytes]:
        root = web_dir(request.app.state.settings) / app_name
        return serve_built(root, app_name, relative, request.headers.get("if-none-match"))

    @get(path=mount, opt=PUBLIC, include_in_schema=False, sync_to_thread=False, name=f"{app_name}-page")
    def page(request: Request[Any, Any, Any]) -> Response[bytes]:
        if not request.scope["raw_path"].endswith(b"/"):
            return Response(b"", status_code=308, headers={"Location": f"{mount}/"})
        return answer(request, "")

    @get(path=f"{mount}/{{file_path:path}}", opt=PUBLIC, include_in_schema=False, sync_to_thread=False)
    def file(request: Request[Any, Any, Any], file_path: str) -> Response[bytes]:
        return answer(request, file_path.lstrip("/"))

    return Router(path="/", route_handlers=[page, file])


routers = [web_app_router(name, mount) for name, mount in APPS.items()]
