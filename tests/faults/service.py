"""The service as operations run it, for the fault tests: `heima serve` and `heima worker` as child
processes on the throwaway PostgreSQL (tests/faults/servers.py), configured only through HEIMA_*
variables, and a ward set up through the real API.

The children are started and stopped with tests/bench/bench_alert_latency.py's helpers (SIGINT,
then SIGKILL, by PID); `kill9` is the fault. The app runs on the real clock here (it is another
process): measurement times and birth dates are taken from today, not from tests.conftest.START.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tests.alerting.push.support import Browser
from tests.bench.bench_alert_latency import Child, start_child, stop_child, wait_for_port
from tests.bench.bench_upload import Server, _wait_until_live
from tests.conftest import SECRET_KEY
from tests.helpers import API, PASSWORD, Actor, expect, login, make_clinician, unique

SUBJECT = "mailto:faults@heima.test"
FEVER, NORMAL = 38.6, 36.9  # infant_fever (high) fires at >= 38.0 for an infant under 3 months
POLL_INTERVAL = 0.05


def service_env(
    database_url: str, redis_url: str, workdir: Path, vapid_private_key: str, push_port: int, **settings: object
) -> dict:
    """The environment of every child: HEIMA_<NAME> for each setting (backend/settings.py).
    `push_port` is where the stand-in push service will listen."""
    env = {
        **os.environ,
        "HEIMA_DATABASE_URL": database_url,
        "HEIMA_REDIS_URL": redis_url,
        "HEIMA_SECRET_KEY": SECRET_KEY,
        "HEIMA_DATA_DIR": str(workdir / "data"),
        "HEIMA_LOG_LEVEL": "INFO",
        # As tests.conftest.make_settings: argon2id at its cheapest, so that sign-ins are quick.
        "HEIMA_PASSWORD_HASH_TIME_COST": "1",
        "HEIMA_PASSWORD_HASH_MEMORY_KIB": "8",
        "HEIMA_LOGIN_FAILURES_PER_ADDRESS": "1000",
        "HEIMA_VAPID_PRIVATE_KEY": vapid_private_key,
        "HEIMA_VAPID_SUBJECT": SUBJECT,
        # A stand-in push service on loopback over http must be named with its port (docs/api.md,
        # "Web Push").
        "HEIMA_PUSH_ALLOWED_HOSTS": f"127.0.0.1:{push_port}",
    }
    env.update({f"HEIMA_{name.upper()}": str(value) for name, value in settings.items()})
    return env


@dataclass
class Api:
    """A running `heima serve`."""

    child: Child
    base_url: str
    env: dict[str, str]
    database_url: str

    @property
    def pid(self) -> int:
        return self.child.process.pid

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=kwargs.pop("timeout", 10.0), **kwargs)


async def start_serve(env: dict[str, str], workdir: Path, port: int, name: str = "serve") -> Api:
    child = start_child(name, ["serve", "--host", "127.0.0.1", "--port", str(port)], env, workdir)
    api = Api(child, f"http://127.0.0.1:{port}", env, env["HEIMA_DATABASE_URL"])
    try:
        await asyncio.to_thread(_wait_until_live, Server(child.process, api.base_url, child.log_path, env))
    except BaseException:
        stop_child(child)
        raise
    return api


async def start_worker(env: dict[str, str], workdir: Path, metrics_port: int, name: str = "worker") -> Child:
    """`heima worker`, ready once its /metrics port answers (served before its loops start)."""
    child = start_child(name, ["worker"], {**env, "HEIMA_WORKER_METRICS_PORT": str(metrics_port)}, workdir)
    try:
        await asyncio.to_thread(wait_for_port, child, metrics_port)
    except BaseException:
        stop_child(child)
        raise
    return child


def kill9(child: Child) -> int:
    """The fault: SIGKILL by PID, no shutdown of any kind; the exit status."""
    os.kill(child.process.pid, signal.SIGKILL)
    return child.process.wait(timeout=10)


def stop_all(children: list[Child]) -> None:
    for child in reversed(children):
        with contextlib.suppress(Exception):
            stop_child(child)


async def eventually(
    check: Callable[[], Awaitable[Any] | Any], what: str, within: float, on_timeout: Callable[[], str] | None = None
) -> Any:
    """Poll `check` until it returns something truthy (returned), or fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            detail = f"\n{on_timeout()}" if on_timeout else ""
            raise AssertionError(f"{what}: not within {within} s{detail}")
        await asyncio.sleep(POLL_INTERVAL)


# --- the ward, through the API ----------------------------------------------------------------


@dataclass
class Ward:
    """An organisation with a unit (nurses, infants) and a second unit (a physician): the circles
    of alerting/notify/renotify.py, step 1 the unit's clinicians, step 2 also the organisation's
    physicians."""

    unit_id: str
    nurses: list[Actor]
    physician: Actor
    infants: list[str]
    browsers: dict[str, Browser] = field(default_factory=dict)  # subscription endpoint → phone
    endpoints: dict[str, str] = field(default_factory=dict)  # nurse id → endpoint


async def open_ward(
    client: httpx.AsyncClient, admin: Actor, nurses: int, infants: int, endpoint_for: Callable[[Browser], str]
) -> Ward:
    body = {"name": unique("Sykehus"), "kind": "hospital"}
    organisation = await expect(await client.post(f"{API}/organisations", json=body, headers=admin.headers), 201)
    units = []
    for name in ("Nyfødt", "Barnemedisin"):
        response = await client.post(
            f"{API}/organisations/{organisation['id']}/units", json={"name": unique(name)}, headers=admin.headers
        )
        units.append((await expect(response, 201))["id"])
    staff = [await make_clinician(client, admin.headers, [units[0]]) for _ in range(nurses)]  # type: ignore[arg-type]
    physician = await make_clinician(client, admin.headers, [units[1]], profession="physician")  # type: ignore[arg-type]
    ward = Ward(units[0], staff, physician, [await make_infant(client, staff[0], units[0]) for _ in range(infants)])
    for nurse in staff:
        browser = Browser()
        endpoint = endpoint_for(browser)
        response = await client.post(
            f"{API}/push/subscriptions", json=browser.subscription_json(endpoint), headers=nurse.headers
        )
        await expect(response, 201)
        ward.browsers[endpoint] = browser
        ward.endpoints[nurse.id or ""] = endpoint
    return ward


async def make_infant(client: httpx.AsyncClient, clinician: Actor, unit_id: str) -> str:
    """A premature infant 40 days old today (under 3 months: infant_fever is high)."""
    birth = (date.today() - timedelta(days=40)).isoformat()
    body = {"display_name": unique("baby"), "birth_date": birth, "unit_id": unit_id}
    patient = await expect(await client.post(f"{API}/patients", json=body, headers=clinician.headers), 201)
    enrolment = {
        "programme": "premature-home",
        "unit_id": unit_id,
        "parameters": {"birth_weight_g": 1650, "prescribed_ml_per_kg_day": 160},
    }
    path = f"{API}/patients/{patient['id']}/enrolments"
    await expect(await client.post(path, json=enrolment, headers=clinician.headers), 201)
    return patient["id"]


def temperature(celsius: float, minutes_ago: float = 1.0) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": "body_temperature",
        "unit": "Cel",
        "value": celsius,
        "measured_at": (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(),
        "attributes": {"site": "axillary"},
    }


async def upload(client: httpx.AsyncClient, actor: Actor, patient_id: str, item: dict[str, Any]) -> dict[str, Any]:
    """One measurement; must be answered 200 and stored ("created")."""
    response = await client.post(
        f"{API}/patients/{patient_id}/measurements", json={"measurements": [item]}, headers=actor.headers
    )
    body = await expect(response, 200)
    assert [r["status"] for r in body["results"]] == ["created"], body
    return body


async def worklist(client: httpx.AsyncClient, actor: Actor, unit_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"{API}/alerts", params={"unit_id": unit_id}, headers=actor.headers)
    return (await expect(response, 200))["items"]


async def admin_actor(client: httpx.AsyncClient, database_url: str) -> Actor:
    """An administrator, made as `heima create-admin` makes one (same hashing settings as the
    children's environment), signed in through the API."""
    from tests.conftest import make_settings
    from tests.helpers import create_admin

    name = unique("admin")
    await create_admin(database_url, make_settings(database_url, None), name, PASSWORD)
    return Actor("admin", "admin", (await login(client, name))["access_token"])  # type: ignore[arg-type]


async def quiet(database_url: str) -> None:
    """What earlier tests on this database left is none of this test's business (as
    tests/worker/conftest.py's quiet_hospital): nothing left to send, nothing left to escalate."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "update push_deliveries set status = 'cancelled', locked_until = null"
            " where status = any('{pending,sending}'::text[])"
        )
        await conn.execute("update alerts set escalation_step = 2 where status = 'open'")
    finally:
        await conn.close()
