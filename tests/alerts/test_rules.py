"""Per-patient rules: GET the effective rules, PUT an override (who, when, why, until when), its
history, expiry back to the programme default, and safety floors that one clinician cannot lower."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.alerts.support import alerts_of, set_rule, temperature, the_alert, upload
from tests.helpers import API, expect
from tests.measurements.support import fresh_infant


async def rules_of(client, actor, patient_id) -> dict[str, dict]:
    body = await expect(await client.get(f"{API}/patients/{patient_id}/rules", headers=actor.headers), 200)
    return {rule["code"]: rule for rule in body["items"]}


async def test_the_effective_rules_are_the_programme_defaults(client, world):
    patient = await fresh_infant(client, world)
    rules = await rules_of(client, world.clin_u1, patient)
    fever = rules["infant_fever"]
    assert (fever["kind"], fever["severity"], fever["enabled"], fever["source"]) == (
        "threshold",
        "high",
        True,
        "programme",
    )
    assert fever["params"]["limit"] == 38.0 and fever["safety_floor"] is True
    assert fever["override"] is None and fever["default"]["params"] == fever["params"]
    assert {"bilious_vomit", "parent_worried", "weight_missing", "contact_request"} <= rules.keys()


async def test_an_override_changes_the_outcome_and_is_explained_with_who_and_why(client, world, clock):
    patient = await fresh_infant(client, world)
    body = {"params": {"limit": 36.8}, "reason": "Kald hud ved utskrivning, vil vite tidlig"}
    rule = await set_rule(client, world.clin_u1, patient, "infant_temperature_low", body)
    assert (rule["source"], rule["params"]["limit"], rule["default"]["params"]["limit"]) == ("patient", 36.8, 36.5)
    assert rule["override"]["reason"] == body["reason"]
    assert rule["override"]["set_by"] == world.clin_u1.id

    [raised] = (await upload(client, world.clin_u1, patient, temperature(36.6)))["alerts"]  # normal by default
    alert = await the_alert(client, world.clin_u1, patient)
    assert (alert["id"], alert["rule"], alert["rule_source"]) == (raised["id"], "infant_temperature_low", "patient")
    name = rule["override"]["set_by_name"]
    assert alert["explanation"].startswith(
        "Temperature 36.6 °C < 36.8 °C. Patient override (programme default < 36.5 °C). "
        f'Override set by {name} 22 Nov 08:30: "Kald hud ved utskrivning, vil vite tidlig".'
    )

    # A looser limit for another patient: the same value raises nothing.
    other = await fresh_infant(client, world)
    await set_rule(client, world.clin_u1, other, "infant_temperature_low", {"params": {"limit": 36.0}, "reason": "Ok"})
    assert (await upload(client, world.clin_u1, other, temperature(36.3)))["alerts"] == []


async def test_a_new_setting_supersedes_and_the_history_keeps_both(client, world, db):
    patient = await fresh_infant(client, world)
    await set_rule(client, world.clin_u1, patient, "infant_growth_slow", {"params": {"limit": 12}, "reason": "Først"})
    second = await set_rule(
        client,
        world.clin_u1,
        patient,
        "infant_growth_slow",
        {"params": {"limit": 14}, "reason": "Så", "severity": "medium"},
    )
    assert (second["params"]["limit"], second["severity"]) == (14, "medium")
    history = await expect(
        await client.get(f"{API}/patients/{patient}/rules/infant_growth_slow/history", headers=world.clin_u1.headers),
        200,
    )
    assert [(item["reason"], item["superseded_at"] is None) for item in history["items"]] == [
        ("Så", True),
        ("Først", False),
    ]
    rows = await db.fetchval(
        "select count(*) from patient_rule_overrides where patient_id = $1 and superseded_at is null",
        uuid.UUID(patient),
    )
    assert rows == 1


async def test_an_expired_override_falls_back_to_the_programme_default(client, world, clock):
    patient = await fresh_infant(client, world)
    until = (clock.now + timedelta(minutes=5)).isoformat()
    body = {"params": {"limit": 36.0}, "reason": "Måler lavt etter bad, i kveld", "expires_at": until}
    rule = await set_rule(client, world.clin_u1, patient, "infant_temperature_low", body)
    assert rule["override"]["expires_at"] is not None
    assert (await upload(client, world.clin_u1, patient, temperature(36.3)))["alerts"] == []

    clock.advance(minutes=6)
    rules = await rules_of(client, world.clin_u1, patient)
    assert (rules["infant_temperature_low"]["source"], rules["infant_temperature_low"]["override"]) == (
        "programme",
        None,
    )
    [raised] = (await upload(client, world.clin_u1, patient, temperature(36.3)))["alerts"]
    alert = await the_alert(client, world.clin_u1, patient)
    assert (alert["id"], alert["rule_source"]) == (raised["id"], "programme")
    assert "Programme default (WHO normal range 36.5-37.5 °C)." in alert["explanation"]


@pytest.mark.parametrize(
    ("code", "body", "field"),
    [
        pytest.param("infant_fever", {"enabled": False}, "enabled", id="a floor switched off"),
        pytest.param("infant_fever", {"params": {"limit": 38.5}}, "params.limit", id="a floor loosened"),
        pytest.param("infant_fever", {"severity": "low"}, "severity", id="a floor lowered"),
        pytest.param("bilious_vomit", {"enabled": False}, "enabled", id="bilious vomit switched off"),
        pytest.param("contact_request", {"severity": "low"}, "severity", id="contact requests lowered"),
        pytest.param("infant_temperature_low", {"params": {"limt": 36}}, "params.limt", id="a typo"),
        pytest.param("infant_temperature_low", {"params": {"type": "spo2"}}, "params.type", id="another measure"),
        pytest.param("infant_temperature_low", {"params": {"limit": "36"}}, "params.limit", id="a limit as text"),
        pytest.param("infant_temperature_low", {"params": {"op": "!="}}, "params.op", id="an unknown operator"),
        pytest.param("infant_temperature_low", {"reason": "  "}, "reason", id="no reason"),
        pytest.param(
            "infant_temperature_low", {"expires_at": "2026-11-22T07:00:00Z"}, "expires_at", id="expired already"
        ),
    ],
)
async def test_refused_settings_store_nothing(client, world, db, code, body, field):
    patient = await fresh_infant(client, world)
    problem = await set_rule(client, world.clin_u1, patient, code, {"reason": "Test", **body}, status=422)
    assert field in [error["field"] for error in problem["errors"]], problem
    stored = await db.fetchval("select count(*) from patient_rule_overrides where patient_id = $1", uuid.UUID(patient))
    assert stored == 0


async def test_a_floor_can_be_tightened(client, world):
    patient = await fresh_infant(client, world)
    rule = await set_rule(
        client, world.clin_u1, patient, "infant_fever", {"params": {"limit": 37.8}, "reason": "Tidligere sepsis"}
    )
    assert (rule["params"]["limit"], rule["safety_floor"]) == (37.8, True)
    await upload(client, world.clin_u1, patient, temperature(37.9))
    assert (await the_alert(client, world.clin_u1, patient))["severity"] == "high"


async def test_an_unknown_rule_is_404_and_other_units_see_nothing(client, world):
    patient = await fresh_infant(client, world)
    await set_rule(client, world.clin_u1, patient, "news2_high", {"reason": "Ikke KOLS"}, status=404)
    await set_rule(
        client, world.clin_u2, patient, "infant_fever", {"reason": "x", "params": {"limit": 37.5}}, status=404
    )
    response = await client.get(f"{API}/patients/{world.twin_a}/rules", headers=world.guardian.headers)
    await expect(response, 403)
    assert await alerts_of(client, world.clin_u1, patient) == []


async def test_if_match_turns_a_lost_update_into_a_412(client, world, db):
    """Two clinicians read the rule, both change it: with the version they read as If-Match, the
    second is told the rule changed instead of silently overwriting the first (issue 11)."""
    patient = await fresh_infant(client, world)
    read = (await rules_of(client, world.clin_u1, patient))["infant_temperature_low"]
    assert read["version"] == "default"
    url = f"{API}/patients/{patient}/rules/infant_temperature_low"
    tag = f'"{read["version"]}"'

    first = await client.put(
        url, json={"params": {"limit": 36.8}, "reason": "Først"}, headers={**world.clin_u1.headers, "If-Match": tag}
    )
    rule = await expect(first, 200)
    assert rule["version"] != "default" and first.headers["etag"] == f'"{rule["version"]}"'

    second = await client.put(
        url, json={"params": {"limit": 36.0}, "reason": "Så"}, headers={**world.clin_u1.headers, "If-Match": tag}
    )
    problem = await expect(second, 412)
    assert problem["status"] == 412 and second.headers["etag"] == f'"{rule["version"]}"'
    assert (await rules_of(client, world.clin_u1, patient))["infant_temperature_low"]["params"]["limit"] == 36.8

    # The current version (or "*") passes; no If-Match keeps the contract's last-writer-wins.
    third = await client.put(
        url,
        json={"params": {"limit": 36.6}, "reason": "Tredje"},
        headers={**world.clin_u1.headers, "If-Match": f'"{rule["version"]}"'},
    )
    await expect(third, 200)
    await set_rule(client, world.clin_u1, patient, "infant_temperature_low", {"params": {"limit": 36.5}, "reason": "4"})
    rows = await db.fetchval("select count(*) from patient_rule_overrides where patient_id = $1", uuid.UUID(patient))
    assert rows == 3
