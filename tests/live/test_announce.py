"""record_decisions tells the live feed of every alert it writes within its own statement (one
round trip fewer per upload, docs/performance.md P1): live.announce's channel and payload, 100 ids
a message (a NOTIFY payload must stay under 8000 bytes), delivered on commit and never on rollback."""

from __future__ import annotations

import asyncio
import uuid

import msgspec

from alerting import live
from alerting.service import queries
from backend.db import connect
from tests.helpers import START


class _Rollback(Exception):
    pass


def decision(rule_key: str) -> dict:
    """One decision row as record_decisions takes it (alerting.service._decision_row)."""
    return {
        "id": str(uuid.uuid4()),
        "rule_code": rule_key,
        "rule_key": rule_key,
        "rule_kind": "threshold",
        "rule_source": "programme",
        "severity": "low",
        "finding_rank": 100,
        "title": "Test",
        "title_nb": "Test",
        "explanation": "Test.",
        "patient_text": {"nb": "Test.", "en": "Test."},
        "measurement_ids": [],
        "form_response_ids": [],
        "contact_request_ids": [],
        "value": 1,
        "direction": "max",
        "unit": None,
        "observed_at": START.isoformat(),
        "late": False,
    }


async def a_patient(conn) -> uuid.UUID:
    organisation, unit, user, patient = (uuid.uuid4() for _ in range(4))
    await conn.execute("insert into organisations (id, name, kind) values ($1, 'Org', 'hospital')", organisation)
    await conn.execute("insert into units (id, organisation_id, name) values ($1, $2, 'Unit')", unit, organisation)
    await conn.execute(
        "insert into users (id, role, username, display_name, profession) values ($1, 'clinician', $2, 'N', 'nurse')",
        user,
        f"nurse-{user}",
    )
    await conn.execute(
        "insert into patients (id, display_name, birth_date, registered_unit_id, created_by)"
        " values ($1, 'P', '2026-10-01', $2, $3)",
        patient,
        unit,
        user,
    )
    return patient


async def test_record_decisions_announces_its_alerts_on_commit_a_hundred_ids_a_message(new_database):
    # A database of its own: 150 open alerts on one patient would show in other tests' lists.
    dsn = await new_database()
    conn, listener = await connect(dsn), await connect(dsn)
    heard: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener(live.CHANNEL, lambda _conn, _pid, _channel, payload: heard.put_nowait(payload))
    try:
        patient = await a_patient(conn)
        try:
            async with conn.transaction():
                await conn.fetch(queries.record_decisions, patient, [decision("rolled-back")], START)
                raise _Rollback
        except _Rollback:
            pass
        await conn.execute("select pg_notify($1, 'marker')", live.CHANNEL)
        assert await asyncio.wait_for(heard.get(), 5) == "marker"  # the rolled-back NOTIFY never came

        async with conn.transaction():
            rows = await conn.fetch(queries.record_decisions, patient, [decision(f"r{i}") for i in range(150)], START)
            assert heard.empty()  # not before the commit
        messages = [msgspec.json.decode(await asyncio.wait_for(heard.get(), 5)) for _ in range(2)]
        assert sorted(len(m["alert_ids"]) for m in messages) == [50, 100]
        announced = [alert_id for m in messages for alert_id in m["alert_ids"]]
        assert sorted(announced) == sorted(str(row["id"]) for row in rows) and len(rows) == 150
        assert all(len(msgspec.json.encode(m)) < 8000 for m in messages)
    finally:
        await listener.close()
        await conn.close()
