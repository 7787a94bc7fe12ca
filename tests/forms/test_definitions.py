"""The form definitions the migrations store, and the pure answer checks, without HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from backend.forms.answers import check_answers, compute_score, content_hash, measurement_id, to_measurements
from backend.forms.schemas import FormDefinition, FormResponseIn, Item, Option
from backend.measurements.catalogue import load_catalogue
from backend.programmes.schemas import LocalText

ITEM_TYPES = {"boolean", "integer", "decimal", "choice", "text"}


async def stored_forms(db) -> list[tuple[str, int, str, FormDefinition]]:
    rows = await db.fetch("select code, version, programme, definition from forms order by code, version")
    return [(r["code"], r["version"], r["programme"], msgspec.convert(r["definition"], FormDefinition)) for r in rows]


def texts(text: LocalText) -> bool:
    return bool(text.nb.strip()) and bool(text.en.strip())


async def test_every_stored_form_is_well_formed_and_fits_the_catalogue(db):
    catalogue = await load_catalogue(db)
    programme_types = {
        row["code"]: set(row["measurement_types"])
        for row in await db.fetch("select code, measurement_types from programmes")
    }
    forms = await stored_forms(db)
    assert forms
    for code, version, programme, definition in forms:
        where = f"{code} v{version}"
        assert texts(definition.title), where
        link_ids = [item.link_id for item in definition.items]
        assert len(link_ids) == len(set(link_ids)), where
        for item in definition.items:
            at = f"{where} {item.link_id}"
            assert texts(item.text), at
            assert item.type in ITEM_TYPES, at
            if item.type == "choice":
                assert item.options and all(texts(o.text) for o in item.options), at
            if item.min is not None and item.max is not None:
                assert item.min <= item.max, at
            if item.measurement_type is None:
                continue
            # A mapped answer must be storable as its measurement: type, unit, range, codes.
            mtype = catalogue[item.measurement_type]
            assert item.measurement_type in programme_types[programme], at
            assert item.unit in mtype.units, at
            if mtype.value_kind == "coded":
                assert item.type == "choice", at
                assert {o.code for o in item.options or []} <= {o.code for o in mtype.options}, at
            else:
                assert item.type in {"integer", "decimal"} and item.min is not None and item.max is not None, at
                low, high = mtype.to_canonical(item.min, item.unit), mtype.to_canonical(item.max, item.unit)
                assert mtype.min is None or low >= mtype.min, at
                assert mtype.max is None or high <= mtype.max, at
        if definition.score is not None:
            scored = {item.link_id: item for item in definition.items}
            for link_id in definition.score.items:
                assert scored[link_id].type in {"integer", "decimal"}, f"{where} scores {link_id}"


async def test_programmes_name_exactly_their_forms(db):
    listed = {
        row["code"]: sorted(entry["code"] for entry in row["forms"])
        for row in await db.fetch("select code, forms from programmes")
    }
    owned: dict[str, set[str]] = {}
    for code, _, programme, _ in await stored_forms(db):
        owned.setdefault(programme, set()).add(code)
    assert listed == {programme: sorted(owned.get(programme, ())) for programme in listed}
    assert listed["premature-home"] == ["premature-daily", "premature-worried"]
    assert listed["copd"] == ["copd-symptom-diary", "copd-weekly-wellbeing"]
    assert listed["home-dialysis"] == ["hd-session", "pd-session"]


async def test_weekly_wellbeing_is_eight_items_scored_0_to_40(db):
    definition = next(d for code, _, _, d in await stored_forms(db) if code == "copd-weekly-wellbeing")
    assert len(definition.items) == 8
    assert all(i.type == "integer" and i.required and (i.min, i.max) == (0, 5) for i in definition.items)
    assert definition.score is not None and definition.score.method == "sum"
    assert definition.score.items == [item.link_id for item in definition.items]
    assert compute_score(definition, {i.link_id: 5 for i in definition.items}) == 40.0


# --- Pure checks, table-tested on a small form of every item type ---

T = LocalText(nb="x", en="x")
FORM = FormDefinition(
    title=T,
    items=[
        Item("flag", T, "boolean", True),
        Item("count", T, "integer", True, min=0, max=20, unit="{count}", measurement_type="wet_nappies"),
        Item("temp", T, "decimal", False, min=30, max=45, unit="Cel", measurement_type="body_temperature"),
        Item("colour", T, "choice", False, options=[Option("none", T), Option("green", T)]),
        Item("note", T, "text", False, max_length=10),
    ],
)
VALID = {"flag": False, "count": 3}


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"flag": 1, "count": 3}, "must be true or false"),
        ({"flag": "true", "count": 3}, "must be true or false"),
        ({**VALID, "count": "3"}, "must be a whole number"),
        ({**VALID, "count": 3.0}, "must be a whole number"),
        ({**VALID, "count": True}, "must be a whole number"),
        ({**VALID, "count": 21}, "must be at most 20"),
        ({**VALID, "count": -1}, "must be at least 0"),
        ({**VALID, "temp": "37.2"}, "must be a number"),
        ({**VALID, "temp": 29.9}, "must be at least 30"),
        ({**VALID, "colour": "blue"}, "must be one of none, green"),
        ({**VALID, "colour": 1}, "must be one of none, green"),
        ({**VALID, "note": 5}, "must be text"),
        ({**VALID, "note": "   "}, "must not be blank"),
        ({**VALID, "note": "x" * 11}, "must be at most 10 characters"),
        ({**VALID, "note": None}, "must not be null"),
        ({**VALID, "weight": 3}, "not an item of this form"),
        ({"flag": True}, "required"),
    ],
)
def test_a_wrong_answer_is_named_with_a_reason(answers, message):
    errors = check_answers(FORM, answers)
    assert len(errors) == 1, errors
    assert errors[0].field.startswith("answers.")
    assert message in errors[0].message


def test_valid_answers_pass_and_an_integer_is_a_valid_decimal():
    assert check_answers(FORM, VALID) == []
    assert check_answers(FORM, {**VALID, "temp": 37, "colour": "green", "note": "ok"}) == []


def test_answers_map_to_measurements_with_deterministic_ids():
    response = FormResponseIn(
        id=uuid.uuid4(), form="f", version=1, authored_at=datetime(2026, 11, 22, 7, tzinfo=UTC), answers=VALID
    )
    mapped = to_measurements(FORM, response)
    assert [(link_id, m.type, m.value, m.unit) for link_id, m in mapped] == [("count", "wet_nappies", 3.0, "{count}")]
    assert mapped[0][1].id == measurement_id(response.id, "count") == uuid.uuid5(response.id, "count")
    assert mapped[0][1].measured_at == response.authored_at


def test_content_hash_ignores_the_offset_and_int_versus_float():
    at = datetime(2026, 11, 22, 7, tzinfo=UTC)
    one = FormResponseIn(id=uuid.uuid4(), form="f", version=1, authored_at=at, answers={"temp": 37, "flag": True})
    same = FormResponseIn(
        id=one.id,
        form="f",
        version=1,
        authored_at=at.astimezone(timezone(timedelta(hours=1))),
        answers={"flag": True, "temp": 37.0},
    )
    other = FormResponseIn(id=one.id, form="f", version=1, authored_at=at, answers={"temp": 37.1, "flag": True})
    assert content_hash(one) == content_hash(same) != content_hash(other)
