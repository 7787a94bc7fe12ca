"""What a registration may say: units, strict types, plausible values, times, attributes, components.

docs/api.md ("Uploads are idempotent"): units are UCUM and equivalent ones convert (g/kg); others, impossible values,
unknown types and times in the future beyond a small clock skew are rejected with a reason.
docs/reliability.md (R11, R14): no lenient coercion (`"88"` is not 88), > 5 min in the future → rejected.
"""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from tests.helpers import API, expect
from tests.measurements.support import error_fields, item, statuses, stored, upload_ok, weight


async def _one(client, world, measurement, actor=None, patient=None) -> dict:
    """Upload one item (to twin A as the guardian unless told) and return its result."""
    [result] = await upload_ok(client, actor or world.guardian, patient or world.twin_a, [measurement])
    return result


async def _read_back(client, world, measurement_id: str, patient=None, actor=None) -> dict:
    listed = await expect(
        await client.get(
            f"{API}/patients/{patient or world.twin_a}/measurements?limit=500",
            headers=(actor or world.guardian).headers,
        ),
        200,
    )
    return next(m for m in listed["items"] if m["id"] == measurement_id)


# --- units -----------------------------------------------------------------------------------------


async def test_kilograms_are_stored_as_grams_with_the_original_kept(client, world, db):
    measurement = item("body_weight", 2.1, "kg")
    assert (await _one(client, world, measurement))["status"] == "created"

    row = (await stored(db, world.twin_a, [measurement["id"]]))[measurement["id"]]
    assert (row["value"], row["unit"]) == (2100, "g")
    assert (row["original_value"], row["original_unit"]) == (2.1, "kg")

    shown = await _read_back(client, world, measurement["id"])
    assert (shown["value"], shown["unit"]) == (2100, "g")
    assert shown["original"] == {"value": 2.1, "unit": "kg"}


@pytest.mark.parametrize(("kilograms", "grams"), [(1.65, 1650), (0.3, 300), (3.333, 3333), (2.0005, 2000.5)])
async def test_kilograms_convert_exactly_to_the_gram(client, world, db, kilograms, grams):
    measurement = item("body_weight", kilograms, "kg")
    assert (await _one(client, world, measurement))["status"] == "created"
    row = (await stored(db, world.twin_a, [measurement["id"]]))[measurement["id"]]
    assert row["value"] == grams  # not 1650.0000000000002


async def test_litres_convert_to_millilitres(client, world, db):
    measurement = item("feeding_volume", 0.045, "L", attributes={"route": "bottle"})
    assert (await _one(client, world, measurement))["status"] == "created"
    row = (await stored(db, world.twin_a, [measurement["id"]]))[measurement["id"]]
    assert (row["value"], row["unit"], row["original_value"], row["original_unit"]) == (45, "mL", 0.045, "L")


@pytest.mark.parametrize(("fahrenheit", "celsius"), [(98.6, 37.0), (100.4, 38.0), (95.0, 35.0)])
async def test_fahrenheit_converts_to_celsius(client, world, db, fahrenheit, celsius):
    measurement = item("body_temperature", fahrenheit, "[degF]")
    assert (await _one(client, world, measurement))["status"] == "created"
    row = (await stored(db, world.twin_a, [measurement["id"]]))[measurement["id"]]
    assert (row["value"], row["unit"], row["original_value"], row["original_unit"]) == (
        celsius,
        "Cel",
        fahrenheit,
        "[degF]",
    )


@pytest.mark.parametrize(
    ("type_", "value", "unit", "attributes"),
    [
        ("spo2", 97, "kg", None),
        ("body_weight", 2100, "lb", None),
        ("body_weight", 2100, "G", None),  # UCUM is case-sensitive: G is gauss
        ("body_temperature", 37, "C", None),
        ("body_temperature", 310, "K", None),
        ("feeding_volume", 40, "g", {"route": "tube"}),
        ("heart_rate", 120, "%", None),
    ],
)
async def test_a_unit_that_does_not_fit_the_type_is_rejected(client, world, db, type_, value, unit, attributes):
    measurement = item(type_, value, unit, **({"attributes": attributes} if attributes else {}))
    result = await _one(client, world, measurement)
    assert result["status"] == "rejected"
    assert error_fields(result) == ["unit"]
    assert "use one of" in result["errors"][0]["message"]
    assert await stored(db, world.twin_a, [measurement["id"]]) == {}


# --- strict types ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "value", "unit"),
    [
        ("body_temperature", "37.5", "Cel"),
        ("spo2", "88", "%"),
        ("body_weight", "2,1", "kg"),
        ("body_weight", "", "g"),
        ("heart_rate", True, "/min"),
        ("spo2", False, "%"),
        ("body_weight", [2100], "g"),
        ("body_weight", {"value": 2100}, "g"),
    ],
)
async def test_a_number_must_be_a_json_number(client, world, db, type_, value, unit):
    measurement = item(type_, value, unit)
    result = await _one(client, world, measurement)
    assert result["status"] == "rejected"
    assert error_fields(result) == ["value"]
    assert await stored(db, world.twin_a, [measurement["id"]]) == {}


async def test_a_whole_number_is_a_number(client, world, db):
    measurement = item("spo2", 88, "%")
    assert (await _one(client, world, measurement, world.patient_p2, world.p2))["status"] == "created"


async def test_a_quantity_without_a_value_is_rejected(client, world, db):
    result = await _one(client, world, item("spo2", None, "%"), world.patient_p2, world.p2)
    assert (result["status"], error_fields(result)) == ("rejected", ["value"])
    assert "missing" in result["errors"][0]["message"]


@pytest.mark.parametrize("components", [{"systolic": True, "diastolic": 80}, {"systolic": "120", "diastolic": 80}])
async def test_component_values_must_be_json_numbers(client, world, db, components):
    result = await _bp(client, world, components)
    assert result["status"] == "rejected"
    assert error_fields(result)[0].startswith("components")


@pytest.mark.parametrize(
    "measured_at",
    [
        "2026-11-22T07:00:00",  # no offset: local to whom?
        "2026-11-22 07:00:00",
        "2026-11-22",
        "07:00:00+01:00",
        0,
        1795000000,
        "yesterday",
        None,
    ],
)
async def test_a_time_must_be_rfc3339_with_an_offset(client, world, db, measured_at):
    measurement = weight(2100, measured_at=measured_at)
    result = await _one(client, world, measurement)
    assert (result["status"], error_fields(result)) == ("rejected", ["measured_at"])
    assert await stored(db, world.twin_a, [measurement["id"]]) == {}


# --- time against the injected clock -------------------------------------------------------------


@pytest.mark.parametrize(
    ("ahead", "status"),
    [
        (timedelta(minutes=4), "created"),
        (timedelta(minutes=5), "created"),  # "beyond" five minutes is refused; five is not beyond
        (timedelta(minutes=5, seconds=1), "rejected"),
        (timedelta(hours=1), "rejected"),
        (timedelta(days=365), "rejected"),
    ],
)
async def test_future_times_beyond_five_minutes_are_refused(client, world, db, clock, ahead, status):
    # Move the app's clock (not the machine's): only the injected clock can decide this.
    now = clock.advance(minutes=3)
    at = (now + ahead).astimezone(timezone(timedelta(hours=1))).isoformat()  # written as a phone in Oslo would
    result = await _one(client, world, weight(2100, measured_at=at))
    assert result["status"] == status, result
    if status == "rejected":
        assert error_fields(result) == ["measured_at"]
        assert "future" in result["errors"][0]["message"]


async def test_old_times_are_accepted(client, world, db):
    result = await _one(client, world, weight(2100, measured_at="2026-10-01T12:00:00+02:00"))
    assert result["status"] == "created"


# --- plausibility ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "value", "unit", "needs"),
    [
        ("spo2", 101, "%", "between 50 and 100 %"),
        ("spo2", 49.9, "%", "between 50 and 100 %"),
        ("body_temperature", 20, "Cel", "between 30 and 45 Cel"),
        ("body_temperature", 200, "[degF]", "between 30 and 45 Cel"),
        ("body_weight", 0, "g", "between 300 and 350000 g"),
        ("body_weight", 0, "kg", "between 300 and 350000 g"),
        ("body_weight", -2.1, "kg", "between 300 and 350000 g"),
        ("body_weight", 2100, "kg", "between 300 and 350000 g"),  # grams typed as kilograms
        ("heart_rate", 0, "/min", "between 20 and 300 /min"),
        ("respiratory_rate", 150, "/min", "between 2 and 100 /min"),
        ("body_weight", 1e308, "g", "between 300 and 350000 g"),
    ],
)
async def test_impossible_values_are_rejected_with_a_reason(client, world, db, type_, value, unit, needs):
    measurement = item(type_, value, unit)
    result = await _one(client, world, measurement, world.clin_u1)
    assert (result["status"], error_fields(result)) == ("rejected", ["value"])
    assert needs in result["errors"][0]["message"]
    assert await stored(db, world.twin_a, [measurement["id"]]) == {}


@pytest.mark.parametrize(
    ("type_", "value", "unit"),
    [("spo2", 100, "%"), ("spo2", 50, "%"), ("body_temperature", 30, "Cel"), ("body_weight", 300, "g")],
)
async def test_the_ends_of_the_possible_range_are_accepted(client, world, db, type_, value, unit):
    assert (await _one(client, world, item(type_, value, unit), world.clin_u1))["status"] == "created"


@pytest.mark.parametrize("type_", ["no_such_type", "Body_Weight", "weight", "body_weight "])
async def test_an_unknown_type_is_rejected(client, world, db, type_):
    result = await _one(client, world, item(type_, 2100, "g"))
    assert (result["status"], error_fields(result)) == ("rejected", ["type"])
    assert "unknown" in result["errors"][0]["message"]


# --- attributes ------------------------------------------------------------------------------------


async def test_feeding_volume_needs_its_route(client, world, db):
    without = await _one(client, world, item("feeding_volume", 40, "mL"))
    assert (without["status"], error_fields(without)) == ("rejected", ["attributes.route"])

    by_tube = item("feeding_volume", 40, "mL", attributes={"route": "tube"})
    assert (await _one(client, world, by_tube))["status"] == "created"
    row = (await stored(db, world.twin_a, [by_tube["id"]]))[by_tube["id"]]
    assert row["attributes"] == {"route": "tube"}
    assert (await _read_back(client, world, by_tube["id"]))["attributes"] == {"route": "tube"}


@pytest.mark.parametrize(
    ("type_", "value", "unit", "attributes", "field"),
    [
        ("feeding_volume", 40, "mL", {"route": "spoon"}, "attributes.route"),
        ("feeding_volume", 40, "mL", {"route": True}, "attributes.route"),
        ("feeding_volume", 40, "mL", {"route": "tube", "colour": "green"}, "attributes.colour"),
        ("spo2", 95, "%", {"on_oxygen": "yes"}, "attributes.on_oxygen"),
        ("body_temperature", 37, "Cel", {"site": "armpit"}, "attributes.site"),
    ],
)
async def test_attributes_must_be_those_of_the_type(client, world, db, type_, value, unit, attributes, field):
    result = await _one(client, world, item(type_, value, unit, attributes=attributes), world.clin_u1)
    assert (result["status"], error_fields(result)) == ("rejected", [field])


async def test_an_attribute_value_must_be_text_or_boolean(client, world, db):
    result = await _one(client, world, item("feeding_volume", 40, "mL", attributes={"route": 1}))
    assert result["status"] == "rejected"
    assert error_fields(result)[0].startswith("attributes")


async def test_boolean_attribute_is_stored(client, world, db):
    measurement = item("spo2", 91, "%", attributes={"on_oxygen": True})
    assert (await _one(client, world, measurement, world.patient_p2, world.p2))["status"] == "created"
    assert (await stored(db, world.p2, [measurement["id"]]))[measurement["id"]]["attributes"] == {"on_oxygen": True}


# --- components ------------------------------------------------------------------------------------


async def _bp(client, world, components, **fields) -> dict:
    measurement = item("blood_pressure", None, "mm[Hg]", components=components) | fields
    return await _one(client, world, measurement, world.clin_u2, world.p2)


async def test_blood_pressure_is_sent_as_components(client, world, db):
    measurement = item("blood_pressure", None, "mm[Hg]", components={"systolic": 128, "diastolic": 84})
    assert (await _one(client, world, measurement, world.patient_p2, world.p2))["status"] == "created"
    row = (await stored(db, world.p2, [measurement["id"]]))[measurement["id"]]
    assert (row["components"], row["value"], row["unit"]) == ({"systolic": 128, "diastolic": 84}, None, "mm[Hg]")
    shown = await _read_back(client, world, measurement["id"], world.p2, world.patient_p2)
    assert shown["components"] == {"systolic": 128, "diastolic": 84}
    assert "value" not in shown or shown["value"] is None


@pytest.mark.parametrize(("systolic", "diastolic"), [(80, 80), (70, 90)])
async def test_systolic_must_be_above_diastolic(client, world, db, systolic, diastolic):
    result = await _bp(client, world, {"systolic": systolic, "diastolic": diastolic})
    assert (result["status"], error_fields(result)) == ("rejected", ["components.systolic"])


@pytest.mark.parametrize(
    ("components", "fields", "field"),
    [
        ({"systolic": 120}, {}, "components.diastolic"),
        ({"diastolic": 80}, {}, "components.systolic"),
        (None, {}, "components.systolic"),
        ({"systolic": 120, "diastolic": 80, "mean": 93}, {}, "components.mean"),
        ({"systolic": 400, "diastolic": 80}, {}, "components.systolic"),
        ({"systolic": 120, "diastolic": 10}, {}, "components.diastolic"),
        ({"systolic": 120, "diastolic": 80}, {"value": 120}, "value"),
    ],
)
async def test_blood_pressure_components_are_checked(client, world, db, components, fields, field):
    result = await _bp(client, world, components, **fields)
    assert result["status"] == "rejected"
    assert field in error_fields(result), result


async def test_a_missing_component_is_reported_once(client, world, db):
    result = await _bp(client, world, {"diastolic": 80})
    assert result["errors"] == [{"field": "components.systolic", "message": "required"}]


async def test_a_quantity_has_no_components(client, world, db):
    result = await _one(client, world, weight(2100, components={"systolic": 1}))
    assert (result["status"], error_fields(result)) == ("rejected", ["components"])


# --- coded values and notes ------------------------------------------------------------------------


async def test_coded_values(client, world, db):
    patient = await _dialysis_patient(client, world)
    clear = item("effluent_appearance", "cloudy", "1")
    pink = item("effluent_appearance", "pink", "1")
    number = item("effluent_appearance", 1, "1")
    results = await upload_ok(client, world.clin_u1, patient, [clear, pink, number])
    assert statuses(results) == ["created", "rejected", "rejected"]
    assert error_fields(results[1]) == error_fields(results[2]) == ["value"]
    row = (await stored(db, patient, [clear["id"]]))[clear["id"]]
    assert (row["value_code"], row["value"]) == ("cloudy", None)


async def _dialysis_patient(client, world) -> str:
    from tests.helpers import make_patient

    return await make_patient(client, world.clin_u1, world.unit_u1, "home-dialysis", {"dry_weight_kg": 70})


async def test_a_note_is_kept_and_bounded(client, world, db):
    kept = weight(2100, note="Etter måltid 🍼")
    too_long = weight(2100, note="x" * 2001)
    results = await upload_ok(client, world.guardian, world.twin_a, [kept, too_long])
    assert statuses(results) == ["created", "rejected"]
    assert error_fields(results[1]) == ["note"]
    assert (await stored(db, world.twin_a, [kept["id"]]))[kept["id"]]["note"] == "Etter måltid 🍼"


async def test_unknown_fields_are_refused_not_ignored(client, world, db):
    result = await _one(client, world, weight(2100, patient_id=world.p2))
    assert (result["status"], error_fields(result)) == ("rejected", ["patient_id"])
