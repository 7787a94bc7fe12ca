"""Activation codes: a patient's or guardian's phone exchanges a one-time code for tokens."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest

from backend.identity.service import LINK_CODE_ON_NEW_PHONE, PATIENT_HAS_ACCOUNT
from tests.helpers import API, unique
from tests.identity.support import (
    BAD_CODE,
    assert_problem,
    assert_token_pair,
    get_me,
    guardians_of,
    link,
    post_activate,
    sessions_of,
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


async def test_a_code_naming_an_existing_guardian_signs_nobody_in(client, ward, db):
    """Issue 11, finding 1: a clinician could name an existing guardian in a code, redeem it herself
    and be signed in as that parent (seeing their children in other units, logged as the parent)."""
    twin_a = await ward.patient()
    twin_b = await ward.patient()
    guardian = await me_of(client, await tokens_of(await post_activate(client, await ward.code(twin_a, "guardian"))))
    sessions_before = await sessions_of(db, guardian["id"])

    code_b = await ward.code(twin_b, "guardian", guardian_id=guardian["id"])
    refused = await post_activate(client, code_b, "the clinician's own phone")
    assert_problem(refused, 409, LINK_CODE_ON_NEW_PHONE)
    assert await sessions_of(db, guardian["id"]) == sessions_before
    # Refusing it neither used the code nor linked the child.
    assert (
        await db.fetchval("select used_at from activation_codes where guardian_id = $1", uuid.UUID(guardian["id"]))
        is None
    )
    assert await guardians_of(db, twin_b) == []


async def test_the_named_guardian_links_the_twin_from_their_signed_in_phone(client, ward, db):
    twin_a = await ward.patient()
    twin_b = await ward.patient()
    phone = await tokens_of(await post_activate(client, await ward.code(twin_a, "guardian"), "phone"))
    guardian = await me_of(client, phone)

    code_b = await ward.code(twin_b, "guardian", guardian_id=guardian["id"])
    linked = await link(client, phone, code_b)
    assert linked.status_code == 200, linked.text
    profile = linked.json()
    assert profile["id"] == guardian["id"]
    assert profile["display_name"] == guardian["display_name"]  # the code's name does not rename
    assert sorted(profile["patient_ids"]) == sorted([twin_a, twin_b])
    assert sorted((await me_of(client, phone))["patient_ids"]) == sorted([twin_a, twin_b])
    # No new session: the link is on the phone that was already signed in.
    assert await sessions_of(db, guardian["id"]) == 1
    # The link is logged on the child's access log, as the guardian.
    logged = await db.fetchrow(
        "select actor_id, resource, action, outcome from access_log where patient_id = $1 order by id desc limit 1",
        uuid.UUID(twin_b),
    )
    assert dict(logged) == {
        "actor_id": uuid.UUID(guardian["id"]),
        "resource": "guardianship",
        "action": "write",
        "outcome": "allowed",
    }
    # Single use.
    assert_problem(await link(client, phone, code_b), 422)


async def test_a_code_naming_one_guardian_cannot_be_redeemed_by_another(client, ward):
    twin_a = await ward.patient()
    twin_b = await ward.patient()
    named = await me_of(client, await tokens_of(await post_activate(client, await ward.code(twin_a, "guardian"))))
    other = await tokens_of(await post_activate(client, await ward.code(await ward.patient(), "guardian")))
    code_b = await ward.code(twin_b, "guardian", guardian_id=named["id"])
    problem = assert_problem(await link(client, other, code_b), 422)
    assert problem["errors"][0]["field"] == "code"
    assert twin_b not in (await me_of(client, other))["patient_ids"]


async def test_a_guardian_code_naming_nobody_links_a_signed_in_guardian(client, ward):
    """A parent who already has the app enters the new child's code there: no second account."""
    first = await ward.patient()
    second = await ward.patient()
    phone = await tokens_of(await post_activate(client, await ward.code(first, "guardian")))
    profile = (await link(client, phone, await ward.code(second, "guardian"))).json()
    assert sorted(profile["patient_ids"]) == sorted([first, second])


async def test_only_a_guardian_links_children(client, ward):
    patient = await ward.patient()
    patient_phone = await tokens_of(await post_activate(client, await ward.code(patient, "patient")))
    code = await ward.code(await ward.patient(), "guardian")
    assert_problem(await link(client, patient_phone, code), 403)
    staff = {"access_token": ward.clinician.token}
    assert_problem(await link(client, staff, code), 403)


async def test_a_patient_code_for_a_patient_with_an_account_is_refused(client, ward, db):
    patient = await ward.patient()
    await tokens_of(await post_activate(client, await ward.code(patient, "patient"), "old phone"))
    response = await client.post(
        f"{API}/patients/{patient}/activation-codes",
        json={"role": "patient", "display_name": "x"},
        headers=ward.clinician.headers,
    )
    assert_problem(response, 409)
    assert await db.fetchval("select count(*) from activation_codes where patient_id = $1", uuid.UUID(patient)) == 1


async def test_a_second_patient_code_issued_earlier_cannot_sign_in_the_account(client, ward, db):
    """Two codes issued before either was used: the second must not sign into the first's account."""
    patient = await ward.patient()
    first, second = await ward.code(patient, "patient"), await ward.code(patient, "patient")
    owner = await me_of(client, await tokens_of(await post_activate(client, first, "the patient's phone")))
    assert_problem(await post_activate(client, second, "someone else's phone"), 409, PATIENT_HAS_ACCOUNT)
    assert await sessions_of(db, owner["id"]) == 1


async def test_a_session_records_the_code_and_its_issuer_and_the_access_log_shows_them(client, ward):
    patient = await ward.patient()
    phone = await tokens_of(await post_activate(client, await ward.code(patient, "guardian"), "Pappas telefon"))
    headers = {"Authorization": f"Bearer {phone['access_token']}"}
    sessions = (await client.get(f"{API}/me/sessions", headers=headers)).json()["items"]
    assert len(sessions) == 1
    assert sessions[0]["current"] is True
    assert sessions[0]["device_name"] == "Pappas telefon"
    assert sessions[0]["signed_in_with"] == "activation-code"
    assert sessions[0]["code_issued_by"] == {"id": ward.clinician.id, "display_name": ward.clinician.name}

    assert (await client.get(f"{API}/patients/{patient}", headers=headers)).status_code == 200
    log = await client.get(f"{API}/patients/{patient}/access-log", headers=ward.clinician.headers)
    read = next(item for item in log.json()["items"] if item["actor_role"] == "guardian")
    assert read["session_id"] == sessions[0]["id"]
    assert read["device_name"] == "Pappas telefon"
    assert read["signed_in_with"] == "activation-code"
    assert read["code_issued_by"] == {"id": ward.clinician.id, "display_name": ward.clinician.name}


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
