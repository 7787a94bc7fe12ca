"""A push the worker sends is a span (backend/tracing.py): named `push send`, naming the push
service's host and the outcome, never the device's endpoint or the message; and its statements are
not traced as spans of their own outside it."""

from __future__ import annotations

from alerting.push.sender import Pusher
from alerting.worker import AlertWorker, WorkerMetrics
from backend.db import create_pool
from tests.tracing import support as tracing
from tests.worker.support import fever, open_ward

# The tracing fixtures, here beside the worker's.
span_exporter, tracer, spans = tracing.span_exporter, tracing.tracer, tracing.spans


async def test_the_worker_sends_each_push_in_a_span_of_its_own(
    wclient, hospital, stand_in, worker_settings, worker_database_url, wclock, tracer, spans
):
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    await fever(wclient, ward)
    pool = await create_pool(worker_database_url, min_size=1, max_size=4, tracer=tracer)
    try:
        async with Pusher.from_settings(worker_settings, clock=wclock, tracer=tracer) as pusher:
            worker = AlertWorker(pool, worker_settings, pusher=pusher, clock=wclock, metrics=WorkerMetrics())
            done = await worker.run_once()
    finally:
        await pool.close()

    assert done.claimed == 1
    finished = spans.get_finished_spans()
    [push] = [span for span in finished if span.name == "push send"]
    assert push.attributes["server.address"] == "127.0.0.1"
    assert push.attributes["heima.push.outcome"] == "Delivered"
    assert push.attributes["http.response.status_code"] == 201
    # The host alone: no endpoint path (a device's address), no payload.
    assert set(push.attributes) == {"server.address", "heima.push.outcome", "http.response.status_code"}
    # The worker's rounds are no trace of their own: its statements make no root spans.
    assert [span.name for span in finished] == ["push send"]


async def test_without_a_tracer_the_worker_makes_no_spans(wclient, hospital, stand_in, make_worker, tracer, spans):
    ward = await open_ward(wclient, hospital, stand_in, nurses=1)
    await fever(wclient, ward)
    worker = await make_worker()
    assert (await worker.run_once()).claimed == 1
    assert spans.get_finished_spans() == ()
