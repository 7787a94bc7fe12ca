"""The phone's side of a fault test: uploads with fixed idempotency ids, retried with the SAME ids on
503 or a broken connection, with capped exponential backoff (docs/reliability.md, D2 and R7)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from tests.conftest import START
from tests.helpers import API, Actor

FEVER, NORMAL = 38.4, 37.0  # infant_fever fires at >= 38.0 (premature-home, under 3 months)
BACKOFF_FIRST, BACKOFF_CAP = 0.05, 0.5


def temperature(celsius: float, measured_at: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": "body_temperature",
        "unit": "Cel",
        "value": celsius,
        "measured_at": measured_at.isoformat(),
        "attributes": {"site": "axillary"},
    }


def minutes_ago(minutes: int) -> datetime:
    return START - timedelta(minutes=minutes)


@dataclass
class Figures:
    """What the client saw over a stream of uploads."""

    attempts: int = 0
    retries: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    final: Counter[str] = field(default_factory=Counter)  # item status of the answer that was 200

    @property
    def worst(self) -> float:
        return max(self.latencies, default=0.0)

    def summary(self) -> str:
        return (
            f"uploads={len(self.latencies)} attempts={self.attempts} retries={sum(self.retries.values())} "
            f"{dict(self.retries)} final={dict(self.final)} worst_latency={self.worst:.3f}s"
        )


async def upload_until_accepted(
    client: AsyncTestClient, actor: Actor, patient_id: str, item: dict[str, Any], figures: Figures
) -> dict[str, Any]:
    """One measurement, resent unchanged until a 200; any other answer fails the test."""
    started = time.monotonic()
    delay = BACKOFF_FIRST
    while True:
        figures.attempts += 1
        try:
            response = await client.post(
                f"{API}/patients/{patient_id}/measurements", json={"measurements": [item]}, headers=actor.headers
            )
        except (OSError, ConnectionError) as error:  # the transport broke: resend the same id
            figures.retries[type(error).__name__] += 1
        else:
            if response.status_code == 200:
                body = response.json()
                [result] = body["results"]
                figures.final[result["status"]] += 1
                figures.latencies.append(time.monotonic() - started)
                return body
            assert response.status_code == 503, f"{response.status_code}: {response.text}"
            assert "Retry-After" in response.headers
            figures.retries["503"] += 1
        await asyncio.sleep(delay)
        delay = min(delay * 2, BACKOFF_CAP)
