"""Values that strict decoding let through and that answered 500 (issue 11, findings 3 and 6, and
"measurements dated 1900"): U+0000 in a string, instants beyond year 1 or 9999 in UTC, dates before
the patient was born. In a batch each is refused per item, as a field error, and the others are
stored: one such note used to fail the whole batch, so a phone's offline queue never got past it.
Query parameters and cursors are refused with a 422 naming them.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, date, datetime

import pytest

from backend.access.service import VisiblePatient
from backend.measurements.service import earliest_measured_at
from backend.measurements.validation import MEASURED_FROM
from tests.helpers import API, INFANT, INFANT_BORN, expect, unique
from tests.measurements.support import assert_problem, count, error_fields, fresh_infant, item, upload_ok, weight

NUL = "a\u0000b"
YEAR_1 = "0001-01-01T00:00:00+01:00"
YEAR_9999 = "9999-12-31T23:59:59-01:00"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        pytest.param(weight(note=NUL), "note", id="note NUL"),
        pytest.param(item("body_temperature", 37.0, "Cel", attributes={"site": NUL}), "attributes.site", id="attr NUL"),
        pytest.param(item("body_temperature", 37.0, "Cel", attributes={NUL: "x"}), "attributes.a\\u0000b", id="key"),
        pytest.param(item(NUL, 1.0, "g"), "type", id="type NUL"),
        pytest.param(item("body_weight", 2000.0, NUL), "unit", id="unit NUL"),
        pytest.param(item("vomiting", NUL, "1"), "value", id="value NUL"),
        pytest.param(weight(measured_at=YEAR_1), "measured_at", id="year 1 at +01:00"),
        pytest.param(weight(measured_at=YEAR_9999), "measured_at", id="year 9999 at -01:00"),
        pytest.param(weight(measured_at="1900-01-01T08:00:00+01:00"), "measured_at", id="1900"),
        pytest.param(weight(measured_at="1970-01-01T00:00:00Z"), "measured_at", id="a reset clock"),
        # The infants of these tests are born 2026-10-01 in Oslo (+02:00 then).
        pytest.param(weight(measured_at="2026-09-30T23:30:00+02:00"), "measured_at", id="before birth"),
    ],
)
async def test_one_unstorable_item_is_refused_and_the_batch_is_stored(client, world, db, bad, field):
    patient = await fresh_infant(client, world)
    good = [weight(2100), weight(2050, measured_at="2026-10-01T00:30:00+02:00")]
    results = await upload_ok(client, world.clin_u1, patient, [good[0], bad, good[1]])
    assert [r["status"] for r in results] == ["created", "rejected", "created"]
    assert error_fields(results[1]) == [field]
    assert await count(db, patient) == 2


async def infant_in(client, world, zone: str) -> str:
    """An infant of unit U1 born on INFANT_BORN (2026-10-01), living in `zone`."""
    body = {"display_name": unique("patient"), "birth_date": INFANT_BORN.isoformat(), "unit_id": world.unit_u1}
    patient = await expect(
        await client.post(f"{API}/patients", json={**body, "time_zone": zone}, headers=world.clin_u1.headers), 201
    )
    enrolment = {"programme": "premature-home", "unit_id": world.unit_u1, "parameters": INFANT}
    await expect(
        await client.post(f"{API}/patients/{patient['id']}/enrolments", json=enrolment, headers=world.clin_u1.headers),
        201,
    )
    return patient["id"]


@pytest.mark.parametrize(
    ("zone", "at", "status"),
    [
        # Auckland is at +13:00 then: its 1 October begins while Oslo's 30 September has two hours left.
        pytest.param("Pacific/Auckland", "2026-09-30T11:00:00Z", "created", id="Auckland, 00:00 on the day"),
        pytest.param("Pacific/Auckland", "2026-09-30T10:59:59Z", "rejected", id="Auckland, 23:59:59 the day before"),
        # New York is at -04:00: 22:00 on 30 September there is already 1 October in Oslo.
        pytest.param("America/New_York", "2026-10-01T02:00:00Z", "rejected", id="New York, 22:00 the day before"),
        pytest.param("America/New_York", "2026-10-01T04:00:00Z", "created", id="New York, 00:00 on the day"),
    ],
)
async def test_the_day_of_birth_begins_at_midnight_in_the_patients_own_zone(client, world, db, zone, at, status):
    """The access check reads the birth date and zone that bound a measurement's time (no second
    look-up): the bound is the patient's local midnight, neither UTC's nor the server's."""
    patient = await infant_in(client, world, zone)
    [result] = await upload_ok(client, world.clin_u1, patient, [weight(measured_at=at)])
    assert result["status"] == status
    if status == "rejected":
        assert error_fields(result) == ["measured_at"]
    assert await count(db, patient) == (status == "created")


def test_the_earliest_instant_is_the_day_of_birth_and_never_before_measured_from():
    oslo = VisiblePatient(birth_date=INFANT_BORN, time_zone="Europe/Oslo")
    assert earliest_measured_at(oslo) == datetime(2026, 9, 30, 22, tzinfo=UTC)  # midnight at +02:00
    for born in (date(1950, 5, 17), date(1, 1, 1), MEASURED_FROM.date()):
        assert earliest_measured_at(VisiblePatient(birth_date=born, time_zone="Pacific/Kiritimati")) == MEASURED_FROM


async def test_an_id_with_nul_is_not_echoed(client, world, db):
    patient = await fresh_infant(client, world)
    [result] = await upload_ok(client, world.clin_u1, patient, [{**weight(), "id": NUL}])
    assert (result["status"], result["id"]) == ("rejected", None)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        pytest.param({"since": YEAR_1}, "since", id="since year 1 at +01:00"),
        pytest.param({"until": YEAR_9999}, "until", id="until year 9999 at -01:00"),
        pytest.param(
            {"cursor": base64.urlsafe_b64encode(json.dumps([YEAR_1, str(uuid.uuid4())]).encode()).decode()},
            "cursor",
            id="cursor year 1",
        ),
    ],
)
async def test_instants_out_of_range_in_a_query_are_422(client, world, query, field):
    response = await client.get(
        f"{API}/patients/{world.twin_a}/measurements", params=query, headers=world.clin_u1.headers
    )
    problem = assert_problem(response, 422)
    assert [e["field"] for e in problem["errors"]] == [field]


@pytest.mark.parametrize("at", [YEAR_1, YEAR_9999])
async def test_an_alert_cursor_out_of_range_is_422(client, world, at):
    cursor = base64.urlsafe_b64encode(f"3|{at}|{uuid.uuid4()}".encode()).decode()
    response = await client.get(f"{API}/alerts", params={"cursor": cursor}, headers=world.clin_u1.headers)
    problem = assert_problem(response, 422)
    assert [e["field"] for e in problem["errors"]] == ["cursor"]


async def test_nul_where_decoding_does_not_look_is_a_422_from_the_database_backstop(client, world):
    """A query parameter reaches SQL as it is: PostgreSQL's refusal (22021) is mapped to 422."""
    response = await client.get(
        f"{API}/patients/{world.twin_a}/measurements", params={"type": NUL}, headers=world.clin_u1.headers
    )
    assert_problem(response, 422)
    # And the route still answers the same query without the NUL.
    await expect(
        await client.get(
            f"{API}/patients/{world.twin_a}/measurements", params={"type": "ab"}, headers=world.clin_u1.headers
        ),
        200,
    )
