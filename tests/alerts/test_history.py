"""The history the service loads from PostgreSQL is the history the engine's rules read: the last
weight of each *local* day (the SQL groups by the patient's zone, the engine by backend.timezones),
also across the autumn clock change and around local midnight."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from alerting import service
from alerting.engine import relevance
from alerting.engine.types import Observation
from backend.timezones import local_day
from tests.alerts.support import upload
from tests.measurements.support import fresh_infant, weight


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
