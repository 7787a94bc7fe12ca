"""Where Heima may send Web Push (docs/reliability.md, R5: rules W1 and W2).

A browser hands us a URL that the worker later POSTs to, so the URL is attacker-chosen. Two
checks, both here so they cannot drift apart:

- `check_endpoint` at subscribe time (and again before every send): https, port 443, no userinfo,
  at most 2048 characters, and a host the allowlist names (exactly, or by a ".suffix" entry).
- `vetted_addresses` at connect time: resolve the host and refuse when *any* address is not
  public, then connect to exactly those addresses. Checking at connect time is what defeats DNS
  rebinding (a name that resolved to a public address when it was stored may resolve to 127.0.0.1
  now); `alerting.push.sender` uses it as its HTTP session's resolver, so the addresses checked are the
  addresses connected to.

The single exception is a loopback IP literal with its port (`127.0.0.1:8099`, `[::1]:8099`)
that the allowlist names explicitly: exactly that host and port may use http (or https on that
port), because tests and demos run a stand-in push service that way. The port is part of the
entry so that allowing the stand-in does not open every other service on this host (an admin
port, a metrics endpoint) to subscriptions. A loopback literal without a port is a configuration
error, and a loopback *name* ("localhost") gets no exception.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from yarl import URL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_ENDPOINT_LENGTH = 2048

# Explicit, because `is_global` differs between Python releases and misses some of these (3.11
# calls multicast, 6to4, NAT64 and IPv4-compatible addresses global). CGNAT, NAT64 and 6to4
# are the usual misses of other projects' checks (docs/reliability.md, W2).
_NOT_PUBLIC = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches localhost (CVE-2017-0909)
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT shared address space: inside the provider, not the internet
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, includes the cloud metadata service 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, includes 255.255.255.255
        "::/8",  # ::, ::1, IPv4-compatible ::a.b.c.d and IPv4-mapped ::ffff:a.b.c.d
        "64:ff9b:1::/48",  # local-use NAT64: translates into private networks by design
        "100::/64",
        "2001::/23",  # IETF protocol assignments, Teredo among them
        "2001:db8::/32",
        "2002::/16",  # 6to4 embeds an arbitrary IPv4 address; deprecated (RFC 7526)
        "3fff::/20",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)
# Well-known NAT64 (RFC 6052): an IPv6-only host with DNS64 reaches IPv4-only push services
# through it, so it is judged by the IPv4 address it carries rather than refused outright.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class EndpointRefused(ValueError):
    """This endpoint or address may not be contacted; the message says why (safe to show)."""


def is_public_address(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address in _NAT64:
        return is_public_address(ipaddress.IPv4Address(address.packed[-4:]))
    if any(address.version == net.version and address in net for net in _NOT_PUBLIC):
        return False
    return address.is_global


def parse_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _loopback_entry(entry: str) -> tuple[IPAddress, int] | None:
    """`127.0.0.1:8099` or `[::1]:8099` as (address, port); None for an entry without a port.
    A port is accepted on a loopback IP literal only (ValueError otherwise)."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        if not rest:
            return None
        if not rest.startswith(":"):
            raise ValueError(f"{entry!r} is not [address]:port")
        port_text = rest[1:]
    elif entry.count(":") == 1:
        host, _, port_text = entry.partition(":")
    else:
        return None  # a name, a suffix, an IPv4 literal or a bare IPv6 literal
    address = parse_ip(host)
    if address is None or not address.is_loopback:
        raise ValueError(f"{entry!r}: a port may only be named with a loopback address (a stand-in push service)")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{entry!r}: the port must be a number from 1 to 65535")
    return address, int(port_text)


@dataclass(frozen=True, slots=True)
class Allowlist:
    """Settings' `push_allowed_hosts`: exact host names, ".suffix" entries, IP literals, and
    loopback `address:port` pairs (the stand-in exception)."""

    names: frozenset[str]
    suffixes: tuple[str, ...]
    addresses: frozenset[IPAddress]
    loopback: frozenset[tuple[IPAddress, int]]

    @classmethod
    def of(cls, hosts: Iterable[str]) -> Allowlist:
        """ValueError for an entry that cannot mean what it says: a loopback literal without its
        port (it would otherwise silently allow nothing), a port on anything but loopback."""
        names: set[str] = set()
        suffixes: list[str] = []
        addresses: set[IPAddress] = set()
        loopback: set[tuple[IPAddress, int]] = set()
        for raw in hosts:
            entry = raw.strip().lower()
            if not entry:
                continue
            if (pinned := _loopback_entry(entry)) is not None:
                loopback.add(pinned)
                continue
            host = entry.removeprefix("[").removesuffix("]")
            if (address := parse_ip(host)) is not None:
                if address.is_loopback:
                    raise ValueError(f"{entry!r}: name the stand-in push service's port too ({_with_port(address)})")
                addresses.add(address)
            elif host.startswith("."):
                suffixes.append(host)
            else:
                names.add(host)
        return cls(frozenset(names), tuple(suffixes), frozenset(addresses), frozenset(loopback))

    def names_host(self, host: str) -> bool:
        if (address := parse_ip(host)) is not None:
            return address in self.addresses
        return host in self.names or any(host.endswith(suffix) for suffix in self.suffixes)

    def is_loopback_exception(self, host: str, port: int | None) -> bool:
        """Whether host:port is a loopback literal and port the allowlist pins for it."""
        address = parse_ip(host)
        return address is not None and address.is_loopback and (address, port) in self.loopback


def _with_port(address: IPAddress) -> str:
    return f"[{address}]:PORT" if address.version == 6 else f"{address}:PORT"


def _authority(endpoint: str) -> str:
    rest = endpoint.partition("://")[2]
    for stop in "/?#":
        rest = rest.partition(stop)[0]
    return rest


def check_endpoint(endpoint: str, allowlist: Allowlist) -> URL:
    """The parsed URL when Heima may POST to it, else `EndpointRefused`.

    Parsed with yarl, aiohttp's parser, and the sender posts to this very object: validation and
    use cannot disagree about the host.
    """
    if len(endpoint) > MAX_ENDPOINT_LENGTH:
        raise EndpointRefused(f"longer than {MAX_ENDPOINT_LENGTH} characters")
    # Printable ASCII only: whitespace, control characters and backslashes are where URL parsers
    # disagree with each other, and no push service hands out such a URL.
    if not endpoint.isascii() or not endpoint.isprintable() or " " in endpoint or "\\" in endpoint:
        raise EndpointRefused("must be a plain ASCII URL")
    try:
        url = URL(endpoint)
    except ValueError:
        raise EndpointRefused("not a URL") from None
    host = (url.raw_host or "").lower()
    if not host or url.scheme not in ("http", "https") or "://" not in endpoint:
        raise EndpointRefused("must be an https URL")
    if "@" in _authority(endpoint) or url.raw_user is not None or url.raw_password is not None:
        raise EndpointRefused("must not carry a user name or password")
    if url.fragment:
        raise EndpointRefused("must not have a fragment")
    if allowlist.is_loopback_exception(host, url.port):
        return url  # the stand-in push service of tests and demos, on the port the allowlist pins
    if url.scheme != "https":
        raise EndpointRefused("must be an https URL")
    if url.explicit_port not in (None, 443):
        raise EndpointRefused("must use port 443")
    address = parse_ip(host)
    if address is not None and not is_public_address(address):
        raise EndpointRefused("names a private or reserved address")
    if not allowlist.names_host(host):
        raise EndpointRefused("is not a push service this server sends to")
    return url


async def resolve(host: str, port: int) -> list[str]:
    """The host's addresses. The one place that asks DNS, so a test can stand in for it."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def vetted_addresses(host: str, port: int, allowlist: Allowlist) -> list[str]:
    """The addresses to connect to, all public (or the allowlisted loopback literal and port).

    Refuses when any address is not public, not only the first: with several records an attacker
    controls which one the connect attempt would try.
    """
    host = host.lower()
    if allowlist.is_loopback_exception(host, port):
        return [host]
    if not allowlist.names_host(host):
        raise EndpointRefused(f"{host} is not a push service this server sends to")
    literal = parse_ip(host)
    raw = [host] if literal is not None else await resolve(host, port)
    addresses: list[str] = []
    for text in raw:
        address = parse_ip(text.partition("%")[0])  # a scope id ("fe80::1%eth0") is link-local
        if address is None or not is_public_address(address):
            raise EndpointRefused(f"{host} resolves to a non-public address")
        if str(address) not in addresses:
            addresses.append(str(address))
    if not addresses:
        raise EndpointRefused(f"{host} has no address")
    return addresses
