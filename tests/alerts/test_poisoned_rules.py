"""A malformed rule override must never poison a patient or a unit (issue 11, finding 2).

PUT refuses params that do not fit the rule kind's schema, naming the field. Behind it, an override
that is malformed anyway (written around the API, or by an older version) is inserted here directly
in the database: uploads, the unit overview and the sweep still work for everyone, the programme
default applies, and the failure is counted in `heima_rule_failures_total`.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from alerting import sweep
from tests.alerts.support import set_rule, temperature, upload
from tests.helpers import API, INFANT, expect, make_clinician, make_patient, unique
from tests.measurements.support import item

COPD = {"spo2_scale": 1}


async def poison(db, patient: str, code: str, params: dict[str, Any], set_by: str) -> None:
    await db.execute(
        """insert into patient_rule_overrides (id, patient_id, rule_code, params, reason, set_by, set_at)
           values ($1, $2, $3, $4, 'written around the API', $5, now() - interval '1 day')""",
        uuid.uuid4(),
        uuid.UUID(patient),
        code,
        params,
        uuid.UUID(set_by),
    )


async def rule_failures(client, stage: str, rule: str) -> float:
    text = (await client.get("/metrics")).text
    pattern = rf'^heima_rule_failures_total\{{rule="{re.escape(rule)}",stage="{stage}"\}} (\S+)$'
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


@pytest.fixture
async def ward(client, world):
    response = await client.post(
        f"{API}/organisations/{world.organisation_id}/units", json={"name": unique("Avd")}, headers=world.admin.headers
    )
    unit = (await expect(response, 201))["id"]
    nurse = await make_clinician(client, world.admin.headers, [unit])
    return unit, nurse


@pytest.mark.parametrize(
    ("programme", "parameters", "code", "params", "field"),
    [
        pytest.param("copd", COPD, "news2_high", {"window_minutes": "90"}, "params.window_minutes", id="as text"),
        pytest.param("copd", COPD, "news2_high", {"window_minutes": 90.5}, "params.window_minutes", id="minutes float"),
        pytest.param("copd", COPD, "news2_high", {"window_minutes": 10**7}, "params.window_minutes", id="a year"),
        pytest.param(
            "copd", COPD, "news2_high", {"confusion_answer": "no-form/x"}, "params.confusion_answer", id="no answer"
        ),
        pytest.param("copd", COPD, "copd_registration_missing", {"of": [{"a": 1}]}, "params.of[0]", id="of objects"),
        pytest.param("copd", COPD, "copd_registration_missing", {"of": ["no_such_type"]}, "params.of[0]", id="unknown"),
        pytest.param("copd", COPD, "copd_registration_missing", {"days": -1}, "params.days", id="negative days"),
        pytest.param(
            "premature-home", INFANT, "tube_problem", {"match": [{"type": "x/y"}]}, "params.match[0].type", id="answer"
        ),
        pytest.param(
            "premature-home", INFANT, "infant_weight_loss_2_days", {"limit": 10**6}, "params.limit", id="a run of ages"
        ),
    ],
)
async def test_params_that_do_not_fit_are_refused_by_field(
    client, world, db, ward, programme, parameters, code, params, field
):
    unit, nurse = ward
    patient = await make_patient(client, nurse, unit, programme, parameters)
    problem = await set_rule(client, nurse, patient, code, {"params": params, "reason": "Test"}, status=422)
    assert field in [error["field"] for error in problem["errors"]], problem
    stored = await db.fetchval("select count(*) from patient_rule_overrides where patient_id = $1", uuid.UUID(patient))
    assert stored == 0


async def test_a_poisoned_override_never_fails_an_upload(client, world, db, ward):
    unit, nurse = ward
    patient = await make_patient(client, nurse, unit, "copd", COPD)
    await poison(db, patient, "news2_high", {"window_minutes": "90"}, nurse.id)
    before = await rule_failures(client, "load", "news2_high")

    body = await upload(client, nurse, patient, item("respiratory_rate", 30.0, "/min"))
    # Stored and evaluated with the programme default: RR 30 scores 3, an alert for the unit.
    assert [r["status"] for r in body["results"]] == ["created"]
    assert body["alerts"], body
    assert await rule_failures(client, "load", "news2_high") == before + 1
    # The rules list shows what applies: the default, not the unusable override.
    rules = await expect(await client.get(f"{API}/patients/{patient}/rules", headers=nurse.headers), 200)
    news2 = next(rule for rule in rules["items"] if rule["code"] == "news2_high")
    assert (news2["source"], news2["params"]["window_minutes"]) == ("programme", 60)


async def test_a_poisoned_override_never_hides_a_unit_overview(client, world, db, ward):
    unit, nurse = ward
    poisoned = await make_patient(client, nurse, unit, "copd", COPD, "A poisoned")
    other = await make_patient(client, nurse, unit, "premature-home", INFANT, "B other")
    await upload(client, nurse, other, temperature(38.6))
    await poison(db, poisoned, "copd_registration_missing", {"of": [{"x": 1}], "days": 4}, nurse.id)
    before = await rule_failures(client, "overview", "copd_registration_missing")

    body = await expect(await client.get(f"{API}/units/{unit}/overview", headers=nurse.headers), 200)
    assert [p["id"] for p in body["patients"]] == [other, poisoned]
    assert await rule_failures(client, "overview", "copd_registration_missing") == before + 1


async def test_a_poisoned_override_never_makes_the_sweep_skip_the_patient(client, world, db, ward, clock):
    unit, nurse = ward
    patient = await make_patient(client, nurse, unit, "copd", COPD)
    await poison(db, patient, "copd_registration_missing", {"of": [{"x": 1}], "days": 4}, nurse.id)
    clock.advance(days=6)

    # The programme default (nothing for 4 days) applies and is raised.
    assert await sweep.sweep_patient(db, uuid.UUID(patient), clock.now) == 1
    rows = await db.fetch("select rule_code, status from alerts where patient_id = $1", uuid.UUID(patient))
    assert [(row["rule_code"], row["status"]) for row in rows] == [("copd_registration_missing", "open")]
