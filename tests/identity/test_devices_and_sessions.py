"""A new phone joins an existing account only through that account's signed-in phone (a device
code); account holders see and end their sessions; a clinician of the patient ends a lost phone's
session and unlinks a guardian (custody change), both on the patient's access log."""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.helpers import API
from tests.identity.support import (
    BAD_CODE,
    assert_not_signed_in,
    assert_problem,
    device_code,
    get_me,
    guardians_of,
    link,
    post_activate,
    sessions_of,
    tokens_of,
)


def bearer(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def profile(client, tokens) -> dict:
    response = await get_me(client, tokens["access_token"])
    assert response.status_code == 200, response.text
    return response.json()


async def works(client, tokens) -> bool:
    return (await get_me(client, tokens["access_token"])).status_code == 200


async def own_sessions(client, tokens) -> list[dict]:
    response = await client.get(f"{API}/me/sessions", headers=bearer(tokens))
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def last_access(db, patient: str) -> dict:
    row = await db.fetchrow(
        "select actor_id, resource, action, outcome from access_log where patient_id = $1 order by id desc limit 1",
        uuid.UUID(patient),
    )
    return {**dict(row), "actor_id": str(row["actor_id"])}


# --- Device codes -----------------------------------------------------------------------------


async def test_a_device_code_adds_a_new_phone_to_the_same_account(client, ward, clock, settings):
    patient = await ward.patient()
    old_phone = await tokens_of(await post_activate(client, await ward.code(patient, "patient"), "old phone"))
    response = await client.post(f"{API}/me/device-codes", headers=bearer(old_phone))
    assert response.status_code == 201, response.text
    made = response.json()
    assert set(made) == {"code", "expires_at"}
    expires = clock.now + timedelta(minutes=settings.device_code_ttl_minutes)
    assert made["expires_at"] == expires.isoformat().replace("+00:00", "Z")

    new_phone = await tokens_of(await post_activate(client, made["code"], "new phone"))
    owner = await profile(client, old_phone)
    assert await profile(client, new_phone) == owner
    sessions = sorted(await own_sessions(client, new_phone), key=lambda s: s["device_name"])
    assert [(s["device_name"], s["current"], s["signed_in_with"]) for s in sessions] == [
        ("new phone", True, "device-code"),
        ("old phone", False, "activation-code"),
    ]
    # The account vouched for its own new phone.
    assert sessions[0]["code_issued_by"] == {"id": owner["id"], "display_name": owner["display_name"]}
    # Single use.
    assert_problem(await post_activate(client, made["code"], "third phone"), 401, BAD_CODE)


async def test_a_device_code_expires_after_its_minutes(client, ward, clock, settings):
    phone = await tokens_of(await post_activate(client, await ward.code(await ward.patient(), "guardian")))
    in_time, too_late = await device_code(client, phone), await device_code(client, phone)
    clock.advance(minutes=settings.device_code_ttl_minutes, seconds=-1)
    assert (await post_activate(client, in_time)).status_code == 200
    clock.advance(seconds=1)
    assert_problem(await post_activate(client, too_late), 401, BAD_CODE)


async def test_staff_make_no_device_codes(client, ward, db):
    before = await db.fetchval("select count(*) from device_codes")
    response = await client.post(f"{API}/me/device-codes", headers=ward.clinician.headers)
    assert_problem(response, 403)
    assert await db.fetchval("select count(*) from device_codes") == before


async def test_a_device_code_of_a_disabled_account_signs_nothing_in(client, ward, db):
    phone = await tokens_of(await post_activate(client, await ward.code(await ward.patient(), "guardian")))
    code = await device_code(client, phone)
    await db.execute(
        "update users set disabled_at = now() where id = $1", uuid.UUID((await profile(client, phone))["id"])
    )
    assert_problem(await post_activate(client, code), 401, BAD_CODE)


# --- One's own sessions -------------------------------------------------------------------------


async def test_an_account_holder_ends_one_of_their_sessions(client, ward):
    phone = await tokens_of(await post_activate(client, await ward.code(await ward.patient(), "guardian"), "phone"))
    tablet = await tokens_of(await post_activate(client, await device_code(client, phone), "tablet"))
    tablet_id = next(s["id"] for s in await own_sessions(client, phone) if s["device_name"] == "tablet")

    response = await client.delete(f"{API}/me/sessions/{tablet_id}", headers=bearer(phone))
    assert response.status_code == 204, response.text
    assert not await works(client, tablet)
    assert await works(client, phone)
    assert [s["device_name"] for s in await own_sessions(client, phone)] == ["phone"]
    # Ended already: not there any more.
    assert_problem(await client.delete(f"{API}/me/sessions/{tablet_id}", headers=bearer(phone)), 404)


async def test_another_accounts_session_is_not_there(client, ward):
    mine = await tokens_of(await post_activate(client, await ward.code(await ward.patient(), "guardian")))
    theirs = await tokens_of(await post_activate(client, await ward.code(await ward.patient(), "guardian")))
    their_session = (await own_sessions(client, theirs))[0]["id"]
    foreign = await client.delete(f"{API}/me/sessions/{their_session}", headers=bearer(mine))
    missing = await client.delete(f"{API}/me/sessions/{uuid.uuid4()}", headers=bearer(mine))
    assert_problem(foreign, 404)
    assert foreign.content == missing.content
    assert await works(client, theirs)


async def test_staff_see_their_password_sessions(client, ward):
    sessions = await own_sessions(client, {"access_token": ward.clinician.token})
    current = [s for s in sessions if s["current"]]
    assert len(current) == 1
    assert current[0]["signed_in_with"] == "password"
    assert current[0]["code_issued_by"] is None


# --- A clinician of the patient: lost phones and custody changes ---------------------------------


async def test_a_clinician_ends_a_lost_phone_of_a_guardian(client, ward, db):
    patient = await ward.patient()
    phone = await tokens_of(await post_activate(client, await ward.code(patient, "guardian"), "lost phone"))
    spare = await tokens_of(await post_activate(client, await device_code(client, phone), "spare phone"))
    guardian = await profile(client, phone)

    listed = await client.get(f"{API}/patients/{patient}/sessions", headers=ward.clinician.headers)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert {(s["device_name"], s["user"]["id"], s["user_role"]) for s in items} == {
        ("lost phone", guardian["id"], "guardian"),
        ("spare phone", guardian["id"], "guardian"),
    }
    assert await last_access(db, patient) == {
        "actor_id": ward.clinician.id,
        "resource": "sessions",
        "action": "read",
        "outcome": "allowed",
    }
    lost = next(s["id"] for s in items if s["device_name"] == "lost phone")
    response = await client.delete(f"{API}/patients/{patient}/sessions/{lost}", headers=ward.clinician.headers)
    assert response.status_code == 204, response.text
    assert not await works(client, phone)
    assert await works(client, spare)
    assert await last_access(db, patient) == {
        "actor_id": ward.clinician.id,
        "resource": "session",
        "action": "write",
        "outcome": "allowed",
    }
    ended = await db.fetchrow("select revoked_reason, revoked_by from auth_sessions where id = $1", uuid.UUID(lost))
    assert (ended["revoked_reason"], str(ended["revoked_by"])) == ("ended by a clinician", ward.clinician.id)


async def test_a_clinician_ends_only_sessions_of_the_patients_family(client, ward):
    patient = await ward.patient()
    stranger = await tokens_of(await post_activate(client, await ward.code(await ward.patient(), "guardian")))
    stranger_session = (await own_sessions(client, stranger))[0]["id"]
    response = await client.delete(
        f"{API}/patients/{patient}/sessions/{stranger_session}", headers=ward.clinician.headers
    )
    assert_problem(response, 404)
    assert await works(client, stranger)
    # A clinician of another unit does not see the patient at all.
    own = await tokens_of(await post_activate(client, await ward.code(patient, "guardian")))
    own_session = (await own_sessions(client, own))[0]["id"]
    response = await client.delete(
        f"{API}/patients/{patient}/sessions/{own_session}", headers=ward.other_clinician.headers
    )
    assert_problem(response, 404)
    assert await works(client, own)


async def test_a_clinician_unlinks_a_guardian_of_twins_from_one_twin(client, ward, db):
    twin_a, twin_b = await ward.patient(), await ward.patient()
    phone = await tokens_of(await post_activate(client, await ward.code(twin_a, "guardian")))
    guardian = await profile(client, phone)
    await link(client, phone, await ward.code(twin_b, "guardian", guardian_id=guardian["id"]))
    pending = await ward.code(twin_b, "guardian", guardian_id=guardian["id"])

    response = await client.delete(
        f"{API}/patients/{twin_b}/guardians/{guardian['id']}", headers=ward.clinician.headers
    )
    assert response.status_code == 204, response.text
    assert await last_access(db, twin_b) == {
        "actor_id": ward.clinician.id,
        "resource": "guardianship",
        "action": "write",
        "outcome": "allowed",
    }
    assert (await profile(client, phone))["patient_ids"] == [twin_a]
    assert (await client.get(f"{API}/patients/{twin_b}", headers=bearer(phone))).status_code == 404
    # Still the parent of twin A: still signed in. A code naming them for twin B no longer works.
    assert await works(client, phone)
    assert_problem(await link(client, phone, pending), 422)
    assert await guardians_of(db, twin_b) == []


async def test_a_guardian_unlinked_from_their_last_child_is_signed_out(client, ward):
    patient = await ward.patient()
    phone = await tokens_of(await post_activate(client, await ward.code(patient, "guardian")))
    guardian = await profile(client, phone)
    response = await client.delete(
        f"{API}/patients/{patient}/guardians/{guardian['id']}", headers=ward.clinician.headers
    )
    assert response.status_code == 204, response.text
    assert_not_signed_in(await get_me(client, phone["access_token"]))


async def test_unlinking_someone_who_is_no_guardian_of_the_patient_is_404(client, ward, db):
    patient = await ward.patient()
    other = await tokens_of(await post_activate(client, await ward.code(await ward.patient(), "guardian")))
    other_id = (await profile(client, other))["id"]
    response = await client.delete(f"{API}/patients/{patient}/guardians/{other_id}", headers=ward.clinician.headers)
    assert_problem(response, 404)
    assert await works(client, other)
    assert await sessions_of(db, other_id) == 1
