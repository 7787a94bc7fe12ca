"""How `heima serve` serves the built apps (backend/webapps.py): single-page fallback, cache
headers, the Content-Security-Policy, and nothing outside the build."""

from __future__ import annotations

import re

import pytest

from backend.webapps import CONTENT_SECURITY_POLICY, IMMUTABLE, default_web_dir
from tests.conftest import make_settings
from tests.helpers import app_client

APPS = [("family", "/app"), ("care", "/care")]


@pytest.mark.parametrize(("name", "mount"), APPS)
async def test_the_page_is_revalidated_and_may_load_only_from_heima(client, name, mount):
    response = await client.get(f"{mount}/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "connect-src 'self'" in CONTENT_SECURITY_POLICY
    assert f'<link rel="manifest" href="{mount}/manifest.webmanifest"' in response.text


@pytest.mark.parametrize(("name", "mount"), APPS)
async def test_a_route_of_the_app_gets_the_page(client, name, mount):
    page = await client.get(f"{mount}/")
    deep = await client.get(f"{mount}/some/screen")
    assert deep.status_code == 200
    assert deep.text == page.text


@pytest.mark.parametrize(("name", "mount"), APPS)
async def test_the_bare_mount_redirects_into_the_service_worker_scope(client, name, mount):
    response = await client.get(mount, follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["location"] == f"{mount}/"


@pytest.mark.parametrize(("name", "mount"), APPS)
async def test_hashed_assets_are_immutable(client, name, mount):
    page = (await client.get(f"{mount}/")).text
    assets = re.findall(rf'(?:src|href)="({mount}/assets/[^"]+)"', page)
    assert assets, page
    for asset in assets:
        response = await client.get(asset)
        assert response.status_code == 200
        assert response.headers["cache-control"] == IMMUTABLE


@pytest.mark.parametrize(("name", "mount"), APPS)
async def test_the_manifest_names_its_scope_and_icons(client, name, mount):
    response = await client.get(f"{mount}/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/manifest+json"
    assert response.headers["cache-control"] == "no-cache"
    manifest = response.json()
    assert manifest["scope"] == f"{mount}/"
    assert manifest["start_url"] == f"{mount}/"
    for icon in manifest["icons"]:
        icon_response = await client.get(icon["src"])
        assert icon_response.status_code == 200
        assert icon_response.headers["content-type"] == "image/png"


async def test_the_service_worker_is_served_at_the_scope_and_revalidated(client):
    response = await client.get("/app/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"


async def test_an_unchanged_file_answers_304(client):
    first = await client.get("/app/")
    again = await client.get("/app/", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize(
    "path", ["/app/assets/gone-1234.js", "/app/missing.png", "/app/..%2f..%2fpyproject.toml", "/app/.heima-built"]
)
async def test_missing_hidden_or_outside_files_are_not_found(client, path):
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_an_unbuilt_app_says_so(database_url, redis_url, tmp_path):
    settings = make_settings(database_url, redis_url, web_dir=str(tmp_path))
    async with app_client(settings) as unbuilt:
        response = await unbuilt.get("/app/")
    assert response.status_code == 503
    assert "not built" in response.json()["detail"]


def test_the_build_is_where_the_server_looks():
    assert (default_web_dir() / "family" / "index.html").is_file()
