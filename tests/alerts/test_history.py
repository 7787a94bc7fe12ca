"""The history the service loads from PostgreSQL is the history the engine's rules read: the last
weight of each *local* day (the SQL groups by the patient's zone, the engine by backend.timezones),
also across the autumn clock change and around local midnight."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from alerting import service
from alerting.engine import relevance
from alerting.engine.types import Observation
from backend.timezones import local_day
from tests.alerts.support import upload
from tests.measurements.support import fresh_infant, weight
from tests.measurements.support import item as registration


async def test_the_last_weight_of_each_local_day_matches_the_engine(client, world, db, clock):
    patient = await fresh_infant(client, world)
    # Around Oslo's autumn change (25 Oct 2026, 03:00 → 02:00) and local midnights, in UTC.
    instants = [
        datetime(2026, 10, 24, 21, 59, tzinfo=UTC),  # 23:59 local (+02:00)
        datetime(2026, 10, 24, 22, 0, tzinfo=UTC),  # 00:00 on the 25th
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 02:30, first pass
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # 02:30 again (+01:00)
        datetime(2026, 10, 25, 22, 59, tzinfo=UTC),  # 23:59 on the 25-hour day
        datetime(2026, 10, 25, 23, 0, tzinfo=UTC),  # 00:00 on the 26th
        datetime(2026, 10, 26, 7, 0, tzinfo=UTC),
        datetime(2026, 10, 26, 7, 0, tzinfo=UTC),  # the same instant twice: the larger id wins
    ]
    items = [weight(1700 + n, measured_at=at.isoformat()) for n, at in enumerate(instants)]
    await upload(client, world.clin_u1, patient, *items)

    rules = await service.load_patient_rules(db, uuid.UUID(patient), clock.now)
    weight_rules = relevance.relevant(rules.rules, {"body_weight"})
    # A late weight of 27 October: the rules read the days before it.
    late = datetime(2026, 10, 27, 7, 0, tzinfo=UTC)
    new = [Observation(id=str(uuid.uuid4()), type="body_weight", measured_at=late, value=1800.0)]
    loaded = await service._history(db, rules, uuid.UUID(patient), new, weight_rules)

    expected: dict[object, str] = {}
    for item in sorted(items, key=lambda i: (datetime.fromisoformat(i["measured_at"]), i["id"])):
        expected[local_day(datetime.fromisoformat(item["measured_at"]), "Europe/Oslo")] = item["id"]
    assert sorted(obs.id for obs in loaded) == sorted(expected.values())
    assert len(expected) == 3  # the 24th (its last minute), the 25th (25 hours), the 26th


def feed(at: datetime) -> dict:
    return registration("feeding_volume", 30, "mL", attributes={"route": "tube"}, measured_at=at.isoformat())


@pytest.mark.parametrize(
    ("new_days", "read_days"),
    [
        pytest.param((18, 20), {18, 20}, id="two days apart: not the day between"),
        pytest.param((19, 20), {19, 20}, id="consecutive days"),
    ],
)
async def test_a_whole_day_rule_reads_every_feed_of_the_local_days_the_new_feeds_fall_on(
    client, world, db, clock, new_days, read_days
):
    """Feeds are read as whole local days (Oslo, +01:00 in November), with the weights' daily series
    in the same statement."""
    patient = await fresh_infant(client, world)
    stored = {
        day: [feed(datetime(2026, 11, day - 1, 23, 0, tzinfo=UTC)), feed(datetime(2026, 11, day, 22, 59, tzinfo=UTC))]
        for day in (17, 18, 19, 20, 21)
    }  # each local day's first and last minute
    await upload(client, world.clin_u1, patient, *(f for feeds in stored.values() for f in feeds), weight(1700))

    rules = await service.load_patient_rules(db, uuid.UUID(patient), clock.now)
    feed_rules = relevance.relevant(rules.rules, {"feeding_volume"})
    new = [
        Observation(
            id=str(uuid.uuid4()), type="feeding_volume", measured_at=datetime(2026, 11, day, 12, tzinfo=UTC), value=30.0
        )
        for day in new_days
    ]
    loaded = await service._history(db, rules, uuid.UUID(patient), new, feed_rules)

    assert sorted(obs.id for obs in loaded if obs.type == "feeding_volume") == sorted(
        f["id"] for day in read_days for f in stored[day]
    )
    assert [obs.type for obs in loaded if obs.type != "feeding_volume"] == ["body_weight"]
