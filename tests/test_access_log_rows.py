"""The rows the access log keeps: which request made each (the server's id, never the client's),
and a row for every access that was allowed, also when the request then failed."""

from __future__ import annotations

import re
import uuid

from tests.helpers import API, expect

SERVER_ID = re.compile(r"[0-9a-f]{16}")


async def rows_of(db, client_request_id: str) -> list[dict]:
    rows = await db.fetch(
        """select request_id, client_request_id, resource, outcome, patient_id::text as patient_id
           from access_log where client_request_id = $1 order by id""",
        client_request_id,
    )
    return [dict(row) for row in rows]


async def test_the_request_id_is_the_servers_and_the_clients_is_kept_beside_it(client, world, db):
    """A client that sends another request's id (or the same one twice) cannot make its rows look
    like that request's: request_id is the server's, the client's id is only beside it."""
    forged = f"forged-{uuid.uuid4().hex[:12]}"
    headers = {**world.clin_u1.headers, "X-Request-ID": forged}
    for _ in range(2):
        response = await client.get(f"{API}/patients/{world.twin_a}", headers=headers)
        await expect(response, 200)
        assert response.headers["x-request-id"] == forged  # echoed as before
    await expect(await client.get(f"{API}/patients/{world.p2}", headers=headers), 404)  # a denial
    await expect(await client.get(f"{API}/units/{world.unit_u1}/overview", headers=headers), 200)

    rows = await rows_of(db, forged)
    assert [(r["resource"], r["outcome"]) for r in rows][:3] == [
        ("patient", "allowed"),
        ("patient", "allowed"),
        ("patient", "denied"),
    ]
    assert {r["resource"] for r in rows[3:]} == {"overview"}
    assert all(SERVER_ID.fullmatch(r["request_id"]) for r in rows)
    assert all(r["request_id"] != forged for r in rows)
    # Four requests, four ids; the overview's rows (one per patient listed) share their request's.
    assert len({r["request_id"] for r in rows}) == 4


async def test_without_a_client_id_only_the_servers_is_stored(client, world, db):
    await expect(await client.get(f"{API}/patients/{world.twin_b}", headers=world.guardian.headers), 200)
    row = await db.fetchrow(
        """select request_id, client_request_id from access_log
           where patient_id = $1 and actor_id = $2 order by id desc limit 1""",
        uuid.UUID(world.twin_b),
        uuid.UUID(world.guardian.id),
    )
    assert SERVER_ID.fullmatch(row["request_id"]) and row["client_request_id"] is None


async def outcomes_of(db, patient_id: str, actor_id: str, resource: str, since: int) -> list[str]:
    rows = await db.fetch(
        """select outcome from access_log
           where patient_id = $1 and actor_id = $2 and resource = $3 and id > $4 order by id""",
        uuid.UUID(patient_id),
        uuid.UUID(actor_id),
        resource,
        since,
    )
    return [row["outcome"] for row in rows]


async def test_an_access_that_passed_the_check_and_then_failed_leaves_a_failed_row(client, world, db):
    """The rule override is refused after the patient check passed (422, 404, 412): the request's
    transaction rolls back with its 'allowed' row, and a 'failed' row is written after it."""
    url = f"{API}/patients/{world.twin_a}/rules"
    since = await db.fetchval("select coalesce(max(id), 0) from access_log")
    overrides = "select count(*) from patient_rule_overrides where patient_id = $1"
    before = await db.fetchval(overrides, uuid.UUID(world.twin_a))
    headers = {**world.clin_u1.headers, "X-Request-ID": "failed-after-check"}

    bad_type = {"params": {"limit": "36.8"}, "reason": "Feil type"}
    await expect(await client.put(f"{url}/infant_temperature_low", json=bad_type, headers=headers), 422)
    unknown = {"params": {}, "reason": "Ingen slik regel"}
    await expect(await client.put(f"{url}/no_such_rule", json=unknown, headers=headers), 404)
    stale = {**world.clin_u1.headers, "If-Match": '"not-the-version"'}
    good = {"params": {"limit": 36.8}, "reason": "Gammel versjon"}
    await expect(await client.put(f"{url}/infant_temperature_low", json=good, headers=stale), 412)

    assert await outcomes_of(db, world.twin_a, world.clin_u1.id, "rules", since) == ["failed"] * 3
    failed = await rows_of(db, "failed-after-check")
    assert [r["outcome"] for r in failed] == ["failed", "failed"]
    assert all(SERVER_ID.fullmatch(r["request_id"]) for r in failed)
    # Nothing else of those requests stayed: no override was stored.
    assert await db.fetchval(overrides, uuid.UUID(world.twin_a)) == before


async def test_a_request_that_succeeds_keeps_only_its_allowed_row(client, world, db):
    since = await db.fetchval("select coalesce(max(id), 0) from access_log")
    await expect(await client.get(f"{API}/patients/{world.twin_a}/rules", headers=world.clin_u1.headers), 200)
    assert await outcomes_of(db, world.twin_a, world.clin_u1.id, "rules", since) == ["allowed"]
