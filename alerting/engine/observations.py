"""Stored rows as the engine's observations, and observation ids back as evidence.

Observation ids: a measurement's is its uuid, a form answer's "<response uuid>/<link_id>", a
contact request's "contact-request:<uuid>"; `evidence` sorts a decision's ids back into the
alert's measurement, form response and contact request ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg

from alerting.engine.trends import score_type
from alerting.engine.types import CONTACT_REQUEST, Observation, answer_type

_CONTACT_PREFIX = "contact-request:"


def from_measurement(row: asyncpg.Record) -> Observation:
    return Observation(
        id=str(row["id"]),
        type=row["type"],
        measured_at=row["measured_at"],
        value=row["value"],
        code=row["value_code"],
        components=row["components"] or {},
        attributes=row["attributes"] or {},
        note=row["note"],
    )


def from_form_response(row: asyncpg.Record) -> list[Observation]:
    """One observation per answer, of type "<form>/<link_id>". Answers mapped to a measurement
    type are measurements already; free-text answers travel as the note of the others, because
    they are the parent's own words about them ("I am worried: she is limp")."""
    items = row["items"]
    mapped = {item["link_id"] for item in items if item.get("measurement_type")}
    text = [item["link_id"] for item in items if item["type"] == "text"]
    answers: dict[str, Any] = row["answers"]
    words = " / ".join(answers[link_id] for link_id in text if isinstance(answers.get(link_id), str)) or None
    found = []
    for link_id, value in answers.items():
        if link_id in mapped or link_id in text:
            continue
        number = isinstance(value, int | float) and not isinstance(value, bool)
        found.append(
            Observation(
                id=f"{row['id']}/{link_id}",
                type=answer_type(row["form"], link_id),
                measured_at=row["authored_at"],
                value=float(value) if number else None,
                code=None if number else value,
                note=words,
            )
        )
    if row["score"] is not None:
        # The form's score (the weekly wellbeing sum) is an observation rules can read.
        found.append(
            Observation(
                id=f"{row['id']}/score",
                type=score_type(row["form"]),
                measured_at=row["authored_at"],
                value=float(row["score"]),
            )
        )
    return found


def from_contact_request(row: asyncpg.Record) -> Observation:
    return Observation(
        id=f"{_CONTACT_PREFIX}{row['id']}", type=CONTACT_REQUEST, measured_at=row["created_at"], note=row["message"]
    )


def evidence(observation_ids: Iterable[str]) -> tuple[list[str], list[str], list[str]]:
    measurements: dict[str, None] = {}
    responses: dict[str, None] = {}
    contacts: dict[str, None] = {}
    for ident in observation_ids:
        if ident.startswith(_CONTACT_PREFIX):
            contacts[ident.removeprefix(_CONTACT_PREFIX)] = None
        elif "/" in ident:
            responses[ident.partition("/")[0]] = None
        else:
            measurements[ident] = None
    return list(measurements), list(responses), list(contacts)
