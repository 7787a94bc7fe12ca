"""The endpoint rules (alerting/push/allowlist.py) on their own: which URLs and addresses pass.

The hostile list of docs/reliability.md (R5, W1 and W2), the bypasses other projects were caught by (0.0.0.0 and :: in
Mastodon's private_address_check, CGNAT, NAT64 and 6to4 in the pixelfed review), and the parser
quirks between them. The same lists go through the HTTP API in test_subscriptions.py.
"""

from __future__ import annotations

import ipaddress

import pytest

from alerting.push import allowlist as endpoint_rules
from alerting.push.allowlist import Allowlist, EndpointRefused, check_endpoint, is_public_address, vetted_addresses
from backend.settings import DEFAULT_PUSH_HOSTS, Settings, SettingsError

DEFAULT = Allowlist.of(DEFAULT_PUSH_HOSTS)
# A stand-in push service is allowed by loopback literal *and* port.
WITH_LOOPBACK = Allowlist.of(
    (*DEFAULT_PUSH_HOSTS, "127.0.0.1:8080", "127.0.0.1:8443", "127.0.0.1:443", "[::1]:8080", "[::1]:443")
)

# Refused whatever the allowlist says about loopback.
HOSTILE = [
    # docs/reliability.md's list (R5)
    "http://fcm.googleapis.com/fcm/send/x",
    "https://127.0.0.1/",
    "https://[::1]/",
    "https://0.0.0.0/",
    "https://[::ffff:127.0.0.1]/",
    "https://100.64.0.1/",
    "https://[64:ff9b::a9fe:a9fe]/",
    "https://user:pw@fcm.googleapis.com/",
    "https://fcm.googleapis.com:8443/",
    "https://evil.example/",
    # other spellings of loopback and of "this host"
    "https://[::]/",
    "https://localhost/",
    "https://127.1/",
    "https://2130706433/",
    "https://0x7f.0.0.1/",
    "https://0177.0.0.1/",
    "https://[0:0:0:0:0:ffff:7f00:1]/",
    "https://[::127.0.0.1]/",
    # private, link-local, metadata, CGNAT, NAT64, 6to4, multicast
    "https://10.0.0.1/",
    "https://192.168.1.1/",
    "https://172.16.0.1/",
    "https://169.254.169.254/latest/meta-data/",
    "https://[fe80::1]/",
    "https://[fd00::2]/",
    "https://100.127.255.254/",
    "https://[64:ff9b::7f00:1]/",
    "https://[64:ff9b:1::a00:1]/",
    "https://[2002:7f00:1::1]/",
    "https://224.0.0.1/",
    "https://255.255.255.255/",
    "https://metadata.google.internal/computeMetadata/v1/",
    # look-alikes of allowed hosts
    "https://fcm.googleapis.com.evil.example/",
    "https://evilfcm.googleapis.com/",
    "https://fcm.googleapis.com./",
    "https://notify.windows.com/",
    "https://x.notify.windows.com.evil.example/",
    "https://xn--fcm-googleapis-com.example/",
    # userinfo and parser differentials
    "https://@fcm.googleapis.com/",
    "https://fcm.googleapis.com@evil.example/",
    "https://evil.example\\@fcm.googleapis.com/",
    "https://evil.example%40fcm.googleapis.com/",
    "https://fcm.googleapis.com:443@evil.example/",
    "https://fcm.googleapis.com/x#fragment",
    " https://fcm.googleapis.com/x",
    "https://fcm.googleapis.com/x\n",
    "https://fcm.googleapis.com/x\tx",
    "https://fcm.googleapis.com/ü",
    # other schemes and no scheme
    "ftp://fcm.googleapis.com/x",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "//fcm.googleapis.com/fcm/send/x",
    "fcm.googleapis.com/fcm/send/x",
    "https:fcm.googleapis.com/x",
    "https:///x",
    "",
    # too long
    "https://fcm.googleapis.com/fcm/send/" + "a" * 2049,
    # loopback the allowlist does not name, or names the wrong way
    "http://127.0.0.2:8080/",
    "http://localhost:8080/",
    "http://[::ffff:127.0.0.1]:8080/",
    "http://0.0.0.0:8080/",
    "http://[::]:8080/",
    # loopback the allowlist names, on a port it does not pin (another service on this host)
    "http://127.0.0.1:8081/admin",
    "http://127.0.0.1:9090/metrics",
    "http://127.0.0.1/",
    "http://[::1]:8443/",
    "https://[::1]:8081/",
]

ALLOWED = [
    "https://fcm.googleapis.com/fcm/send/dGVzdA:APA91bH",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABl",
    "https://web.push.apple.com/QGx5c3Rh",
    "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAB",
    "https://FCM.googleapis.com:443/fcm/send/x",
    "https://fcm.googleapis.com/fcm/send/" + "a" * (2048 - len("https://fcm.googleapis.com/fcm/send/")),
]

LOOPBACK_ONLY = [
    "http://127.0.0.1:8080/wpush/x",
    "https://127.0.0.1:8443/wpush/x",
    "http://[::1]:8080/wpush/x",
    "https://127.0.0.1/",
    "https://[::1]/",
]


def hostile_cases() -> list[tuple[str, Allowlist]]:
    """Every hostile endpoint against both allowlists, less the loopback literals that the second
    one names on purpose."""
    return [
        (endpoint, allowlist)
        for allowlist in (DEFAULT, WITH_LOOPBACK)
        for endpoint in HOSTILE
        if not (allowlist is WITH_LOOPBACK and endpoint in LOOPBACK_ONLY)
    ]


@pytest.mark.parametrize(
    ("endpoint", "allowlist"),
    hostile_cases(),
    ids=[f"{'loopback-allowed' if a is WITH_LOOPBACK else 'default'}:{e[:60]!r}" for e, a in hostile_cases()],
)
def test_hostile_endpoints_are_refused(endpoint, allowlist):
    with pytest.raises(EndpointRefused):
        check_endpoint(endpoint, allowlist)


def test_no_hostile_endpoint_is_accepted():
    """The figure docs/reliability.md (R5) asks for: hostile endpoints accepted = 0."""
    accepted = []
    for endpoint, allowlist in hostile_cases():
        try:
            check_endpoint(endpoint, allowlist)
            accepted.append(endpoint)
        except EndpointRefused:
            pass
    assert accepted == []
    assert len(hostile_cases()) >= 2 * len(HOSTILE) - len(LOOPBACK_ONLY)


@pytest.mark.parametrize("endpoint", ALLOWED)
def test_vendor_endpoints_are_accepted(endpoint):
    assert check_endpoint(endpoint, DEFAULT).scheme == "https"


@pytest.mark.parametrize("endpoint", LOOPBACK_ONLY)
def test_loopback_literal_is_accepted_only_when_the_allowlist_names_it(endpoint):
    check_endpoint(endpoint, WITH_LOOPBACK)
    with pytest.raises(EndpointRefused):
        check_endpoint(endpoint, DEFAULT)


def test_a_private_literal_on_the_allowlist_is_still_refused():
    """An operator's slip ("10.0.0.5" in HEIMA_PUSH_ALLOWED_HOSTS) does not open the internal network:
    only loopback literals get the stand-in exception."""
    allowlist = Allowlist.of(("10.0.0.5", "169.254.169.254", "localhost"))
    for endpoint in ("https://10.0.0.5/", "https://169.254.169.254/", "http://10.0.0.5:8080/"):
        with pytest.raises(EndpointRefused):
            check_endpoint(endpoint, allowlist)
    # A loopback *name* gets no exception either: only https on 443, and then the address check.
    with pytest.raises(EndpointRefused):
        check_endpoint("http://localhost:8080/", allowlist)


@pytest.mark.parametrize(
    "entry",
    [
        "127.0.0.1",
        "::1",
        "[::1]",
        "127.0.0.2",
        "fcm.googleapis.com:443",
        "10.0.0.5:80",
        "[fd00::1]:80",
        "127.0.0.1:0",
        "127.0.0.1:65536",
        "127.0.0.1:x",
        "127.0.0.1:",
        "[::1]8080",
        "localhost:8080",
    ],
)
def test_allowlist_entries_that_cannot_mean_what_they_say_are_refused(entry):
    """A loopback literal must pin its port (bare, it would allow every service on this host), and
    only loopback takes a port: the operator hears of it at start, not when a push goes nowhere."""
    with pytest.raises(ValueError):
        Allowlist.of((entry,))
    with pytest.raises(SettingsError, match="HEIMA_PUSH_ALLOWED_HOSTS"):
        Settings.from_env({"HEIMA_PUSH_ALLOWED_HOSTS": f"fcm.googleapis.com,{entry}"})


def test_a_pinned_loopback_entry_allows_that_port_only():
    allowlist = Allowlist.of(("127.0.0.1:8099", "[::1]:8099"))
    assert Settings.from_env({"HEIMA_PUSH_ALLOWED_HOSTS": "127.0.0.1:8099,[::1]:8099"})
    check_endpoint("http://127.0.0.1:8099/wpush/x", allowlist)
    check_endpoint("http://[::1]:8099/wpush/x", allowlist)
    for endpoint in ("http://127.0.0.1:8098/", "http://127.0.0.1/", "https://127.0.0.1/", "http://[::1]:8098/"):
        with pytest.raises(EndpointRefused):
            check_endpoint(endpoint, allowlist)


def test_suffix_entries_match_subdomains_only():
    allowlist = Allowlist.of((".notify.windows.com", "push.example"))
    assert allowlist.names_host("wns2-par02p.notify.windows.com")
    assert not allowlist.names_host("notify.windows.com")
    assert not allowlist.names_host("evilnotify.windows.com")
    assert allowlist.names_host("push.example")
    assert not allowlist.names_host("a.push.example")


NOT_PUBLIC = [
    "0.0.0.0",
    "0.1.2.3",
    "127.0.0.1",
    "127.255.255.254",
    "10.1.2.3",
    "100.64.0.1",
    "100.127.255.255",
    "169.254.169.254",
    "172.31.255.255",
    "192.0.0.8",
    "192.0.2.1",
    "192.88.99.1",
    "192.168.0.1",
    "198.18.0.1",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.251",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "::ffff:127.0.0.1",
    "::ffff:8.8.8.8",  # mapped: a resolver never returns one, so none is trusted
    "::127.0.0.1",
    "64:ff9b::7f00:1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::a00:1",
    "64:ff9b:1::808:808",
    "100::1",
    "2001::1",
    "2001:db8::1",
    "2002:808:808::1",
    "2002:7f00:1::1",
    "3fff::1",
    "fc00::1",
    "fd00::2",
    "fe80::1",
    "fec0::1",
    "ff02::1",
]
PUBLIC = ["8.8.8.8", "142.250.74.10", "17.253.144.10", "2a00:1450:400f:80d::200a", "64:ff9b::808:808"]


@pytest.mark.parametrize("text", NOT_PUBLIC)
def test_non_public_addresses(text):
    assert not is_public_address(ipaddress.ip_address(text))


@pytest.mark.parametrize("text", PUBLIC)
def test_public_addresses(text):
    # 64:ff9b::808:808 is 8.8.8.8 through the well-known NAT64 prefix (DNS64 on an IPv6-only host).
    assert is_public_address(ipaddress.ip_address(text))


async def test_every_resolved_address_must_be_public(monkeypatch):
    """One bad record among good ones refuses the host: the connect attempt could pick any."""
    answers = {
        "fcm.googleapis.com": ["142.250.74.10", "2a00:1450:400f:80d::200a"],
        "updates.push.services.mozilla.com": ["34.117.65.55", "10.0.0.7"],
        "web.push.apple.com": ["fe80::1%eth0"],
    }

    async def resolve(host: str, port: int) -> list[str]:
        return answers[host]

    monkeypatch.setattr(endpoint_rules, "resolve", resolve)
    assert await vetted_addresses("fcm.googleapis.com", 443, DEFAULT) == answers["fcm.googleapis.com"]
    for host in ("updates.push.services.mozilla.com", "web.push.apple.com"):
        with pytest.raises(EndpointRefused, match="non-public"):
            await vetted_addresses(host, 443, DEFAULT)
    # A host the allowlist does not name is refused before anyone asks DNS about it.
    with pytest.raises(EndpointRefused, match="not a push service"):
        await vetted_addresses("evil.example", 443, DEFAULT)
    assert await vetted_addresses("127.0.0.1", 8080, WITH_LOOPBACK) == ["127.0.0.1"]
    with pytest.raises(EndpointRefused):
        await vetted_addresses("127.0.0.1", 8080, DEFAULT)
    with pytest.raises(EndpointRefused):
        await vetted_addresses("127.0.0.1", 8081, WITH_LOOPBACK)  # not the pinned port
