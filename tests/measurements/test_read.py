"""Reading measurements back: filters, newest first, keyset pages without gaps or repeats."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from tests.helpers import API, expect
from tests.measurements.support import assert_problem, fresh_infant, item, upload_ok, url, weight

BASE = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)


def _at(minutes: int) -> str:
    return (BASE + timedelta(minutes=minutes)).isoformat()


async def _seed(client, world) -> tuple[str, list[dict[str, Any]]]:
    """A patient with 30 registrations of three types; some share a time, so the id breaks ties."""
    patient = await fresh_infant(client, world)
    items = []
    for i in range(30):
        minutes = (i // 3) * 60  # three registrations in each hour, at the same instant
        match i % 3:
            case 0:
                items.append(weight(2000 + i, measured_at=_at(minutes)))
            case 1:
                items.append(item("body_temperature", 36.5, "Cel", measured_at=_at(minutes)))
            case _:
                items.append(item("feeding_volume", 30, "mL", attributes={"route": "tube"}, measured_at=_at(minutes)))
    results = await upload_ok(client, world.clin_u1, patient, items)
    assert {r["status"] for r in results} == {"created"}
    return patient, items


def _newest_first(items: list[dict[str, Any]]) -> list[str]:
    ordered = sorted(items, key=lambda m: (datetime.fromisoformat(m["measured_at"]), uuid.UUID(m["id"])), reverse=True)
    return [m["id"] for m in ordered]


async def _get(client, actor, patient: str, **params: Any) -> dict[str, Any]:
    response = await client.get(url(patient), params=params, headers=actor.headers)
    return await expect(response, 200)


async def _all_pages(client, actor, patient: str, **params: Any) -> tuple[list[str], int]:
    ids: list[str] = []
    pages = 0
    cursor = None
    while True:
        page = await _get(client, actor, patient, **params, **({"cursor": cursor} if cursor else {}))
        pages += 1
        ids += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids, pages
        assert pages < 100, "pagination does not end"


async def test_newest_first_with_every_field(client, world):
    patient, items = await _seed(client, world)
    page = await _get(client, world.clin_u1, patient)
    assert [m["id"] for m in page["items"]] == _newest_first(items)
    assert page["next_cursor"] is None
    newest = page["items"][0]
    assert newest["measured_at"].endswith("Z")  # the server answers in UTC
    fields = {"id", "type", "unit", "measured_at", "received_at", "recorded_by", "original", "attributes"}
    assert fields <= newest.keys()


async def test_type_filter(client, world):
    patient, items = await _seed(client, world)
    page = await _get(client, world.clin_u1, patient, type="body_weight")
    assert [m["id"] for m in page["items"]] == _newest_first([m for m in items if m["type"] == "body_weight"])
    assert {m["unit"] for m in page["items"]} == {"g"}
    assert (await _get(client, world.clin_u1, patient, type="spo2"))["items"] == []
    assert (await _get(client, world.clin_u1, patient, type="no_such_type"))["items"] == []


async def test_since_is_inclusive_and_until_exclusive(client, world):
    patient, items = await _seed(client, world)
    since, until = _at(120), _at(300)
    page = await _get(client, world.clin_u1, patient, since=since, until=until)
    expected = [m for m in items if since <= m["measured_at"] < until]
    assert len(expected) == 9  # hours 2, 3, 4
    assert [m["id"] for m in page["items"]] == _newest_first(expected)


async def test_since_and_until_in_another_offset_mean_the_same_instants(client, world):
    patient, items = await _seed(client, world)
    since = (BASE + timedelta(hours=2)).astimezone(timezone(timedelta(hours=1))).isoformat()
    assert since == "2026-11-21T09:00:00+01:00"
    page = await _get(client, world.clin_u1, patient, since=since, type="body_weight")
    assert [m["id"] for m in page["items"]] == _newest_first(
        [m for m in items if m["type"] == "body_weight" and m["measured_at"] >= _at(120)]
    )


@pytest.mark.parametrize("limit", [1, 4, 7, 10, 29, 30])
async def test_keyset_pages_have_no_gaps_or_repeats(client, world, limit):
    patient, items = await _seed(client, world)
    ids, pages = await _all_pages(client, world.clin_u1, patient, limit=limit)
    assert ids == _newest_first(items)
    # A full last page still carries a cursor (the server cannot know nothing follows without
    # reading one more row), so an even split ends with one empty page.
    assert pages == (30 // limit + 1 if 30 % limit == 0 else -(-30 // limit))


async def test_pages_with_filters(client, world):
    patient, items = await _seed(client, world)
    ids, _ = await _all_pages(client, world.clin_u1, patient, limit=3, type="feeding_volume", until=_at(480))
    assert ids == _newest_first([m for m in items if m["type"] == "feeding_volume" and m["measured_at"] < _at(480)])


async def test_pages_stay_stable_while_newer_registrations_arrive(client, world):
    """A phone syncing in the middle of a clinician's paging adds newer rows; older pages do not shift."""
    patient, items = await _seed(client, world)
    first = await _get(client, world.clin_u1, patient, limit=10)
    await upload_ok(client, world.clin_u1, patient, [weight(2500, measured_at=_at(24 * 60))])
    rest, _ = await _all_pages_from(client, world.clin_u1, patient, first["next_cursor"], limit=10)
    assert [m["id"] for m in first["items"]] + rest == _newest_first(items)


async def _all_pages_from(client, actor, patient, cursor, **params) -> tuple[list[str], int]:
    ids: list[str] = []
    pages = 0
    while cursor:
        page = await _get(client, actor, patient, cursor=cursor, **params)
        ids += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
        pages += 1
    return ids, pages


def _b64(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "abc",
        "!!!!",
        _b64("garbage"),
        _b64("2026-11-22T07:00:00|not-a-uuid"),
        _b64(f"2026-11-22T07:00:00|{uuid.uuid4()}"),  # a naive time: not one we issued
        _b64(f"yesterday|{uuid.uuid4()}"),
        _b64(b"\xff\xfe|\x80"),  # not UTF-8
        "x" * 200,
    ],
)
async def test_a_bad_cursor_is_422(client, world, cursor):
    response = await client.get(url(world.twin_a), params={"cursor": cursor}, headers=world.guardian.headers)
    problem = assert_problem(response, 422)
    assert [e["field"] for e in problem["errors"]] == ["cursor"]


async def test_a_cursor_longer_than_any_we_issue_is_422(client, world):
    response = await client.get(url(world.twin_a), params={"cursor": "x" * 201}, headers=world.guardian.headers)
    assert_problem(response, 422)


@pytest.mark.parametrize("limit", ["0", "501", "-1", "ten"])
async def test_a_bad_limit_is_422(client, world, limit):
    response = await client.get(url(world.twin_a), params={"limit": limit}, headers=world.guardian.headers)
    assert_problem(response, 422)


async def test_reading_another_patients_measurements_is_404(client, world):
    assert_problem(await client.get(url(world.p2), headers=world.guardian.headers), 404)
    assert_problem(await client.get(url(world.twin_a), headers=world.clin_u2.headers), 404)
    assert_problem(await client.get(f"{API}/patients/{uuid.uuid4()}/measurements", headers=world.clin_u1.headers), 404)
