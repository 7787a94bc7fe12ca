"""API fuzzing (docs/reliability.md, R14): schemathesis against the app's own
`/openapi.json`, as each role, with zero 5xx and every response matching the document.

The fuzzing runs in a database of its own with a world of its own: it logs out, revokes and
creates at random, which must not disturb the shared `world` the rest of the suite relies on.
Each operation gets a bounded, derandomized number of examples so CI runs the same cases each time.

Not fuzzed, and why:
- `/metrics` is Prometheus text for the scraper, outside the API document's contract.
- `/api/v1/alerts/stream` is server-sent events that never end; tests/alerts covers it.
- The video signalling websocket is not an OpenAPI operation (tests/video covers it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import response_schema_conformance

from alerting.push.vapid import new_key_pair
from backend.app import create_app
from backend.clock import FrozenClock
from backend.settings import Settings
from tests.conftest import START, make_settings
from tests.helpers import World, app_client, build_world

# Valid-by-the-document requests reach the handlers; invalid ones (wrong types, missing fields,
# strings for numbers) exercise strict decoding. Sized so the module stays well under a minute.
EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 8}
SKIPPED = {("GET", "/metrics"), ("GET", "/api/v1/alerts/stream")}
NO_INPUT = {"/health/live", "/health/ready"}
ROLES = ["admin", "clin_u1", "guardian", "patient_p2", "anonymous"]
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture(scope="module")
async def fuzz_settings(new_database, redis_url: str) -> Settings:
    dsn = await new_database()
    # Push configured, as in a deployment that offers it, so `/push/*` is fuzzed past the 503
    # that an unconfigured server answers on purpose (tests/alerting/push covers that answer).
    return make_settings(dsn, redis_url, vapid_private_key=new_key_pair()[0], vapid_subject="mailto:fuzz@example.org")


@pytest.fixture(scope="module")
async def fuzz_world(fuzz_settings: Settings) -> World:
    async with app_client(fuzz_settings, FrozenClock(START)) as client:
        return await build_world(client, fuzz_settings.database_url or "", fuzz_settings)


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_settings: Settings, fuzz_world: World) -> Iterator[Any]:
    # A second app on the same database, served by schemathesis's own ASGI client (its own thread
    # and event loop, lifespan included); stopped when the module is done.
    app = create_app(fuzz_settings, clock=FrozenClock(START), configure_logs=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    try:
        yield schema
    finally:
        asgi.shutdown_lifespans()


def _operations(schema: Any) -> list[Any]:
    operations = [result.ok() for result in schema.get_all_operations()]
    kept = [op for op in operations if (op.method.upper(), op.path) not in SKIPPED]
    # Signing out ends the role's session: last, or every later operation would only see 401.
    return sorted(kept, key=lambda op: op.path == "/api/v1/auth/logout")


def _known_ids(world: World) -> dict[str, list[str]]:
    """Path parameters that exist, so the fuzzer gets past the 404 into the handlers."""
    return {
        "patient_id": [world.twin_a, world.twin_b, world.p2],
        "organisation_id": [world.organisation_id],
    }


def _fuzz(operation: Any, mode: GenerationMode, headers: dict[str, str], known: dict[str, list[str]]) -> None:
    @hypothesis_settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode), data=st.data())
    def run(case: Any, data: st.DataObject) -> None:
        for name, ids in known.items():
            if case.path_parameters and name in case.path_parameters:
                case.path_parameters[name] = data.draw(st.sampled_from([*ids, case.path_parameters[name]]))
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


@pytest.mark.parametrize("role", ROLES)
def test_no_server_errors_and_responses_match_the_document(fuzz_schema: Any, fuzz_world: World, role: str) -> None:
    actor = getattr(fuzz_world, role)
    known = _known_ids(fuzz_world)
    failures: list[str] = []
    operations = _operations(fuzz_schema)
    assert len(operations) >= 40, "the document lost its operations"
    for operation in operations:
        for mode in EXAMPLES:
            try:
                _fuzz(operation, mode, actor.headers, known)
            except Unsatisfiable:
                # Only a negative run of an operation that takes no input at all: nothing to make invalid.
                if mode is not GenerationMode.NEGATIVE or operation.path not in NO_INPUT:
                    failures.append(f"{operation.method.upper()} {operation.path} ({mode}): no example could be made")
            except Exception as exc:  # noqa: BLE001 - every operation is fuzzed; all failures are reported together
                failures.append(f"{operation.method.upper()} {operation.path} ({mode}): {exc}")
    assert not failures, "\n\n".join(failures)
