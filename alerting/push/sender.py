"""Sending one Web Push message to one subscription, and saying what happened.

For the delivery worker (it claims deliveries, retries with backoff and records attempts; this
module records nothing)::

    async with Pusher.from_settings(settings) as pusher:   # one per process: one HTTP client
        outcome = await pusher.send(
            Subscription(id=..., endpoint=..., p256dh=..., auth=...),   # a push_subscriptions row
            AlertMessage(alert_id=alert.id, severity=alert.severity),
            urgency=urgency_for(alert.severity),                # "high" for high, else "normal"
            ttl=settings.push_ttl_seconds,
        )
        match outcome:
            case Delivered(): ...          # 2xx: the push service accepted it
            case Gone(): ...               # 404/410 or unusable keys: call
                                           # alerting.push.subscriptions.service.forget_subscription
            case RateLimited(retry_after=s): ...  # 429: not before `s` seconds (Retry-After honoured)
            case Retry(retry_after=s): ...        # 5xx, timeout, connection error; `s` if the
                                                  # service said (503 + Retry-After), else None
            case Rejected(status=s): ...   # any other status (3xx, 400, 401, 403, 413, …): retrying
                                           # the same request will not help; the reason says why
            case Refused(reason=r): ...    # our guard refused to contact the endpoint (not on the
                                           # allowlist, or its name resolves to a non-public
                                           # address): never retry soon; a security event

`send` never raises for anything the network or the push service does. The payload is exactly
`{"type":"alert","alert_id","severity"}`: lock screens show notifications, so no name or value
ever travels; the app fetches details over the authenticated API. The `Topic` header is the alert
id, so a re-sent alert (at-least-once delivery) replaces the undelivered copy on the push service.

Why not pywebpush's own sending: it POSTs anywhere, follows redirects (docs/reliability.md, F4)
and defaults to TTL 0 and no timeout. It is used here for encryption only; py_vapid signs. The
POST goes through one aiohttp session of our own: redirects off, explicit timeouts, no cookies,
no proxies from the environment, and a resolver that only hands out addresses the endpoint rules
approved (`alerting/push/allowlist.py`). Why aiohttp and not httpx: see `Pusher._open`.
"""

from __future__ import annotations

import email.utils
import logging
import re
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal
from uuid import UUID

import aiohttp
import msgspec
from aiohttp.abc import AbstractResolver, ResolveResult
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid, b64urlencode
from py_vapid import jwt as vapid_jwt
from pywebpush import WebPusher, WebPushException
from yarl import URL

from alerting.push import allowlist
from alerting.push.allowlist import Allowlist, EndpointRefused
from alerting.push.subscriptions.schemas import Subscription
from backend.clock import Clock, system_clock
from backend.settings import Settings
from backend.tracing import push_span

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer

log = logging.getLogger("heima.alerting.push")

Severity = Literal["high", "medium", "low"]
Urgency = Literal["very-low", "low", "normal", "high"]  # RFC 8030, 5.3

MAX_TTL_SECONDS = 28 * 24 * 3600  # the longest push services keep a message (FCM: 4 weeks)
# RFC 8292 allows at most 24 h; 12 h leaves room for clock skew at the push service. A header is
# reused until shortly before it expires, so a message costs one encryption and no signature.
VAPID_LIFETIME = timedelta(hours=12)
VAPID_RENEW_BEFORE = timedelta(minutes=15)
VAPID_CACHE_SIZE = 1024  # origins; ".notify.windows.com" has many hosts
DEFAULT_RATE_LIMIT_DELAY = 60.0  # a 429 without a usable Retry-After
MAX_RETRY_AFTER = 24 * 3600.0
RESPONSE_READ_LIMIT = 16 * 1024
CHECKED_CACHE_SIZE = 10_000  # endpoints that passed the rules (a unit's devices, many times over)
_DIGITS = re.compile(r"[0-9]+")


class AlertMessage(msgspec.Struct, frozen=True):
    alert_id: UUID
    severity: Severity

    def payload(self) -> bytes:
        return msgspec.json.encode(_Payload(alert_id=self.alert_id, severity=self.severity))

    @property
    def topic(self) -> str:
        # RFC 8030 topics are at most 32 base64url characters: the UUID's hex form fits.
        return self.alert_id.hex


class NoticeMessage(msgspec.Struct, frozen=True):
    """A push that is not a new alert (alerting/notify): a clinician's morning `digest` of the low
    alerts that waited for staffed hours ({"type":"digest","alerts":N}), or a family's `seen`
    (their care team acknowledged an alert: {"type":"seen","alert_id"}) and `handled` (a contact
    request was handled: {"type":"handled","contact_request_id"}), `reminder` (a registration is
    due: {"type":"reminder","patient_id"}) and `meeting` (a meeting starts soon:
    {"type":"meeting","meeting_id"}). Ids and a count only."""

    kind: Literal["digest", "seen", "handled", "reminder", "meeting"]
    subject_id: UUID | None = None
    count: int = 0
    day: str = ""  # the digest's local day, YYYYMMDD: its topic

    def payload(self) -> bytes:
        match self.kind:
            case "digest":
                return msgspec.json.encode({"type": "digest", "alerts": self.count})
            case "seen":
                return msgspec.json.encode({"type": "seen", "alert_id": self.subject_id})
            case "reminder":
                return msgspec.json.encode({"type": "reminder", "patient_id": self.subject_id})
            case "meeting":
                return msgspec.json.encode({"type": "meeting", "meeting_id": self.subject_id})
            case _:
                return msgspec.json.encode({"type": "handled", "contact_request_id": self.subject_id})

    @property
    def topic(self) -> str:
        # A newer push of the same subject replaces an undelivered one (at most 32 characters).
        if self.kind == "digest":
            return f"digest{self.day}"
        return self.subject_id.hex if self.subject_id is not None else self.kind


class _Payload(msgspec.Struct, kw_only=True):
    # Exactly these three keys, "type" first as docs/api.md ("Web Push") says: nothing that identifies a patient.
    type: Literal["alert"] = "alert"
    alert_id: UUID
    severity: str


def urgency_for(severity: Severity) -> Urgency:
    # "high" lets the push service wake a sleeping phone at once; others may wait for a good moment.
    return "high" if severity == "high" else "normal"


@dataclass(frozen=True, slots=True)
class Delivered:
    status: int


@dataclass(frozen=True, slots=True)
class Gone:
    status: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class RateLimited:
    retry_after: float
    status: int = 429


@dataclass(frozen=True, slots=True)
class Retry:
    reason: str
    status: int | None = None
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    status: int
    reason: str


@dataclass(frozen=True, slots=True)
class Refused:
    reason: str


Outcome = Delivered | Gone | RateLimited | Retry | Rejected | Refused


class PushNotConfigured(RuntimeError):
    """HEIMA_VAPID_PRIVATE_KEY or HEIMA_VAPID_SUBJECT is missing or unusable."""


class _GuardedResolver(AbstractResolver):
    """aiohttp connects to exactly the addresses this returns, and this returns only addresses
    `allowlist.vetted_addresses` approved: checking and connecting use the same answer, so DNS
    rebinding finds no gap. TLS (SNI, certificate) and the Host header still use the name.

    aiohttp does not consult a resolver for an IP literal; `check_endpoint`, run before every send,
    applies the same rule to literals (no DNS is involved, so there is nothing to rebind)."""

    def __init__(self, allowlist: Allowlist) -> None:
        self._allowlist = allowlist

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[ResolveResult]:
        addresses = await allowlist.vetted_addresses(host, port, self._allowlist)
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        pass


class Pusher:
    """Encrypts, signs and POSTs push messages through one guarded HTTP session. One per process."""

    def __init__(
        self,
        *,
        vapid_private_key: str,
        vapid_subject: str,
        allowed_hosts: Iterable[str],
        clock: Clock = system_clock,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        max_connections: int = 100,
        ssl_context: ssl.SSLContext | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        # Push services (Apple's strictly) refuse a JWT without a contact in `sub`.
        if not vapid_subject.startswith(("mailto:", "https://")):
            raise PushNotConfigured("HEIMA_VAPID_SUBJECT must be a mailto: or https: URL")
        try:
            vapid = Vapid.from_string(vapid_private_key)  # raw 32-byte key (ours) or DER
        except Exception as exc:  # py_vapid raises anything from binascii to ValueError
            raise PushNotConfigured("HEIMA_VAPID_PRIVATE_KEY is not a usable P-256 key") from exc
        self._signing_key = vapid.private_key
        self._public_key = b64urlencode(
            vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        )
        self._subject = vapid_subject
        self._allowlist = Allowlist.of(allowed_hosts)
        self._clock = clock
        self._tracer = tracer
        self._ssl_context = ssl_context
        self._max_connections = max_connections
        self._timeout = aiohttp.ClientTimeout(
            # One deadline over the whole exchange too: a push service that trickles bytes must
            # not hold a delivery slot for long. `connect` includes waiting for a pooled connection.
            total=connect_timeout + 2 * read_timeout,
            connect=connect_timeout,
            sock_connect=connect_timeout,
            sock_read=read_timeout,
        )
        self._session: aiohttp.ClientSession | None = None
        self._vapid_headers: dict[str, tuple[str, datetime]] = {}
        self._checked: dict[str, URL] = {}
        self.vapid_signatures = 0  # how often a JWT was signed (a metric; tests count it)

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock = system_clock, tracer: Tracer | None = None) -> Pusher:
        if not settings.vapid_private_key or not settings.vapid_subject:
            raise PushNotConfigured("set HEIMA_VAPID_PRIVATE_KEY and HEIMA_VAPID_SUBJECT (heima vapid-keys)")
        return cls(
            vapid_private_key=settings.vapid_private_key,
            vapid_subject=settings.vapid_subject,
            allowed_hosts=settings.push_allowed_hosts,
            clock=clock,
            connect_timeout=settings.push_connect_timeout_seconds,
            read_timeout=settings.push_read_timeout_seconds,
            tracer=tracer,
        )

    async def __aenter__(self) -> Pusher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _open(self) -> aiohttp.ClientSession:
        """The one session, made on first use (it belongs to the running event loop).

        aiohttp rather than httpx, measured on loopback against docs/performance.md, P5 (≥ 0.7× of
        pywebpush's `webpush_async`): httpx's own transport fell to 90–160 requests/s at 64 in
        flight (its connection pool rescans every connection for every request), and httpx's client
        layer over an aiohttp transport still cost as much CPU as the whole aiohttp request (0.52×);
        this session reached 0.95×. The safety properties are the same, set explicitly below and
        per request (`allow_redirects=False`).
        """
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    resolver=_GuardedResolver(self._allowlist),
                    ssl=self._ssl_context or True,
                    limit=self._max_connections,
                    ttl_dns_cache=30,  # holds vetted answers only
                ),
                cookie_jar=aiohttp.DummyCookieJar(),  # each message stands alone, whoever it is for
                trust_env=False,  # no proxy or .netrc credentials from the environment
                auto_decompress=False,
                timeout=self._timeout,
            )
        return self._session

    async def send(
        self, subscription: Subscription, message: AlertMessage | NoticeMessage, urgency: Urgency, ttl: int
    ) -> Outcome:
        """POST one message; see the module docstring for what each outcome asks of the caller."""
        if not 0 <= ttl <= MAX_TTL_SECONDS:
            raise ValueError(f"ttl must be within 0..{MAX_TTL_SECONDS} seconds")
        with push_span(self._tracer) as span:
            outcome = await self._send(subscription, message, urgency, ttl, span)
            if span is not None:
                # The outcome's kind and the service's status: never the endpoint or the message.
                span.set_attribute("heima.push.outcome", type(outcome).__name__)
                status = getattr(outcome, "status", None)
                if isinstance(status, int):
                    span.set_attribute("http.response.status_code", status)
            return outcome

    async def _send(
        self,
        subscription: Subscription,
        message: AlertMessage | NoticeMessage,
        urgency: Urgency,
        ttl: int,
        span: Span | None,
    ) -> Outcome:
        try:
            url = self._checked_url(subscription.endpoint)
        except EndpointRefused as exc:
            return self._refused(subscription, str(exc))
        if span is not None and url.host:
            span.set_attribute("server.address", url.host)
        try:
            keys = {"p256dh": subscription.p256dh, "auth": subscription.auth}
            body = WebPusher({"endpoint": subscription.endpoint, "keys": keys}).encode(message.payload(), "aes128gcm")
        except (WebPushException, ValueError, TypeError) as exc:
            # Checked at subscribe, so only a damaged row gets here; it can never work again.
            log.warning("alerting.push.unusable_keys", extra={"subscription_id": str(subscription.id)})
            return Gone(None, f"subscription keys unusable: {type(exc).__name__}")
        headers = {
            "Authorization": self._authorization(url),
            "TTL": str(ttl),
            "Urgency": urgency,
            "Topic": message.topic,
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "User-Agent": "heima-push",
        }
        try:
            async with self._open().post(url, data=body["body"], headers=headers, allow_redirects=False) as response:
                # Push services answer with a few bytes; a body that goes on is cut off.
                await response.content.read(RESPONSE_READ_LIMIT)
                status, retry_after = response.status, response.headers.get("Retry-After")
        except EndpointRefused as exc:  # from the resolver, at connect time
            return self._refused(subscription, str(exc))
        except TimeoutError:  # aiohttp's connect and read timeouts are TimeoutErrors
            return Retry("timeout")
        except (aiohttp.ClientError, OSError) as exc:
            return Retry(f"connection failed: {type(exc).__name__}")
        return classify(status, retry_after, self._clock())

    def _checked_url(self, endpoint: str) -> URL:
        """Checked again at delivery (once-campfire#265): a row may predate the current allowlist.
        The answer depends only on the endpoint and this Pusher's allowlist, so passes are kept."""
        url = self._checked.get(endpoint)
        if url is None:
            url = allowlist.check_endpoint(endpoint, self._allowlist)
            if len(self._checked) >= CHECKED_CACHE_SIZE:
                self._checked.pop(next(iter(self._checked)))
            self._checked[endpoint] = url
        return url

    def _refused(self, subscription: Subscription, reason: str) -> Refused:
        log.warning("alerting.push.refused", extra={"subscription_id": str(subscription.id), "reason": reason})
        return Refused(reason)

    def _authorization(self, url: URL) -> str:
        """The VAPID header (RFC 8292) for the endpoint's origin, signed at most once per lifetime."""
        origin = str(url.origin())  # scheme://host[:port], without a default port, as RFC 8292 wants
        now = self._clock()
        cached = self._vapid_headers.get(origin)
        if cached is not None and now < cached[1]:
            return cached[0]
        expires = now + VAPID_LIFETIME
        claims = {"aud": origin, "exp": int(expires.timestamp()), "sub": self._subject}
        # py_vapid's JWT signer directly: Vapid.sign() refuses an IPv6 origin such as http://[::1]:8080.
        header = f"vapid t={vapid_jwt.sign(claims, self._signing_key)},k={self._public_key}"
        self.vapid_signatures += 1
        if origin not in self._vapid_headers and len(self._vapid_headers) >= VAPID_CACHE_SIZE:
            self._vapid_headers.pop(next(iter(self._vapid_headers)))  # the oldest origin
        self._vapid_headers[origin] = (header, expires - VAPID_RENEW_BEFORE)
        return header


def classify(status: int, retry_after: str | None, now: datetime) -> Outcome:
    if 200 <= status < 300:
        return Delivered(status)
    if status in (404, 410):
        return Gone(status, "the push service no longer knows this subscription")
    if status == 429:
        delay = retry_after_seconds(retry_after, now)
        return RateLimited(DEFAULT_RATE_LIMIT_DELAY if delay is None else delay)
    if status >= 500:
        return Retry(f"push service answered {status}", status, retry_after_seconds(retry_after, now))
    if 300 <= status < 400:
        return Rejected(status, "the push service redirected; redirects are never followed")
    return Rejected(status, f"the push service refused the request ({status})")


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as a delay in seconds: delta-seconds or an HTTP-date (RFC 9110, 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if _DIGITS.fullmatch(value):
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)  # HTTP-dates are GMT
        seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
