"""The pure row → resource functions, on cases the API cannot easily produce."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import msgspec
import pytest

from backend.errors import ProblemError
from backend.fhir import mapping
from backend.fhir.resources import Answer, Coding
from backend.fhir.service import FIRST_PAGE, Cursor, _Entries
from backend.measurements.catalogue import MeasurementType
from backend.pagination import Position, decode_cursor, encode_cursor
from tests.fhir.support import validate_resource

OPTIONS = {"type": "choice", "options": [{"code": "green", "text": {"nb": "Grønn", "en": "Green"}}]}
SYSTEM = "urn:heima:form:f:item"


@pytest.mark.parametrize(
    ("value", "spec", "expected"),
    [
        (True, {}, [Answer(value_boolean=True)]),
        (0, {}, [Answer(value_integer=0)]),  # falsy, still an answer
        (2**31, {}, [Answer(value_decimal=2.0**31)]),  # FHIR's integer is 32-bit
        (37, {"type": "decimal"}, [Answer(value_decimal=37.0)]),
        (36.6, {}, [Answer(value_decimal=36.6)]),
        (float("inf"), {}, []),
        ("green", OPTIONS, [Answer(value_coding=Coding(system=SYSTEM, code="green", display="Grønn"))]),
        ("grey", OPTIONS, [Answer(value_string="grey")]),
        ("  ", {}, []),
        (None, {}, []),
        (["a", 1], {}, [Answer(value_string="a"), Answer(value_integer=1)]),
        ({"system": "s", "code": "c"}, {}, [Answer(value_coding=Coding(system="s", code="c"))]),
    ],
)
def test_answers_are_typed_by_value_and_form(value, spec, expected):
    assert mapping.answer_values(value, spec, SYSTEM) == expected


def _type(**overrides) -> MeasurementType:
    row = {
        "code": "x",
        "code_system": "urn:heima:measurement",
        "code_value": "x-code",
        "local": True,
        "extra_codings": [{"system": "http://loinc.org", "code": "0000-0", "display": "unverified"}],
        "display": {"nb": "Eks", "en": "Ex"},
        "canonical_unit": "{count}",
        "units": {"{count}": {"factor": 1, "offset": 0}},
        "value_kind": "quantity",
        "min": 0,
        "max": 10,
        "options": [],
        "components": [],
        "attributes": {},
        "fhir_category": "exam",
    }
    return msgspec.convert({**row, **overrides}, MeasurementType)


def test_a_local_type_drops_any_loinc_coding():
    code = mapping.observation_code(_type())
    assert [(c.system, c.code) for c in code.coding] == [("urn:heima:measurement", "x-code")]


SUBJECT = mapping.Subject(id=uuid.uuid4(), user_id=uuid.uuid4())
NOW = datetime(2026, 11, 22, 7, 30, tzinfo=UTC)


def _row(**overrides):
    row = {
        "id": uuid.uuid4(),
        "value": 3.0,
        "value_code": None,
        "components": None,
        "unit": "{count}",
        "note": "  ",
        "measured_at": NOW,
        "received_at": NOW,
        "recorded_by": uuid.uuid4(),
        "recorder_role": "patient",
        "recorder_name": None,
    }
    return {**row, **overrides}


def test_a_patient_recorder_other_than_the_subject_is_not_shown():
    observation = mapping.observation(_row(), _type(), SUBJECT)
    assert observation.performer == []
    assert observation.note == []  # blank
    validate_resource(msgspec.to_builtins(observation))
    mine = mapping.observation(_row(recorded_by=SUBJECT.user_id), _type(), SUBJECT)
    assert mine.performer == [SUBJECT.reference]


def test_a_response_without_a_definition_still_validates():
    row = {
        "id": uuid.uuid4(),
        "form": "gone",
        "version": 3,
        "authored_at": NOW,
        "answers": {"b": "x", "a": 1},
        "recorded_by": SUBJECT.user_id,
        "recorder_role": "patient",
        "recorder_name": None,
    }
    response = mapping.questionnaire_response(row, None, SUBJECT)
    assert [item.link_id for item in response.item] == ["a", "b"]
    validate_resource(msgspec.to_builtins(response))


def test_one_id_naming_two_resources_gets_two_full_urls():
    shared = uuid.uuid4()
    entries = _Entries()
    first = entries.add(shared, mapping.observation(_row(id=shared), _type(), SUBJECT))
    second = entries.add(
        shared,
        mapping.questionnaire_response(
            {
                "id": shared,
                "form": "f",
                "version": 1,
                "authored_at": NOW,
                "answers": {},
                "recorded_by": SUBJECT.user_id,
                "recorder_role": "patient",
                "recorder_name": None,
            },
            None,
            SUBJECT,
        ),
    )
    assert first == f"urn:uuid:{shared}" and second != first and second.startswith("urn:uuid:")


def test_cursors_round_trip_and_foreign_ones_are_refused():
    cursor = Cursor(measurements=Position(NOW, uuid.uuid4()), responses=None)
    assert decode_cursor(encode_cursor(cursor), Cursor, FIRST_PAGE) == cursor
    assert decode_cursor(encode_cursor(FIRST_PAGE), Cursor, FIRST_PAGE) == FIRST_PAGE
    naive = f'{{"measurements": ["2026-11-22T07:30:00", "{uuid.uuid4()}"], "responses": null}}'
    for text in ("", "!!!", encode_cursor(cursor)[:-5], base64.urlsafe_b64encode(naive.encode()).decode()):
        with pytest.raises(ProblemError) as raised:
            decode_cursor(text, Cursor, FIRST_PAGE)
        assert raised.value.status == 422
