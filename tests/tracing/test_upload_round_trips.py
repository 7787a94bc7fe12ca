"""The statements one single-measurement upload sends to PostgreSQL, in order (docs/performance.md,
P1). Each is a round trip on the hot path of every phone, so the list is pinned: a statement added
here should be one that cannot be folded into another, and the list and the page updated with it.
Read through the tracer (one span per statement, named by its query in queries.sql)."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from backend.app import create_app
from tests.measurements.support import fresh_infant, item, url, weight

# Half a day before the suite's frozen clock: a day whose intake rules are not yet due.
TODAY = "2026-11-22T06:00:00+01:00"
YESTERDAY = "2026-11-21T08:00:00+01:00"


def statement_names(spans) -> list[str]:
    return [span.attributes["db.operation.name"] for span in spans.get_finished_spans() if span.name.startswith("db ")]


async def test_a_single_upload_sends_these_statements(settings, world, session_clock, tracer, spans, client):
    patient = await fresh_infant(client, world)
    app = create_app(settings, clock=session_clock, configure_logs=False, tracer=tracer)
    uploads = {
        "temperature": [item("body_temperature", 36.8, "Cel", measured_at=TODAY)],
        "weight": [weight(2100, measured_at=TODAY)],
        "feed today": [item("feeding_volume", 40, "mL", attributes={"route": "tube"}, measured_at=TODAY)],
        "feed of a finished day": [
            item("feeding_volume", 40, "mL", attributes={"route": "tube"}, measured_at=YESTERDAY)
        ],
        "fever": [item("body_temperature", 38.4, "Cel", measured_at=TODAY)],
        "fever again": [item("body_temperature", 38.5, "Cel", measured_at=TODAY)],
    }
    uploads["resend"] = uploads["weight"]
    seen: dict[str, list[str]] = {}
    async with AsyncTestClient(app) as app_client:
        # Not counted: the connection's first statements (type introspection, the catalogue).
        warm_up = [item("body_temperature", 36.9, "Cel", measured_at=TODAY)]
        assert (
            await app_client.post(url(patient), json={"measurements": warm_up}, headers=world.clin_u1.headers)
        ).is_success
        for name, items in uploads.items():
            spans.clear()
            response = await app_client.post(url(patient), json={"measurements": items}, headers=world.clin_u1.headers)
            assert response.status_code == 200, response.text
            assert {r["status"] for r in response.json()["results"]} == {"duplicate" if name == "resend" else "created"}
            seen[name] = statement_names(spans)

    # Every upload: its transaction, the token, the access check (which writes the access-log row
    # and reads the birth date and zone), and the insert (which reads the rules' context too).
    fixed = ["BEGIN", "select_principal_by_access_token", "select_patient_visible", "insert_measurements_and_rules"]
    assert seen == {
        "temperature": [*fixed, "COMMIT"],
        "weight": [*fixed, "select_history", "COMMIT"],
        "feed today": [*fixed, "COMMIT"],
        "feed of a finished day": [
            *fixed,
            "select_history",
            "select_notification_units",
            "record_decisions",
            "insert_alert_deliveries",
            "notify_alerts",
            "COMMIT",
        ],
        "fever": [
            *fixed,
            "select_notification_units",
            "record_decisions",
            "insert_alert_deliveries",
            "notify_alerts",
            "COMMIT",
        ],
        "fever again": [*fixed, "select_notification_units", "record_decisions", "COMMIT"],
        "resend": [*fixed, "select_measurement_hashes", "select_alerts_resting_on", "COMMIT"],
    }
