"""Another unit's alert or meeting id answers exactly like a made-up one, and it costs the same
work: the same statements, in the same order, and the same one row written (issue 11, Low).

Timing is not asserted (it would not be deterministic); the work behind it is. Every statement the
app sends is recorded by asyncpg's query logger on each connection of an app whose pool holds
exactly two, so nothing the request does goes unseen."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace

import pytest
from asyncpg.connection import LoggedQuery
from litestar.testing import AsyncTestClient

from tests.helpers import API, INFANT, Actor, app_client, expect, make_clinician, make_patient, unique

POOL = 2


@dataclass(eq=False)  # hashable: asyncpg keeps its query loggers in a set
class Statements:
    texts: list[str] = field(default_factory=list)

    def __call__(self, record: LoggedQuery) -> None:
        self.texts.append(record.query)


@asynccontextmanager
async def counting_client(settings, clock) -> AsyncIterator[tuple[AsyncTestClient, Statements]]:
    statements = Statements()
    async with app_client(replace(settings, db_pool_min=POOL, db_pool_max=POOL), clock) as client:
        pool = client.app.state.db_pool

        async def log_every_connection() -> None:
            connections = [await pool.acquire() for _ in range(POOL)]
            try:
                for conn in connections:
                    conn.add_query_logger(statements)
            finally:
                for conn in connections:
                    await pool.release(conn)

        # The app runs on the test client's portal (its own event loop), where its pool lives.
        client.blocking_portal.call(log_every_connection)
        yield client, statements


@dataclass
class Elsewhere:
    """A unit the world's clinicians do not belong to, with an alert and a meeting of its patient."""

    nurse: Actor
    patient: str
    alert: str
    meeting: str


@pytest.fixture
async def elsewhere(client, world) -> Elsewhere:
    response = await client.post(
        f"{API}/organisations/{world.organisation_id}/units", json={"name": unique("Avd")}, headers=world.admin.headers
    )
    unit = (await expect(response, 201))["id"]
    nurse = await make_clinician(client, world.admin.headers, [unit])
    patient = await make_patient(client, nurse, unit, "premature-home", INFANT)
    body = {"message": "Ring oss"}
    await expect(await client.post(f"{API}/patients/{patient}/contact-requests", json=body, headers=nurse.headers), 201)
    alerts = await expect(await client.get(f"{API}/alerts", params={"patient_id": patient}, headers=nurse.headers), 200)
    meeting = {"patient_id": patient, "kind": "consultation", "title": "Samtale", "starts_at": "2026-11-22T07:30:00Z"}
    created = await expect(await client.post(f"{API}/meetings", json=meeting, headers=nurse.headers), 201)
    return Elsewhere(nurse, patient, alerts["items"][0]["id"], created["id"])


async def work_of(client, statements: Statements, db, method: str, url: str, actor: Actor, body=None):
    """(the answer, the statements sent, the access-log rows written) of one request."""
    last = await db.fetchval("select coalesce(max(id), 0) from access_log")
    statements.texts.clear()
    response = await client.request(method, url, json=body, headers=actor.headers)
    sent = list(statements.texts)
    rows = await db.fetch(
        "select patient_id, object_id, resource, action, outcome from access_log where id > $1 order by id", last
    )
    return response, sent, [dict(row) for row in rows]


REQUESTS = [
    ("POST", "alerts/{alert}/acknowledge", None),
    ("POST", "alerts/{alert}/resolve", {"note": "Ringt"}),
    ("GET", "meetings/{meeting}", None),
    ("POST", "meetings/{meeting}/join", None),
]


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS, ids=[path for _, path, _ in REQUESTS])
async def test_a_foreign_id_does_the_same_work_as_a_missing_one(
    settings, session_clock, world, elsewhere, db, method, path, body
):
    foreign = {"alert": elsewhere.alert, "meeting": elsewhere.meeting}
    missing = {"alert": str(uuid.uuid4()), "meeting": str(uuid.uuid4())}
    async with counting_client(settings, session_clock) as (client, statements):
        url = f"{API}/{path}"
        # Warmed up first: asyncpg introspects a type the first time a connection meets it.
        for _ in range(POOL):
            for ids in (foreign, missing):
                await client.request(method, url.format(**ids), json=body, headers=world.clin_u1.headers)
        theirs, theirs_sent, theirs_rows = await work_of(
            client, statements, db, method, url.format(**foreign), world.clin_u1, body
        )
        nobodys, nobodys_sent, nobodys_rows = await work_of(
            client, statements, db, method, url.format(**missing), world.clin_u1, body
        )

    assert theirs.status_code == nobodys.status_code == 404
    assert theirs.json() == nobodys.json()
    assert theirs_sent == nobodys_sent  # statement for statement
    assert len(theirs_sent) >= 3  # the sign-in, the find-and-authorize, the denial (and transactions)
    # One denial row each, written the same way: on the patient's log when the object has one.
    object_id = uuid.UUID(foreign["alert" if "alert" in path else "meeting"])
    [their_row] = theirs_rows
    [nobodys_row] = nobodys_rows
    assert their_row["outcome"] == nobodys_row["outcome"] == "denied"
    assert (their_row["patient_id"], their_row["object_id"]) == (uuid.UUID(elsewhere.patient), object_id)
    assert nobodys_row["patient_id"] is None
    assert str(nobodys_row["object_id"]) == missing["alert" if "alert" in path else "meeting"]


async def test_the_owners_still_get_through_and_are_logged_once(client, elsewhere, db):
    last = await db.fetchval("select coalesce(max(id), 0) from access_log")
    nurse = elsewhere.nurse.headers
    await expect(await client.get(f"{API}/meetings/{elsewhere.meeting}", headers=nurse), 200)
    await expect(await client.post(f"{API}/alerts/{elsewhere.alert}/acknowledge", headers=nurse), 200)
    rows = await db.fetch(
        "select patient_id, object_id, resource, action, outcome from access_log where id > $1 order by id", last
    )
    assert [(r["resource"], r["action"], r["outcome"]) for r in rows] == [
        ("meeting", "read", "allowed"),
        ("alerts", "write", "allowed"),
    ]
    assert {r["patient_id"] for r in rows} == {uuid.UUID(elsewhere.patient)}
    assert [str(r["object_id"]) for r in rows] == [elsewhere.meeting, elsewhere.alert]
