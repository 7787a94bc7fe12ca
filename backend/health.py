"""Liveness, readiness and metrics for the hospital's operations staff (no auth, no patient data)."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Response, Router, get
from litestar.datastructures import State
from litestar.openapi import ResponseSpec
from prometheus_client import CONTENT_TYPE_LATEST

from backend.access.service import Access

# Readiness must answer within a bounded time even when a dependency hangs: a load balancer's
# probe times out after a few seconds, and redis-py would otherwise retry for seconds.
CHECK_TIMEOUT_SECONDS = 1.0
PUBLIC = {"access": Access.PUBLIC}


class Readiness(msgspec.Struct):
    status: str
    checks: dict[str, str]
    failed: list[str]


async def _check(probe: Any) -> str:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await probe()
    except Exception:  # noqa: BLE001 - any failure means "not ready", whatever its kind
        return "unavailable"
    return "ok"


async def _ping_postgresql(state: State) -> None:
    async with state.db_pool.acquire(timeout=CHECK_TIMEOUT_SECONDS) as conn:
        await conn.fetchval("select 1")


@get("/health/live", opt=PUBLIC, tags=["operations"], operation_id="checkLiveness")
async def live() -> dict[str, str]:
    """200 while the process serves requests; it asks nothing of PostgreSQL or Redis."""
    return {"status": "ok"}


@get(
    "/health/ready",
    opt=PUBLIC,
    tags=["operations"],
    operation_id="checkReadiness",
    responses={503: ResponseSpec(Readiness, generate_examples=False, description="Not ready: `failed` names why")},
)
async def ready(state: State) -> Response[Readiness]:
    """200 when PostgreSQL and Redis answer; 503 naming the one that does not."""
    probes = {"postgresql": lambda: _ping_postgresql(state)}
    if state.redis is not None:
        probes["redis"] = state.redis.ping
    results = await asyncio.gather(*(_check(p) for p in probes.values()))
    checks = dict(zip(probes, results, strict=True))
    if state.redis is None:
        checks["redis"] = "not configured (single process)"
    failed = [name for name, result in checks.items() if result == "unavailable"]
    body = Readiness(status="unavailable" if failed else "ready", checks=checks, failed=failed)
    return Response(body, status_code=503 if failed else 200)


@get("/metrics", opt=PUBLIC, tags=["operations"], media_type=CONTENT_TYPE_LATEST, operation_id="readMetrics")
async def metrics(state: State) -> bytes:
    """Prometheus text exposition for the scraper: the whole server, whichever worker answers."""
    state.metrics.refresh(state.db_pool)
    return state.metrics.exposition()


router = Router(path="/", route_handlers=[live, ready, metrics])
