"""Stand-ins for the other end of Web Push, all on loopback and all real servers.

- `Browser`: the key pair and auth secret a browser makes in `pushManager.subscribe()`.
- `StandInPushService`: an aiohttp server playing push service *and* user agent: it checks the
  VAPID JWT the way a push service does (answering 401 when it is wrong), decrypts the payload
  with the browser's private key the way the phone would, records everything and answers from a
  script.
- `ConnectionCounter`: a TCP listener that only counts who connects: the "internal" service an
  SSRF would reach.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import ssl
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import http_ece
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from backend.clock import Clock


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """What a browser keeps for one push subscription (RFC 8291): an ECDH key and an auth secret."""

    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def keys(self) -> dict[str, str]:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"p256dh": b64url(point), "auth": b64url(self.auth_secret)}

    def subscription_json(self, endpoint: str) -> dict[str, Any]:
        """`PushSubscription.toJSON()` as Chrome and Firefox send it."""
        return {"endpoint": endpoint, "expirationTime": None, "keys": self.keys}

    def decrypt(self, body: bytes) -> bytes:
        return http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm")


def browser_keys() -> dict[str, str]:
    return Browser().keys


def verify_vapid(authorization: str, public_key: str, now: datetime) -> dict[str, Any]:
    """Check `vapid t=<JWT>,k=<key>` (RFC 8292) independently of the code under test; the claims."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid", authorization
    parts = dict(item.split("=", 1) for item in params.split(","))
    assert parts["k"] == public_key, "signed with another key"
    header_b64, claims_b64, signature_b64 = parts["t"].split(".")
    assert json.loads(b64url_decode(header_b64)) == {"typ": "JWT", "alg": "ES256"}
    signature = b64url_decode(signature_b64)
    assert len(signature) == 64
    der = utils.encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(public_key))
    try:
        key.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise AssertionError("VAPID signature does not verify") from None
    claims = json.loads(b64url_decode(claims_b64))
    assert now.timestamp() < claims["exp"] <= now.timestamp() + 24 * 3600, "exp not within the next 24 h"
    return claims


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    claims: dict[str, Any] | None = None
    plaintext: bytes | None = None
    problem: str | None = None


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def _listening_socket(host: str, port: int = 0) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class StandInPushService:
    def __init__(
        self,
        *,
        vapid_public_key: str,
        subject: str,
        clock: Clock,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.vapid_public_key = vapid_public_key
        self.subject = subject
        self.clock = clock
        self.host = host
        self.ssl_context = ssl_context
        self.received: list[Received] = []
        self.browsers: dict[str, Browser] = {}
        self.script: deque[Answer] = deque()
        self._runner: web.AppRunner | None = None
        self.port = port  # 0: any free one; the allowlist pins a loopback stand-in's port

    @property
    def origin(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{url_host(self.host)}:{self.port}"

    def endpoint_for(self, browser: Browser) -> str:
        """A new subscription's URL on this service, as the browser would be told it."""
        path = f"/wpush/v2/{b64url(os.urandom(24))}"
        self.browsers[path] = browser
        return self.origin + path

    def answer(self, status: int, headers: dict[str, str] | None = None, delay: float = 0.0) -> None:
        self.script.append(Answer(status, headers or {}, delay))

    async def start(self) -> StandInPushService:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        sock = _listening_socket(self.host, self.port)
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock, ssl_context=self.ssl_context).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        received = Received(
            request.method,
            request.path,
            {k.lower(): v for k, v in request.headers.items()},
            await request.read(),
        )
        self.received.append(received)
        try:
            authorization = received.headers.get("authorization", "")
            received.claims = verify_vapid(authorization, self.vapid_public_key, self.clock())
            assert received.claims["aud"] == self.origin, received.claims
            assert received.claims["sub"] == self.subject, received.claims
        except (AssertionError, KeyError, ValueError) as exc:
            received.problem = f"VAPID: {exc}"
            return web.Response(status=401)
        browser = self.browsers.get(request.path)
        if browser is not None and received.headers.get("content-encoding") == "aes128gcm":
            received.plaintext = browser.decrypt(received.body)
        answer = self.script.popleft() if self.script else Answer(201)
        if answer.delay:
            await asyncio.sleep(answer.delay)  # a slow push service, for timeout tests
        return web.Response(status=answer.status, headers=answer.headers)


class ConnectionCounter:
    """A listener that counts TCP connections and closes them: any count above 0 is an SSRF hit."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.wanted_port = port
        self.connections = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> ConnectionCounter:
        sock = _listening_socket(self.host, self.wanted_port)
        self.port = sock.getsockname()[1]
        self._server = await asyncio.start_server(self._connected, sock=sock)
        return self

    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def loopback_tls(address: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context trusting it) for a certificate naming an IP address."""
    import ipaddress
    import tempfile
    from datetime import UTC, timedelta

    from cryptography import x509
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "heima stand-in push service")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory() as directory:
        cert_file, key_file = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
        with open(cert_file, "wb") as out:
            out.write(cert_pem)
        with open(key_file, "wb") as out:
            out.write(key_pem)
        server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client
