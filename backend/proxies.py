"""Who the client really is, behind the TLS proxies the operator trusts (HEIMA_TRUSTED_PROXIES).

Heima is meant to run behind a TLS-terminating proxy. The proxy connects from its own address, so
every client would look alike (and one client's failed sign-ins would lock out all of them) unless
the proxy says who it forwards: `X-Forwarded-For` and `X-Forwarded-Proto`. Those headers are
believed only from a peer inside one of the configured networks; from anyone else they are ignored,
since any client can send them. With no networks configured nothing is believed, so a service
exposed directly keys its per-address limits on the socket's own peer.

The client is the right-most address of `X-Forwarded-For` that is not itself a trusted proxy: each
proxy appends the address it received the connection from, so everything to the left of the first
untrusted hop was written by the client and proves nothing. The middleware rewrites the ASGI
scope's `client` (and `scheme`, so join links say wss://) for HTTP and websockets alike, before
the app or any other middleware reads it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from litestar.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_SECURE = {"http": "https", "ws": "wss"}
_PLAIN = {"https": "http", "wss": "ws"}


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """CIDRs (or single addresses) as networks; ValueError names the first bad entry."""
    networks: list[Network] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network (CIDR)") from None
    return tuple(networks)


class TrustedProxies:
    def __init__(self, networks: Iterable[Network]) -> None:
        self.networks = tuple(networks)

    def trusts(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address.version == net.version and address in net for net in self.networks)

    def client_of(self, peer: str, forwarded_for: str | None) -> str:
        """The real client of a connection from `peer` carrying this X-Forwarded-For."""
        if not self.trusts(peer) or not forwarded_for:
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop
        # Every hop is a proxy of ours: the left-most is the closest we know to the client.
        return hops[0] if hops else peer

    def middleware(self, app: ASGIApp) -> ASGIApp:
        if not self.networks:
            return app

        async def handle(scope: Scope, receive: Receive, send: Send) -> None:
            client = scope.get("client")
            if scope["type"] in ("http", "websocket") and client and self.trusts(client[0]):
                forwarded_for, proto = _forwarding_headers(scope["headers"])
                if forwarded_for:
                    scope["client"] = (self.client_of(client[0], forwarded_for), 0)
                if proto in ("http", "https"):
                    scheme = scope.get("scheme", "http")
                    scope["scheme"] = (_SECURE if proto == "https" else _PLAIN).get(scheme, scheme)
            await app(scope, receive, send)

        return handle


def _forwarding_headers(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str | None, str | None]:
    """X-Forwarded-For (several headers joined, as RFC 9110 allows) and the X-Forwarded-Proto
    the nearest proxy set (the last value)."""
    forwarded: list[str] = []
    proto: str | None = None
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"x-forwarded-for":
            forwarded.append(value.decode("latin-1"))
        elif lowered == b"x-forwarded-proto":
            proto = value.decode("latin-1").rsplit(",", 1)[-1].strip().lower()
    return (",".join(forwarded) or None), proto
