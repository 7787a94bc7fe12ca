"""A hospital for the worker tests: each test opens a ward of its own (organisation, unit, nurses
with a phone each on the stand-in push service, a followed infant), and reads the rows behind it."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import asyncpg
from litestar.testing import AsyncTestClient

from backend.settings import Settings
from tests.alerting.push.support import Browser, Received, StandInPushService
from tests.alerts.support import temperature, upload
from tests.helpers import (
    API,
    INFANT,
    INFANT_BORN,
    Actor,
    activate,
    activation_code,
    create_admin,
    expect,
    login,
    make_clinician,
    make_patient,
    me,
    unique,
)


@dataclass
class Hospital:
    admin: Actor


async def open_hospital(client: AsyncTestClient, database_url: str, settings: Settings) -> Hospital:
    name = unique("admin")
    await create_admin(database_url, settings, name)
    return Hospital(Actor("admin", "admin", (await login(client, name))["access_token"]))


@dataclass
class Ward:
    organisation_id: str
    unit_id: str
    nurses: list[Actor]
    patient: str
    browsers: dict[str, list[Browser]] = field(default_factory=dict)  # user id → phones


async def new_unit(client: AsyncTestClient, hospital: Hospital, organisation_id: str) -> str:
    response = await client.post(
        f"{API}/organisations/{organisation_id}/units",
        json={"name": unique("Avdeling")},
        headers=hospital.admin.headers,
    )
    return (await expect(response, 201))["id"]


async def open_ward(
    client: AsyncTestClient,
    hospital: Hospital,
    stand_in: StandInPushService | None,
    nurses: int = 2,
    born: date = INFANT_BORN,
) -> Ward:
    """A new organisation and unit, `nurses` nurses each subscribed once on `stand_in`, and an
    infant born on `born` followed there (premature-home)."""
    body = {"name": unique("Sykehus"), "kind": "hospital"}
    organisation = await expect(
        await client.post(f"{API}/organisations", json=body, headers=hospital.admin.headers), 201
    )
    unit = await new_unit(client, hospital, organisation["id"])
    staff = [await make_clinician(client, hospital.admin.headers, [unit]) for _ in range(nurses)]
    patient = await make_patient(client, staff[0], unit, "premature-home", INFANT, born=born)
    ward = Ward(organisation["id"], unit, staff, patient)
    if stand_in is not None:
        for nurse in staff:
            await subscribe(client, ward, stand_in, nurse)
    return ward


async def subscribe(client: AsyncTestClient, ward: Ward, stand_in: StandInPushService, actor: Actor) -> Browser:
    browser = Browser()
    response = await client.post(
        f"{API}/push/subscriptions",
        json=browser.subscription_json(stand_in.endpoint_for(browser)),
        headers=actor.headers,
    )
    await expect(response, 201)
    ward.browsers.setdefault(actor.id or "", []).append(browser)
    return browser


async def fever(client: AsyncTestClient, ward: Ward, celsius: float = 38.8, at: datetime | None = None) -> str:
    """Upload a temperature that breaches the infant fever rule (high); the alert's id."""
    body = await upload(client, ward.nurses[0], ward.patient, temperature(celsius, at))
    [alert] = body["alerts"]
    assert alert["severity"] == "high"
    return alert["id"]


def payloads(stand_in: StandInPushService) -> list[dict[str, Any]]:
    """What the phones read, after the stand-in checked the VAPID signature and decrypted."""
    assert all(r.problem is None for r in stand_in.received), [r.problem for r in stand_in.received]
    return [json.loads(r.plaintext) for r in stand_in.received if r.plaintext is not None]


def received_by(stand_in: StandInPushService, ward: Ward, user_id: str) -> list[Received]:
    phones = {id(b) for b in ward.browsers.get(user_id, [])}
    return [r for r in stand_in.received if id(stand_in.browsers.get(r.path)) in phones]


async def deliveries(db: asyncpg.Connection, alert_id: str) -> list[asyncpg.Record]:
    return await db.fetch(
        """select id, user_id, status, severity, attempts, escalation_step, next_attempt_at, locked_until,
                  last_error, sent_at
           from push_deliveries where alert_id = $1 order by escalation_step, user_id""",
        uuid.UUID(alert_id),
    )


async def attempts(db: asyncpg.Connection, alert_id: str) -> list[asyncpg.Record]:
    return await db.fetch(
        """select p.* from push_attempts p join push_deliveries d on d.id = p.delivery_id
           where d.alert_id = $1 order by p.id""",
        uuid.UUID(alert_id),
    )


async def events(db: asyncpg.Connection, alert_id: str) -> list[asyncpg.Record]:
    return await db.fetch(
        "select kind, actor_id, severity, details from alert_events where alert_id = $1 order by id",
        uuid.UUID(alert_id),
    )


def ids(actors: list[Actor]) -> set[uuid.UUID]:
    return {uuid.UUID(actor.id) for actor in actors if actor.id}


async def family_member(client: AsyncTestClient, ward: Ward, role: str = "guardian") -> Actor:
    """A guardian (or the patient) of the ward's infant, activated on a phone of their own."""
    tokens = await activate(client, await activation_code(client, ward.nurses[0], ward.patient, role))
    actor = Actor(role, role, tokens["access_token"])
    actor.id = (await me(client, actor))["id"]
    return actor
