"""A lost last phone: the way back in for a patient or guardian with no signed-in phone left, under a
two-person rule (backend/patients/recovery.py). One clinician issues a recovery code, a second
clinician of the patient confirms it, and only then does it add a phone to that same account: no
single clinician can use it to become the family member."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.helpers import API, Actor, login, make_clinician
from tests.identity.support import BAD_CODE, Ward, assert_problem, get_me, post_activate, tokens_of


def bearer(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def me(client, tokens) -> dict:
    response = await get_me(client, tokens["access_token"])
    assert response.status_code == 200, response.text
    return response.json()


class Family:
    """A patient of the ward with a guardian whose only phone is lost (its session ended)."""

    def __init__(self, patient: str, guardian: dict, second: Actor) -> None:
        self.patient = patient
        self.guardian = guardian  # /me of the guardian
        self.second = second  # a second clinician of the ward's unit


@pytest.fixture
async def family(client, world, ward: Ward) -> Family:
    patient = await ward.patient()
    phone = await tokens_of(await post_activate(client, await ward.code(patient, "guardian"), "only phone"))
    guardian = await me(client, phone)
    sessions = await client.get(f"{API}/patients/{patient}/sessions", headers=ward.clinician.headers)
    [lost] = [s["id"] for s in sessions.json()["items"] if s["user"]["id"] == guardian["id"]]
    ended = await client.delete(f"{API}/patients/{patient}/sessions/{lost}", headers=ward.clinician.headers)
    assert ended.status_code == 204
    second = await make_clinician(client, world.admin.headers, [ward.unit])
    return Family(patient, guardian, second)


async def issue(client, clinician: Actor, patient: str, user_id: str, status: int = 201) -> dict:
    body = {"user_id": user_id, "reason": "Mistet telefonen; legitimert med pass"}
    response = await client.post(f"{API}/patients/{patient}/recoveries", json=body, headers=clinician.headers)
    assert response.status_code == status, response.text
    return response.json()


async def confirm(client, clinician: Actor, patient: str, recovery_id: str):
    return await client.post(f"{API}/patients/{patient}/recoveries/{recovery_id}/confirm", headers=clinician.headers)


async def test_no_code_brings_back_an_account_whose_only_phone_is_lost_without_recovery(client, ward, family):
    """The gap: the guardian account exists, so an activation code cannot sign it in (and a device
    code needs a signed-in phone there is no more of)."""
    code = await ward.code(family.patient, "guardian", guardian_id=family.guardian["id"])
    assert (await post_activate(client, code)).status_code == 409


async def test_two_clinicians_bring_a_guardian_back_on_their_own_account(client, ward, family, db):
    issued = await issue(client, ward.clinician, family.patient, family.guardian["id"])
    recovery = issued["recovery"]
    assert recovery["status"] == "awaiting-confirmation"
    assert recovery["user"] == {"id": family.guardian["id"], "display_name": family.guardian["display_name"]}
    assert recovery["requested_by"]["id"] == ward.clinician.id and recovery["confirmed_by"] is None

    # Alone, the code signs in nobody: not for the family, not for the clinician who holds it.
    refused = assert_problem(await post_activate(client, issued["code"]), 409)
    assert "second clinician" in refused["detail"]
    # The issuer cannot be the second clinician.
    assert_problem(await confirm(client, ward.clinician, family.patient, recovery["id"]), 403)
    # Nor can a clinician who does not see the patient: the 404 of a patient that is not there.
    assert_problem(await confirm(client, ward.other_clinician, family.patient, recovery["id"]), 404)

    response = await confirm(client, family.second, family.patient, recovery["id"])
    assert response.status_code == 200, response.text
    confirmed = response.json()
    assert confirmed["status"] == "confirmed" and confirmed["confirmed_by"]["id"] == family.second.id
    assert "code" not in response.text  # the confirmer never sees the code
    assert_problem(await confirm(client, family.second, family.patient, recovery["id"]), 409)

    phone = await tokens_of(await post_activate(client, issued["code"], "new phone"))
    profile = await me(client, phone)
    assert profile["id"] == family.guardian["id"]  # the same account, not a new one
    assert profile["patient_ids"] == family.guardian["patient_ids"]
    assert (await post_activate(client, issued["code"])).json()["detail"] == BAD_CODE  # single use

    # The session says how it began and who vouched for it, to the guardian and to the clinicians.
    [session] = (await client.get(f"{API}/me/sessions", headers=bearer(phone))).json()["items"]
    assert session["signed_in_with"] == "recovery-code"
    assert session["code_issued_by"]["id"] == ward.clinician.id
    assert session["code_confirmed_by"]["id"] == family.second.id
    family_sessions = await client.get(f"{API}/patients/{family.patient}/sessions", headers=family.second.headers)
    [theirs] = [s for s in family_sessions.json()["items"] if s["user"]["id"] == family.guardian["id"]]
    assert (theirs["code_issued_by"]["id"], theirs["code_confirmed_by"]["id"]) == (ward.clinician.id, family.second.id)
    listed = await client.get(f"{API}/patients/{family.patient}/recoveries", headers=ward.clinician.headers)
    assert [r["status"] for r in listed.json()["items"]] == ["used"]

    # The access log names both clinicians' steps and the refused ones, and the new phone's reads
    # with its provenance.
    await client.get(f"{API}/patients/{family.patient}", headers=bearer(phone))
    log = (await client.get(f"{API}/patients/{family.patient}/access-log", headers=bearer(phone))).json()["items"]
    steps = [
        (e["actor_id"], e["outcome"]) for e in reversed(log) if e["resource"] == "recovery" and e["action"] == "write"
    ]
    assert steps == [
        (ward.clinician.id, "allowed"),  # issued
        (ward.clinician.id, "failed"),  # tried to confirm their own
        (ward.other_clinician.id, "denied"),  # does not see the patient
        (family.second.id, "allowed"),  # confirmed
        (family.second.id, "failed"),  # confirmed again: 409
    ]
    [read] = [e for e in log if e["resource"] == "patient" and e["actor_id"] == family.guardian["id"]][:1]
    assert read["signed_in_with"] == "recovery-code"
    assert read["code_issued_by"]["id"] == ward.clinician.id
    assert read["code_confirmed_by"]["id"] == family.second.id


async def test_the_patients_own_account_is_recovered_too(client, ward, family):
    patient = await ward.patient()
    phone = await tokens_of(await post_activate(client, await ward.code(patient, "patient")))
    account = (await me(client, phone))["id"]
    issued = await issue(client, ward.clinician, patient, account)
    assert (await confirm(client, family.second, patient, issued["recovery"]["id"])).status_code == 200
    again = await tokens_of(await post_activate(client, issued["code"]))
    assert (await me(client, again))["id"] == account


async def test_only_an_account_of_the_patients_family_can_be_recovered(client, ward, family, world):
    # Staff, another family's guardian, nobody at all: 422 on user_id, nothing stored.
    other_patient = await ward.patient(ward.other_clinician)
    other_guardian = await me(
        client,
        await tokens_of(
            await post_activate(client, await ward.code(other_patient, "guardian", clinician=ward.other_clinician))
        ),
    )
    for user_id in (ward.clinician.id, family.second.id, other_guardian["id"], str(uuid.uuid4())):
        problem = await issue(client, ward.clinician, family.patient, user_id, status=422)
        assert [e["field"] for e in problem["errors"]] == ["user_id"]
    # A clinician who does not see the patient cannot issue one either.
    await issue(client, ward.other_clinician, family.patient, family.guardian["id"], status=404)


async def test_a_guardian_unlinked_after_the_confirmation_is_not_signed_in(client, ward, family):
    issued = await issue(client, ward.clinician, family.patient, family.guardian["id"])
    assert (await confirm(client, family.second, family.patient, issued["recovery"]["id"])).status_code == 200
    unlinked = await client.delete(
        f"{API}/patients/{family.patient}/guardians/{family.guardian['id']}", headers=ward.clinician.headers
    )
    assert unlinked.status_code == 204
    assert_problem(await post_activate(client, issued["code"]), 401)


async def test_an_expired_recovery_is_neither_confirmed_nor_used(client, ward, family, clock, settings):
    issued = await issue(client, ward.clinician, family.patient, family.guardian["id"])
    clock.advance(seconds=timedelta(hours=settings.activation_code_ttl_hours).total_seconds() + 1)
    second = Actor(family.second.name, "clinician", (await login(client, family.second.name))["access_token"])
    assert_problem(await confirm(client, second, family.patient, issued["recovery"]["id"]), 409)
    assert_problem(await post_activate(client, issued["code"]), 401)
    listed = await client.get(f"{API}/patients/{family.patient}/recoveries", headers=second.headers)
    assert [r["status"] for r in listed.json()["items"]] == ["expired"]
