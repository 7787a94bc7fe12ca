"""GET /patients/{id}/form-responses: what was answered, for the clinicians who act on it."""

from __future__ import annotations

from datetime import timedelta

from tests.forms.support import response_body, submit
from tests.helpers import API, expect, make_patient


async def test_newest_first_with_answers_and_a_cursor(client, world, clock):
    # A patient of its own: the shared ones collect responses from other tests.
    patient_id = await make_patient(client, world.clin_u1, world.unit_u1, "home-dialysis", {"dry_weight_kg": 80})
    url = f"{API}/patients/{patient_id}/form-responses"
    sent = []
    for hours, pain in ((30, False), (20, True), (10, False)):
        answers = {"effluent": "clear", "abdominal_pain": pain, "net_uf": 500}
        body = response_body("pd-session", answers, clock.now - timedelta(hours=hours))
        await expect(await submit(client, world.clin_u1, patient_id, body), 201)
        sent.append(body)

    first = await expect(await client.get(url, params={"limit": 2}, headers=world.clin_u1.headers), 200)
    newest = first["items"][0]
    assert newest["id"] == sent[-1]["id"]
    assert newest["answers"] == sent[-1]["answers"]
    assert (newest["form"], newest["version"]) == ("pd-session", 1)
    assert newest["recorded_by"] == {"id": world.clin_u1.id, "role": "clinician"}
    assert newest["authored_at"].endswith("Z") and "score" not in newest
    assert first["items"][1]["id"] == sent[1]["id"]

    rest = await expect(
        await client.get(url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=world.clin_u1.headers), 200
    )
    assert [item["id"] for item in rest["items"]] == [sent[0]["id"]]
    assert rest["next_cursor"] is None


async def test_filter_by_form_and_the_worry_text_reaches_the_clinician(client, world, clock):
    body = response_body("premature-worried", {"worried": True, "details": "Hun er slapp og vil ikke spise"}, clock.now)
    await expect(await submit(client, world.guardian, world.twin_b, body), 201)
    url = f"{API}/patients/{world.twin_b}/form-responses"
    listed = await expect(
        await client.get(url, params={"form": "premature-worried"}, headers=world.clin_u1.headers), 200
    )
    assert {item["form"] for item in listed["items"]} == {"premature-worried"}
    mine = next(item for item in listed["items"] if item["id"] == body["id"])
    assert mine["answers"]["details"] == "Hun er slapp og vil ikke spise"


async def test_a_bad_cursor_is_a_422_and_others_see_nothing(client, world):
    url = f"{API}/patients/{world.twin_a}/form-responses"
    problem = await expect(await client.get(url, params={"cursor": "bm9wZQ"}, headers=world.clin_u1.headers), 422)
    assert problem["errors"][0]["field"] == "cursor"
    await expect(await client.get(url, headers=world.clin_u2.headers), 404)
    await expect(await client.get(url, headers=world.patient_p2.headers), 404)
