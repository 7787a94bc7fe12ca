"""Unit conversion as properties over the catalogue the migrations seed (docs/reliability.md, R16).

For every quantity type (and every blood-pressure component) and every unit it accepts, a value
anywhere in the possible range survives the trip to the canonical unit and back; grams and
kilograms (and millilitres and litres) agree to the gram; what `prepare` stores equals that.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.db import connect
from backend.measurements.catalogue import Catalogue, MeasurementType, load_catalogue
from backend.measurements.schemas import MeasurementIn
from backend.measurements.validation import PreparedMeasurement, prepare

FAST = settings(max_examples=150, deadline=None, derandomize=True, database=None)
NOW = datetime(2026, 11, 22, 7, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
async def catalogue(database_url: str) -> Catalogue:
    conn = await connect(database_url)
    try:
        return await load_catalogue(conn)
    finally:
        await conn.close()


def _ranges(catalogue: Catalogue) -> Iterator[tuple[MeasurementType, str, str | None, float, float]]:
    """(type, unit, component or None, low, high) with the possible range in the canonical unit."""
    for mtype in catalogue.values():
        for unit in mtype.units:
            if mtype.value_kind == "quantity":
                yield mtype, unit, None, mtype.min, mtype.max
            elif mtype.value_kind == "components":
                for component in mtype.components:
                    yield mtype, unit, component.name, component.min, component.max


def _in_unit(mtype: MeasurementType, unit: str, low: float, high: float) -> tuple[float, float]:
    ends = sorted((mtype.from_canonical(low, unit), mtype.from_canonical(high, unit)))
    return ends[0], ends[1]


def _item(mtype: MeasurementType, unit: str, value: float, component: str | None = None) -> MeasurementIn:
    body: dict = {"id": str(uuid.uuid4()), "type": mtype.code, "unit": unit, "measured_at": "2026-11-22T07:00:00Z"}
    attributes = {name: spec.options[0] for name, spec in mtype.attributes.items() if spec.required}
    if attributes:
        body["attributes"] = attributes
    if component is None:
        body["value"] = value
    else:
        # The other components at a value that passes (systolic above diastolic).
        body["components"] = {
            c.name: (value if c.name == component else (c.max if c.name == "systolic" else c.min))
            for c in mtype.components
        }
    return msgspec.convert(body, MeasurementIn, strict=True)


def test_the_catalogue_has_what_the_properties_cover(catalogue):
    pairs = {(m.code, unit) for m, unit, *_ in _ranges(catalogue)}
    expected = {("body_weight", "g"), ("body_weight", "kg"), ("body_temperature", "[degF]"), ("feeding_volume", "L")}
    assert expected | {("blood_pressure", "mm[Hg]")} <= pairs
    # The canonical unit is always accepted, and it is the identity.
    for mtype in catalogue.values():
        assert mtype.units[mtype.canonical_unit].factor == 1
        assert mtype.units[mtype.canonical_unit].offset == 0


def _check_round_trip(mtype: MeasurementType, unit: str, lo: float, hi: float) -> None:
    @FAST
    @given(value=st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False))
    def round_trip(value: float) -> None:
        back = mtype.from_canonical(mtype.to_canonical(value, unit), unit)
        assert math.isclose(back, value, rel_tol=1e-12, abs_tol=1e-9), (mtype.code, unit, value, back)

    round_trip()


def _check_prepared(mtype: MeasurementType, unit: str, component: str | None, lo: float, hi: float) -> None:
    factor = abs(mtype.units[unit].factor)

    @FAST
    @given(value=st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False))
    def stored(value: float) -> None:
        prepared = prepare(_item(mtype, unit, value, component), mtype, NOW)
        assert isinstance(prepared, PreparedMeasurement), (mtype.code, unit, value, prepared)
        assert prepared.unit == mtype.canonical_unit and prepared.original_unit == unit
        if component is None:
            canonical = prepared.value
            assert prepared.original_value == value
        else:
            canonical = prepared.components[component]
        # Rounding to 6 decimals in the canonical unit moves the value by at most 5e-7 of it.
        back = mtype.from_canonical(canonical, unit)
        assert math.isclose(back, value, rel_tol=1e-12, abs_tol=5e-7 / factor + 1e-9), (value, back)

    stored()


def test_round_trip_for_every_type_and_unit(catalogue):
    checked = []
    for mtype, unit, component, low, high in _ranges(catalogue):
        _check_round_trip(mtype, unit, *_in_unit(mtype, unit, low, high))
        checked.append((mtype.code, unit, component))
    assert len(checked) >= 12, checked


def test_what_prepare_stores_reads_back_as_what_was_sent(catalogue):
    """Through validation: canonical value rounded to 6 digits, original kept exactly."""
    for mtype, unit, component, low, high in _ranges(catalogue):
        _check_prepared(mtype, unit, component, *_in_unit(mtype, unit, low, high))


@FAST
@given(grams=st.integers(min_value=300, max_value=350_000))
def test_kilograms_and_grams_agree_to_the_gram(catalogue, grams):
    weight = catalogue["body_weight"]
    kilograms = float(f"{grams / 1000:.3f}")  # as a phone writes 2.1 or 1.65
    assert weight.to_canonical(kilograms, "kg") == pytest.approx(grams, abs=1e-9)
    assert weight.from_canonical(grams, "kg") == kilograms
    prepared = prepare(_item(weight, "kg", kilograms), weight, NOW)
    assert isinstance(prepared, PreparedMeasurement)
    assert prepared.value == grams  # exactly: 1650, never 1650.0000000000002
    assert prepared.original_value == kilograms


@FAST
@given(grams=st.integers(min_value=300, max_value=350_000), tenths=st.integers(min_value=0, max_value=9))
def test_fractional_grams_survive_as_sent(catalogue, grams, tenths):
    weight = catalogue["body_weight"]
    value = float(f"{grams}.{tenths}")
    prepared = prepare(_item(weight, "g", value), weight, NOW)
    assert isinstance(prepared, PreparedMeasurement)
    assert prepared.value == value


@FAST
@given(millilitres=st.integers(min_value=0, max_value=500))
def test_litres_and_millilitres_agree_to_the_millilitre(catalogue, millilitres):
    feed = catalogue["feeding_volume"]
    litres = float(f"{millilitres / 1000:.3f}")
    prepared = prepare(_item(feed, "L", litres), feed, NOW)
    assert isinstance(prepared, PreparedMeasurement)
    assert prepared.value == millilitres


@FAST
@given(tenths=st.integers(min_value=300, max_value=450))
def test_celsius_in_fahrenheit_and_back_to_the_tenth(catalogue, tenths):
    temperature = catalogue["body_temperature"]
    celsius = tenths / 10
    fahrenheit = round(celsius * 9 / 5 + 32, 2)  # what a thermometer shows, to two decimals
    prepared = prepare(_item(temperature, "[degF]", fahrenheit), temperature, NOW)
    assert isinstance(prepared, PreparedMeasurement)
    assert prepared.value == pytest.approx(celsius, abs=0.006)


@FAST
@given(data=st.data())
def test_values_outside_the_possible_range_are_refused_in_every_unit(catalogue, data):
    rows = [r for r in _ranges(catalogue) if r[2] is None]
    mtype, unit, _, low, high = data.draw(st.sampled_from(rows))
    lo, hi = _in_unit(mtype, unit, low, high)
    span = hi - lo
    outside = data.draw(
        st.one_of(
            st.floats(min_value=hi + span * 1e-3 + 1e-3, max_value=hi + span * 100 + 1, allow_nan=False),
            st.floats(min_value=lo - span * 100 - 1, max_value=lo - span * 1e-3 - 1e-3, allow_nan=False),
        )
    )
    outcome = prepare(_item(mtype, unit, outside), mtype, NOW)
    assert isinstance(outcome, list), (mtype.code, unit, outside)
    assert [e.field for e in outcome] == ["value"]
    assert "is not possible" in outcome[0].message
