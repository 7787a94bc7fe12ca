"""From an upload to the worklist: raise, update, acknowledge, resolve, raise again; late data;
contact requests and form answers; missing data that arrives (docs/api.md, "Rules and alerts")."""

from __future__ import annotations

import uuid
from datetime import timedelta

import msgspec

from alerting.engine.rules import evaluate_missing
from alerting.engine.types import PatientContext
from alerting.service import load_patient_rules, record_decisions
from tests.alerts.support import (
    acknowledge,
    alerts_of,
    deliveries,
    events,
    resolve,
    temperature,
    the_alert,
    unit_clinicians,
    upload,
)
from tests.forms.support import response_body, submit
from tests.helpers import API, expect
from tests.measurements.support import fresh_infant, weight


async def test_a_breach_raises_an_alert_with_explanation_patient_text_and_deliveries(client, world, db):
    patient = await fresh_infant(client, world)
    fever = temperature(38.4)
    body = await upload(client, world.clin_u1, patient, fever)

    [raised] = body["alerts"]
    assert raised["severity"] == "high"
    alert = await the_alert(client, world.clin_u1, patient)
    assert alert["id"] == raised["id"]
    assert (alert["rule"], alert["severity"], alert["status"], alert["occurrences"]) == (
        "infant_fever",
        "high",
        "open",
        1,
    )
    assert (alert["rule_source"], alert["late"], alert["worst_value"]) == ("programme", False, 38.4)
    assert alert["title"] == "Fever 38.0 °C or more, infant under 3 months"
    assert alert["title_nb"] == "Feber 38,0 °C eller mer, barn under 3 måneder"
    # Readable in five seconds: the value, the threshold, where the threshold comes from.
    assert alert["explanation"].startswith(
        "Temperature 38.4 °C ≥ 38.0 °C. Programme default (NICE NG143: < 3 months ≥ 38 °C = red); safety floor."
    )
    # The same line in bokmål, from the same finding.
    assert alert["explanation_nb"].startswith(
        "Temperatur 38,4 °C ≥ 38,0 °C. Programmets standard (NICE NG143: < 3 måneder ≥ 38 °C = rød); sikkerhetsgulv."
    )
    assert alert["patient_text"]["nb"].startswith("Ring 113 nå.")
    assert alert["patient_text"]["en"].startswith("Call 113 now.")
    assert alert["measurement_ids"] == [fever["id"]]
    assert alert["patient_id"] == patient and alert["patient_name"]

    # The outbox: one pending delivery per clinician of the patient's unit, in the same commit.
    rows = await deliveries(db, alert["id"])
    assert {row["user_id"] for row in rows} == await unit_clinicians(db, world.unit_u1)
    assert {(row["status"], row["severity"], row["escalation_step"]) for row in rows} == {("pending", "high", 0)}
    assert await events(db, alert["id"]) == ["raise"]
    # Latency stamps: real time, in order; committed_at set by the commit itself.
    stamps = await db.fetchrow(
        "select received_at, evaluated_at, committed_at from alerts where id = $1", uuid.UUID(alert["id"])
    )
    assert stamps["received_at"] <= stamps["evaluated_at"] <= stamps["committed_at"]


async def test_a_second_breach_updates_the_open_alert(client, world, db):
    patient = await fresh_infant(client, world)
    first, second = temperature(38.6), temperature(38.2)
    [raised] = (await upload(client, world.clin_u1, patient, first))["alerts"]
    pending = len(await deliveries(db, raised["id"]))
    [updated] = (await upload(client, world.clin_u1, patient, second))["alerts"]

    assert updated["id"] == raised["id"]
    alert = await the_alert(client, world.clin_u1, patient)
    assert alert["occurrences"] == 2
    assert (alert["worst_value"], alert["latest_value"]) == (38.6, 38.2)  # worst kept, latest explained
    assert alert["explanation"].startswith("Temperature 38.2 °C ≥ 38.0 °C.")
    assert alert["measurement_ids"] == [first["id"], second["id"]]
    assert alert["last_seen_at"] >= alert["raised_at"]
    assert len(await deliveries(db, alert["id"])) == pending  # the same severity is not pushed again
    assert await events(db, alert["id"]) == ["raise", "update"]


async def test_a_more_severe_tier_raises_the_severity_and_notifies_again(client, world, db):
    patient = await fresh_infant(client, world)
    [low] = (await upload(client, world.clin_u1, patient, temperature(36.3)))["alerts"]
    assert low["severity"] == "low"
    await acknowledge(client, world.clin_u1, low["id"])

    [medium] = (await upload(client, world.clin_u1, patient, temperature(35.8)))["alerts"]
    assert (medium["id"], medium["severity"]) == (low["id"], "medium")  # one hypothermia alert, not two
    # What the phone shows at once, from the alert's own patient text (the more severe tier's words).
    assert medium["message"]["nb"].startswith("Temperaturen er for lav (35,8 °C)")
    assert "call 113" in medium["message"]["en"]
    alert = await the_alert(client, world.clin_u1, patient)
    assert (alert["rule"], alert["title"]) == ("infant_temperature_very_low", "Temperature below 36.0 °C")
    assert alert["title_nb"] == "Temperatur under 36,0 °C"  # the bokmål title follows the worse tier too
    # New information: it is open again and the unit is told again.
    assert (alert["status"], alert["acknowledged_by"]) == ("open", None)
    severities = sorted((row["severity"], row["status"]) for row in await deliveries(db, alert["id"]))
    clinicians = len(await unit_clinicians(db, world.unit_u1))
    assert severities == [("low", "cancelled")] * clinicians + [("medium", "pending")] * clinicians

    # Back to the milder tier: still the same alert, still medium.
    await upload(client, world.clin_u1, patient, temperature(36.3))
    alert = await the_alert(client, world.clin_u1, patient)
    assert (alert["severity"], alert["occurrences"], alert["worst_value"]) == ("medium", 3, 35.8)


async def test_a_milder_breach_never_rewrites_the_words_of_a_more_severe_alert(client, world):
    """Issue 14: a low-tier breach used to overwrite the explanation and the patient's text of an
    open medium alert, so an urgent alert read "< 36.5 °C" and told the parent "at the next
    review"."""
    patient = await fresh_infant(client, world)
    await upload(client, world.clin_u1, patient, temperature(35.8))
    [told] = (await upload(client, world.clin_u1, patient, temperature(36.3)))["alerts"]

    alert = await the_alert(client, world.clin_u1, patient)
    assert (alert["severity"], alert["rule"], alert["occurrences"]) == ("medium", "infant_temperature_very_low", 2)
    assert (alert["title"], alert["title_nb"]) == ("Temperature below 36.0 °C", "Temperatur under 36,0 °C")
    assert alert["explanation"].startswith("Temperature 35.8 °C < 36.0 °C.")
    assert alert["patient_text"]["en"].startswith("Your baby's temperature is too low (35.8 °C).")
    assert "next review" not in alert["patient_text"]["en"]
    assert told["message"] == alert["patient_text"]  # the phone is told the alert's own words
    assert alert["latest_value"] == 36.3  # the milder reading is still counted and shown as latest

    # Another breach of the same tier is the newer finding: its words replace the old ones.
    await upload(client, world.clin_u1, patient, temperature(35.9))
    alert = await the_alert(client, world.clin_u1, patient)
    assert alert["explanation"].startswith("Temperature 35.9 °C < 36.0 °C.")


async def test_acknowledge_stops_notifying_and_resolve_closes_with_a_note(client, world, db):
    patient = await fresh_infant(client, world)
    [raised] = (await upload(client, world.clin_u1, patient, temperature(38.5)))["alerts"]

    acknowledged = await acknowledge(client, world.clin_u1, raised["id"])
    assert (acknowledged["status"], acknowledged["acknowledged_by"]) == ("acknowledged", world.clin_u1.id)
    assert {row["status"] for row in await deliveries(db, raised["id"])} == {"cancelled"}
    again = await acknowledge(client, world.clin_u1, raised["id"])
    assert again["acknowledged_at"] == acknowledged["acknowledged_at"]  # harmless

    # A new breach while acknowledged: counted, not pushed.
    await upload(client, world.clin_u1, patient, temperature(38.3))
    alert = await the_alert(client, world.clin_u1, patient)
    assert (alert["status"], alert["occurrences"]) == ("acknowledged", 2)
    assert {row["status"] for row in await deliveries(db, raised["id"])} == {"cancelled"}

    resolved = await resolve(client, world.clin_u1, raised["id"], "Ringte foreldrene, legetime i dag.")
    assert (resolved["status"], resolved["resolved_by"]) == ("resolved", world.clin_u1.id)
    assert resolved["resolution_note"] == "Ringte foreldrene, legetime i dag."
    assert await alerts_of(client, world.clin_u1, patient) == []  # the worklist shows what is not resolved
    assert [a["id"] for a in await alerts_of(client, world.clin_u1, patient, status="resolved")] == [raised["id"]]
    # Resolving again changes nothing; acknowledging a resolved alert neither.
    assert (await resolve(client, world.clin_u1, raised["id"], "Annet"))["resolution_note"] == resolved[
        "resolution_note"
    ]
    assert (await acknowledge(client, world.clin_u1, raised["id"]))["status"] == "resolved"
    assert await events(db, raised["id"]) == ["raise", "acknowledge", "update", "resolve"]

    # A breach after resolve opens a new alert.
    [fresh] = (await upload(client, world.clin_u1, patient, temperature(38.9)))["alerts"]
    assert fresh["id"] != raised["id"]
    assert (await the_alert(client, world.clin_u1, patient))["occurrences"] == 1
    assert len(await deliveries(db, fresh["id"])) == len(await unit_clinicians(db, world.unit_u1))


async def test_a_blank_note_is_refused(client, world):
    patient = await fresh_infant(client, world)
    [raised] = (await upload(client, world.clin_u1, patient, temperature(38.5)))["alerts"]
    problem = await resolve(client, world.clin_u1, raised["id"], "   ", status=422)
    assert problem["errors"][0]["field"] == "note"
    assert (await the_alert(client, world.clin_u1, patient))["status"] == "open"


async def test_late_data_is_evaluated_and_labelled_late(client, world, clock):
    patient = await fresh_infant(client, world)
    two_days_ago = clock.now - timedelta(days=2)
    await upload(client, world.clin_u1, patient, temperature(38.5, two_days_ago))
    alert = await the_alert(client, world.clin_u1, patient)
    assert alert["late"] is True
    assert "Late data: measured 20 Nov 08:30, received 22 Nov 08:30." in alert["explanation"]

    # A current breach of the same alert is not late any more.
    await upload(client, world.clin_u1, patient, temperature(38.2))
    assert (await the_alert(client, world.clin_u1, patient))["late"] is False


async def test_a_resent_upload_is_told_the_alerts_it_raised(client, world):
    patient = await fresh_infant(client, world)
    fever = temperature(38.5)
    first = await upload(client, world.clin_u1, patient, fever)
    response = await client.post(
        f"{API}/patients/{patient}/measurements", json={"measurements": [fever]}, headers=world.clin_u1.headers
    )
    again = await expect(response, 200)
    assert again["results"][0]["status"] == "duplicate"
    assert again["alerts"] == first["alerts"]
    assert (await the_alert(client, world.clin_u1, patient))["occurrences"] == 1  # not evaluated twice


async def test_a_contact_request_is_an_alert(client, world, db):
    response = await client.post(
        f"{API}/patients/{world.twin_b}/contact-requests",
        json={"message": "Hun vil ikke spise, kan noen ringe?"},
        headers=world.guardian.headers,
    )
    request = await expect(response, 201)
    alerts = await alerts_of(client, world.clin_u1, world.twin_b)
    [alert] = [a for a in alerts if request["id"] in a["contact_request_ids"]]
    assert (alert["rule"], alert["severity"]) == ("contact_request", "medium")
    assert '"Hun vil ikke spise, kan noen ringe?"' in alert["explanation"]
    assert alert["patient_text"]["en"].startswith("We have received your message.")
    # The parent sees the plain-language text and whether the unit has seen it.
    mine = await expect(await client.get(f"{API}/patients/{world.twin_b}/alerts", headers=world.guardian.headers), 200)
    [seen] = [a for a in mine["items"] if a["id"] == alert["id"]]
    assert seen["message"] == alert["patient_text"] and seen["acknowledged_at"] is None
    assert "explanation" not in seen


async def test_form_answers_raise_alerts(client, world, clock):
    patient = await fresh_infant(client, world)
    worried = response_body(
        "premature-worried", {"worried": True, "details": "Hun er slapp og vil ikke spise"}, clock.now
    )
    created = await expect(await submit(client, world.clin_u1, patient, worried), 201)
    [ref] = created["alerts"]
    alert = await the_alert(client, world.clin_u1, patient)
    assert (alert["id"], alert["rule"], alert["severity"]) == (ref["id"], "parent_worried", "medium")
    assert alert["form_response_ids"] == [worried["id"]]
    assert '"Hun er slapp og vil ikke spise"' in alert["explanation"]  # the parent's own words

    answers = {"tube_problem": False, "vomit_colour": "green", "wet_nappies": 5}
    daily = response_body("premature-daily", answers, clock.now)
    created = await expect(await submit(client, world.clin_u1, patient, daily), 201)
    [bilious] = [a for a in await alerts_of(client, world.clin_u1, patient) if a["rule"] == "bilious_vomit"]
    assert created["alerts"] == [{"id": bilious["id"], "severity": "high", "message": bilious["patient_text"]}]
    assert bilious["patient_text"]["en"].startswith("Call 113 now.")
    # An identical resend answers 200 with the same alerts, and evaluates nothing again.
    resent = await expect(await submit(client, world.clin_u1, patient, daily), 200)
    assert resent["alerts"] == created["alerts"]


async def test_missing_data_alerts_resolve_themselves_when_data_arrives(client, world, db, clock):
    patient = await fresh_infant(client, world)
    # What the missing-data sweep does two days on; here it runs on a connection of its own.
    async with db.transaction():
        rules = await load_patient_rules(db, uuid.UUID(patient), clock.now)
        later = msgspec.structs.replace(rules.context, now=clock.now + timedelta(days=2))
        decisions = evaluate_missing({"body_weight": None}, rules.rules, later)
        assert isinstance(later, PatientContext) and [d.rule for d in decisions] == ["weight_missing"]
        [missing] = await record_decisions(db, uuid.UUID(patient), rules, decisions, clock.now)
    assert (await the_alert(client, world.clin_u1, patient))["rule"] == "weight_missing"

    await upload(client, world.clin_u1, patient, weight(1700))
    assert await alerts_of(client, world.clin_u1, patient) == []
    [resolved] = await alerts_of(client, world.clin_u1, patient, status="resolved")
    assert resolved["id"] == str(missing.id)
    assert resolved["resolved_by"] is None  # Heima itself
    assert resolved["resolution_note"] == "Weight registered, measured 22 Nov 08:00 and received 22 Nov 08:30."
    assert {row["status"] for row in await deliveries(db, resolved["id"])} == {"cancelled"}
    assert await events(db, resolved["id"]) == ["raise", "resolve"]
    # The history says it in the reader's language too (the care app: "Løst av Heima: …").
    history = await expect(
        await client.get(f"{API}/alerts/{resolved['id']}/events", headers=world.clin_u1.headers), 200
    )
    assert (history["items"][-1]["note"], history["items"][-1]["note_nb"]) == (
        resolved["resolution_note"],
        "Vekt registrert, målt 22. nov kl. 08:00 og mottatt 22. nov kl. 08:30.",
    )
