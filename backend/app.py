"""The composition root: `create_app(settings)` wires everything, and nothing else does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from litestar import Litestar, Router
from litestar.di import Provide
from litestar.exceptions import ImproperlyConfiguredException
from litestar.handlers import BaseRouteHandler, WebsocketRouteHandler
from litestar.routes import BaseRoute
from litestar.types import Scope
from litestar.utils import normalize_path
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from alerting.latency import track_alert_latency
from alerting.live_routes import router as live_alerts_router
from alerting.notify.routes import router as notification_router
from alerting.push.subscriptions.routes import router as push_router
from alerting.routes import router as alerts_router
from backend import docs, health, webapps
from backend.access.service import Access, authenticate, provide_caller, record_failed_access
from backend.bodies import BodyLimits
from backend.clock import Clock, system_clock
from backend.db import create_pool, provide_connection
from backend.decoding import StrictBody
from backend.errors import handle_exception
from backend.fhir.routes import router as fhir_router
from backend.forms.routes import router as forms_router
from backend.identity.routes import router as identity_router
from backend.measurements.catalogue import load_catalogue
from backend.measurements.routes import router as measurements_router
from backend.observability import Metrics, configure_logging, observe_requests, refresh_periodically, route_template
from backend.organisation.routes import router as organisation_router
from backend.patients.routes import router as patients_router
from backend.programmes.routes import router as programmes_router
from backend.proxies import TrustedProxies, parse_networks
from backend.reports.routes import router as reports_router
from backend.retry import retry_transient
from backend.security import Secrets
from backend.settings import Settings
from backend.tracing import trace_requests, tracer_from_settings
from video import signalling
from video.echo import EchoSessions
from video.echo_routes import router as echo_router
from video.routes import router as meetings_router

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

API_PREFIX = "/api/v1"


def create_redis(url: str) -> Redis:
    # redis-py retries ten times with backoff by default, so a dead server stalls each call for
    # seconds (docs/reliability.md, F3). Redis is never on the acceptance path: fail fast.
    return Redis.from_url(
        url,
        socket_timeout=0.25,
        socket_connect_timeout=0.25,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=30,
    )


def create_app(
    settings: Settings, *, clock: Clock = system_clock, configure_logs: bool = True, tracer: Tracer | None = None
) -> Litestar:
    """`tracer`: the one to trace with (tests); by default the settings' (None when tracing is off)."""
    if settings.database_url is None:
        raise ImproperlyConfiguredException("create_app needs a database_url (the CLI starts an embedded one)")
    if not settings.secret_key:
        raise ImproperlyConfiguredException("create_app needs a secret_key")
    if configure_logs:
        configure_logging(settings.log_level)
    metrics = Metrics()
    tracer = tracer or tracer_from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        app.state.db_pool = await create_pool(
            settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max, tracer=tracer
        )
        app.state.redis = create_redis(settings.redis_url) if settings.redis_url else None
        async with app.state.db_pool.acquire() as conn:
            app.state.catalogue = await load_catalogue(conn)
        # The measurement codes are data in the migrations: the document names them once they are read.
        app.state.openapi_document = docs.finish_document(app, list(app.state.catalogue))
        refreshing = asyncio.create_task(refresh_periodically(metrics, app.state.db_pool))
        try:
            yield
        finally:
            refreshing.cancel()
            await app.state.echo.close_all()
            if app.state.redis is not None:
                await app.state.redis.aclose()
            await app.state.db_pool.close()

    api = Router(
        path=API_PREFIX,
        route_handlers=[
            identity_router,
            organisation_router,
            patients_router,
            programmes_router,
            measurements_router,
            fhir_router,
            forms_router,
            alerts_router,
            live_alerts_router,
            notification_router,
            push_router,
            echo_router,
            meetings_router,
            reports_router,
        ],
        security=[{"bearer": []}],
    )
    app = Litestar(
        route_handlers=[health.router, docs.router, api, *webapps.routers],
        dependencies={
            "conn": Provide(provide_connection),
            "caller": Provide(provide_caller),
        },
        dto=StrictBody,
        return_dto=None,
        exception_handlers={Exception: handle_exception},
        # The video hub starts after the pool and Redis client exist; Channels carries signalling
        # across processes (Redis pub/sub, or in memory for the single process without Redis).
        lifespan=[lifespan, signalling.lifespan],
        plugins=[signalling.channels_plugin(settings)],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=docs.openapi_config(),
        debug=False,
        logging_config=None,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.authenticate = authenticate
    app.state.record_failed_access = record_failed_access
    app.state.metrics = metrics
    # The echo test's peers live in this process, on the app's event loop.
    app.state.echo = EchoSessions.from_settings(settings)
    app.state.secrets = Secrets(
        settings.secret_key,
        time_cost=settings.password_hash_time_cost,
        memory_kib=settings.password_hash_memory_kib,
        queue=settings.password_hash_queue,
    )
    # Around the whole app, not as route middleware: Litestar runs route middleware only when a
    # route matches, and a 404 or 405 deserves a request id, a log line and a metric too.
    # Retries innermost: the log line, the metric and the latency stamps count a request once.
    bodies = BodyLimits(
        limit_of=route_body_limit(app, settings.max_body_bytes),
        grace_seconds=settings.body_read_timeout_seconds,
        total_seconds=settings.body_max_seconds,
    )
    retrying = retry_transient(settings.db_retry_seconds, bodies=bodies)(app.asgi_handler)
    observed = observe_requests(metrics)(track_alert_latency(metrics.alert_latency)(retrying))
    # The server span encloses the request's every statement and retry.
    traced = trace_requests(tracer, route_template)(observed)
    # Outermost: everything inside sees the real client (per-address limits, logs, join links).
    app.asgi_handler = TrustedProxies(parse_networks(settings.trusted_proxies)).middleware(traced)
    check_access_declared(app)
    return app


def route_body_limit(app: Litestar, default: int) -> Callable[[Scope], int]:
    """The largest body the request's route accepts (its `request_max_body_size`), known before
    the body is read; `default` for a path or method no route takes (it answers 404 or 405)."""

    def limit_of(scope: Scope) -> int:
        try:
            # Litestar's own (cached) routing, which the request then goes through anyway.
            _, handler, *_ = app.asgi_router.handle_routing(path=normalize_path(scope["path"]), method=scope["method"])
        except Exception:  # noqa: BLE001 - no such route: the app answers it, with the default limit
            return default
        resolve = getattr(handler, "resolve_request_max_body_size", None)
        limit = resolve() if resolve is not None else None
        return limit if isinstance(limit, int) else default

    return limit_of


def check_access_declared(app: Litestar) -> None:
    """Refuse to start with a route that forgot to say who may call it."""
    for route, handler in routes_and_handlers(app):
        access = handler.opt.get("access")
        if not isinstance(access, Access):
            raise ImproperlyConfiguredException(f"route {route.path} declares no access rule")
        parameters = handler.parsed_fn_signature.parameters
        is_websocket = isinstance(handler, WebsocketRouteHandler)
        if (access is Access.TICKET) != is_websocket:
            # Browsers cannot send a bearer token on a websocket: a socket signs in with a ticket,
            # and only a socket does.
            raise ImproperlyConfiguredException(f"route {route.path}: only a websocket uses (and must use) a ticket")
        if is_websocket:
            if "caller" in parameters or "conn" in parameters:
                # A socket lives for the whole call: it must not hold a request transaction.
                raise ImproperlyConfiguredException(f"route {route.path}: a websocket takes no caller nor conn")
            continue
        takes_caller = "caller" in parameters
        if (access is not Access.PUBLIC) != takes_caller:
            # A signed-in route must resolve its caller; a public one must not ask for one.
            raise ImproperlyConfiguredException(
                f"route {route.path}: access {access.value} but {'takes' if takes_caller else 'lacks'} a caller"
            )


def routes_and_handlers(app: Litestar) -> Iterator[tuple[BaseRoute, BaseRouteHandler]]:
    """Every route handler of the app, less the OPTIONS handlers Litestar adds for CORS preflight
    (they answer with an Allow header and touch nothing)."""
    for route in app.routes:
        # An HTTP route has several handlers (one per method); a websocket route has one.
        handlers = getattr(route, "route_handlers", None) or [route.route_handler]  # type: ignore[attr-defined]
        for handler in handlers:
            if handler.handler_name != "options_handler":
                yield route, handler
