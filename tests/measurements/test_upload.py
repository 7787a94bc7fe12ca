"""Uploading measurements through the API: per-item outcomes, resends, batch limits, who and where.

docs/api.md ("Uploads are idempotent"): one result per item; one bad item never blocks the others; the same id with
the same content is a `duplicate` that changes nothing, with other content a `conflict`.
docs/reliability.md (R10): the stored set equals the distinct ids, whatever the
phone resends and in whatever order.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from backend.measurements.service import COPY_FROM_ROWS
from tests.helpers import API, expect
from tests.measurements.support import (
    assert_problem,
    count,
    error_fields,
    fresh_infant,
    item,
    statuses,
    stored,
    upload,
    upload_ok,
    weight,
)


def _snapshot(rows: dict) -> dict:
    return {key: dict(row) for key, row in rows.items()}


async def test_created_then_duplicate_then_conflict_per_item(client, world, db):
    first, second = weight(2100), item("body_temperature", 37.2, "Cel")
    assert statuses(await upload_ok(client, world.guardian, world.twin_a, [first, second])) == ["created", "created"]
    before = _snapshot(await stored(db, world.twin_a, [first["id"], second["id"]]))

    changed = {**second, "value": 39.9}
    third = weight(2150)
    results = await upload_ok(client, world.guardian, world.twin_a, [first, changed, third])

    assert statuses(results) == ["duplicate", "conflict", "created"]
    assert [r["id"] for r in results] == [first["id"], second["id"], third["id"]]
    assert all("errors" not in r for r in results)
    # Neither the duplicate nor the conflict touched what was stored.
    assert _snapshot(await stored(db, world.twin_a, [first["id"], second["id"]])) == before


async def test_duplicate_whatever_offset_the_timestamp_is_written_with(client, world, db):
    """The same instant written as +01:00 and as Z is the same registration, not a conflict."""
    oslo = weight(2200, measured_at="2026-11-22T08:00:00+01:00")
    utc = {**oslo, "measured_at": "2026-11-22T07:00:00Z"}
    later = {**oslo, "measured_at": "2026-11-22T08:00:01+01:00"}
    assert statuses(await upload_ok(client, world.guardian, world.twin_a, [oslo])) == ["created"]
    assert statuses(await upload_ok(client, world.guardian, world.twin_a, [utc])) == ["duplicate"]
    assert statuses(await upload_ok(client, world.guardian, world.twin_a, [later])) == ["conflict"]


async def test_offline_replays_store_each_id_once_and_change_nothing(client, world, db, clock):
    """A phone that lost the answers sends the same batch three times, then in another order."""
    patient = await fresh_infant(client, world)
    batch = [weight(2000 + i) for i in range(10)] + [
        item("feeding_volume", 40 + i, "mL", attributes={"route": "tube"}) for i in range(10)
    ]
    ids = [m["id"] for m in batch]

    assert statuses(await upload_ok(client, world.clin_u1, patient, batch)) == ["created"] * 20
    first = _snapshot(await stored(db, patient, ids))

    shuffled = batch[:]
    random.Random(7).shuffle(shuffled)
    for resend in (batch, batch, list(reversed(batch)), shuffled):
        clock.advance(minutes=3)  # a later received_at must not overwrite anything either
        results = await upload_ok(client, world.clin_u1, patient, resend)
        assert statuses(results) == ["duplicate"] * 20
        assert [r["id"] for r in results] == [m["id"] for m in resend]

    assert await count(db, patient) == len(set(ids))
    assert _snapshot(await stored(db, patient, ids)) == first


async def test_overlapping_resends_create_only_what_is_new(client, world, db):
    """The answer to items 0–9 was lost; the phone sends 5–14: 5–9 are duplicates, 10–14 new."""
    patient = await fresh_infant(client, world)
    items = [weight(2000 + i) for i in range(15)]
    await upload_ok(client, world.clin_u1, patient, items[:10])
    results = await upload_ok(client, world.clin_u1, patient, items[5:])
    assert statuses(results) == ["duplicate"] * 5 + ["created"] * 5
    assert await count(db, patient) == 15


async def test_resend_of_a_stored_id_with_invalid_content_is_rejected_and_changes_nothing(client, world, db):
    original = weight(2300)
    await upload_ok(client, world.guardian, world.twin_a, [original])
    before = _snapshot(await stored(db, world.twin_a, [original["id"]]))
    results = await upload_ok(client, world.guardian, world.twin_a, [{**original, "value": 0}])
    assert statuses(results) == ["rejected"]
    assert _snapshot(await stored(db, world.twin_a, [original["id"]])) == before


async def test_one_bad_item_never_blocks_the_others(client, world, db):
    good = [weight(2100), item("body_temperature", 37.0, "Cel"), weight(2110)]
    bad = [
        item("spo2", 97, "kg"),
        item("body_temperature", "37.5", "Cel"),
        weight(0),
        item("no_such_type", 1, "g"),
    ]
    batch = [good[0], bad[0], good[1], bad[1], bad[2], good[2], bad[3]]
    results = await upload_ok(client, world.guardian, world.twin_a, batch)

    assert statuses(results) == ["created", "rejected", "created", "rejected", "rejected", "created", "rejected"]
    assert [r["id"] for r in results] == [m["id"] for m in batch]
    for result in results:
        if result["status"] == "rejected":
            assert result["errors"], result
            assert all(e["field"] and e["message"] for e in result["errors"])
    assert [error_fields(results[i]) for i in (1, 3, 4, 6)] == [["unit"], ["value"], ["value"], ["type"]]
    rows = await stored(db, world.twin_a, [m["id"] for m in batch])
    assert set(rows) == {m["id"] for m in good}


async def test_an_item_that_is_not_a_registration_at_all_is_rejected_with_its_id(client, world, db):
    good = weight(2100)
    broken = {"id": str(uuid.uuid4()), "type": "body_weight"}  # no unit, no time
    results = await upload_ok(client, world.guardian, world.twin_a, [broken, good])
    assert statuses(results) == ["rejected", "created"]
    assert results[0]["id"] == broken["id"]
    assert error_fields(results[0]) == ["unit"]
    assert "missing" in results[0]["errors"][0]["message"]


async def test_a_full_batch_of_1000_is_created(client, world, db):
    patient = await fresh_infant(client, world)
    start = datetime(2026, 11, 20, tzinfo=UTC)
    batch = [weight(2000 + i % 500, measured_at=(start + timedelta(minutes=i)).isoformat()) for i in range(1000)]
    results = await upload_ok(client, world.clin_u1, patient, batch)
    assert statuses(results) == ["created"] * 1000
    assert await count(db, patient) == 1000


@pytest.mark.parametrize("size", [3, COPY_FROM_ROWS, 400], ids=["insert", "copy-threshold", "copy"])
async def test_a_resent_batch_with_new_and_changed_items_stores_each_once(client, world, db, size):
    """Small batches are inserted, large ones copied; a copy that meets a stored id falls back to
    the row-by-row insert. Either way: new rows created, resends duplicate, changes conflict."""
    patient = await fresh_infant(client, world)
    start = datetime(2026, 11, 19, tzinfo=UTC)
    first = [weight(2000 + i, measured_at=(start + timedelta(minutes=i)).isoformat()) for i in range(size)]
    assert statuses(await upload_ok(client, world.clin_u1, patient, first)) == ["created"] * size

    changed = {**first[1], "value": 2999}
    fresh = [weight(2100 + i, measured_at=(start + timedelta(hours=1, minutes=i)).isoformat()) for i in range(size)]
    resend = [first[0], changed, *first[2:], *fresh]
    results = await upload_ok(client, world.clin_u1, patient, resend)
    assert statuses(results) == ["duplicate", "conflict", *["duplicate"] * (size - 2), *["created"] * size]
    assert await count(db, patient) == 2 * size
    assert (await stored(db, patient, [changed["id"]]))[changed["id"]]["value"] == first[1]["value"]


async def test_a_batch_of_1001_is_refused_whole(client, world, db):
    patient = await fresh_infant(client, world)
    response = await upload(client, world.clin_u1, patient, [weight(2000 + i) for i in range(1001)])
    problem = assert_problem(response, 422)
    assert [e["field"] for e in problem["errors"]] == ["measurements"]
    assert await count(db, patient) == 0


async def test_an_empty_batch_is_refused(client, world, db):
    problem = assert_problem(await upload(client, world.guardian, world.twin_a, []), 422)
    assert [e["field"] for e in problem["errors"]] == ["measurements"]


async def test_the_same_id_twice_in_one_batch(client, world, db):
    same = weight(2400)
    other = {**weight(2500), "id": same["id"]}
    again = weight(2600)
    results = await upload_ok(client, world.guardian, world.twin_a, [same, same, other])
    assert statuses(results) == ["created", "duplicate", "conflict"]
    rows = await stored(db, world.twin_a, [same["id"]])
    assert rows[same["id"]]["value"] == 2400  # the first occurrence wins
    # And an invalid first occurrence does not shadow a valid second one.
    results = await upload_ok(client, world.guardian, world.twin_a, [{**again, "value": -1}, again])
    assert statuses(results) == ["rejected", "created"]


async def test_repeats_in_one_batch_are_judged_against_what_is_stored(client, world, db):
    """A stored id sent twice more in one batch: each copy answers for itself against the stored row."""
    original = weight(2400)
    changed = {**original, "value": 2450}
    await upload_ok(client, world.guardian, world.twin_a, [original])
    results = await upload_ok(client, world.guardian, world.twin_a, [changed, changed, original])
    assert statuses(results) == ["conflict", "conflict", "duplicate"]
    assert (await stored(db, world.twin_a, [original["id"]]))[original["id"]]["value"] == 2400


async def test_who_recorded_it_and_when_it_arrived(client, world, db, clock):
    arrived = clock.advance(minutes=7)  # within the access token's 15 min
    by_guardian = weight(2100)
    by_clinician = weight(2120)
    by_patient = item("spo2", 94, "%")
    await upload_ok(client, world.guardian, world.twin_a, [by_guardian])
    await upload_ok(client, world.clin_u1, world.twin_a, [by_clinician])
    await upload_ok(client, world.patient_p2, world.p2, [by_patient])

    rows = await stored(db, world.twin_a, [by_guardian["id"], by_clinician["id"]])
    rows |= await stored(db, world.p2, [by_patient["id"]])
    clinician_id = (await expect(await client.get(f"{API}/me", headers=world.clin_u1.headers), 200))["id"]
    expected = {
        by_guardian["id"]: ("guardian", world.guardian.id),
        by_clinician["id"]: ("clinician", clinician_id),
        by_patient["id"]: ("patient", world.patient_p2.id),
    }
    for ident, (role, user_id) in expected.items():
        assert rows[ident]["recorder_role"] == role
        assert str(rows[ident]["recorded_by"]) == user_id
        assert rows[ident]["received_at"] == arrived

    # The API shows the same.
    listed = await expect(
        await client.get(f"{API}/patients/{world.p2}/measurements?type=spo2", headers=world.clin_u2.headers), 200
    )
    shown = next(m for m in listed["items"] if m["id"] == by_patient["id"])
    assert shown["recorded_by"] == {"id": world.patient_p2.id, "role": "patient"}
    assert shown["received_at"] == "2026-11-22T07:37:00Z"


async def _denials(db, patient_id: str) -> int:
    return await db.fetchval(
        "select count(*) from access_log where patient_id = $1 and outcome = 'denied'", uuid.UUID(patient_id)
    )


async def test_guardian_uploading_for_another_patient_is_404_and_stores_nothing(client, world, db):
    batch = [item("spo2", 95, "%")]
    denials = await _denials(db, world.p2)
    missing = assert_problem(await upload(client, world.guardian, str(uuid.uuid4()), batch), 404)
    foreign = assert_problem(await upload(client, world.guardian, world.p2, batch), 404)
    assert foreign == missing  # never leak that the patient exists
    assert await stored(db, world.p2, [batch[0]["id"]]) == {}
    assert await _denials(db, world.p2) == denials + 1


async def test_clinician_of_another_unit_is_404_and_stores_nothing(client, world, db):
    to_twin = [weight(2100)]
    to_p2 = [item("spo2", 95, "%")]
    assert_problem(await upload(client, world.clin_u2, world.twin_a, to_twin), 404)
    assert_problem(await upload(client, world.clin_u1, world.p2, to_p2), 404)
    assert await stored(db, world.twin_a, [to_twin[0]["id"]]) == {}
    assert await stored(db, world.p2, [to_p2[0]["id"]]) == {}


async def test_patient_uploading_for_someone_else_and_anonymous_store_nothing(client, world, db):
    batch = [weight(2100)]
    assert_problem(await upload(client, world.patient_p2, world.twin_b, batch), 404)
    assert_problem(await upload(client, world.anonymous, world.twin_b, batch), 401)
    assert await stored(db, world.twin_b, [batch[0]["id"]]) == {}


async def test_an_id_taken_by_another_patient_is_still_free_for_this_one(client, world, db):
    """Ids are unique per patient: a twin's phone reusing an id cannot clash with the other twin."""
    shared = weight(2100)
    assert statuses(await upload_ok(client, world.guardian, world.twin_a, [shared])) == ["created"]
    assert statuses(await upload_ok(client, world.guardian, world.twin_b, [shared])) == ["created"]


async def test_an_item_that_is_not_even_a_measurement_blocks_nothing(client, world, db):
    """A non-object item, or a number no double can hold, is one rejected result, not a 4xx."""
    good = weight()
    huge_id = str(uuid.uuid4())
    # json.dumps cannot write 1e400, so the too-large number is spliced into the text.
    huge = json.dumps({**weight(), "id": huge_id, "value": "HUGE"}).replace('"HUGE"', "1e400")
    body = f'{{"measurements": [{json.dumps(good)}, 1, {huge}]}}'
    response = await client.post(
        f"{API}/patients/{world.twin_b}/measurements",
        content=body.encode(),
        headers={**world.guardian.headers, "content-type": "application/json"},
    )
    results = (await expect(response, 200))["results"]
    assert statuses(results) == ["created", "rejected", "rejected"]
    assert results[1]["id"] is None and results[2]["id"] == huge_id
    assert list(await stored(db, world.twin_b, [good["id"]])) == [good["id"]]
