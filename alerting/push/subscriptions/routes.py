from __future__ import annotations

from litestar import Response, Router, delete, get, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody

from alerting.push.allowlist import Allowlist
from alerting.push.subscriptions import service
from alerting.push.subscriptions.schemas import PublicKey, SubscriptionIn, SubscriptionOut, SubscriptionRef
from backend.access.service import Access, SignedIn
from backend.db import DbConnection
from backend.errors import problem_responses

SIGNED_IN = {"access": Access.SIGNED_IN}


@get(
    "/push/public-key",
    opt=SIGNED_IN,
    tags=["push"],
    operation_id="readPushPublicKey",
    responses=problem_responses({503: "This server has no VAPID key: push is not offered."}),
)
async def public_key(caller: SignedIn, state: State) -> PublicKey:
    """The VAPID public key, for `pushManager.subscribe({applicationServerKey})`; 503 when this
    server has no VAPID key."""
    return service.public_key(state.settings)


@post(
    "/push/subscriptions",
    opt=SIGNED_IN,
    status_code=201,
    tags=["push"],
    operation_id="subscribePush",
    responses={
        200: ResponseSpec(SubscriptionOut, generate_examples=False, description="Already registered"),
        **problem_responses({409: "This push endpoint is registered to another account."}),
    },
)
async def subscribe(
    data: JSONBody[SubscriptionIn], conn: DbConnection, caller: SignedIn, state: State
) -> Response[SubscriptionOut]:
    """Register this browser's `PushSubscription` JSON. 201 when new, 200 when this account had it
    already, 409 when another account has it, 422 for an endpoint that is not an allowed push
    service (https, port 443, a host in HEIMA_PUSH_ALLOWED_HOSTS) or keys that are not valid."""
    allowlist = Allowlist.of(state.settings.push_allowed_hosts)
    subscription, created = await service.subscribe(conn, caller, data, allowlist)
    return Response(subscription, status_code=201 if created else 200)


@delete("/push/subscriptions", opt=SIGNED_IN, status_code=204, tags=["push"], operation_id="unsubscribePush")
async def unsubscribe(data: JSONBody[SubscriptionRef], conn: DbConnection, caller: SignedIn) -> None:
    """Stop pushing to this endpoint. Only the caller's own subscription is removed; 204 also when
    there was none, so a repeated request and someone else's endpoint look alike."""
    await service.unsubscribe(conn, caller, data.endpoint)


router = Router(path="/", route_handlers=[public_key, subscribe, unsubscribe])
