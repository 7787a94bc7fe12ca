"""Activation codes: a patient's or guardian's phone exchanges a one-time code for tokens."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from tests.helpers import API, unique
from tests.identity.support import (
    BAD_CODE,
    assert_problem,
    assert_token_pair,
    get_me,
    post_activate,
    tokens_of,
)

CODE_FORMAT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def utc(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def me_of(client, tokens) -> dict:
    response = await get_me(client, tokens["access_token"])
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_guardian_code_signs_in_a_new_guardian_of_the_patient(client, ward, clock, settings):
    patient = await ward.patient()
    name = unique("Mamma")
    response = await client.post(
        f"{API}/patients/{patient}/activation-codes",
        json={"role": "guardian", "display_name": name},
        headers=ward.clinician.headers,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert CODE_FORMAT.match(created["code"]), created
    assert created["expires_at"] == utc(clock.now + timedelta(hours=settings.activation_code_ttl_hours))

    tokens = await tokens_of(await post_activate(client, created["code"], "Mammas iPhone"))
    assert_token_pair(tokens, settings.access_token_ttl_seconds)
    profile = await me_of(client, tokens)
    assert profile == {
        "id": profile["id"],
        "role": "guardian",
        "display_name": name,
        "patient_ids": [patient],
        "unit_ids": [],
    }
    uuid.UUID(profile["id"])
    seen = await client.get(f"{API}/patients/{patient}", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert seen.status_code == 200, seen.text
    assert [g["id"] for g in seen.json()["guardians"]] == [profile["id"]]


async def test_a_patient_code_signs_in_the_patient(client, ward):
    patient = await ward.patient()
    profile = await me_of(client, await tokens_of(await post_activate(client, await ward.code(patient, "patient"))))
    assert profile["role"] == "patient"
    assert profile["patient_ids"] == [patient]
    assert profile["unit_ids"] == []


async def test_a_code_works_only_once(client, ward, db):
    patient = await ward.patient()
    code = await ward.code(patient, "guardian")
    first = await tokens_of(await post_activate(client, code))
    again = await post_activate(client, code, "another phone")
    assert_problem(again, 401, BAD_CODE)
    # The refused second use changed nothing: one guardian, whose phone still works.
    assert (await me_of(client, first))["patient_ids"] == [patient]
    guardians = await db.fetchval("select count(*) from guardianships where patient_id = $1", uuid.UUID(patient))
    assert guardians == 1


async def test_a_code_expires_after_its_time_to_live(client, ward, clock, settings):
    patient = await ward.patient()
    in_time = await ward.code(patient, "guardian")
    too_late = await ward.code(patient, "guardian")
    clock.advance(hours=settings.activation_code_ttl_hours, seconds=-1)
    assert (await post_activate(client, in_time)).status_code == 200
    clock.advance(seconds=1)
    assert_problem(await post_activate(client, too_late), 401, BAD_CODE)


async def test_an_unknown_code_is_401_and_counts_as_a_failure(client, db):
    before = await db.fetchval("select count(*) from sign_in_failures where scope like 'activate-address:%'")
    response = await post_activate(client, "ZZZZ-ZZZZ-ZZZZ")
    assert_problem(response, 401, BAD_CODE)
    after = await db.fetchval("select count(*) from sign_in_failures where scope like 'activate-address:%'")
    assert after == before + 1


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(str.lower, id="lower-case"),
        pytest.param(lambda code: code.replace("-", ""), id="no-dashes"),
        pytest.param(lambda code: " " + code.replace("-", " ").lower() + " ", id="spaces"),
        pytest.param(lambda code: code.replace("0", "O").replace("1", "l"), id="O-and-l-for-0-and-1"),
    ],
)
async def test_codes_are_accepted_as_people_type_them(client, ward, typed):
    patient = await ward.patient()
    code = await ward.code(patient, "guardian")
    response = await post_activate(client, typed(code))
    assert response.status_code == 200, (typed(code), response.text)


async def test_a_second_guardian_code_links_the_same_guardian_to_a_twin(client, ward):
    twin_a = await ward.patient()
    twin_b = await ward.patient()
    phone = await tokens_of(await post_activate(client, await ward.code(twin_a, "guardian"), "phone"))
    guardian = await me_of(client, phone)

    code_b = await ward.code(twin_b, "guardian", guardian_id=guardian["id"])
    tablet = await tokens_of(await post_activate(client, code_b, "tablet"))
    assert tablet["access_token"] != phone["access_token"]
    on_tablet = await me_of(client, tablet)
    assert on_tablet["id"] == guardian["id"]
    assert on_tablet["display_name"] == guardian["display_name"]  # the code's name does not rename
    assert sorted(on_tablet["patient_ids"]) == sorted([twin_a, twin_b])
    # The first phone is still signed in, and now sees both children too.
    assert sorted((await me_of(client, phone))["patient_ids"]) == sorted([twin_a, twin_b])


async def test_a_patient_code_for_an_activated_patient_signs_in_the_same_user(client, ward):
    patient = await ward.patient()
    old_phone = await tokens_of(await post_activate(client, await ward.code(patient, "patient"), "old phone"))
    new_phone = await tokens_of(await post_activate(client, await ward.code(patient, "patient"), "new phone"))
    old_profile = await me_of(client, old_phone)
    new_profile = await me_of(client, new_phone)
    assert new_profile["id"] == old_profile["id"]
    assert new_profile["patient_ids"] == [patient]


async def refused_code(client, ward, patient, body) -> None:
    response = await client.post(
        f"{API}/patients/{patient}/activation-codes", json=body, headers=ward.other_clinician.headers
    )
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "guardian_id"


async def test_a_guardian_the_clinician_cannot_see_is_refused(client, ward):
    patient = await ward.patient()
    guardian = await me_of(client, await tokens_of(await post_activate(client, await ward.code(patient, "guardian"))))
    # The other clinician's own patient, but a guardian of a child in another unit.
    own = await ward.patient(ward.other_clinician)
    await refused_code(client, ward, own, {"role": "guardian", "display_name": "x", "guardian_id": guardian["id"]})


async def test_guardian_id_is_refused_on_a_patient_code(client, ward):
    patient = await ward.patient(ward.other_clinician)
    code = await ward.code(patient, "guardian", clinician=ward.other_clinician)
    guardian = await me_of(client, await tokens_of(await post_activate(client, code)))
    await refused_code(client, ward, patient, {"role": "patient", "display_name": "x", "guardian_id": guardian["id"]})


@pytest.mark.parametrize("who", ["patient-user", "clinician", "unknown"])
async def test_guardian_id_must_name_a_guardian(client, ward, who):
    patient = await ward.patient(ward.other_clinician)
    if who == "patient-user":
        code = await ward.code(patient, "patient", clinician=ward.other_clinician)
        guardian_id = (await me_of(client, await tokens_of(await post_activate(client, code))))["id"]
    elif who == "clinician":
        guardian_id = ward.other_clinician.id
    else:
        guardian_id = str(uuid.uuid4())
    await refused_code(client, ward, patient, {"role": "guardian", "display_name": "x", "guardian_id": guardian_id})


@pytest.mark.parametrize(
    "body",
    [
        {"code": "AAAA-BBBB-CCCC"},
        {"device_name": "phone"},
        {"code": "", "device_name": "phone"},
        {"code": "AAAA-BBBB-CCCC", "device_name": ""},
        {"code": "A" * 65, "device_name": "phone"},
    ],
)
async def test_an_invalid_activation_body_is_422(client, body):
    assert_problem(await client.post(f"{API}/auth/activate", json=body), 422)
