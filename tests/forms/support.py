"""Helpers for the forms tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from litestar.testing import AsyncTestClient

from tests.helpers import API, Actor

OSLO_WINTER = timezone(timedelta(hours=1))


def stamp(at: datetime) -> str:
    """RFC 3339 with the offset a Norwegian phone would write in winter."""
    return at.astimezone(OSLO_WINTER).isoformat()


def response_body(form: str, answers: dict[str, Any], at: datetime, **overrides: Any) -> dict[str, Any]:
    body = {"id": str(uuid.uuid4()), "form": form, "version": 1, "authored_at": stamp(at), "answers": answers}
    body.update(overrides)
    return body


async def submit(client: AsyncTestClient, actor: Actor, patient_id: str, body: dict[str, Any]) -> Any:
    return await client.post(f"{API}/patients/{patient_id}/form-responses", json=body, headers=actor.headers)


async def counts(db, patient_id: str) -> dict[str, int]:
    """What a form response can store for a patient."""
    row = await db.fetchrow(
        """select (select count(*) from form_responses where patient_id = $1) as responses,
                  (select count(*) from measurements where patient_id = $1) as measurements,
                  (select count(*) from contact_requests where patient_id = $1) as contact_requests""",
        uuid.UUID(patient_id),
    )
    return dict(row)


async def last_log_id(db) -> int:
    return await db.fetchval("select coalesce(max(id), 0) from access_log")


async def log_since(db, after_id: int, patient_id: str) -> list[tuple[str, str, str]]:
    rows = await db.fetch(
        "select resource, action, outcome from access_log where id > $1 and patient_id = $2 order by id",
        after_id,
        uuid.UUID(patient_id),
    )
    return [tuple(row) for row in rows]
